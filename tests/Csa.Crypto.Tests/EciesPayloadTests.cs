using System.Security.Cryptography;
using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Crypto.Tests;

/// <summary>Payload encryption and the per-device ECIES content-key wrap.</summary>
[Trait("Requirement", "REQ-CONFIDENTIAL")]
[Trait("Threat", "THREAT.IMG.DISCLOSURE")]
public sealed class EciesPayloadTests
{
    private static readonly byte[] Context = SHA256.HashData("manifest bytes"u8);

    [Fact]
    public void GoldenVector_FromTheIndependentReference_IsReproducedByteForByte()
    {
        using JsonDocument doc = TestSupport.LoadJson("ecies_p256_golden.json");
        JsonElement g = doc.RootElement;
        var recipient = EcP256PrivateKey.FromScalar(g.HexProperty("recipientPrivateKey"));
        var ephemeral = EcP256PrivateKey.FromScalar(g.HexProperty("ephemeralPrivateKey"));
        Assert.Equal(g.HexProperty("recipientPublicKey"), recipient.PublicKey.ToUncompressedPoint());
        Assert.Equal(g.HexProperty("ephemeralPublicKey"), ephemeral.PublicKey.ToUncompressedPoint());

        byte[] wrapped = AesCtrEciesPayloadEncryptor.WrapKeyWithEphemeral(g.HexProperty("contentKey"), recipient.PublicKey, g.HexProperty("context"), ephemeral);
        Assert.Equal(TestSupport.ToHex(g.HexProperty("wrappedKey")), TestSupport.ToHex(wrapped));
        Assert.Equal(g.HexProperty("encryptedContentKey"), wrapped[65..97]);
        Assert.Equal(g.HexProperty("tag"), wrapped[97..]);

        Assert.True(new AesCtrEciesPayloadDecryptor(recipient).TryUnwrapKey(wrapped, g.HexProperty("context"), out byte[] contentKey));
        Assert.Equal(g.HexProperty("contentKey"), contentKey);
    }

