using System.Security.Cryptography;
using Csa.Bootloader.Provisioning;

namespace Csa.Crypto.Tests;

/// <summary>The provisioning seams' Csa.Crypto implementations: the production signer and the per-call P-256 verifier.</summary>
public sealed class ProvisioningCryptoTests
{
    private static readonly EcP256PrivateKey s_key = KeyGenerator.Generate(KeyRole.Production);
    private static readonly byte[] s_digest = SHA256.HashData("certificate"u8);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task PemProductionSigner_SignsDigestsTheVerifierAccepts_DeterministicallyAndLowS()
    {
        var signer = new PemProductionSigner(s_key);
        byte[] signature = await signer.SignDigestAsync(s_digest);
        Assert.Equal(signature, await signer.SignDigestAsync(s_digest));
        Assert.Equal(64, signature.Length);
        Assert.True(EcdsaP256SignatureVerifier.Instance.VerifyDigest(signer.PublicKey.Span, s_digest, signature));
        Assert.Equal(s_key.PublicKey.KeyId.ToArray(), signer.KeyId.ToArray());
        Assert.Equal(ProductionTrustAnchor.KeyIdOf(signer.PublicKey.Span), signer.KeyId.ToArray());
        // Low-S: s is at most n/2.
        byte[] halfN = Convert.FromHexString("7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8");
        Assert.True(signature.AsSpan(32).SequenceCompareTo(halfN) <= 0);
        await Assert.ThrowsAsync<ArgumentException>(() => signer.SignDigestAsync(new byte[31]));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public void PemProductionSigner_LoadsTheKeyFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-production-{Guid.NewGuid():N}.pem");
        try
        {
            s_key.Save(path);
            Assert.Equal(s_key.PublicKey, PemProductionSigner.FromKeyFile(path).ProductionPublicKey);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public void Verifier_ReturnsFalse_ForEveryKindOfBadInput()
    {
        byte[] good = new EcdsaP256Signer(s_key).SignDigest(s_digest);
        byte[] point = s_key.PublicKey.ToUncompressedPoint();
        IP256SignatureVerifier v = EcdsaP256SignatureVerifier.Instance;
        Assert.True(v.VerifyDigest(point, s_digest, good));
        byte[] offCurve = (byte[])point.Clone();
        offCurve[64] ^= 1;
        Assert.False(v.VerifyDigest(offCurve, s_digest, good));
        Assert.False(v.VerifyDigest(point[1..], s_digest, good));             // X || Y without the prefix
        Assert.False(v.VerifyDigest(point, s_digest[..31], good));
        Assert.False(v.VerifyDigest(point, s_digest, good[..63]));
        Assert.False(v.VerifyDigest(point, s_digest, new byte[64]));          // r = s = 0 (CVE-2022-21449)
        Assert.False(v.VerifyDigest(KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint(), s_digest, good));
    }

    [Fact]
    public void TrustAnchor_NeedsAKey_AndRefusesTwoKeysWithOneId()
    {
        Assert.Throws<ArgumentException>(() => EcdsaP256SignatureVerifier.TrustAnchor());
        ProductionTrustAnchor anchor = EcdsaP256SignatureVerifier.TrustAnchor(s_key.PublicKey, s_key.PublicKey);
        Assert.Single(anchor.KeyIds);
        Assert.Throws<ArgumentException>(() => new ProductionTrustAnchor([new byte[64]], EcdsaP256SignatureVerifier.Instance));
    }
}
