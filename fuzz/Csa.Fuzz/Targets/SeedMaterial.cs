using System.Text;
using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;
using Csa.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace Csa.Fuzz.Targets;

/// <summary>
/// Fixed keys and the project's own writers' output for seeds: deterministic (RFC 6979 signatures, a seeded random
/// source for encryption), so a fuzz run with a given seed replays exactly.
/// </summary>
internal static class SeedMaterial
{
    /// <summary>The RFC 6979 A.2.5 P-256 key (also the golden vectors' production key).</summary>
    public static readonly EcP256PrivateKey SigningKey = EcP256PrivateKey.FromScalar(Convert.FromHexString("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));

    /// <summary>The golden vectors' identity key (scalar 0123456789abcdef × 4).</summary>
    public static readonly EcP256PrivateKey DeviceKey = EcP256PrivateKey.FromScalar(Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"));

    public static readonly DeviceUid Uid = DeviceUid.FromBytes(Convert.FromHexString("3A0024000D51343138393836"));

    private static readonly Lazy<IReadOnlyList<FirmwareImage>> LazyImages = new(BuildImages);

    /// <summary>A CRC image, a signed one, a signed device-bound one, a signed encrypted one, and a bootloader image.</summary>
    public static IReadOnlyList<FirmwareImage> Images => LazyImages.Value;

    public static byte[] Payload(int length, int seed)
    {
        var payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }

    private static List<FirmwareImage> BuildImages()
    {
        ImageSettings Settings(ImageKind kind = ImageKind.Application) => new()
        {
            Kind = kind,
            VendorId = 0x00C5A000,
            DeviceClassId = 1,
            Version = new FirmwareVersion(2, 1, 0, 7),
            SecurityCounter = 3,
            LoadAddress = 0x08040000,
        };
        var signer = new EcdsaP256Signer(SigningKey);
        var images = new List<FirmwareImage>
        {
            new ImageBuilder(Settings()).BuildAsync(FirmwareSource.FromBinary(Payload(40, 1), 0x08040000), Crc32ImageAuthenticator.Instance).GetAwaiter().GetResult(),
            new ImageBuilder(Settings()).BuildAsync(FirmwareSource.FromBinary(Payload(64, 2), 0x08040000), signer).GetAwaiter().GetResult(),
            new ImageBuilder(Settings(ImageKind.Bootloader)).BuildAsync(FirmwareSource.FromBinary(Payload(48, 3), 0x08040000), signer).GetAwaiter().GetResult(),
        };
        ImageSettings bound = Settings();
        bound.BoundDevices.Add(Uid);
        bound.BoundDevices.Add(DeviceUid.FromWords(1, 2, 3));
        images.Add(new ImageBuilder(bound).BuildAsync(FirmwareSource.FromBinary(Payload(32, 4), 0x08040000), signer).GetAwaiter().GetResult());
        // A seeded random source: the content key, the nonce and the ephemeral wrap key are the same every run.
        var random = new SecureRandom(new DigestRandomGenerator(new Sha256Digest()));
        random.SetSeed(Encoding.ASCII.GetBytes("csa-fuzz seed images"));
        images.Add(new ImageBuilder(Settings()).BuildAsync(FirmwareSource.FromBinary(Payload(80, 5), 0x08040000), signer,
            new AesCtrEciesPayloadEncryptor(random),
            [new ImageRecipient(Uid, DeviceKey.PublicKey.ToUncompressedPoint()), new ImageRecipient(DeviceUid.FromWords(4, 5, 6), SigningKey.PublicKey.ToUncompressedPoint())])
            .GetAwaiter().GetResult());
        return images;
    }

    /// <summary>A certificate for <see cref="DeviceKey"/> signed (RFC 6979) by <see cref="SigningKey"/>.</summary>
    public static DeviceCertificate Certificate()
    {
        DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(Uid, 0x00C5A000, 1, 1, new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero),
            SigningKey.PublicKey.KeyId.Span, DeviceKey.PublicKey.ToUncompressedPoint());
        byte[] signature = new EcdsaP256Signer(SigningKey).Sign(unsigned.ToArray().AsSpan(0, 112));
        return unsigned.WithSignature(signature);
    }

    /// <summary>Intel HEX text of <paramref name="data"/> at <paramref name="address"/>, as toolchains write it (04, 00, 05, 01 records).</summary>
    public static string IntelHex(byte[] data, uint address, int perLine = 16)
    {
        var text = new StringBuilder();
        void Record(byte type, ushort offset, ReadOnlySpan<byte> bytes)
        {
            byte sum = (byte)(bytes.Length + (offset >> 8) + (offset & 0xFF) + type);
            text.Append(':').Append(bytes.Length.ToString("X2")).Append(offset.ToString("X4")).Append(type.ToString("X2"));
            foreach (byte b in bytes)
            {
                text.Append(b.ToString("X2"));
                sum += b;
            }
            text.Append(((byte)-sum).ToString("X2")).Append('\n');
        }
        uint upper = uint.MaxValue;
        for (int at = 0; at < data.Length; at += perLine)
        {
            uint a = address + (uint)at;
            if (a >> 16 != upper)
            {
                upper = a >> 16;
                Record(0x04, 0, [(byte)(upper >> 8), (byte)upper]);
            }
            Record(0x00, (ushort)a, data.AsSpan(at, Math.Min(perLine, data.Length - at)));
        }
        Record(0x05, 0, [(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)(address + 1)]);
        Record(0x01, 0, []);
        return text.ToString();
    }
}
