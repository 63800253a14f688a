using System.Security.Cryptography;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;

namespace Csa.Crypto.Tests;

/// <summary>Key generation, PEM/DER loading and saving, openssl interoperability, and the typed errors for bad key files.</summary>
[Trait("Requirement", "REQ-AUTH-FW")]
[Trait("Requirement", "REQ-KEY-EXPOSURE")]
public sealed class KeyTests
{
    [Theory]
    [InlineData(KeyRole.FirmwareSigning)]
    [InlineData(KeyRole.Production)]
    [InlineData(KeyRole.DeviceIdentity)]
    public void Generate_EveryRole_GivesDistinctValidKeysThatRoundTripThroughPem(KeyRole role)
    {
        EcP256PrivateKey first = KeyGenerator.Generate(role);
        EcP256PrivateKey second = KeyGenerator.Generate(role);
        Assert.NotEqual(first.PublicKey, second.PublicKey);

        EcP256PrivateKey reloaded = EcP256PrivateKey.FromPem(first.ToPem());
        Assert.Equal(first.ExportScalar(), reloaded.ExportScalar());
        Assert.Equal(first.PublicKey, EcP256PublicKey.FromPem(first.PublicKey.ToPem()));
        Assert.Equal(first.PublicKey, EcP256PublicKey.FromUncompressedPoint(first.PublicKey.ToUncompressedPoint()));
    }