    [Fact]
    public void GoldenVector_InDocsSecurityMd_MatchesTheGoldenFile()
    {
        string doc = File.ReadAllText(Path.Combine(TestSupport.RepositoryRoot(), "docs", "security.md"));
        using JsonDocument golden = TestSupport.LoadJson("ecies_p256_golden.json");
        foreach (JsonProperty property in golden.RootElement.EnumerateObject().Where(p => p.Name != "description"))
        {
            Assert.True(doc.Contains(property.Value.GetString()!, StringComparison.Ordinal), $"docs/security.md lacks {property.Name}");
        }

        Assert.Contains("\"Csa ECIES-P256 content key v1\"", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void EncryptOnce_WrapPerDevice_EveryDeviceDecryptsTheSameCiphertext()
    {
        byte[] plaintext = RandomBytes(70_001, seed: 1);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        Assert.Equal(ImageEncryption.Aes256CtrEciesP256, encryptor.Algorithm);
        EncryptedPayload payload = encryptor.Encrypt(plaintext);
        Assert.Equal(plaintext.Length, payload.Ciphertext.Length);
        Assert.Equal(16, payload.Nonce.Length);
        Assert.Equal(32, payload.ContentKey.Length);
        Assert.False(plaintext.AsSpan().SequenceEqual(payload.Ciphertext));

        for (int device = 0; device < 3; device++)
        {
            EcP256PrivateKey deviceKey = KeyGenerator.Generate(KeyRole.DeviceIdentity);
            byte[] wrapped = encryptor.WrapKey(payload.ContentKey, deviceKey.PublicKey.ToUncompressedPoint(), Context);
            Assert.Equal(AesCtrEciesPayloadEncryptor.WrappedKeyLength, wrapped.Length);

            var decryptor = new AesCtrEciesPayloadDecryptor(deviceKey);
            Assert.True(decryptor.TryUnwrapKey(wrapped, Context, out byte[] contentKey));
            Assert.Equal(payload.ContentKey, contentKey);
            Assert.Equal(plaintext, decryptor.Decrypt(contentKey, payload.Nonce, 0, payload.Ciphertext));
        }
    }

    [Fact]
    public void FreshKeyNonceAndEphemeral_EveryTime()
    {
        var encryptor = new AesCtrEciesPayloadEncryptor();
        byte[] plaintext = new byte[64];
        EncryptedPayload a = encryptor.Encrypt(plaintext), b = encryptor.Encrypt(plaintext);
        Assert.NotEqual(a.ContentKey, b.ContentKey);
        Assert.NotEqual(a.Nonce, b.Nonce);
        Assert.NotEqual(a.Ciphertext, b.Ciphertext);

        EcP256PublicKey device = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey;
        byte[] first = encryptor.WrapKey(a.ContentKey, device, Context), second = encryptor.WrapKey(a.ContentKey, device, Context);
        Assert.NotEqual(first[..65], second[..65]);
        Assert.NotEqual(first[65..97], second[65..97]);
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public void KeyWrappedForDeviceA_CannotBeUnwrappedWithDeviceBsKey()
    {
        EcP256PrivateKey a = KeyGenerator.Generate(KeyRole.DeviceIdentity), b = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        EncryptedPayload payload = encryptor.Encrypt(new byte[100]);
        byte[] forA = encryptor.WrapKey(payload.ContentKey, a.PublicKey, Context);

        Assert.False(new AesCtrEciesPayloadDecryptor(b).TryUnwrapKey(forA, Context, out byte[] leaked));
        Assert.Empty(leaked);
        Assert.True(new AesCtrEciesPayloadDecryptor(a).TryUnwrapKey(forA, Context, out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.IMG.REPLACE")]
    public void WrappedKey_BoundToItsManifest_WrongContextFails()
    {
        EcP256PrivateKey device = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        byte[] wrapped = encryptor.WrapKey(encryptor.Encrypt(new byte[1]).ContentKey, device.PublicKey, Context);
        var decryptor = new AesCtrEciesPayloadDecryptor(device);

        byte[] otherManifest = SHA256.HashData("another manifest"u8);
        Assert.False(decryptor.TryUnwrapKey(wrapped, otherManifest, out _));
        for (int bit = 0; bit < 256; bit += 17)
        {
            byte[] context = (byte[])Context.Clone();
            context[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(decryptor.TryUnwrapKey(wrapped, context, out _), $"context bit {bit}");
        }

        Assert.False(decryptor.TryUnwrapKey(wrapped, Context[..31], out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    public void EveryByteOfTheWrappedBlock_Flipped_Fails()
    {
        EcP256PrivateKey device = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        byte[] wrapped = encryptor.WrapKey(encryptor.Encrypt(new byte[1]).ContentKey, device.PublicKey, Context);
        var decryptor = new AesCtrEciesPayloadDecryptor(device);
        Assert.True(decryptor.TryUnwrapKey(wrapped, Context, out _));

        var failures = new List<string>();
        for (int i = 0; i < wrapped.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x80 })
            {
                byte[] tampered = (byte[])wrapped.Clone();
                tampered[i] ^= flip;
                if (decryptor.TryUnwrapKey(tampered, Context, out _))
                {
                    failures.Add($"byte {i} ^ 0x{flip:X2} accepted");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(", ", failures));
        Assert.False(decryptor.TryUnwrapKey(wrapped[..128], Context, out _));
        Assert.False(decryptor.TryUnwrapKey([.. wrapped, 0], Context, out _));
        Assert.False(decryptor.TryUnwrapKey(new byte[129], Context, out _));
    }

    [Fact]
    public void EphemeralPointOffTheCurve_IsRefused()
    {
        // An invalid-curve attacker controls E entirely; the decryptor must refuse before using its private key.
        EcP256PrivateKey device = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        byte[] wrapped = encryptor.WrapKey(new byte[32], device.PublicKey, Context);
        wrapped[64] ^= 0x01; // Y changed: (X, Y') is not on P-256
        Assert.False(EcP256PublicKey.TryFromUncompressedPoint(wrapped[..65], out _));
        Assert.False(new AesCtrEciesPayloadDecryptor(device).TryUnwrapKey(wrapped, Context, out _));
    }

    [Fact]
    public void WrapKey_BadArguments_AreTypedErrors()
    {
        var encryptor = new AesCtrEciesPayloadEncryptor();
        byte[] device = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint();
        Assert.Throws<ArgumentException>(() => encryptor.WrapKey(new byte[16], device, Context));
        Assert.Throws<ArgumentException>(() => encryptor.WrapKey(new byte[32], device, new byte[20]));
        byte[] offCurve = (byte[])device.Clone();
        offCurve[10] ^= 0x40;
        Assert.Equal(KeyFormatError.InvalidPoint, Assert.Throws<KeyFormatException>(() => encryptor.WrapKey(new byte[32], offCurve, Context)).Error);
    }

    [Fact]
    public void Decrypt_AtRandomOffsets_AlsoUnaligned_EqualsTheFullDecryption()
    {
        byte[] plaintext = RandomBytes(50_000, seed: 2);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        EncryptedPayload payload = encryptor.Encrypt(plaintext);
        var decryptor = new AesCtrEciesPayloadDecryptor(KeyGenerator.Generate(KeyRole.DeviceIdentity));
        var random = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            int offset = random.Next(plaintext.Length);
            int length = random.Next(Math.Min(4096, plaintext.Length - offset) + 1);
            byte[] part = new byte[length];
            decryptor.Decrypt(payload.ContentKey, payload.Nonce, offset, payload.Ciphertext.AsSpan(offset, length), part);
            Assert.True(plaintext.AsSpan(offset, length).SequenceEqual(part), $"offset {offset}, length {length}");
        }

        Assert.Throws<ArgumentException>(() => decryptor.Decrypt(new byte[16], payload.Nonce, 0, payload.Ciphertext));
        Assert.Throws<ArgumentOutOfRangeException>(() => decryptor.Decrypt(payload.ContentKey, payload.Nonce, -1, payload.Ciphertext));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public void Ciphertext_DoesNotRevealRepeatedPlaintextBlocks()
    {
        // The OpenBLT failure mode: ECB maps equal plaintext blocks to equal ciphertext blocks. CTR must not.
        byte[] plaintext = new byte[16 * 256];
        EncryptedPayload payload = new AesCtrEciesPayloadEncryptor().Encrypt(plaintext);
        var blocks = Enumerable.Range(0, 256).Select(i => Convert.ToHexString(payload.Ciphertext, i * 16, 16)).ToHashSet();
        Assert.Equal(256, blocks.Count);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
