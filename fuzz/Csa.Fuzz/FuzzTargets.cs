using Csa.Fuzz.Engine;
using Csa.Fuzz.Targets;

namespace Csa.Fuzz;

/// <summary>Every fuzz target: one per parser that hostile input reaches (docs/security.md 11).</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> Create() =>
    [
        new FrameTarget(),
        new ReassemblyTarget(),
        new RpcPacketTarget(),
        new RpcMessageTarget(),
        new ImageTarget(),
        new IntelHexTarget(),
        new SRecordTarget(),
        new ElfTarget(),
        new FirmwareFileTarget(),
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