    [Fact]
    public void Generate_UndefinedRole_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyGenerator.Generate((KeyRole)42));

    [Fact]
    public void KeyId_IsTheFirstEightBytesOfSha256OfTheUncompressedPoint()
    {
        EcP256PublicKey key = KeyGenerator.Generate(KeyRole.FirmwareSigning).PublicKey;
        byte[] point = key.ToUncompressedPoint();
        Assert.Equal(65, point.Length);
        Assert.Equal(0x04, point[0]);
        Assert.Equal(SHA256.HashData(point)[..8], key.KeyId.ToArray());
        Assert.Equal(TestSupport.ToHex(key.KeyId.Span), key.KeyIdHex);
    }

    [Theory]
    [InlineData("genpkey")]
    [InlineData("ecparam")]
    public void OpenSslKeys_Load_AndMatchTheirPublicKeyAsOpenSslExportsIt(string how)
    {
        using var temp = new TempDirectory();
        if (how == "genpkey")
        {
            OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        }
        else
        {
            // Writes "EC PARAMETERS" followed by a SEC 1 "EC PRIVATE KEY".
            OpenSsl.Run(temp.Path, "ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem");
        }

        OpenSsl.Run(temp.Path, "pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem");
        OpenSsl.Run(temp.Path, "pkey", "-in", "key.pem", "-outform", "DER", "-out", "key.der");
        OpenSsl.Run(temp.Path, "pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "pub.der");

        EcP256PrivateKey key = EcP256PrivateKey.Load(temp.File("key.pem"));
        Assert.Equal(EcP256PublicKey.Load(temp.File("pub.pem")), key.PublicKey);
        Assert.Equal(key.ExportScalar(), EcP256PrivateKey.Load(temp.File("key.der")).ExportScalar());
        Assert.Equal(key.PublicKey, EcP256PublicKey.Load(temp.File("pub.der")));
    }

    [Fact]
    public void OurKeys_LoadInOpenSsl_WithTheSamePublicKey()
    {
        using var temp = new TempDirectory();
        EcP256PrivateKey key = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        key.Save(temp.File("key.pem"));
        key.PublicKey.Save(temp.File("pub.pem"));

        string text = OpenSsl.Run(temp.Path, "pkey", "-in", "key.pem", "-text", "-noout");
        Assert.Contains("prime256v1", text, StringComparison.Ordinal);
        OpenSsl.Run(temp.Path, "pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "derived.der");
        OpenSsl.Run(temp.Path, "pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "ours.der");
        Assert.Equal(File.ReadAllBytes(temp.File("derived.der")), File.ReadAllBytes(temp.File("ours.der")));
        Assert.Equal(key.PublicKey.ToSubjectPublicKeyInfo(), File.ReadAllBytes(temp.File("ours.der")));
        OpenSsl.Run(temp.Path, "pkey", "-in", "key.pem", "-check", "-noout");
    }

    [Fact]
    public void Save_NeverOverwritesByAccident_AndPrivateKeyFileIsOwnerOnly()
    {
        using var temp = new TempDirectory();
        EcP256PrivateKey key = KeyGenerator.Generate(KeyRole.FirmwareSigning);
        string path = temp.File("signing.pem");
        key.Save(path);
        Assert.Throws<IOException>(() => KeyGenerator.Generate(KeyRole.FirmwareSigning).Save(path));
        Assert.Equal(key.ExportScalar(), EcP256PrivateKey.Load(path).ExportScalar());

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // Replacing a world-readable file must not leave the new secret world-readable.
        string shared = temp.File("was-public.pem");
        File.WriteAllText(shared, "placeholder");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        KeyGenerator.Generate(KeyRole.FirmwareSigning).Save(shared, overwrite: true);
        Assert.NotNull(EcP256PrivateKey.Load(shared));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(shared));
        }

        KeyGenerator.Generate(KeyRole.FirmwareSigning).Save(path, overwrite: true);
        Assert.NotEqual(key.ExportScalar(), EcP256PrivateKey.Load(path).ExportScalar());
        Assert.Equal(2, Directory.GetFiles(temp.Path).Length); // no temporary files left behind
    }

    [Fact]
    public void ToString_NeverRevealsTheSecret()
    {
        EcP256PrivateKey key = KeyGenerator.Generate(KeyRole.Production);
        Assert.DoesNotContain(TestSupport.ToHex(key.ExportScalar()), key.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains(key.PublicKey.KeyIdHex, key.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rsa", KeyFormatError.NotEcKey)]
    [InlineData("ed25519", KeyFormatError.NotEcKey)]
    [InlineData("p384", KeyFormatError.WrongCurve)]
    [InlineData("explicit", KeyFormatError.WrongCurve)]
    [InlineData("encrypted-pkcs8", KeyFormatError.Encrypted)]
    [InlineData("encrypted-traditional", KeyFormatError.Encrypted)]
    [InlineData("public-as-private", KeyFormatError.NotPrivateKey)]
    public void BadPrivateKeyFiles_FromOpenSsl_SayWhatIsWrong(string kind, KeyFormatError expected)
    {
        using var temp = new TempDirectory();
        switch (kind)
        {
            case "rsa":
                OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "key.pem");
                break;
            case "ed25519":
                OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "ED25519", "-out", "key.pem");
                break;
            case "p384":
                OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "key.pem");
                break;
            case "explicit":
                OpenSsl.Run(temp.Path, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "named.pem");
                OpenSsl.Run(temp.Path, "ec", "-in", "named.pem", "-param_enc", "explicit", "-out", "key.pem");
                break;
            case "encrypted-pkcs8":
                OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret", "-out", "key.pem");
                break;
            case "encrypted-traditional":
                OpenSsl.Run(temp.Path, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "plain.pem");
                OpenSsl.Run(temp.Path, "ec", "-in", "plain.pem", "-aes256", "-passout", "pass:secret", "-out", "key.pem");
                break;
            case "public-as-private":
                OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "full.pem");
                OpenSsl.Run(temp.Path, "pkey", "-in", "full.pem", "-pubout", "-out", "key.pem");
                break;
        }

        var error = Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.Load(temp.File("key.pem")));
        Assert.Equal(expected, error.Error);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void PrivateKeyWhereAPublicKeyBelongs_IsRefused()
    {
        var error = Assert.Throws<KeyFormatException>(() => EcP256PublicKey.FromPem(KeyGenerator.Generate(KeyRole.DeviceIdentity).ToPem()));
        Assert.Equal(KeyFormatError.NotPublicKey, error.Error);
    }

    [Theory]
    [InlineData("just some text", KeyFormatError.NotPem)]
    [InlineData("", KeyFormatError.NotPem)]
    [InlineData("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", KeyFormatError.MalformedEncoding)]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n", KeyFormatError.MalformedEncoding)]
    [InlineData("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", KeyFormatError.UnsupportedPemLabel)]
    public void MalformedPem_SaysWhatIsWrong(string pem, KeyFormatError expected)
    {
        Assert.Equal(expected, Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.FromPem(pem)).Error);
    }

    [Fact]
    public void TrailingBytesAfterTheDer_AreRefused()
    {
        byte[] der = [.. KeyGenerator.Generate(KeyRole.FirmwareSigning).ToPkcs8(), 0x00];
        Assert.Equal(KeyFormatError.MalformedEncoding, Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.FromPkcs8(der)).Error);
    }

    [Fact]
    public void Sec1KeyWhosePublicKeyBelongsToAnotherKey_IsRefused()
    {
        EcP256PrivateKey a = KeyGenerator.Generate(KeyRole.FirmwareSigning);
        EcP256PrivateKey b = KeyGenerator.Generate(KeyRole.FirmwareSigning);
        var structure = new ECPrivateKeyStructure(256, a.D, new DerBitString(b.PublicKey.ToUncompressedPoint()), P256.CurveOid);
        string pem = PemBlocks.Write("EC PRIVATE KEY", structure.GetDerEncoded());
        Assert.Equal(KeyFormatError.PublicKeyMismatch, Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.FromPem(pem)).Error);
    }

    [Fact]
    public void Scalars_OutsideOneToNMinusOne_OrNot32Bytes_AreRefused()
    {
        byte[] n = P256.N.ToByteArrayUnsigned();
        Assert.Equal(KeyFormatError.InvalidScalar, Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.FromScalar(new byte[32])).Error);
        Assert.Equal(KeyFormatError.InvalidScalar, Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.FromScalar(n)).Error);
        Assert.Equal(KeyFormatError.InvalidScalar, Assert.Throws<KeyFormatException>(() => EcP256PrivateKey.FromScalar(new byte[31])).Error);
        n[31]--;
        Assert.NotNull(EcP256PrivateKey.FromScalar(n)); // n - 1 is the largest valid key
    }

    [Fact]
    public void Points_OffTheCurve_Compressed_OrWrongLength_AreRefused()
    {
        byte[] point = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint();
        byte[] offCurve = (byte[])point.Clone();
        offCurve[64] ^= 0x01;
        byte[] compressed = [(byte)(0x02 | (point[64] & 1)), .. point[1..33]];

        foreach (byte[] bad in new[] { offCurve, compressed, point[..64], new byte[65], [0x00] })
        {
            Assert.Equal(KeyFormatError.InvalidPoint, Assert.Throws<KeyFormatException>(() => EcP256PublicKey.FromUncompressedPoint(bad)).Error);
            Assert.False(EcP256PublicKey.TryFromUncompressedPoint(bad, out _));
        }
    }

    [Fact]
    public void OpenSslCompressedPublicKeyPem_Loads()
    {
        using var temp = new TempDirectory();
        OpenSsl.Run(temp.Path, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        OpenSsl.Run(temp.Path, "ec", "-in", "key.pem", "-pubout", "-conv_form", "compressed", "-out", "pub.pem");
        Assert.Equal(EcP256PrivateKey.Load(temp.File("key.pem")).PublicKey, EcP256PublicKey.Load(temp.File("pub.pem")));
    }
}
