using Csa.Fuzz.Engine;
using Csa.Fuzz.Targets;

namespace Csa.Fuzz;

/// <summary>Every fuzz target: one per parser that hostile input reaches (docs/security.md 11).</summary>
internal static class FuzzTargets
{
    // TODO(integrator, branch fix-input): FirmwareSource.FromSRecord(string) and FirmwareSource.FromElf(ReadOnlySpan<byte>)
    // exist there; add an "s-record" and an "elf" target like IntelHexTarget (seeds from their writers or the TestData
    // files, contract: their documented format exception only), and FlashStateTarget may need the new typed errors.
    public static IReadOnlyList<FuzzTarget> Create() =>
    [
        new FrameTarget(),
        new ReassemblyTarget(),
        new RpcPacketTarget(),
        new RpcMessageTarget(),
        new ImageTarget(),
        new IntelHexTarget(),
        new PemKeyTarget(),
        new DerKeyTarget(),
        new EciesUnwrapTarget(),
        new CertificateTarget(),
        new RecordFileTarget(),
        new FlashStateTarget(),
        new LinkUriTarget(),
        new RpcJsonTarget(),
    ];

    public static FuzzTarget Find(string name) =>
        Create().FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no fuzz target '{name}'; `csa-fuzz list` names them");
}
