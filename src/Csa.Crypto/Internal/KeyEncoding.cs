using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace Csa.Crypto.Internal;

/// <summary>
/// DER key structures: PKCS#8 PrivateKeyInfo (RFC 5208/5958), SEC 1 ECPrivateKey (RFC 5915) and
/// SubjectPublicKeyInfo (RFC 5480), each restricted to P-256 with the named-curve form.
/// </summary>
internal static class KeyEncoding
{
    public const string Pkcs8Label = "PRIVATE KEY";
    public const string Sec1Label = "EC PRIVATE KEY";
    public const string EncryptedPkcs8Label = "ENCRYPTED PRIVATE KEY";
    public const string PublicKeyLabel = "PUBLIC KEY";
    public const string EcParametersLabel = "EC PARAMETERS";

    /// <summary>Finds the private key in PEM text (PKCS#8 or SEC 1) and returns its validated scalar.</summary>
    public static BigInteger ReadPrivateKeyPem(string pem)
    {
        List<PemBlock> blocks = PemBlocks.Read(pem);
        foreach (PemBlock block in blocks)
        {
            switch (block.Label)
            {
                case Pkcs8Label:
                    return ReadPkcs8(block.Der);
                case Sec1Label:
                    return ReadSec1(block.Der, requireNamedCurve: false);
                case EncryptedPkcs8Label:
                    throw new KeyFormatException(
                        KeyFormatError.Encrypted,
                        "The private key is encrypted (ENCRYPTED PRIVATE KEY). Decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`, or sign through an HSM-backed IImageSigner.");
            }
        }

        if (blocks.Exists(b => b.Label == PublicKeyLabel))
        {
            throw new KeyFormatException(KeyFormatError.NotPrivateKey, "The PEM holds a PUBLIC KEY, not a private key.");
        }

        throw new KeyFormatException(
            KeyFormatError.UnsupportedPemLabel,
            $"The PEM holds no private key: found {Describe(blocks)}; expected 'PRIVATE KEY' (PKCS#8) or 'EC PRIVATE KEY' (SEC 1).");
    }

    /// <summary>Finds the public key in PEM text (SubjectPublicKeyInfo) and returns its validated point.</summary>
    public static ECPoint ReadPublicKeyPem(string pem)
    {
        List<PemBlock> blocks = PemBlocks.Read(pem);
        foreach (PemBlock block in blocks)
        {
            if (block.Label == PublicKeyLabel)
            {
                return ReadSubjectPublicKeyInfo(block.Der);
            }
        }

        if (blocks.Exists(b => b.Label is Pkcs8Label or Sec1Label or EncryptedPkcs8Label))
        {
            // Refuse rather than derive: a private key where a public one belongs usually means the secret
            // file is about to be copied somewhere it must not go.
            throw new KeyFormatException(
                KeyFormatError.NotPublicKey,
                "The PEM holds a PRIVATE key where a public key was expected. Export the public half with `openssl pkey -in key.pem -pubout` (or EcP256PrivateKey.PublicKey) and never distribute the private file.");
        }

        throw new KeyFormatException(
            KeyFormatError.UnsupportedPemLabel,
            $"The PEM holds no public key: found {Describe(blocks)}; expected 'PUBLIC KEY' (SubjectPublicKeyInfo).");
    }

    /// <summary>Parses a PKCS#8 PrivateKeyInfo holding a P-256 key.</summary>
    public static BigInteger ReadPkcs8(byte[] der)
    {
        PrivateKeyInfo info;
        Asn1Object inner;
        try
        {
            info = PrivateKeyInfo.GetInstance(ParseDer(der));
            CheckAlgorithm(info.PrivateKeyAlgorithm);
            inner = info.ParsePrivateKey();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException or InvalidOperationException)
        {
            throw Malformed("PKCS#8 PrivateKeyInfo", ex);
        }

        return ReadSec1(inner, requireNamedCurve: false);
    }

    /// <summary>Parses a SEC 1 ECPrivateKey (RFC 5915), given as DER bytes or as a parsed object.</summary>
    public static BigInteger ReadSec1(object derOrObject, bool requireNamedCurve)
    {
        ECPrivateKeyStructure structure;
        try
        {
            Asn1Object obj = derOrObject as Asn1Object ?? ParseDer((byte[])derOrObject);
            structure = ECPrivateKeyStructure.GetInstance(obj);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException)
        {
            throw Malformed("SEC 1 ECPrivateKey", ex);
        }

        Asn1Encodable? parameters = structure.Parameters;
        if (parameters is not null)
        {
            CheckCurveParameters(parameters);
        }
        else if (requireNamedCurve)
        {
            throw new KeyFormatException(KeyFormatError.WrongCurve, "The EC private key names no curve.");
        }

        byte[] scalarBytes = structure.PrivateKey.GetOctets();
        if (scalarBytes.Length != P256.FieldLength)
        {
            throw new KeyFormatException(KeyFormatError.InvalidScalar, $"The private scalar is {scalarBytes.Length} bytes; a P-256 key has exactly 32.");
        }

        BigInteger d = new(1, scalarBytes);
        if (!P256.IsInScalarRange(d))
        {
            throw new KeyFormatException(KeyFormatError.InvalidScalar, "The private scalar is not in [1, n-1] of P-256.");
        }

        DerBitString? publicBits = structure.PublicKey;
        if (publicBits is not null)
        {
            ECPoint? stored = publicBits.PadBits == 0 ? P256.TryDecode(publicBits.GetOctets()) : null;
            if (stored is null)
            {
                throw new KeyFormatException(KeyFormatError.InvalidPoint, "The public key stored with the private key is not a valid P-256 point.");
            }

            if (!stored.Equals(P256.PublicPointOf(d)))
            {
                throw new KeyFormatException(KeyFormatError.PublicKeyMismatch, "The public key stored with the private key does not belong to it; the file is corrupt or was assembled from two keys.");
            }
        }

        return d;
    }

