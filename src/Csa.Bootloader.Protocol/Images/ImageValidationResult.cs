namespace Csa.Bootloader.Images;

/// <summary>The outcome of <see cref="ImageValidator.Validate(FirmwareImage)"/> for an accepted image.</summary>
/// <param name="Manifest">The accepted image's manifest.</param>
/// <param name="PayloadHashVerified">
/// True when the plaintext payload's SHA-256 was checked. False only for an encrypted image checked without
/// the device's key (the host pre-check of an image made for other devices): then the device checks it.
/// </param>
/// <param name="KeyUnwrapVerified">True when the device's wrapped content key was unwrapped and confirmed.</param>
public sealed record ImageValidationResult(ImageManifest Manifest, bool PayloadHashVerified, bool KeyUnwrapVerified);
