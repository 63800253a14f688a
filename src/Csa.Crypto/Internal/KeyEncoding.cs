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
    private enum KeyStructure
    {
        Unknown,
        Pkcs8,
        Sec1,
        SubjectPublicKeyInfo,
    }

    public const string Pkcs8Label = "PRIVATE KEY";
    public const string Sec1Label = "EC PRIVATE KEY";
    public const string EncryptedPkcs8Label = "ENCRYPTED PRIVATE KEY";
    public const string PublicKeyLabel = "PUBLIC KEY";
    public const string EcParametersLabel = "EC PARAMETERS";

    /// <summary>
    /// Finds the private key in PEM text (one PKCS#8 or SEC 1 block) and returns its validated scalar. An
    /// <c>EC PARAMETERS</c> block (openssl ecparam writes one) must name P-256; a SEC 1 key must name its curve
    /// inside or through that block; a <c>PUBLIC KEY</c> block beside the key must be its public key.
    /// </summary>
    public static BigInteger ReadPrivateKeyPem(string pem)
    {
        List<PemBlock> blocks = PemBlocks.Read(pem);
        bool curveBlock = false;
        foreach (PemBlock block in blocks.Where(b => b.Label == EcParametersLabel))
        {
            CheckCurveParameters(Guard("EC PARAMETERS block", () => ParseDer(block.Der)), "The EC PARAMETERS block");
            curveBlock = true;
        }

        List<PemBlock> privateBlocks = blocks.FindAll(b => b.Label is Pkcs8Label or Sec1Label or EncryptedPkcs8Label);
        if (privateBlocks.Count > 1)
        {
            throw new KeyFormatException(KeyFormatError.MultipleKeys, $"The PEM holds {privateBlocks.Count} private keys ({Describe(privateBlocks)}); a key file holds one.");
        }

        if (privateBlocks.Count == 0)
        {
            if (blocks.Exists(b => b.Label == PublicKeyLabel))
            {
                throw new KeyFormatException(KeyFormatError.NotPrivateKey, "The PEM holds a PUBLIC KEY, not a private key.");
            }

            throw new KeyFormatException(
                KeyFormatError.UnsupportedPemLabel,
                $"The PEM holds no private key: found {Describe(blocks)}; expected 'PRIVATE KEY' (PKCS#8) or 'EC PRIVATE KEY' (SEC 1).");
        }

        PemBlock key = privateBlocks[0];
        BigInteger d = key.Label switch
        {
            Pkcs8Label => ReadPkcs8(Guard("PKCS#8 PrivateKeyInfo", () => ParseDer(key.Der))),
            Sec1Label => ReadSec1(Guard("SEC 1 ECPrivateKey", () => ParseDer(key.Der)), curveNamedOutside: curveBlock),
            _ => throw new KeyFormatException(
                KeyFormatError.Encrypted,
                "The private key is encrypted (ENCRYPTED PRIVATE KEY). Decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`, or sign through an HSM-backed IImageSigner."),
        };

        foreach (PemBlock block in blocks.Where(b => b.Label == PublicKeyLabel))
        {
            if (!ReadSubjectPublicKeyInfo(block.Der).Equals(P256.PublicPointOf(d)))
            {
                throw new KeyFormatException(KeyFormatError.PublicKeyMismatch, "The PUBLIC KEY block beside the private key is another key's; the file was assembled from two keys.");
            }
        }

        return d;
    }

    /// <summary>Finds the public key in PEM text (one SubjectPublicKeyInfo block, and no private key) and returns its validated point.</summary>
    public static ECPoint ReadPublicKeyPem(string pem)
    {
        List<PemBlock> blocks = PemBlocks.Read(pem);
        if (blocks.Exists(b => b.Label is Pkcs8Label or Sec1Label or EncryptedPkcs8Label))
        {
            // Refuse rather than derive, and refuse even beside a public key: a private key where a public one
            // belongs usually means the secret file is about to be copied somewhere it must not go.
            throw new KeyFormatException(
                KeyFormatError.NotPublicKey,
                $"The PEM holds a PRIVATE key{(blocks.Exists(b => b.Label == PublicKeyLabel) ? " (beside a public key)" : string.Empty)} where a public key was expected. Export the public half with `openssl pkey -in key.pem -pubout` (or EcP256PrivateKey.PublicKey) and never distribute the private file.");
        }

        List<PemBlock> publicBlocks = blocks.FindAll(b => b.Label == PublicKeyLabel);
        if (publicBlocks.Count > 1)
        {
            throw new KeyFormatException(KeyFormatError.MultipleKeys, $"The PEM holds {publicBlocks.Count} PUBLIC KEY blocks; a public key file holds one.");
        }

        if (publicBlocks.Count == 0)
        {
            throw new KeyFormatException(
                KeyFormatError.UnsupportedPemLabel,
                $"The PEM holds no public key: found {Describe(blocks)}; expected 'PUBLIC KEY' (SubjectPublicKeyInfo).");
        }

        return ReadSubjectPublicKeyInfo(publicBlocks[0].Der);
    }

    /// <summary>A binary DER private key file: PKCS#8, or SEC 1 naming its curve.</summary>
    public static BigInteger ReadPrivateKeyDer(byte[] der)
    {
        Asn1Object obj = Guard("DER key", () => ParseDer(der));
        return Classify(obj) switch
        {
            KeyStructure.Pkcs8 => ReadPkcs8(obj),
            KeyStructure.Sec1 => ReadSec1(obj, curveNamedOutside: false),
            KeyStructure.SubjectPublicKeyInfo => throw new KeyFormatException(KeyFormatError.NotPrivateKey, "The DER is a public key (SubjectPublicKeyInfo), not a private key."),
            _ => throw new KeyFormatException(KeyFormatError.MalformedEncoding, "The DER is neither a PKCS#8 PrivateKeyInfo nor a SEC 1 ECPrivateKey."),
        };
    }

    /// <summary>A binary DER public key file: SubjectPublicKeyInfo.</summary>
    public static ECPoint ReadPublicKeyDer(byte[] der) => ReadSubjectPublicKeyInfo(der);

    /// <summary>Parses a DER PKCS#8 PrivateKeyInfo holding a P-256 key.</summary>
    public static BigInteger ReadPkcs8(byte[] der)
    {
        Asn1Object obj = Guard("PKCS#8 PrivateKeyInfo", () => ParseDer(der));
        return Classify(obj) switch
        {
            KeyStructure.Pkcs8 => ReadPkcs8(obj),
            KeyStructure.Sec1 => throw new KeyFormatException(KeyFormatError.MalformedEncoding, "The DER is a SEC 1 ECPrivateKey, not a PKCS#8 PrivateKeyInfo (EcP256PrivateKey.Load reads both)."),
            KeyStructure.SubjectPublicKeyInfo => throw new KeyFormatException(KeyFormatError.NotPrivateKey, "The DER is a public key (SubjectPublicKeyInfo), not a private key."),
            _ => throw new KeyFormatException(KeyFormatError.MalformedEncoding, "The DER is not a PKCS#8 PrivateKeyInfo."),
        };
    }

    /// <summary>Parses a DER SubjectPublicKeyInfo holding a P-256 point.</summary>
    public static ECPoint ReadSubjectPublicKeyInfo(byte[] der)
    {
        Asn1Object obj = Guard("SubjectPublicKeyInfo", () => ParseDer(der));
        switch (Classify(obj))
        {
            case KeyStructure.Pkcs8 or KeyStructure.Sec1:
                throw new KeyFormatException(KeyFormatError.NotPublicKey, "The DER is a private key where a public key was expected. Export the public half with `openssl pkey -in key.der -inform DER -pubout` and never distribute the private file.");
            case KeyStructure.Unknown:
                throw new KeyFormatException(KeyFormatError.MalformedEncoding, "The DER is not a SubjectPublicKeyInfo (SEQUENCE of an AlgorithmIdentifier and a BIT STRING).");
        }

        (AlgorithmIdentifier algorithm, DerBitString bits) = Guard("SubjectPublicKeyInfo", () =>
        {
            var info = SubjectPublicKeyInfo.GetInstance(obj);
            return (info.Algorithm, info.PublicKey);
        });
        CheckAlgorithm(algorithm);
        if (bits.PadBits != 0)
        {
            throw new KeyFormatException(KeyFormatError.InvalidPoint, $"The public key BIT STRING has {bits.PadBits} unused bits; a point is whole bytes.");
        }

        return P256.TryDecode(bits.GetOctets(), out string problem)
            ?? throw new KeyFormatException(KeyFormatError.InvalidPoint, $"The public key is not a valid P-256 point: {problem}.");
    }

    private static BigInteger ReadPkcs8(Asn1Object obj)
    {
        (BigInteger version, AlgorithmIdentifier algorithm, Asn1OctetString privateKey) = Guard("PKCS#8 PrivateKeyInfo", () =>
        {
            var sequence = (Asn1Sequence)obj;
            if (sequence.Count is < 3 or > 5)
            {
                throw new ArgumentException($"a PrivateKeyInfo has 3 to 5 fields, not {sequence.Count}");
            }

            return (DerInteger.GetInstance(sequence[0]).Value, AlgorithmIdentifier.GetInstance(sequence[1]), Asn1OctetString.GetInstance(sequence[2]));
        });
        if (version.SignValue < 0 || version.CompareTo(BigInteger.One) > 0)
        {
            throw new KeyFormatException(KeyFormatError.MalformedEncoding, $"The PKCS#8 version is {version}; only 0 (RFC 5208) and 1 (RFC 5958) exist.");
        }

        CheckAlgorithm(algorithm);

        // The curve is named in the algorithm, so the inner SEC 1 structure may omit it (RFC 5915 section 3).
        Asn1Object inner = Guard("SEC 1 ECPrivateKey inside the PKCS#8", () => ParseDer(privateKey.GetOctets()));
        if (Classify(inner) != KeyStructure.Sec1)
        {
            throw new KeyFormatException(KeyFormatError.MalformedEncoding, "The PKCS#8 private key octets do not hold a SEC 1 ECPrivateKey.");
        }

        return ReadSec1(inner, curveNamedOutside: true);
    }

    /// <summary>
    /// Parses a SEC 1 ECPrivateKey (RFC 5915). Its curve is checked when it names one; it must name one unless
    /// <paramref name="curveNamedOutside"/> (a PKCS#8 algorithm or an EC PARAMETERS block named P-256 already).
    /// </summary>
    private static BigInteger ReadSec1(Asn1Object obj, bool curveNamedOutside)
    {
        (BigInteger version, byte[] scalarBytes, Asn1Encodable? parameters, DerBitString? publicBits) = Guard("SEC 1 ECPrivateKey", () =>
        {
            var sequence = (Asn1Sequence)obj;
            if (sequence.Count is < 2 or > 4)
            {
                throw new ArgumentException($"an ECPrivateKey has 2 to 4 fields, not {sequence.Count}");
            }

            Asn1Encodable? curve = null;
            DerBitString? point = null;
            for (int i = 2; i < sequence.Count; i++)
            {
                var tagged = (Asn1TaggedObject)sequence[i];
                if (!tagged.HasContextTag() || !tagged.IsExplicit())
                {
                    throw new ArgumentException($"field {i + 1} is not an explicit [0] or [1]");
                }

                switch (tagged.TagNo)
                {
                    case 0 when curve is null && point is null:
                        curve = tagged.GetExplicitBaseObject();
                        break;
                    case 1 when point is null:
                        point = tagged.GetExplicitBaseObject() as DerBitString
                            ?? throw new ArgumentException("the [1] publicKey field is not a BIT STRING");
                        break;
                    default:
                        throw new ArgumentException($"field {i + 1} is an unexpected or repeated [{tagged.TagNo}]");
                }
            }

            return (DerInteger.GetInstance(sequence[0]).Value, Asn1OctetString.GetInstance(sequence[1]).GetOctets(), curve, point);
        });
        if (!version.Equals(BigInteger.One))
        {
            throw new KeyFormatException(KeyFormatError.MalformedEncoding, $"The SEC 1 ECPrivateKey version is {version}, not 1.");
        }

        if (parameters is not null)
        {
            CheckCurveParameters(parameters, "The key");
        }
        else if (!curveNamedOutside)
        {
            throw new KeyFormatException(KeyFormatError.WrongCurve, "The EC private key names no curve (no [0] parameters, no EC PARAMETERS block); P-256 (prime256v1, 1.2.840.10045.3.1.7) is required.");
        }

        if (scalarBytes.Length != P256.FieldLength)
        {
            throw new KeyFormatException(KeyFormatError.InvalidScalar, $"The private scalar is {scalarBytes.Length} bytes; a P-256 key has exactly 32.");
        }

        BigInteger d = new(1, scalarBytes);
        if (!P256.IsInScalarRange(d))
        {
            throw new KeyFormatException(KeyFormatError.InvalidScalar, "The private scalar is not in [1, n-1] of P-256.");
        }

        if (publicBits is not null)
        {
            ECPoint? stored = null;
            string problem = $"its BIT STRING has {publicBits.PadBits} unused bits";
            if (publicBits.PadBits == 0)
            {
                stored = P256.TryDecode(publicBits.GetOctets(), out problem);
            }

            if (stored is null)
            {
                throw new KeyFormatException(KeyFormatError.InvalidPoint, $"The public key stored with the private key is not a valid P-256 point: {problem}.");
            }

            if (!stored.Equals(P256.PublicPointOf(d)))
            {
                throw new KeyFormatException(KeyFormatError.PublicKeyMismatch, "The public key stored with the private key does not belong to it; the file is corrupt or was assembled from two keys.");
            }
        }

        return d;
    }

    /// <summary>Which key structure a parsed DER object has the shape of (its fields are checked when it is read).</summary>
    private static KeyStructure Classify(Asn1Object obj)
    {
        if (obj is not Asn1Sequence { Count: >= 2 } sequence)
        {
            return KeyStructure.Unknown;
        }

        return (sequence[0], sequence[1]) switch
        {
            (DerInteger, Asn1Sequence) => KeyStructure.Pkcs8,
            (DerInteger, Asn1OctetString) => KeyStructure.Sec1,
            (Asn1Sequence, DerBitString) when sequence.Count == 2 => KeyStructure.SubjectPublicKeyInfo,
            _ => KeyStructure.Unknown,
        };
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

        CheckCurveParameters(algorithm.Parameters, "The key");
    }

    /// <param name="parameters">The ECParameters (RFC 5480): a named curve OID, NULL (implicit) or explicit parameters.</param>
    /// <param name="whose">Who names the curve, for the message ("The key", "The EC PARAMETERS block").</param>
    private static void CheckCurveParameters(Asn1Encodable? parameters, string whose)
    {
        X962Parameters? x962 = parameters is null ? null : Guard("EC domain parameters", () => X962Parameters.GetInstance(parameters));
        if (x962 is null || x962.IsImplicitlyCA)
        {
            throw new KeyFormatException(KeyFormatError.WrongCurve, $"{whose} does not name its curve; P-256 (prime256v1, 1.2.840.10045.3.1.7) is required.");
        }

        if (!x962.IsNamedCurve)
        {
            throw new KeyFormatException(
                KeyFormatError.WrongCurve,
                $"{whose} spells out explicit curve parameters; only the named curve P-256 is accepted. Re-export it with `openssl ec -in key.pem -param_enc named_curve -out named.pem`.");
        }

        var oid = (DerObjectIdentifier)x962.Parameters;
        if (!oid.Equals(P256.CurveOid))
        {
            string name = ECNamedCurveTable.GetName(oid) ?? oid.Id;
            throw new KeyFormatException(KeyFormatError.WrongCurve, $"{whose} names curve {name} ({oid.Id}); P-256 (prime256v1, 1.2.840.10045.3.1.7) is required.");
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

    /// <summary>
    /// Runs a step of BouncyCastle's ASN.1 decoding and turns every way it reports malformed input (its own
    /// Asn1ParsingException, IOException, ArgumentException, InvalidCastException, FormatException, ...) into
    /// <see cref="KeyFormatError.MalformedEncoding"/>: callers of this library see one exception type for a bad key.
    /// </summary>
    private static T Guard<T>(string what, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception ex) when (ex is not KeyFormatException
            and (ArgumentException or InvalidCastException or IOException or InvalidOperationException or FormatException or ArithmeticException or IndexOutOfRangeException))
        {
            throw Malformed(what, ex);
        }
    }

    private static KeyFormatException Malformed(string what, Exception inner) =>
        new(KeyFormatError.MalformedEncoding, $"The {what} is malformed DER: {inner.Message}", inner);

    private static string Describe(List<PemBlock> blocks) =>
        string.Join(", ", blocks.Select(b => $"'{b.Label}'"));
}
