using System.Reflection;
using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Math;

namespace Csa.Crypto.Tests;

/// <summary>Signing and verification of manifests, RFC 6979 determinism, low-S, tampering and openssl interop.</summary>
[Trait("Requirement", "REQ-AUTH-FW")]
public sealed class EcdsaTests
{
    private static readonly byte[] Manifest = Enumerable.Range(0, 300).Select(i => (byte)(i * 13)).ToArray();

    [Fact]
    public void Rfc6979_A2_5_P256_Sha256_Sample_GivesTheRfcSignatureInLowSForm()
    {
        // RFC 6979 appendix A.2.5: key x, message "sample", SHA-256. The RFC's s is above n/2, so we emit n - s.
        var key = EcP256PrivateKey.FromScalar(TestSupport.Hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));
        Assert.Equal(
            TestSupport.Hex("0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"),
            key.PublicKey.ToUncompressedPoint());

        byte[] signature = new EcdsaP256Signer(key).Sign("sample"u8);

        BigInteger rfcS = new(1, TestSupport.Hex("F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"));
        Assert.Equal(TestSupport.Hex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"), signature[..32]);
        Assert.Equal(P256.N.Subtract(rfcS).ToByteArrayUnsigned(), signature[32..]);
    }

    [Fact]
    public async Task Sign_IsDeterministic_LowS_AndVerifies()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        byte[] first = await signer.SignAsync(Manifest);
        byte[] second = await signer.SignAsync(Manifest);
        Assert.Equal(first, second);
        Assert.Equal(64, first.Length);
        Assert.Equal(ImageAuthentication.EcdsaP256Sha256, signer.Algorithm);

        var verifier = new EcdsaP256Verifier(signer.PublicKey);
        Assert.True(verifier.Verify(Manifest, first, signer.KeyId.Span));
        Assert.True(verifier.VerifyDigest(SHA256.HashData(Manifest), first, signer.KeyId.Span));

