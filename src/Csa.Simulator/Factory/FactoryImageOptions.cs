using Csa.Bootloader.Images;

namespace Csa.Simulator;

/// <summary>How <see cref="DeviceFactory.BuildImageAsync"/> makes one image. One sealed record; every setting has a default.</summary>
public sealed record FactoryImageOptions
{
    /// <summary>Payload bytes (deterministic pseudo-random bytes after a readable banner). Default 16 KiB.</summary>
    public int Size { get; init; } = 16 * 1024;

    /// <summary>The image's security counter. Default 1 (the factory images' counter).</summary>
    public uint SecurityCounter { get; init; } = 1;

    /// <summary>Bind the image to the profile's unique id (REQ-DEVICE-BOUND).</summary>
    public bool BindToDevice { get; init; }

    /// <summary>Encrypt the payload for the profile's identity key (REQ-CONFIDENTIAL); the profile must have one.</summary>
    public bool Encrypt { get; init; }

    /// <summary>
    /// Encrypt the payload for these devices instead of the profile's own (a fleet image: one ciphertext, one wrapped key
    /// per device). Implies <see cref="Encrypt"/>. Null: the profile's device only.
    /// </summary>
    public IReadOnlyList<ImageRecipient>? Recipients { get; init; }

    /// <summary>
    /// Signs with this instead of the factory's signer (<see cref="DeviceFactory.SignerFor"/>): a signing service or an HSM
    /// of your own, or a key the device does not trust (to test its refusal). Null (default): the factory's.
    /// </summary>
    public IImageSigner? Signer { get; init; }

    /// <summary>Link the image for this address instead of its region's start (to test a device's refusal).</summary>
    public uint? LoadAddress { get; init; }

    /// <summary>Another payload for the same version and size (two builds that must differ); null for the standard one.</summary>
    public string? Variant { get; init; }

    /// <summary>
    /// Changes the manifest settings after the factory filled them in and before the image is signed (hostile or unusual
    /// images for tests); null for none. Images made with it are not cached.
    /// </summary>
    public Action<ImageSettings>? AdjustManifest { get; init; }

    internal bool Encrypted => Encrypt || Recipients is not null;

    internal void Validate()
    {
        if (Size < 1)
            throw new ArgumentOutOfRangeException(nameof(Size), Size, "An image has at least one payload byte.");
        if (Recipients is { Count: 0 })
            throw new ArgumentException("An encrypted image needs at least one recipient.", nameof(Recipients));
    }
}
