namespace Csa.Bootloader.Images;

/// <summary>
/// A well-formed image is refused by the policy of the device (or of the host's local pre-check).
/// <see cref="Reason"/> says why; the message gives the values that disagree.
/// </summary>
public sealed class ImageRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageRejectedException(ImageRejection reason, string message)
        : base($"{message} (rejection {reason})")
    {
        Reason = reason;
    }

    /// <summary>Why the image is refused.</summary>
    public ImageRejection Reason { get; }
}
