using System.Buffers.Binary;
using System.Security.Cryptography;
using Csa.Bootloader.Images.Internal;

namespace Csa.Bootloader.Images;

/// <summary>
/// Builds image files: manifest, payload, authentication block and, for encrypted images, the key block
/// (docs/image-format.md). Every input is checked before anything is signed, and the result is parsed back
/// before it is returned, so a built image is always one <see cref="ImageReader"/> accepts.
/// </summary>
public sealed class ImageBuilder
{
    private readonly ImageSettings _settings;

    /// <summary>Creates a builder for images described by <paramref name="settings"/>.</summary>
    public ImageBuilder(ImageSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>Builds a plaintext image authenticated by <paramref name="signer"/> (or <see cref="Crc32ImageAuthenticator.Instance"/>).</summary>
    /// <exception cref="ArgumentException">The settings, the source or the signer break a rule of the format.</exception>
    public Task<FirmwareImage> BuildAsync(FirmwareSource source, IImageSigner signer, CancellationToken cancellationToken = default)
        => BuildCoreAsync(source, signer, null, [], cancellationToken);

    /// <summary>
    /// Builds an image whose payload <paramref name="encryptor"/> encrypts under a fresh content key, wrapped
    /// for each of <paramref name="recipients"/> into the key block.
    /// </summary>
    /// <exception cref="ArgumentException">The settings, the source, the signer or the recipients break a rule of the format.</exception>
    public Task<FirmwareImage> BuildAsync(
        FirmwareSource source, IImageSigner signer, IPayloadEncryptor encryptor, IEnumerable<ImageRecipient> recipients,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encryptor);
        ArgumentNullException.ThrowIfNull(recipients);
        ImageRecipient[] list = recipients.ToArray();
        if (list.Length is 0 or > ImageFormat.MaxKeyBlockEntries)
            throw new ArgumentException($"An encrypted image needs 1..{ImageFormat.MaxKeyBlockEntries} recipients, not {list.Length}: without a wrapped key no device can decrypt it.", nameof(recipients));
        var seen = new HashSet<DeviceUid>();
        foreach (ImageRecipient r in list)
        {
            ArgumentNullException.ThrowIfNull(r, nameof(recipients));
            ArgumentNullException.ThrowIfNull(r.PublicKey, nameof(recipients));
            if (!seen.Add(r.Device))
                throw new ArgumentException($"Device {r.Device} is listed twice as a recipient.", nameof(recipients));
        }
        return BuildCoreAsync(source, signer, encryptor, list, cancellationToken);
    }

