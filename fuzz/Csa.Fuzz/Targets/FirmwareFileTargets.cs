using System.Text;
using Csa.Bootloader.Images;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>Seeds shared by the firmware file targets: the repository's toolchain-made test files, and Intel HEX from <see cref="SeedMaterial"/>.</summary>
internal static class FirmwareFiles
{
    public static IEnumerable<byte[]> TestData(params string[] extensions)
    {
        string folder = Path.Combine(RpcJsonTarget.RepositoryRoot(), "tests", "Csa.Cli.Tests", "TestData", "images");
        if (!Directory.Exists(folder))
            yield break;
        foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            if (extensions.Contains(Path.GetExtension(file)))
                yield return File.ReadAllBytes(file);
        }
    }

    /// <summary>S-record text of <paramref name="data"/> (S0 header, S3 data, S5 count, S7 start), as objcopy -O srec writes it.</summary>
    public static string SRecord(byte[] data, uint address)
    {
        var text = new StringBuilder();
        void Record(char type, byte[] body)
        {
            byte sum = (byte)(body.Length + 1);
            text.Append('S').Append(type).Append((body.Length + 1).ToString("X2"));
            foreach (byte b in body)
            {
                text.Append(b.ToString("X2"));
                sum += b;
            }
            text.Append(((byte)~sum).ToString("X2")).Append('\n');
        }
        Record('0', [0, 0, .. "csa"u8]);
        int count = 0;
        for (int at = 0; at < data.Length; at += 16, count++)
        {
            uint a = address + (uint)at;
            Record('3', [(byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a, .. data.AsSpan(at, Math.Min(16, data.Length - at))]);
        }
        Record('5', [(byte)(count >> 8), (byte)count]);
        Record('7', [(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)(address + 1)]);
        return text.ToString();
    }
}

/// <summary>
/// Motorola S-record input (docs/image-format.md 7): FirmwareSource.FromSRecord. Contract: SRecordFormatException only,
/// naming a line of the text (or 0, the file as a whole); what it accepts fits the payload limit.
/// </summary>
internal sealed class SRecordTarget : FuzzTarget
{
    public override string Name => "s-record";

    public override string Description => "FirmwareSource.FromSRecord on hostile text";

    public override IReadOnlyList<byte[]> Dictionary => [.. new[] { "S0", "S1", "S2", "S3", "S5", "S6", "S7", "S8", "S9", "\n", "\r\n", "FF", "00" }.Select(Encoding.ASCII.GetBytes)];

    public override IEnumerable<byte[]> Seeds() =>
        [.. FirmwareFiles.TestData(".srec"), Encoding.ASCII.GetBytes(FirmwareFiles.SRecord(SeedMaterial.Payload(60, 10), 0x08020000))];

    public override int Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            FirmwareSource source = FirmwareSource.FromSRecord(text);
            if (source.Data.Length > ImageFormat.MaxPayloadSize)
                throw new ContractViolation($"{source.Data.Length} bytes accepted; the format's limit is {ImageFormat.MaxPayloadSize}");
            return 0;
        }
        catch (SRecordFormatException e)
        {
            // 1-based, or 0 for the file as a whole (no data, no record at all), as SRecordFormatException documents.
            int lines = TextLines.Count(text);
            if (e.LineNumber < 0 || e.LineNumber > lines || (e.LineNumber == 0 && e.Error is not (SRecordError.NoData or SRecordError.MissingTermination)))
                throw new ContractViolation($"{e.Error} on line {e.LineNumber} of a {lines}-line text");
            return 1 + (int)e.Error;
        }
    }

    public override long AllocationBudget(int length) => 5L * 1024 * 1024 + 256L * length;
}

/// <summary>
/// ELF32 ARM executables (docs/image-format.md 7): FirmwareSource.FromElf, without and with a load address. Contract:
/// ElfFormatException only, with an offset inside the file; what it accepts fits the payload limit.
/// </summary>
internal sealed class ElfTarget : FuzzTarget
{
    public override string Name => "elf";

    public override string Description => "FirmwareSource.FromElf on a hostile file (first byte: with or without a load address)";

    public override int MaxInputLength => 8192;

    public override IEnumerable<byte[]> Seeds() => FirmwareFiles.TestData(".elf").SelectMany(elf => new[] { [0, .. elf], new byte[] { 1 }.Concat(elf).ToArray() });

    public override int Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            return -1;
        uint? loadAddress = (input[0] & 1) != 0 ? 0x08020000 : null;
        ReadOnlySpan<byte> elf = input[1..];
        try
        {
            FirmwareSource source = FirmwareSource.FromElf(elf, loadAddress);
            if (source.Data.Length > ImageFormat.MaxPayloadSize)
                throw new ContractViolation($"{source.Data.Length} bytes accepted; the format's limit is {ImageFormat.MaxPayloadSize}");
            return 0;
        }
        catch (ElfFormatException e)
        {
            if (e.Offset < 0 || e.Offset > elf.Length)
                throw new ContractViolation($"an error at offset {e.Offset} of a {elf.Length}-byte file");
            return 1 + (int)e.Error;
        }
    }

    public override long AllocationBudget(int length) => 5L * 1024 * 1024 + 256L * length;
}

/// <summary>
/// What `csa image build` does with a firmware file of any format: FirmwareSource.Parse with format detection (binary,
/// Intel HEX, S-record, ELF). Contract: FirmwareFormatException (a subclass per format) or ArgumentException only.
/// </summary>
internal sealed class FirmwareFileTarget : FuzzTarget
{
    public override string Name => "firmware-file";

    public override string Description => "FirmwareSource.DetectFormat and Parse (first byte: with or without a load address)";

    public override int MaxInputLength => 8192;

    public override IEnumerable<byte[]> Seeds() =>
        FirmwareFiles.TestData(".bin", ".hex", ".srec", ".elf").Select(f => new byte[] { 1 }.Concat(f).ToArray());

    public override int Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            return -1;
        uint? loadAddress = (input[0] & 1) != 0 ? 0x08020000 : null;
        try
        {
            FirmwareSource.Parse(input[1..], FirmwareFileFormat.Auto, loadAddress);
            return (int)FirmwareSource.DetectFormat(input[1..]);
        }
        catch (FirmwareFormatException e)
        {
            return 10 + (int)e.Format;
        }
        catch (ArgumentException)
        {
            return 20;
        }
    }

    public override long AllocationBudget(int length) => 5L * 1024 * 1024 + 256L * length;
}
