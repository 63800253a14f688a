using System.Security.Cryptography;

namespace Csa.Bootloader.Images;

/// <summary>
/// Decides whether a device accepts an image, in two steps (docs/image-format.md, "What the device checks"):
/// <list type="number">
/// <item><see cref="CheckBeforeErase(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>: the manifest's authenticity,
/// then its target, binding, security counter, location and size, before a single flash byte is erased;</item>
/// <item>a <see cref="PayloadHasher"/> (or <see cref="CheckPayload"/>) after writing: the SHA-256 of the plaintext.</item>
/// </list>
/// The host uses the same code for its local pre-check (<see cref="Validate"/>), so host and virtual device
/// cannot disagree. Every refusal is an <see cref="ImageRejectedException"/> with its <see cref="ImageRejection"/>.
/// </summary>
public sealed class ImageValidator
{
    private const int DecryptChunk = 64 * 1024;

    /// <summary>Creates a validator for <paramref name="policy"/>. The policy is read at every check, not copied.</summary>
    public ImageValidator(ImagePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
    }

    /// <summary>The policy images are checked against.</summary>
    public ImagePolicy Policy { get; }

    /// <summary>
    /// The before-erase check on what a device receives first: the manifest's bytes and the authentication
    /// block. Parses the manifest, authenticates it, then checks it against the policy. Nothing in the
    /// manifest is trusted before the authentication holds.
    /// </summary>
    /// <returns>The authenticated, accepted manifest.</returns>
    /// <exception cref="ImageFormatException">The manifest is malformed.</exception>
    /// <exception cref="ImageRejectedException">The policy refuses the image.</exception>
    public ImageManifest CheckBeforeErase(ReadOnlySpan<byte> manifestBytes, ReadOnlySpan<byte> authenticationBlock)
    {
        ImageManifest manifest = ImageReader.ParseManifest(manifestBytes);
        if (manifestBytes.Length != manifest.Length)
            throw new ImageFormatException(ImageError.TrailingData, manifest.Length,
                $"{manifestBytes.Length - manifest.Length} byte(s) follow the {manifest.Length}-byte manifest");
        Authenticate(manifest, manifestBytes, authenticationBlock);
        CheckTarget(manifest);
        return manifest;
    }

    /// <summary>The before-erase check on the manifest and authentication block given as arrays (the form Python passes).</summary>
    /// <exception cref="ImageFormatException">The manifest is malformed.</exception>
    /// <exception cref="ImageRejectedException">The policy refuses the image.</exception>
    public ImageManifest CheckBeforeErase(byte[] manifestBytes, byte[] authenticationBlock)
    {
        ArgumentNullException.ThrowIfNull(manifestBytes);
        ArgumentNullException.ThrowIfNull(authenticationBlock);
        return CheckBeforeErase(manifestBytes.AsSpan(), authenticationBlock.AsSpan());
    }

    /// <summary>
    /// The before-erase check on a whole image: <see cref="CheckBeforeErase(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    /// plus, for an encrypted image checked for a known device, that the key block has this device's key and
    /// (with a <see cref="ImagePolicy.Decryptor"/>) that it unwraps.
    /// </summary>
    /// <returns>True when the device's content key was unwrapped and confirmed.</returns>
    /// <exception cref="ImageRejectedException">The policy refuses the image.</exception>
    public bool CheckBeforeErase(FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckBeforeErase(image.ManifestBytes.Span, image.AuthenticationBlock.Span);
        byte[]? key = UnwrapContentKey(image);
        if (key is null)
            return false;
        CryptographicOperations.ZeroMemory(key);
        return true;
    }