    private async Task<FirmwareImage> BuildCoreAsync(
        FirmwareSource source, IImageSigner signer, IPayloadEncryptor? encryptor, ImageRecipient[] recipients,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(signer);
        ImageManifest plainManifest = CheckInputs(source, signer, encryptor);
        ReadOnlyMemory<byte> plaintext = source.Data;

        byte[] payload;
        byte[] nonce = new byte[ImageFormat.NonceSize];
        byte[]? contentKey = null;
        try
        {
            if (encryptor is null)
            {
                payload = plaintext.ToArray();
            }
            else
            {
                EncryptedPayload encrypted = encryptor.Encrypt(plaintext.Span);
                contentKey = encrypted.ContentKey;
                if (encrypted.Ciphertext.Length != plaintext.Length)
                    throw new InvalidOperationException($"The payload encryptor returned {encrypted.Ciphertext.Length} bytes of ciphertext for {plaintext.Length} bytes of plaintext; CTR mode keeps the length.");
                if (encrypted.Nonce.Length != ImageFormat.NonceSize)
                    throw new InvalidOperationException($"The payload encryptor returned a {encrypted.Nonce.Length}-byte nonce; the format needs {ImageFormat.NonceSize}.");
                payload = encrypted.Ciphertext;
                nonce = encrypted.Nonce;
            }

            var manifest = new ImageManifest(
                plainManifest.Kind, plainManifest.Authentication, encryptor?.Algorithm ?? ImageEncryption.None,
                plainManifest.VendorId, plainManifest.DeviceClassId, plainManifest.Version, plainManifest.SecurityCounter,
                plainManifest.LoadAddress, plainManifest.PayloadSize, plainManifest.PayloadSha256.Span, nonce,
                plainManifest.KeyId.Span, [.. plainManifest.BoundDevices]);
            byte[] manifestBytes = manifest.ToArray();

            byte[] authBlock = await signer.SignAsync(manifestBytes, cancellationToken).ConfigureAwait(false);
            int authLength = ImageFormat.AuthenticationBlockSize(signer.Algorithm);
            if (authBlock is null || authBlock.Length != authLength)
                throw new InvalidOperationException($"The signer returned a {authBlock?.Length ?? 0}-byte authentication block; {signer.Algorithm} needs {authLength}.");

            byte[] keyBlock = contentKey is null ? [] : BuildKeyBlock(encryptor!, contentKey, manifestBytes, recipients);

            var image = new byte[manifestBytes.Length + payload.Length + authBlock.Length + keyBlock.Length];
            manifestBytes.CopyTo(image, 0);
            payload.CopyTo(image, manifestBytes.Length);
            authBlock.CopyTo(image, manifestBytes.Length + payload.Length);
            keyBlock.CopyTo(image, manifestBytes.Length + payload.Length + authBlock.Length);
            return ImageParser.Parse(image);
        }
        finally
        {
            if (contentKey is not null)
                CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    private ImageManifest CheckInputs(FirmwareSource source, IImageSigner signer, IPayloadEncryptor? encryptor)
    {
        if (!Enum.IsDefined(_settings.Kind))
            throw new ArgumentException($"Image kind {_settings.Kind} is not application or bootloader.", nameof(source));
        if (source.Data.Length is 0 or > ImageFormat.MaxPayloadSize)
            throw new ArgumentException($"The payload is {source.Data.Length} bytes; the format allows 1..{ImageFormat.MaxPayloadSize}.", nameof(source));
        uint loadAddress = source.LoadAddress;
        if (_settings.LoadAddress is { } wanted && wanted != source.LoadAddress)
            throw new ArgumentException($"The settings say load address 0x{wanted:X8} but the firmware starts at 0x{source.LoadAddress:X8}; an image linked for one address must not be installed at another.", nameof(source));
        if ((ulong)loadAddress + (ulong)source.Data.Length > 0x1_0000_0000UL)
            throw new ArgumentException($"{source.Data.Length} bytes at 0x{loadAddress:X8} run past the end of the 32-bit address space.", nameof(source));
        if (_settings.BoundDevices.Count > ImageFormat.MaxBindingCount)
            throw new ArgumentException($"An image can be bound to at most {ImageFormat.MaxBindingCount} devices, not {_settings.BoundDevices.Count}.", nameof(source));
        if (_settings.BoundDevices.Distinct().Count() != _settings.BoundDevices.Count)
            throw new ArgumentException("The same device is listed twice in the bound devices.", nameof(source));
        if (signer.Algorithm is not (ImageAuthentication.Crc32 or ImageAuthentication.EcdsaP256Sha256))
            throw new ArgumentException($"The signer's algorithm {signer.Algorithm} is not one the format defines.", nameof(signer));
        if (signer.KeyId.Length != ImageFormat.KeyIdSize)
            throw new ArgumentException($"The signer's key id is {signer.KeyId.Length} bytes; the format needs {ImageFormat.KeyIdSize}.", nameof(signer));
        if (signer.Algorithm == ImageAuthentication.Crc32 && signer.KeyId.Span.IndexOfAnyExcept((byte)0) >= 0)
            throw new ArgumentException("A CRC-32 has no key: its key id must be all zero.", nameof(signer));
        if (encryptor is not null && encryptor.Algorithm != ImageEncryption.Aes256CtrEciesP256)
            throw new ArgumentException($"The encryptor's algorithm {encryptor.Algorithm} is not one the format defines.", nameof(encryptor));

        byte[] hash = SHA256.HashData(source.Data.Span);
        return new ImageManifest(
            _settings.Kind, signer.Algorithm, ImageEncryption.None, _settings.VendorId, _settings.DeviceClassId,
            _settings.Version, _settings.SecurityCounter, loadAddress, (uint)source.Data.Length, hash,
            new byte[ImageFormat.NonceSize], signer.KeyId.Span, [.. _settings.BoundDevices]);
    }

    private static byte[] BuildKeyBlock(IPayloadEncryptor encryptor, byte[] contentKey, byte[] manifestBytes, ImageRecipient[] recipients)
    {
        // The context binds every wrapped key to this exact manifest: a key block moved onto another image
        // (same device, other firmware) fails key confirmation on the device.
        byte[] context = SHA256.HashData(manifestBytes);
        var wrapped = new byte[recipients.Length][];
        for (int i = 0; i < recipients.Length; i++)
        {
            wrapped[i] = encryptor.WrapKey(contentKey, recipients[i].PublicKey, context);
            if (wrapped[i].Length is 0 or > ImageFormat.MaxWrappedKeySize || wrapped[i].Length != wrapped[0].Length)
                throw new InvalidOperationException($"The encryptor wrapped a key into {wrapped[i].Length} bytes; the key block needs 1..{ImageFormat.MaxWrappedKeySize} bytes, the same for every device.");
        }
        int keyLength = wrapped[0].Length;
        int stride = DeviceUid.Length + keyLength;
        var block = new byte[ImageFormat.KeyBlockHeaderSize + (recipients.Length * stride)];
        BinaryPrimitives.WriteUInt32LittleEndian(block, ImageFormat.KeyBlockMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(4), (ushort)recipients.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(6), (ushort)keyLength);
        for (int i = 0; i < recipients.Length; i++)
        {
            int at = ImageFormat.KeyBlockHeaderSize + (i * stride);
            recipients[i].Device.CopyTo(block.AsSpan(at));
            wrapped[i].CopyTo(block, at + DeviceUid.Length);
        }
        return block;
    }
}
