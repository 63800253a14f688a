namespace Csa.Bootloader.Images;

/// <summary>One entry of an image's key block: the content key wrapped for one device.</summary>
public sealed class WrappedKeyEntry
{
    private readonly byte[] _wrappedKey;

    /// <summary>Creates an entry.</summary>
    public WrappedKeyEntry(DeviceUid device, ReadOnlySpan<byte> wrappedKey)
    {
        Device = device;
        _wrappedKey = wrappedKey.ToArray();
    }

    /// <summary>The device the key is wrapped for.</summary>
    public DeviceUid Device { get; }

    /// <summary>The wrapped key, as <see cref="IPayloadEncryptor.WrapKey"/> produced it.</summary>
    public ReadOnlyMemory<byte> WrappedKey => _wrappedKey;
}

/// <summary>A device that an encrypted image is made for: its UID and its 65-byte uncompressed P-256 public key.</summary>
/// <param name="Device">The device's unique ID, written into the key block.</param>
/// <param name="PublicKey">The device's key-wrapping public key (65-byte uncompressed P-256 point).</param>
public sealed record ImageRecipient(DeviceUid Device, byte[] PublicKey);