    /// <summary>
    /// The device's content key for an encrypted image, unwrapped with <see cref="ImagePolicy.Decryptor"/>;
    /// null for a plaintext image, or when the policy names no device or has no decryptor (host pre-check).
    /// The caller owns the key and should clear it after use.
    /// </summary>
    /// <exception cref="ImageRejectedException">No key for this device, no decryptor for the algorithm, or the key does not unwrap.</exception>
    public byte[]? UnwrapContentKey(FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ImageManifest manifest = image.Manifest;
        if (manifest.Encryption == ImageEncryption.None || Policy.DeviceUid is not { } device)
            return null;
        WrappedKeyEntry entry = image.FindWrappedKey(device)
            ?? throw new ImageRejectedException(ImageRejection.NoKeyForThisDevice,
                $"The image is encrypted but its key block has no key for device {device} (it has {image.WrappedKeys.Count} other device(s))");
        if (Policy.Decryptor is not { } decryptor)
            return null;
        if (decryptor.Algorithm != manifest.Encryption)
            throw new ImageRejectedException(ImageRejection.UnsupportedEncryption,
                $"The image is encrypted with {manifest.Encryption} but the device decrypts {decryptor.Algorithm}");
        byte[] context = SHA256.HashData(image.ManifestBytes.Span);
        if (!decryptor.TryUnwrapKey(entry.WrappedKey.Span, context, out byte[] contentKey))
            throw new ImageRejectedException(ImageRejection.KeyUnwrapFailed,
                $"The wrapped key for device {device} does not unwrap: not made with this device's key, modified, or moved from another image");
        return contentKey;
    }

    /// <summary>Creates the after-write check for <paramref name="manifest"/>'s payload.</summary>
    public PayloadHasher CreatePayloadHasher(ImageManifest manifest) => new(manifest);

    /// <summary>The after-write check on a whole plaintext payload: its length and SHA-256 must match the manifest.</summary>
    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.PayloadSizeMismatch"/> or <see cref="ImageRejection.PayloadHashMismatch"/>.</exception>
    public void CheckPayload(ImageManifest manifest, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (plaintext.Length != manifest.PayloadSize)
            throw new ImageRejectedException(ImageRejection.PayloadSizeMismatch,
                $"The payload is {plaintext.Length} bytes but the manifest declares {manifest.PayloadSize}");
        using var hasher = new PayloadHasher(manifest);
        hasher.Append(0, plaintext);
        hasher.Complete();
    }

