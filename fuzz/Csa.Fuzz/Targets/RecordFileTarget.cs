using System.Text;
using Csa.Bootloader.Provisioning;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// The production station's files (docs/security.md 10.6): provisioning record files (JSON lines or CSV) and device
/// allow lists, read from a file in memory-backed temporary storage. Contract: ProvisioningRecordFormatException only,
/// naming a line of the file.
/// </summary>
internal sealed class RecordFileTarget : FuzzTarget, IDisposable
{
    private readonly string _path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"csa-fuzz-records-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");

    public override string Name => "provisioning-records";

    public override string Description => "ProvisioningRecordFile.ReadAsync and DeviceAllowList.LoadAsync on a hostile file";

    public override TargetSpeed Speed => TargetSpeed.Slow;

    public override IReadOnlyList<byte[]> Dictionary =>
        [.. new[] { ProvisioningRecord.CsvHeader + "\n", "\"", ",", "\n", "{", "}", "\"uid\":", "\"serialNumber\":", "null", "4294967296", "-1", "#" }.Select(Encoding.UTF8.GetBytes)];

    public override IEnumerable<byte[]> Seeds()
    {
        DeviceCertificate certificate = SeedMaterial.Certificate();
        var records = new[]
        {
            new ProvisioningRecord(SeedMaterial.Uid.ToString(), "Provisioned", Convert.ToHexString(SeedMaterial.DeviceKey.PublicKey.ToUncompressedPoint()),
                Convert.ToHexString(certificate.ToArray()), 1, 0x00C5A000, 1, Convert.ToHexString(SeedMaterial.SigningKey.PublicKey.KeyId.Span), "2026-11-25T00:00:00Z", string.Empty),
            new ProvisioningRecord("110043005153463432303231", "Failed", string.Empty, string.Empty, 0, 0x00C5A000, 1, string.Empty, string.Empty, "the proof of possession, \"quoted\", failed"),
        };
        yield return Encoding.UTF8.GetBytes(string.Join('\n', records.Select(r => r.ToJsonLine())) + "\n");
        yield return Encoding.UTF8.GetBytes(ProvisioningRecord.CsvHeader + "\n" + string.Join('\n', records.Select(r => r.ToCsvLine())) + "\n");
        yield return Encoding.UTF8.GetBytes($"# delivered 2026-11-25\n{SeedMaterial.Uid}\n  110043005153463432303231  \n\n");
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        File.WriteAllBytes(_path, input.ToArray());
        int lines = TextLines.Count(Encoding.UTF8.GetString(input)); // the allow list reads lines as File.ReadAllLines does: CR, LF, CR LF
        int outcome = 0;
        try
        {
            outcome = ProvisioningRecordFile.ReadAsync(_path).GetAwaiter().GetResult().Count > 0 ? 1 : 0;
        }
        catch (ProvisioningRecordFormatException e)
        {
            Check(e, lines);
            outcome = 2;
        }
        try
        {
            DeviceAllowList.LoadAsync(_path).GetAwaiter().GetResult();
        }
        catch (ProvisioningRecordFormatException e)
        {
            Check(e, lines);
            outcome += 4;
        }
        return outcome;
    }

    private static void Check(ProvisioningRecordFormatException e, int lines)
    {
        if (e.Line < 1 || e.Line > lines + 1)
            throw new ContractViolation($"an error on line {e.Line} of a {lines}-line file");
    }

    public override long AllocationBudget(int length) => 256 * 1024 + 256L * length;

    public void Dispose() => File.Delete(_path);
}
