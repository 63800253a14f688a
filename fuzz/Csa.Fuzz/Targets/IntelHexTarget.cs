using System.Text;
using Csa.Bootloader.Images;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// Intel HEX firmware input (docs/image-format.md 7): FirmwareSource.FromIntelHex on hostile text. Contract: throws
/// IntelHexFormatException only (with a line of the text, or 0 for the file as a whole); what it accepts lies within the image format's
/// payload limit.
/// </summary>
internal sealed class IntelHexTarget : FuzzTarget
{
    public override string Name => "intel-hex";

    public override string Description => "FirmwareSource.FromIntelHex on hostile text";

    public override IReadOnlyList<byte[]> Dictionary =>
        [.. new[] { ":", "\n", "\r\n", ":00000001FF", ":02000004", ":04000005", ":020000021000EC", "FF", "00", "08" }.Select(Encoding.ASCII.GetBytes)];

    public override IEnumerable<byte[]> Seeds()
    {
        yield return Encoding.ASCII.GetBytes(SeedMaterial.IntelHex(SeedMaterial.Payload(70, 7), 0x08020000));
        yield return Encoding.ASCII.GetBytes(SeedMaterial.IntelHex(SeedMaterial.Payload(40, 8), 0x0800FFF0, 8)); // crosses a 64 KiB boundary
        yield return Encoding.ASCII.GetBytes(":020000021000EC\n:0400000001020304F2\n:00000001FF\n"); // extended segment address
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            FirmwareSource source = FirmwareSource.FromIntelHex(text);
            if (source.Data.Length > ImageFormat.MaxPayloadSize)
                throw new ContractViolation($"{source.Data.Length} bytes accepted; the format's limit is {ImageFormat.MaxPayloadSize}");
            return 0;
        }
        catch (IntelHexFormatException e)
        {
            // 1-based, or 0 for the file as a whole (no data, no record at all), as IntelHexFormatException documents.
            int lines = TextLines.Count(text);
            if (e.LineNumber < 0 || e.LineNumber > lines || (e.LineNumber == 0 && e.Error is not (IntelHexError.NoData or IntelHexError.MissingEndOfFile)))
                throw new ContractViolation($"{e.Error} on line {e.LineNumber} of a {lines}-line text");
            return 1 + (int)e.Error;
        }
    }

    // Gaps between records are filled with 0xFF up to the format's 2 MiB limit: what one line may legitimately cost.
    public override long AllocationBudget(int length) => 5L * 1024 * 1024 + 256L * length;
}