    /// <summary>
    /// Everything that can be checked of a whole image: the before-erase checks, then the payload hash (for an
    /// encrypted image only when the policy names the device and has its decryptor).
    /// </summary>
    /// <exception cref="ImageRejectedException">The policy refuses the image.</exception>
    public ImageValidationResult Validate(FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ImageManifest manifest = CheckBeforeErase(image.ManifestBytes.Span, image.AuthenticationBlock.Span);
        if (manifest.Encryption == ImageEncryption.None)
        {
            CheckPayload(manifest, image.Payload.Span);
            return new ImageValidationResult(manifest, PayloadHashVerified: true, KeyUnwrapVerified: false);
        }
        byte[]? key = UnwrapContentKey(image);
        if (key is null)
            return new ImageValidationResult(manifest, PayloadHashVerified: false, KeyUnwrapVerified: false);
        try
        {
            IPayloadDecryptor decryptor = Policy.Decryptor!;
            using PayloadHasher hasher = CreatePayloadHasher(manifest);
            var plain = new byte[Math.Min(DecryptChunk, image.Payload.Length)];
            for (int offset = 0; offset < image.Payload.Length; offset += DecryptChunk)
            {
                ReadOnlySpan<byte> cipher = image.Payload.Span.Slice(offset, Math.Min(DecryptChunk, image.Payload.Length - offset));
                decryptor.Decrypt(key, manifest.Nonce.Span, offset, cipher, plain.AsSpan(0, cipher.Length));
                hasher.Append(offset, plain.AsSpan(0, cipher.Length));
            }
            CryptographicOperations.ZeroMemory(plain);
            hasher.Complete();
            return new ImageValidationResult(manifest, PayloadHashVerified: true, KeyUnwrapVerified: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Like <see cref="Validate"/>, returning false and the refusal instead of throwing.</summary>
    public bool TryValidate(FirmwareImage image, out ImageRejectedException? rejection)
    {
        try
        {
            Validate(image);
            rejection = null;
            return true;
        }
        catch (ImageRejectedException e)
        {
            rejection = e;
            return false;
        }
    }

    private void Authenticate(ImageManifest manifest, ReadOnlySpan<byte> manifestBytes, ReadOnlySpan<byte> authenticationBlock)
    {
        int needed = manifest.AuthenticationBlockLength;
        if (authenticationBlock.Length != needed)
            throw new ImageRejectedException(ImageRejection.BadSignature,
                $"The authentication block is {authenticationBlock.Length} bytes; {manifest.Authentication} needs {needed}");
        ReadOnlySpan<byte> keyId = manifest.KeyId.Span;
        bool anyForAlgorithm = false;
        bool allKeyAware = true;
        bool anyHasKey = false;
        foreach (IImageVerifier verifier in Policy.TrustedVerifiers)
        {
            if (verifier.Algorithm != manifest.Authentication)
                continue;
            anyForAlgorithm = true;
            if (verifier.Verify(manifestBytes, authenticationBlock, keyId))
                return;
            if (verifier is IKeyAwareImageVerifier aware)
                anyHasKey |= aware.HasKey(keyId);
            else
                allKeyAware = false;
        }
        if (!anyForAlgorithm)
            throw new ImageRejectedException(ImageRejection.UnsupportedAuthentication,
                $"The image is authenticated by {manifest.Authentication}, which this device does not trust");
        if (allKeyAware && !anyHasKey)
            throw new ImageRejectedException(ImageRejection.UnknownKey,
                $"No trusted key has the id {Convert.ToHexString(keyId)}");
        throw new ImageRejectedException(ImageRejection.BadSignature,
            $"The {manifest.Authentication} authentication block does not match the manifest (key id {Convert.ToHexString(keyId)})");
    }

    private void CheckTarget(ImageManifest m)
    {
        ImagePolicy p = Policy;
        if (p.ExpectedKind is { } kind && m.Kind != kind)
            throw new ImageRejectedException(ImageRejection.WrongImageKind, $"The image is a {m.Kind} image; this region takes a {kind} image");
        if (m.VendorId != p.VendorId)
            throw new ImageRejectedException(ImageRejection.WrongVendor, $"The image is for vendor 0x{m.VendorId:X8}; this device is vendor 0x{p.VendorId:X8}");
        if (m.DeviceClassId != p.DeviceClassId)
            throw new ImageRejectedException(ImageRejection.WrongDeviceClass, $"The image is for device class 0x{m.DeviceClassId:X8}; this device is class 0x{p.DeviceClassId:X8}");
        if (p.DeviceUid is { } uid && !m.AllowsDevice(uid))
            throw new ImageRejectedException(ImageRejection.NotBoundToThisDevice, $"The image is bound to {m.BoundDevices.Count} device(s), not to this device {uid}");
        if (p.MinimumSecurityCounter is { } floor && m.SecurityCounter < floor)
            throw new ImageRejectedException(ImageRejection.SecurityCounterTooLow, $"The image's security counter {m.SecurityCounter} is below this device's minimum {floor}: a downgrade");
        if (p.TargetRegion is { } region)
        {
            if (m.LoadAddress != region.Start)
                throw new ImageRejectedException(ImageRejection.WrongLoadAddress, $"The image is linked for 0x{m.LoadAddress:X8}; the target region starts at 0x{region.Start:X8}");
            if (m.PayloadSize > region.Size)
                throw new ImageRejectedException(ImageRejection.TooLargeForRegion, $"The {m.PayloadSize}-byte payload does not fit the target region, which takes at most {region.Size} bytes");
        }
        if (p.RequireEncryption && m.Encryption == ImageEncryption.None)
            throw new ImageRejectedException(ImageRejection.EncryptionRequired, "The image is plaintext; this device accepts encrypted images only");
    }
}
