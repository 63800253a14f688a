using System.Buffers.Binary;

namespace Csa.Bootloader.Images.Internal;

/// <summary>
/// The strict parser behind <see cref="ImageReader"/>. It checks every rule of docs/image-format.md in file
/// order and reports the first one broken, so the same defect always yields the same error. It never trusts
/// a length before checking it against the limits, so a hostile file cannot make it allocate or loop.
/// </summary>
internal static class ImageParser
{
    /// <summary>Parses the manifest at the start of <paramref name="data"/> (which may continue with the payload).</summary>
    public static ImageManifest ParseManifest(ReadOnlySpan<byte> data, out int manifestLength)
    {
        if (data.Length < 4)
            throw Truncated(data.Length, 4, "manifest magic");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (magic != ImageFormat.ManifestMagic)
            throw new ImageFormatException(ImageError.BadMagic, ManifestLayout.Magic,
                $"The image does not start with the manifest magic \"CSAI\" (43 53 41 49) but with {Convert.ToHexString(data[..4])}");
        if (data.Length < ManifestLayout.ManifestLength)
            throw Truncated(data.Length, ManifestLayout.ManifestLength, "manifest format version");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(data[ManifestLayout.FormatVersion..]);
        if (version != ImageFormat.FormatVersion)
            throw new ImageFormatException(ImageError.UnknownFormatVersion, ManifestLayout.FormatVersion,
                $"The manifest has format version {version}; this library reads version {ImageFormat.FormatVersion} only");
        if (data.Length < ImageFormat.ManifestFixedSize)
            throw Truncated(data.Length, ImageFormat.ManifestFixedSize, "fixed part of the manifest");
        ushort declaredLength = BinaryPrimitives.ReadUInt16LittleEndian(data[ManifestLayout.ManifestLength..]);

        var kind = (ImageKind)data[ManifestLayout.Kind];
        if (kind is not (ImageKind.Application or ImageKind.Bootloader))
            throw new ImageFormatException(ImageError.BadImageKind, ManifestLayout.Kind,
                $"The image kind 0x{(byte)kind:X2} is neither application (0x01) nor bootloader (0x02)");
        var authentication = (ImageAuthentication)data[ManifestLayout.Authentication];
        if (authentication is not (ImageAuthentication.Crc32 or ImageAuthentication.EcdsaP256Sha256))
            throw new ImageFormatException(ImageError.UnsupportedAuthentication, ManifestLayout.Authentication,
                $"The authentication algorithm 0x{(byte)authentication:X2} is not CRC-32 (0x01) or ECDSA P-256 (0x02)");
        var encryption = (ImageEncryption)data[ManifestLayout.Encryption];
        if (encryption is not (ImageEncryption.None or ImageEncryption.Aes256CtrEciesP256))
            throw new ImageFormatException(ImageError.UnsupportedEncryption, ManifestLayout.Encryption,
                $"The encryption algorithm 0x{(byte)encryption:X2} is not none (0x00) or AES-256-CTR with ECIES P-256 (0x01)");
        int bindingCount = data[ManifestLayout.BindingCount];
        if (bindingCount > ImageFormat.MaxBindingCount)
            throw new ImageFormatException(ImageError.BadBindingCount, ManifestLayout.BindingCount,
                $"The manifest binds {bindingCount} devices; at most {ImageFormat.MaxBindingCount} are allowed");
        int expectedLength = ImageFormat.ManifestFixedSize + (bindingCount * DeviceUid.Length);
        if (declaredLength != expectedLength)
            throw new ImageFormatException(ImageError.SizeMismatch, ManifestLayout.ManifestLength,
                $"The manifest length field says {declaredLength} bytes but {bindingCount} bound device(s) make it {expectedLength}");

        uint loadAddress = BinaryPrimitives.ReadUInt32LittleEndian(data[ManifestLayout.LoadAddress..]);
        uint payloadSize = BinaryPrimitives.ReadUInt32LittleEndian(data[ManifestLayout.PayloadSize..]);
        if (payloadSize == 0 || payloadSize > ImageFormat.MaxPayloadSize)
            throw new ImageFormatException(ImageError.BadPayloadSize, ManifestLayout.PayloadSize,
                $"The payload size {payloadSize} is outside 1..{ImageFormat.MaxPayloadSize}");
        if ((ulong)loadAddress + payloadSize > 0x1_0000_0000UL)
            throw new ImageFormatException(ImageError.AddressOverflow, ManifestLayout.LoadAddress,
                $"The payload of {payloadSize} bytes at 0x{loadAddress:X8} runs past the end of the 32-bit address space");
        ReadOnlySpan<byte> nonce = data.Slice(ManifestLayout.Nonce, ImageFormat.NonceSize);
        if (encryption == ImageEncryption.None && nonce.IndexOfAnyExcept((byte)0) >= 0)
            throw new ImageFormatException(ImageError.BadNonce, ManifestLayout.Nonce + nonce.IndexOfAnyExcept((byte)0),
                "The nonce must be all zero when the payload is not encrypted");
        ReadOnlySpan<byte> keyId = data.Slice(ManifestLayout.KeyId, ImageFormat.KeyIdSize);
        if (authentication == ImageAuthentication.Crc32 && keyId.IndexOfAnyExcept((byte)0) >= 0)
            throw new ImageFormatException(ImageError.BadKeyId, ManifestLayout.KeyId + keyId.IndexOfAnyExcept((byte)0),
                "The key id must be all zero when the image is authenticated by a CRC-32, which has no key");

        if (data.Length < expectedLength)
            throw Truncated(data.Length, expectedLength, "bound device list of the manifest");
        var bound = new DeviceUid[bindingCount];
        for (int i = 0; i < bindingCount; i++)
        {
            int at = ManifestLayout.BoundDevices + (i * DeviceUid.Length);
            bound[i] = DeviceUid.FromBytes(data.Slice(at, DeviceUid.Length));
            if (Array.IndexOf(bound, bound[i], 0, i) >= 0)
                throw new ImageFormatException(ImageError.DuplicateBinding, at,
                    $"Device {bound[i]} is listed twice in the binding list");
        }

        var version1 = new FirmwareVersion(
            data[ManifestLayout.VersionMajor], data[ManifestLayout.VersionMinor],
            BinaryPrimitives.ReadUInt16LittleEndian(data[ManifestLayout.VersionPatch..]),
            BinaryPrimitives.ReadUInt32LittleEndian(data[ManifestLayout.VersionBuild..]));
        manifestLength = expectedLength;
        return new ImageManifest(
            kind, authentication, encryption,
            BinaryPrimitives.ReadUInt32LittleEndian(data[ManifestLayout.VendorId..]),
            BinaryPrimitives.ReadUInt32LittleEndian(data[ManifestLayout.DeviceClassId..]),
            version1,
            BinaryPrimitives.ReadUInt32LittleEndian(data[ManifestLayout.SecurityCounter..]),
            loadAddress, payloadSize,
            data.Slice(ManifestLayout.PayloadSha256, ImageFormat.PayloadHashSize),
            nonce, keyId, bound);
    }