    /// <summary>Parses a SubjectPublicKeyInfo holding a P-256 point.</summary>
    public static ECPoint ReadSubjectPublicKeyInfo(byte[] der)
    {
        SubjectPublicKeyInfo info;
        try
        {
            info = SubjectPublicKeyInfo.GetInstance(ParseDer(der));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or IOException)
        {
            throw Malformed("SubjectPublicKeyInfo", ex);
        }

        CheckAlgorithm(info.Algorithm);
        DerBitString bits = info.PublicKey;
        ECPoint? point = bits.PadBits == 0 ? P256.TryDecode(bits.GetOctets()) : null;
        return point ?? throw new KeyFormatException(KeyFormatError.InvalidPoint, "The public key is not a valid P-256 point (not on the curve, the point at infinity, or badly encoded).");
    }

    /// <summary>PKCS#8 DER of a private key, with its public key and the named-curve OID.</summary>
    public static byte[] WritePkcs8(BigInteger d)
    {
        var algorithm = new AlgorithmIdentifier(P256.EcPublicKeyOid, P256.CurveOid);

        // The curve is named in the PKCS#8 algorithm, so the inner structure omits it (RFC 5915 §3, as openssl does).
        var inner = new ECPrivateKeyStructure(256, d, new DerBitString(P256.EncodeUncompressed(P256.PublicPointOf(d))), null);
        return new PrivateKeyInfo(algorithm, inner).GetDerEncoded();
    }

    /// <summary>SubjectPublicKeyInfo DER of an uncompressed point.</summary>
    public static byte[] WriteSubjectPublicKeyInfo(ReadOnlySpan<byte> uncompressedPoint)
    {
        var algorithm = new AlgorithmIdentifier(P256.EcPublicKeyOid, P256.CurveOid);
        return new SubjectPublicKeyInfo(algorithm, uncompressedPoint.ToArray()).GetDerEncoded();
    }

    private static void CheckAlgorithm(AlgorithmIdentifier algorithm)
    {
        if (!algorithm.Algorithm.Equals(P256.EcPublicKeyOid))
        {
            string name = algorithm.Algorithm.Id switch
            {
                "1.2.840.113549.1.1.1" => "RSA",
                "1.3.101.112" => "Ed25519",
                "1.3.101.110" => "X25519",
                "1.3.101.113" => "Ed448",
                _ => "OID " + algorithm.Algorithm.Id,
            };
            throw new KeyFormatException(KeyFormatError.NotEcKey, $"The key is a {name} key, not an elliptic-curve (id-ecPublicKey) key on P-256.");
        }

        CheckCurveParameters(algorithm.Parameters);
    }

    private static void CheckCurveParameters(Asn1Encodable? parameters)
    {
        X962Parameters x962;
        try
        {
            x962 = X962Parameters.GetInstance(parameters);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException)
        {
            throw Malformed("EC domain parameters", ex);
        }

        if (x962 is null || x962.IsImplicitlyCA)
        {
            throw new KeyFormatException(KeyFormatError.WrongCurve, "The key does not name its curve; P-256 (prime256v1, 1.2.840.10045.3.1.7) is required.");
        }

        if (!x962.IsNamedCurve)
        {
            throw new KeyFormatException(
                KeyFormatError.WrongCurve,
                "The key spells out explicit curve parameters; only the named curve P-256 is accepted. Re-export it with `openssl ec -in key.pem -param_enc named_curve -out named.pem`.");
        }

        var oid = (DerObjectIdentifier)x962.Parameters;
        if (!oid.Equals(P256.CurveOid))
        {
            string name = ECNamedCurveTable.GetName(oid) ?? oid.Id;
            throw new KeyFormatException(KeyFormatError.WrongCurve, $"The key is on curve {name} ({oid.Id}); P-256 (prime256v1, 1.2.840.10045.3.1.7) is required.");
        }
    }

    private static Asn1Object ParseDer(byte[] der)
    {
        Asn1Object obj = Asn1Object.FromByteArray(der) ?? throw new IOException("empty input");

        // Re-encoding must give back the input byte for byte: that rejects trailing bytes and BER forms
        // (indefinite lengths, non-minimal lengths), so one key has exactly one accepted encoding.
        if (!obj.GetEncoded(Asn1Encodable.Der).AsSpan().SequenceEqual(der))
        {
            throw new IOException("not canonical DER (trailing bytes or a BER encoding)");
        }

        return obj;
    }

    private static KeyFormatException Malformed(string what, Exception inner) =>
        new(KeyFormatError.MalformedEncoding, $"The {what} is malformed DER: {inner.Message}", inner);

    private static string Describe(List<PemBlock> blocks) =>
        string.Join(", ", blocks.Select(b => $"'{b.Label}'"));
}
