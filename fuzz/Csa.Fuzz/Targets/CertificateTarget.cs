using Csa.Bootloader.Provisioning;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// The 176-byte device certificate (docs/security.md 10.2), as a device answers it to Authenticate: TryParse over a
/// span and over a multi-segment sequence, Parse. Contract: TryParse never throws, both forms agree on the error and its
/// offset, Parse throws DeviceCertificateFormatException only, an accepted certificate writes back its own bytes.
/// </summary>
internal sealed class CertificateTarget : FuzzTarget
{
    public override string Name => "device-certificate";

    public override string Description => "DeviceCertificate.TryParse (span, 5-byte segments) and Parse";

    public override int MaxInputLength => 512;

    public override IEnumerable<byte[]> Seeds()
    {
        yield return SeedMaterial.Certificate().ToArray();
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        byte[] data = input.ToArray();
        bool ok = DeviceCertificate.TryParse(data, out DeviceCertificate? certificate, out DeviceCertificateError error, out int offset);
        bool ok2 = DeviceCertificate.TryParse(Segments.Split(data, 5), out DeviceCertificate? certificate2, out DeviceCertificateError error2);
        if (ok != ok2 || error != error2)
            throw new ContractViolation($"span and segments disagree: {ok}/{error} vs {ok2}/{error2}");
        try
        {
            DeviceCertificate parsed = DeviceCertificate.Parse(data);
            if (!ok)
                throw new ContractViolation($"Parse accepted what TryParse refused ({error})");
            if (!parsed.ToArray().AsSpan().SequenceEqual(data) || !certificate2!.ToArray().AsSpan().SequenceEqual(data))
                throw new ContractViolation("an accepted certificate does not write back its own bytes");
        }
        catch (DeviceCertificateFormatException e)
        {
            if (ok || e.Error != error || e.Offset != offset)
                throw new ContractViolation($"Parse refused with {e.Error} at {e.Offset}; TryParse said {(ok ? "valid" : $"{error} at {offset}")}");
        }
        return ok ? 0 : 1 + (int)error;
    }
}