    /// <summary>Parses a whole image; <paramref name="image"/> must hold exactly the image.</summary>
    public static FirmwareImage Parse(ReadOnlyMemory<byte> image)
    {
        ReadOnlySpan<byte> data = image.Span;
        ImageManifest manifest = ParseManifest(data, out int manifestLength);
        long payloadEnd = (long)manifestLength + manifest.PayloadSize;
        if (data.Length < payloadEnd)
            throw Truncated(data.Length, payloadEnd, "payload");
        long authEnd = payloadEnd + manifest.AuthenticationBlockLength;
        if (data.Length < authEnd)
            throw Truncated(data.Length, authEnd, "authentication block");

        WrappedKeyEntry[] keys = [];
        long end = authEnd;
        if (manifest.Encryption != ImageEncryption.None)
        {
            // An encrypted image is useless without its key block, so the block is mandatory: cutting it off
            // is truncation, not a shorter valid image.
            keys = ParseKeyBlock(data, (int)authEnd, out end);
        }
        else if (data.Length > authEnd)
        {
            throw new ImageFormatException(ImageError.TrailingData, authEnd,
                $"{data.Length - authEnd} byte(s) follow the authentication block of a plaintext image, which has no key block");
        }
        if (data.Length > end)
            throw new ImageFormatException(ImageError.TrailingData, end,
                $"{data.Length - end} byte(s) follow the end of the image");

        return new FirmwareImage(image, manifest,
            image[..manifestLength],
            image.Slice(manifestLength, (int)manifest.PayloadSize),
            image.Slice((int)payloadEnd, manifest.AuthenticationBlockLength),
            keys);
    }

    private static WrappedKeyEntry[] ParseKeyBlock(ReadOnlySpan<byte> data, int start, out long end)
    {
        if (data.Length - start < ImageFormat.KeyBlockHeaderSize)
            throw Truncated(data.Length, (long)start + ImageFormat.KeyBlockHeaderSize, "key block header (an encrypted image must carry a key block)");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data[start..]);
        if (magic != ImageFormat.KeyBlockMagic)
            throw new ImageFormatException(ImageError.BadKeyBlock, start,
                $"The key block after the authentication block does not start with its magic \"CSAK\" (43 53 41 4B) but with {Convert.ToHexString(data.Slice(start, 4))}");
        int count = BinaryPrimitives.ReadUInt16LittleEndian(data[(start + 4)..]);
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(data[(start + 6)..]);
        if (count is 0 or > ImageFormat.MaxKeyBlockEntries)
            throw new ImageFormatException(ImageError.BadKeyBlock, start + 4,
                $"The key block has {count} entries; 1..{ImageFormat.MaxKeyBlockEntries} are allowed");
        if (keyLength is 0 or > ImageFormat.MaxWrappedKeySize)
            throw new ImageFormatException(ImageError.BadKeyBlock, start + 6,
                $"The key block's wrapped key length is {keyLength}; 1..{ImageFormat.MaxWrappedKeySize} are allowed");
        int stride = DeviceUid.Length + keyLength;
        end = (long)start + ImageFormat.KeyBlockHeaderSize + ((long)count * stride);
        if (data.Length < end)
            throw Truncated(data.Length, end, "key block entries");
        var entries = new WrappedKeyEntry[count];
        var seen = new HashSet<DeviceUid>();
        for (int i = 0; i < count; i++)
        {
            int at = start + ImageFormat.KeyBlockHeaderSize + (i * stride);
            var device = DeviceUid.FromBytes(data.Slice(at, DeviceUid.Length));
            if (!seen.Add(device))
                throw new ImageFormatException(ImageError.BadKeyBlock, at,
                    $"The key block holds two entries for device {device}");
            entries[i] = new WrappedKeyEntry(device, data.Slice(at + DeviceUid.Length, keyLength));
        }
        return entries;
    }

    private static ImageFormatException Truncated(long actual, long needed, string what) =>
        new(ImageError.Truncated, actual, $"The image ends after {actual} bytes, inside the {what}, which needs the image to be at least {needed} bytes long");
}
