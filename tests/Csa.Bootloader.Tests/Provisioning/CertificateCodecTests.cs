using System.Buffers;
using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Crypto;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// The device certificate and the signed messages, byte by byte against the golden vectors of docs/security.md
/// section 10, and every malformed input refused with its typed error.
/// </summary>
public sealed class CertificateCodecTests
{
    /// <summary>The RFC 6979 A.2.5 P-256 key: the golden production key.</summary>
    public static readonly EcP256PrivateKey GoldenProductionKey = EcP256PrivateKey.FromScalar(Convert.FromHexString("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));

    /// <summary>The golden device identity key.</summary>
    public static readonly EcP256PrivateKey GoldenIdentityKey = EcP256PrivateKey.FromScalar(Convert.FromHexString("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"));

    public static readonly DeviceUid GoldenUid = DeviceUid.Parse("3A0024000D51343138393836");

    public static readonly byte[] GoldenChallenge = Enumerable.Range(0x00, 32).Select(i => (byte)i).ToArray();

    public static readonly byte[] GoldenStationNonce = Enumerable.Range(0x20, 32).Select(i => (byte)i).ToArray();

    public static DeviceCertificate GoldenCertificate()
    {
        DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(GoldenUid, 0x00C5A000, 0x00000001, 1,
            new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), GoldenProductionKey.PublicKey.KeyId.Span, GoldenIdentityKey.PublicKey.UncompressedPoint.Span);
        return unsigned.WithSignature(new EcdsaP256Signer(GoldenProductionKey).SignDigest(unsigned.ComputeSignedDigest()));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public void Golden_certificate_is_reproduced_byte_for_byte_and_verifies_under_the_production_key()
    {
        byte[] golden = SecurityDoc.Golden("device-certificate");
        Assert.Equal(Convert.ToHexString(golden), GoldenCertificate().ToHex());
        DeviceCertificate parsed = DeviceCertificate.Parse(golden);
        Assert.Equal(GoldenUid, parsed.Uid);
        Assert.Equal(0x00C5A000u, parsed.VendorId);
        Assert.Equal(1u, parsed.DeviceClassId);
        Assert.Equal(DeviceLifecycle.Provisioned, parsed.Lifecycle);
        Assert.Equal(1u, parsed.SerialNumber);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), parsed.IssuedAt);
        Assert.Equal("B18B86CE1389E46D", Convert.ToHexString(parsed.IssuerKeyId.Span));
        Assert.Equal(GoldenIdentityKey.PublicKey.ToUncompressedPoint(), parsed.GetUncompressedPublicKey());
        Assert.Null(EcdsaP256SignatureVerifier.TrustAnchor(GoldenProductionKey.PublicKey).Check(parsed));
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public void Golden_messages_are_reproduced_byte_for_byte()
    {
        DeviceCertificate certificate = GoldenCertificate();
        byte[] possession = ProvisioningMessages.KeyPossession(GoldenUid, GoldenStationNonce, GoldenIdentityKey.PublicKey.UncompressedPoint.Span);
        Assert.Equal(Convert.ToHexString(SecurityDoc.Golden("key-possession-message")), Convert.ToHexString(possession));
        Assert.Equal(Convert.ToHexString(SecurityDoc.Golden("key-possession-signature")), Convert.ToHexString(new EcdsaP256Signer(GoldenIdentityKey).Sign(possession)));

        byte[] authentication = ProvisioningMessages.Authentication(GoldenUid, GoldenChallenge, certificate.ComputeDigest());
        Assert.Equal(Convert.ToHexString(SecurityDoc.Golden("authentication-message")), Convert.ToHexString(authentication));
        byte[] signature = new EcdsaP256Signer(GoldenIdentityKey).Sign(authentication);
        Assert.Equal(Convert.ToHexString(SecurityDoc.Golden("authentication-signature")), Convert.ToHexString(signature));

        var authenticator = new DeviceAuthenticator(EcdsaP256SignatureVerifier.TrustAnchor(GoldenProductionKey.PublicKey));
        AuthenticatedDevice device = authenticator.Verify(GoldenUid, 0x00C5A000, 1, GoldenChallenge, certificate.ToArray(), signature);
        Assert.Equal(GoldenUid, device.Uid);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public void Every_malformed_field_is_refused_with_its_typed_error_and_offset()
    {
        byte[] good = SecurityDoc.Golden("device-certificate");
        (Func<byte[], byte[]> mutate, DeviceCertificateError error, int offset)[] cases =
        [
            (b => b[..100], DeviceCertificateError.Truncated, 100),
            (b => b[..3], DeviceCertificateError.Truncated, 3),
            (b => [.. b, 0], DeviceCertificateError.TrailingData, 176),
            (b => Set(b, 0, 0x44), DeviceCertificateError.BadMagic, 0),
            (b => Set(b, 4, 2), DeviceCertificateError.UnsupportedVersion, 4),
            (b => Set(b, 6, 0xB1), DeviceCertificateError.BadLength, 6),
            (b => Set(b, 28, 0), DeviceCertificateError.BadLifecycle, 28),
            (b => Set(b, 28, 3), DeviceCertificateError.BadLifecycle, 28),
            (b => Set(b, 29, 2), DeviceCertificateError.UnsupportedKeyAlgorithm, 29),
            (b => Set(b, 31, 1), DeviceCertificateError.ReservedNotZero, 30),
            (b => Set(b, 32, 0), DeviceCertificateError.ZeroSerialNumber, 32),
        ];
        foreach ((Func<byte[], byte[]> mutate, DeviceCertificateError error, int offset) in cases)
        {
            byte[] bad = mutate((byte[])good.Clone());
            var e = Assert.Throws<DeviceCertificateFormatException>(() => DeviceCertificate.Parse(bad));
            Assert.Equal((error, offset), (e.Error, e.Offset));
            Assert.False(DeviceCertificate.TryParse(new ReadOnlySequence<byte>(bad), out _, out DeviceCertificateError seqError));
            Assert.Equal(error, seqError);
        }
    }

    [Fact]
    public void TryParse_reads_a_certificate_split_over_many_segments()
    {
        byte[] good = SecurityDoc.Golden("device-certificate");
        ReadOnlySequence<byte> sequence = Segments.Split(good, 1, 7, 13, 64, 175);
        Assert.True(DeviceCertificate.TryParse(sequence, out DeviceCertificate? parsed, out _));
        Assert.Equal(good, parsed.ToArray());
        var writer = new ArrayBufferWriter<byte>();
        parsed.Write(writer);
        Assert.Equal(good, writer.WrittenSpan.ToArray());
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    public void Every_bit_of_the_certificate_flipped_is_caught()
    {
        byte[] good = SecurityDoc.Golden("device-certificate");
        ProductionTrustAnchor anchor = EcdsaP256SignatureVerifier.TrustAnchor(GoldenProductionKey.PublicKey);
        var survivors = new List<int>();
        for (int bit = 0; bit < good.Length * 8; bit++)
        {
            byte[] bad = (byte[])good.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            if (DeviceCertificate.TryParse(bad, out DeviceCertificate? parsed, out _, out _) && anchor.Check(parsed) is null)
                survivors.Add(bit);
        }
        Assert.Empty(survivors);
        // And the signature's other ECDSA form (r, n - s), which changes no bit of the signed bytes.
        byte[] highS = (byte[])good.Clone();
        HighS(good[112..]).CopyTo(highS, 112);
        Assert.NotNull(anchor.Check(DeviceCertificate.Parse(highS)));
    }

    /// <summary>Plain ECDSA (both s and n - s), as a third-party verifier might do it.</summary>
    private sealed class PlainEcdsa : IP256SignatureVerifier
    {
        public bool VerifyDigest(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> signature)
        {
            EcP256PublicKey key = EcP256PublicKey.FromUncompressedPoint(publicKey);
            return new EcdsaP256Verifier([key]).VerifyDigest(sha256Digest, signature, key.KeyId.Span);
        }
    }

    /// <summary>(r, n - s): the other ECDSA encoding of the same signature, valid under plain ECDSA.</summary>
    public static byte[] HighS(byte[] signature)
    {
        var n = System.Numerics.BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);
        var s = new System.Numerics.BigInteger(signature.AsSpan(32, 32), isUnsigned: true, isBigEndian: true);
        byte[] flipped = (n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] result = (byte[])signature.Clone();
        Array.Clear(result, 32, 32);
        flipped.CopyTo(result, 64 - flipped.Length);
        return result;
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    public void The_high_s_form_of_a_good_signature_is_refused_for_certificates_and_challenge_answers()
    {
        byte[] good = SecurityDoc.Golden("device-certificate");
        ProductionTrustAnchor anchor = EcdsaP256SignatureVerifier.TrustAnchor(GoldenProductionKey.PublicKey);
        byte[] malleated = (byte[])good.Clone();
        HighS(good[112..]).CopyTo(malleated, 112);
        Assert.NotEqual(good, malleated);
        // Plain ECDSA accepts (r, n - s): it is the same signature in its other form.
        Assert.True(new EcdsaP256Verifier([GoldenProductionKey.PublicKey]).VerifyDigest(SHA256.HashData(good.AsSpan(0, 112)), malleated[112..], GoldenProductionKey.PublicKey.KeyId.Span));
        Assert.Equal(DeviceAuthenticationFailure.BadCertificateSignature, anchor.Check(DeviceCertificate.Parse(malleated)));
        // The trust anchor refuses it itself, even over a verifier that follows plain ECDSA.
        var permissive = new ProductionTrustAnchor([GoldenProductionKey.PublicKey.UncompressedPoint], new PlainEcdsa());
        Assert.Null(permissive.Check(DeviceCertificate.Parse(good)));
        Assert.Equal(DeviceAuthenticationFailure.BadCertificateSignature, permissive.Check(DeviceCertificate.Parse(malleated)));

        byte[] answer = SecurityDoc.Golden("authentication-signature");
        var authenticator = new DeviceAuthenticator(anchor);
        authenticator.Verify(GoldenUid, 0x00C5A000, 1, GoldenChallenge, good, answer);
        Assert.Equal(DeviceAuthenticationFailure.BadChallengeSignature, Assert.Throws<DeviceAuthenticationException>(() =>
            authenticator.Verify(GoldenUid, 0x00C5A000, 1, GoldenChallenge, good, HighS(answer))).Reason);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public void The_labels_separate_the_messages()
    {
        // An answer to a challenge can never pass as a proof of possession, nor the reverse: different labels and lengths.
        Assert.NotEqual(ProvisioningMessages.KeyPossessionLength, ProvisioningMessages.AuthenticationLength);
        byte[] auth = ProvisioningMessages.Authentication(GoldenUid, GoldenChallenge, SHA256.HashData(GoldenChallenge));
        byte[] pop = ProvisioningMessages.KeyPossession(GoldenUid, GoldenChallenge, GoldenIdentityKey.PublicKey.UncompressedPoint.Span);
        Assert.Equal("CSA-DEVICE-AUTH-V1"u8.ToArray(), auth[..18]);
        Assert.Equal("CSA-KEY-POSSESSION-V1"u8.ToArray(), pop[..21]);
        Assert.Throws<ArgumentException>(() => ProvisioningMessages.Authentication(GoldenUid, new byte[31], new byte[32]));
    }

    private static byte[] Set(byte[] b, int at, byte value)
    {
        b[at] = value;
        return b;
    }
}

/// <summary>Splits a buffer into a multi-segment sequence at the given offsets.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        int[] edges = [0, .. cuts, data.Length];
        Segments first = new(data.AsMemory(edges[0], edges[1] - edges[0]), 0);
        Segments last = first;
        for (int i = 1; i < edges.Length - 1; i++)
        {
            var next = new Segments(data.AsMemory(edges[i], edges[i + 1] - edges[i]), edges[i]);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
