using System.Text;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;

namespace Csa.Crypto.Tests;

/// <summary>
/// The key inputs that independent testing found escaping as BouncyCastle or .NET exceptions, or read wrongly
/// (issue 13 item 9): each is a <see cref="KeyFormatException"/> with the <see cref="KeyFormatError"/> that says
/// what is wrong, or is read as the documented formats say.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
[Trait("Requirement", "REQ-KEY-EXPOSURE")]
public sealed class KeyInputErrorTests : IDisposable
{
    private static readonly EcP256PrivateKey Key = EcP256PrivateKey.FromScalar(Convert.FromHexString("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));
    private static readonly byte[] Point = Key.PublicKey.ToUncompressedPoint();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static KeyFormatException Refused(Action read) => Assert.Throws<KeyFormatException>(read);

    private static byte[] Spki(byte[] point) =>
        new SubjectPublicKeyInfo(new AlgorithmIdentifier(P256.EcPublicKeyOid, P256.CurveOid), point).GetDerEncoded();

    private static byte[] Sec1(Asn1Encodable? parameters, Asn1Encodable? publicKey)
    {
        var fields = new Asn1EncodableVector(DerInteger.ValueOf(1), new DerOctetString(Key.ExportScalar()));
        if (parameters is not null)
            fields.Add(new DerTaggedObject(true, 0, parameters));
        if (publicKey is not null)
            fields.Add(new DerTaggedObject(true, 1, publicKey));
        return new DerSequence(fields).GetDerEncoded();
    }

    [Theory]
    [InlineData(0x3A)]
    [InlineData(0x00)]
    [InlineData(0x05)]
    [InlineData(0xFF)]
    public void APublicPointWithAnInvalidPrefixByte_IsAnInvalidPoint(byte prefix)
    {
        byte[] point = [prefix, .. Point[1..]];
        KeyFormatException spki = Refused(() => EcP256PublicKey.FromSubjectPublicKeyInfo(Spki(point)));
        Assert.Equal(KeyFormatError.InvalidPoint, spki.Error);
        Assert.Contains($"0x{prefix:X2}", spki.Message, StringComparison.Ordinal);
        Assert.Equal(KeyFormatError.InvalidPoint, Refused(() => EcP256PublicKey.FromPem(PemBlocks.Write("PUBLIC KEY", Spki(point)))).Error);

        string sec1 = PemBlocks.Write("EC PRIVATE KEY", Sec1(P256.CurveOid, new DerBitString(point)));
        Assert.Equal(KeyFormatError.InvalidPoint, Refused(() => EcP256PrivateKey.FromPem(sec1)).Error);
    }

    [Theory]
    [InlineData(0x06)]
    [InlineData(0x07)]
    public void HybridPoints_AreRefusedAsSecurityMdListsOnlyUncompressedAndCompressed(byte prefix)
    {
        // One of the two is the hybrid encoding of this very point (0x06 | parity of Y), which BouncyCastle decodes.
        byte[] hybrid = [prefix, .. Point[1..]];
        KeyFormatException e = Refused(() => EcP256PublicKey.FromSubjectPublicKeyInfo(Spki(hybrid)));
        Assert.Equal(KeyFormatError.InvalidPoint, e.Error);
        Assert.Contains("hybrid", e.Message, StringComparison.Ordinal);
        Assert.Equal(KeyFormatError.InvalidPoint, Refused(() => EcP256PrivateKey.FromPem(PemBlocks.Write("EC PRIVATE KEY", Sec1(P256.CurveOid, new DerBitString(hybrid))))).Error);
    }

    [Fact]
    public void ASec1PublicKeyFieldThatIsNotABitString_IsMalformed()
    {
        string pem = PemBlocks.Write("EC PRIVATE KEY", Sec1(P256.CurveOid, new DerOctetString(Point)));
        KeyFormatException e = Refused(() => EcP256PrivateKey.FromPem(pem));
        Assert.Equal(KeyFormatError.MalformedEncoding, e.Error);
        Assert.Contains("BIT STRING", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedIndefiniteLengthDer_IsMalformedFromEveryEntryPoint()
    {
        foreach (byte[] good in new[] { Key.ToPkcs8(), Key.PublicKey.ToSubjectPublicKeyInfo(), Sec1(P256.CurveOid, null) })
        {
            byte[] ber = [0x30, 0x80, .. good.AsSpan(2, good.Length / 2)];
            File.WriteAllBytes(_temp.File("ber.der"), ber);
            Assert.Equal(KeyFormatError.MalformedEncoding, Refused(() => EcP256PublicKey.FromSubjectPublicKeyInfo(ber)).Error);
            Assert.Equal(KeyFormatError.MalformedEncoding, Refused(() => EcP256PrivateKey.FromPkcs8(ber)).Error);
            Assert.Equal(KeyFormatError.MalformedEncoding, Refused(() => EcP256PublicKey.Load(_temp.File("ber.der"))).Error);
            Assert.Equal(KeyFormatError.MalformedEncoding, Refused(() => EcP256PrivateKey.Load(_temp.File("ber.der"))).Error);
            Assert.Equal(KeyFormatError.MalformedEncoding, Refused(() => EcP256PublicKey.FromPem(PemBlocks.Write("PUBLIC KEY", ber))).Error);
            Assert.Equal(KeyFormatError.MalformedEncoding, Refused(() => EcP256PrivateKey.FromPem(PemBlocks.Write("PRIVATE KEY", ber))).Error);
        }
    }

    [Fact]
    public void DerPrivateKeys_ReadAsAPublicKeySayTheyArePrivate()
    {
        File.WriteAllBytes(_temp.File("pkcs8.der"), Key.ToPkcs8());
        File.WriteAllBytes(_temp.File("sec1.der"), Sec1(P256.CurveOid, new DerBitString(Point)));
        foreach (string file in new[] { "pkcs8.der", "sec1.der" })
        {
            Assert.Equal(KeyFormatError.NotPublicKey, Refused(() => EcP256PublicKey.Load(_temp.File(file))).Error);
            Assert.Equal(Key.PublicKey, EcP256PrivateKey.Load(_temp.File(file)).PublicKey);
        }
        Assert.Equal(KeyFormatError.NotPublicKey, Refused(() => EcP256PublicKey.FromSubjectPublicKeyInfo(Key.ToPkcs8())).Error);
        File.WriteAllBytes(_temp.File("pub.der"), Key.PublicKey.ToSubjectPublicKeyInfo());
        Assert.Equal(KeyFormatError.NotPrivateKey, Refused(() => EcP256PrivateKey.Load(_temp.File("pub.der"))).Error);
    }

    [Fact]
    public void ASec1KeyNamingNoCurve_TakesItsCurveFromTheECParametersBlockWhichMustBeP256()
    {
        string bare = PemBlocks.Write("EC PRIVATE KEY", Sec1(null, null));
        string secp256k1 = PemBlocks.Write("EC PARAMETERS", new X962Parameters(SecObjectIdentifiers.SecP256k1).GetDerEncoded()) + bare;
        KeyFormatException e = Refused(() => EcP256PrivateKey.FromPem(secp256k1));
        Assert.Equal(KeyFormatError.WrongCurve, e.Error);
        Assert.Contains("secp256k1", e.Message, StringComparison.Ordinal);

        string p256 = PemBlocks.Write("EC PARAMETERS", new X962Parameters(P256.CurveOid).GetDerEncoded()) + bare;
        Assert.Equal(Key.PublicKey, EcP256PrivateKey.FromPem(p256).PublicKey);
        Assert.Equal(KeyFormatError.WrongCurve, Refused(() => EcP256PrivateKey.FromPem(bare)).Error);

        // A key naming P-256 inside still may not sit after parameters naming another curve.
        string contradicting = PemBlocks.Write("EC PARAMETERS", new X962Parameters(SecObjectIdentifiers.SecP256k1).GetDerEncoded())
            + PemBlocks.Write("EC PRIVATE KEY", Sec1(P256.CurveOid, null));
        Assert.Equal(KeyFormatError.WrongCurve, Refused(() => EcP256PrivateKey.FromPem(contradicting)).Error);
    }

    [Fact]
    public void AFileHoldingAPrivateAndAPublicKey_IsNotAPublicKey()
    {
        string both = Key.ToPem() + Key.PublicKey.ToPem();
        KeyFormatException e = Refused(() => EcP256PublicKey.FromPem(both));
        Assert.Equal(KeyFormatError.NotPublicKey, e.Error);
        Assert.Contains("beside a public key", e.Message, StringComparison.Ordinal);
        string reversed = Key.PublicKey.ToPem() + Key.ToPem();
        Assert.Equal(KeyFormatError.NotPublicKey, Refused(() => EcP256PublicKey.FromPem(reversed)).Error);

        // As a private key file it is fine when the public key is its own, refused when it is another's.
        Assert.Equal(Key.PublicKey, EcP256PrivateKey.FromPem(both).PublicKey);
        string mixed = Key.ToPem() + KeyGenerator.Generate(KeyRole.FirmwareSigning).PublicKey.ToPem();
        Assert.Equal(KeyFormatError.PublicKeyMismatch, Refused(() => EcP256PrivateKey.FromPem(mixed)).Error);
    }

    [Fact]
    public void TwoKeysOfTheSameKind_AreAmbiguous()
    {
        EcP256PrivateKey other = KeyGenerator.Generate(KeyRole.FirmwareSigning);
        Assert.Equal(KeyFormatError.MultipleKeys, Refused(() => EcP256PrivateKey.FromPem(Key.ToPem() + other.ToPem())).Error);
        Assert.Equal(KeyFormatError.MultipleKeys, Refused(() => EcP256PublicKey.FromPem(Key.PublicKey.ToPem() + other.PublicKey.ToPem())).Error);
    }

    [Fact]
    public void AUtf8ByteOrderMarkBeforeThePem_IsRead()
    {
        string bom = "\uFEFF";
        Assert.Equal(Key.PublicKey, EcP256PrivateKey.FromPem(bom + Key.ToPem()).PublicKey);
        Assert.Equal(Key.PublicKey, EcP256PublicKey.FromPem(bom + Key.PublicKey.ToPem()));
        File.WriteAllBytes(_temp.File("key.pem"), [0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes(Key.ToPem())]);
        File.WriteAllBytes(_temp.File("pub.pem"), [0xEF, 0xBB, 0xBF, .. Encoding.ASCII.GetBytes(Key.PublicKey.ToPem())]);
        Assert.Equal(Key.PublicKey, EcP256PrivateKey.Load(_temp.File("key.pem")).PublicKey);
        Assert.Equal(Key.PublicKey, EcP256PublicKey.Load(_temp.File("pub.pem")));
    }
}
