using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>What one call writes: the application image, or bootloader images (one per copy, by load address).</summary>
internal sealed class UpdatePlan
{
    private UpdatePlan(UpdateTarget target, IReadOnlyList<FirmwareImage> images, bool bothCopies)
    {
        Target = target;
        Images = images;
        BothCopies = bothCopies;
    }

    public UpdateTarget Target { get; }

    public IReadOnlyList<FirmwareImage> Images { get; }

    public bool BothCopies { get; }

    /// <summary>For a bootloader update: the copies to write, in order, fixed at the first contact (the first is the copy not running then).</summary>
    public RegionKind[]? Copies { get; set; }

    // The image's kind is not checked here: a wrong kind is bad input like any other, refused by the pre-check
    // (WrongImageKind) or, with the pre-check off, by the device (WrongTarget).
    public static UpdatePlan ForApplication(FirmwareImage image) => new(UpdateTarget.Application, [image], bothCopies: false);

    public static UpdatePlan ForBootloader(IReadOnlyList<FirmwareImage> images, bool bothCopies) =>
        new(UpdateTarget.OtherBootloader, images.ToArray(), bothCopies);

    /// <summary>The image linked for <paramref name="region"/>, or null.</summary>
    public FirmwareImage? ImageFor(RegionInfo region) => ImageFor(region.Start);

    /// <summary>The image linked for the region starting at <paramref name="start"/>, or null.</summary>
    public FirmwareImage? ImageFor(uint start) => Images.FirstOrDefault(i => i.Manifest.LoadAddress == start);

    public long TotalPayload => Images.Sum(i => (long)i.Manifest.PayloadSize);
}