        for (int i = 0; i < 64; i++)
        {
            byte[] signature = signer.Sign(BitConverter.GetBytes(i));
            Assert.True(new BigInteger(1, signature[32..]).CompareTo(P256.HalfN) <= 0);
        }
    }

    [Fact]
    public async Task SignAsync_HonoursCancellation()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signer.SignAsync(Manifest, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void HighSFormOfAValidSignature_IsAcceptedByDefault_AndRefusedWithRequireLowS()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        byte[] low = signer.Sign(Manifest);
        byte[] high = [.. low[..32], .. BigIntegers(P256.N.Subtract(new BigInteger(1, low[32..])))];

        Assert.True(new EcdsaP256Verifier(signer.PublicKey).Verify(Manifest, high, signer.KeyId.Span));
        var strict = new EcdsaP256Verifier([signer.PublicKey], new EcdsaP256VerifierOptions { RequireLowS = true });
        Assert.True(strict.RequireLowS);
        Assert.True(strict.Verify(Manifest, low, signer.KeyId.Span));
        Assert.False(strict.Verify(Manifest, high, signer.KeyId.Span));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    public void EveryBitOfTheManifestAndEveryByteOfTheSignature_IsCovered()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        var verifier = new EcdsaP256Verifier(signer.PublicKey);
        byte[] manifest = Manifest[..40];
        byte[] signature = signer.Sign(manifest);

        for (int bit = 0; bit < manifest.Length * 8; bit++)
        {
            byte[] tampered = (byte[])manifest.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(verifier.Verify(tampered, signature, signer.KeyId.Span), $"manifest bit {bit}");
        }

        for (int i = 0; i < signature.Length; i++)
        {
            byte[] tampered = (byte[])signature.Clone();
            tampered[i] ^= 0x01;
            Assert.False(verifier.Verify(manifest, tampered, signer.KeyId.Span), $"signature byte {i}");
        }

        Assert.False(verifier.Verify(manifest.AsSpan(0, manifest.Length - 1), signature, signer.KeyId.Span));
        Assert.False(verifier.Verify([.. manifest, 0], signature, signer.KeyId.Span));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public void UntrustedKey_UnknownKeyId_OrMislabelledKeyId_IsRefused()
    {
        var trusted = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        var attacker = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        var verifier = new EcdsaP256Verifier(trusted.PublicKey);
        byte[] forged = attacker.Sign(Manifest);

        Assert.False(verifier.Verify(Manifest, forged, attacker.KeyId.Span)); // unknown key id
        Assert.False(verifier.Verify(Manifest, forged, trusted.KeyId.Span));  // claims the trusted key's id
        Assert.False(verifier.Verify(Manifest, trusted.Sign(Manifest), trusted.KeyId.Span[..7]));
        Assert.False(verifier.Verify(Manifest, trusted.Sign(Manifest), ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public void KeysExtractedFromADevice_CannotSignFirmwareTheFleetAccepts()
    {
        // A device holds its identity key and the firmware signing PUBLIC key. Neither signs acceptably.
        EcP256PublicKey firmwareKey = KeyGenerator.Generate(KeyRole.FirmwareSigning).PublicKey;
        EcP256PrivateKey deviceKey = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        var fleetVerifier = new EcdsaP256Verifier(firmwareKey);
        byte[] signedByDevice = new EcdsaP256Signer(deviceKey).Sign(Manifest);
        Assert.False(fleetVerifier.Verify(Manifest, signedByDevice, firmwareKey.KeyId.Span));
        Assert.False(fleetVerifier.Verify(Manifest, signedByDevice, deviceKey.PublicKey.KeyId.Span));
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public void VerifierAndPublicKey_HaveNoSigningPath()
    {
        // API-level guarantee: nothing on the verifying side holds or accepts private key material.
        Type[] privateTypes = [typeof(EcP256PrivateKey), typeof(Org.BouncyCastle.Crypto.Parameters.ECPrivateKeyParameters), typeof(IImageSigner)];
        foreach (Type type in new[] { typeof(EcdsaP256Verifier), typeof(EcP256PublicKey) })
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
            Assert.DoesNotContain(type.GetFields(all), f => privateTypes.Contains(f.FieldType));
            Assert.DoesNotContain(type.GetProperties(all), p => privateTypes.Contains(p.PropertyType));
            Assert.DoesNotContain(type.GetMethods(all).Where(m => m.DeclaringType == type), m => privateTypes.Contains(m.ReturnType) || m.GetParameters().Any(p => privateTypes.Contains(p.ParameterType)));
            Assert.DoesNotContain(type.GetConstructors(all), c => c.GetParameters().Any(p => privateTypes.Contains(p.ParameterType)));
            Assert.False(typeof(IImageSigner).IsAssignableFrom(type));
        }
    }

    [Fact]
    public void Verify_NeverThrows_OnArbitraryInput()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        var verifier = new EcdsaP256Verifier(signer.PublicKey);
        var random = new Random(7);
        byte[] n = P256.N.ToByteArrayUnsigned();
        byte[][] special = [new byte[64], [.. n, .. n], [.. new byte[31], 1, .. n], Enumerable.Repeat((byte)0xFF, 64).ToArray()];
        foreach (byte[] block in special)
        {
            Assert.False(verifier.Verify(Manifest, block, signer.KeyId.Span));
        }

        for (int i = 0; i < 500; i++)
        {
            byte[] block = new byte[random.Next(0, 100)];
            random.NextBytes(block);
            byte[] keyId = random.Next(2) == 0 ? signer.KeyId.ToArray() : new byte[random.Next(0, 10)];
            Assert.False(verifier.Verify(Manifest, block, keyId));
        }
    }

    [Fact]
    public void Verifier_RefusesNoKeys_AndTwoDifferentKeysWithOneId_ButMergesDuplicates()
    {
        EcP256PublicKey key = KeyGenerator.Generate(KeyRole.FirmwareSigning).PublicKey;
        Assert.Throws<ArgumentException>(() => new EcdsaP256Verifier(Array.Empty<EcP256PublicKey>()));
        Assert.Single(new EcdsaP256Verifier(key, EcP256PublicKey.FromPem(key.ToPem())).TrustedKeys);
        var two = new EcdsaP256Verifier(key, KeyGenerator.Generate(KeyRole.FirmwareSigning).PublicKey);
        Assert.Equal(2, two.TrustedKeys.Count);
        Assert.True(two.TryGetKey(key.KeyId.Span, out EcP256PublicKey? found));
        Assert.Equal(key, found);
    }

    [Fact]
    public void DerHelpers_RoundTrip_AndRefuseNonCanonicalDer()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        for (int i = 0; i < 32; i++)
        {
            byte[] raw = signer.Sign(BitConverter.GetBytes(i));
            byte[] der = EcdsaP256SignatureEncoding.ToDer(raw);
            Assert.Equal(raw, EcdsaP256SignatureEncoding.FromDer(der));

            byte[] longForm = [0x30, 0x81, .. der[1..]]; // BER long-form length
            Assert.False(EcdsaP256SignatureEncoding.TryFromDer(longForm, out _));
            Assert.Throws<SignatureFormatException>(() => EcdsaP256SignatureEncoding.FromDer([.. der, 0x00]));
        }

        // r = 1 and s = 0x7f: minimal is 02 01 01 / 02 01 7f; one unneeded leading zero makes it BER, not DER.
        Assert.True(EcdsaP256SignatureEncoding.TryFromDer([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x7F], out _));
        Assert.False(EcdsaP256SignatureEncoding.TryFromDer([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x7F], out _));
        Assert.False(EcdsaP256SignatureEncoding.TryFromDer([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x7F], out _));
        Assert.False(EcdsaP256SignatureEncoding.TryFromDer([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x80], out _)); // negative s
        Assert.True(EcdsaP256SignatureEncoding.TryFromDer([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80], out byte[]? highBit));
        Assert.Equal(0x80, highBit![63]);

        Assert.Throws<SignatureFormatException>(() => EcdsaP256SignatureEncoding.ToDer(new byte[63]));
        Assert.Throws<SignatureFormatException>(() => EcdsaP256SignatureEncoding.ToDer(new byte[64]));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public void OpenSslSigns_WeVerify()
    {
        using var temp = new TempDirectory();
        OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        OpenSsl.Run(temp.Path, "pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem");
        File.WriteAllBytes(temp.File("manifest.bin"), Manifest);
        OpenSsl.Run(temp.Path, "dgst", "-sha256", "-sign", "key.pem", "-out", "sig.der", "manifest.bin");

        EcP256PublicKey key = EcP256PublicKey.Load(temp.File("pub.pem"));
        byte[] raw = EcdsaP256SignatureEncoding.FromDer(File.ReadAllBytes(temp.File("sig.der")));
        var verifier = new EcdsaP256Verifier(key);
        Assert.True(verifier.Verify(Manifest, raw, key.KeyId.Span));
        Assert.False(verifier.Verify(Manifest[1..], raw, key.KeyId.Span));
    }

    [Fact]
    public void WeSign_OpenSslVerifies_AndRejectsATamperedManifest()
    {
        using var temp = new TempDirectory();
        EcP256PrivateKey key = KeyGenerator.Generate(KeyRole.FirmwareSigning);
        key.PublicKey.Save(temp.File("pub.pem"));
        File.WriteAllBytes(temp.File("manifest.bin"), Manifest);
        byte[] tampered = (byte[])Manifest.Clone();
        tampered[100] ^= 0x20;
        File.WriteAllBytes(temp.File("tampered.bin"), tampered);
        File.WriteAllBytes(temp.File("sig.der"), EcdsaP256SignatureEncoding.ToDer(EcdsaP256Signer.FromKeyFile(SaveKey(temp, key)).Sign(Manifest)));

        string output = OpenSsl.Run(temp.Path, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "manifest.bin");
        Assert.Contains("Verified OK", output, StringComparison.Ordinal);
        Assert.NotEqual(0, OpenSsl.ExitCode(temp.Path, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "tampered.bin"));
    }

    private static string SaveKey(TempDirectory temp, EcP256PrivateKey key)
    {
        string path = temp.File("signing.pem");
        key.Save(path);
        return path;
    }

    private static byte[] BigIntegers(BigInteger value) => Org.BouncyCastle.Utilities.BigIntegers.AsUnsignedByteArray(32, value);
}
