using Csa.Bootloader.Images;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// The image container (docs/image-format.md 1-5): ImageReader.TryParse, Parse and ParseManifest on a whole file, and
/// the accessors of what they accept. Contract: TryParse never throws and agrees with Parse, which throws
/// ImageFormatException only; an accepted image re-serialises to the same bytes.
/// </summary>
internal sealed class ImageTarget : FuzzTarget
{
    public override string Name => "image";

    public override string Description => "ImageReader.TryParse / Parse / ParseManifest on a whole image file";

    public override IReadOnlyList<byte[]> Dictionary => [[0x43, 0x53, 0x41, 0x49], [0x43, 0x53, 0x41, 0x4B], [0x01, 0x00], [0x60, 0x00], [0x81, 0x00]];

    public override IEnumerable<byte[]> Seeds() => SeedMaterial.Images.Select(i => i.ToArray());

    public override int Run(ReadOnlySpan<byte> input)
    {
        byte[] data = input.ToArray();
        bool ok = ImageReader.TryParse(data, out FirmwareImage? image, out ImageFormatException? error);
        try
        {
            FirmwareImage parsed = ImageReader.Parse(data);
            if (!ok)
                throw new ContractViolation($"Parse accepted what TryParse refused ({error?.Error})");
            if (!parsed.ToArray().AsSpan().SequenceEqual(data))
                throw new ContractViolation("an accepted image does not re-serialise to its own bytes");
        }
        catch (ImageFormatException e)
        {
            if (ok || e.Error != error?.Error || e.Offset != error?.Offset)
                throw new ContractViolation($"Parse refused with {e.Error} at {e.Offset}; TryParse said {(ok ? "valid" : $"{error?.Error} at {error?.Offset}")}");
        }
        try
        {
            ImageReader.ParseManifest(data);
        }
        catch (ImageFormatException)
        {
            // documented
        }
        if (!ok)
            return 1 + (int)error!.Error;
        _ = image!.Manifest.ToString();
        _ = image.FindWrappedKey(SeedMaterial.Uid);
        return 0;
    }

    public override long AllocationBudget(int length) => 64 * 1024 + 16L * length;
}
