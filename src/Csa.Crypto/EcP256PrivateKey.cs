using Csa.Crypto.Internal;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;

namespace Csa.Crypto;

/// <summary>
/// A P-256 private key (a scalar d in [1, n-1]) with its public key. Loads PKCS#8 ("PRIVATE KEY") and SEC 1
/// ("EC PRIVATE KEY", as <c>openssl ecparam -genkey</c> writes) PEM, and saves PKCS#8. It never prints its secret.
/// </summary>
/// <remarks>
/// The scalar lives in managed memory for the lifetime of this object and cannot be wiped (BouncyCastle's
/// BigInteger is immutable). Keep signing keys in an HSM in production and plug it in as an <c>IImageSigner</c>.
/// </remarks>
public sealed class EcP256PrivateKey
{
    /// <summary>Bytes in the raw scalar.</summary>
    public const int ScalarLength = P256.FieldLength;

    private EcP256PrivateKey(BigInteger d)
    {
        D = d;
        Parameters = new ECPrivateKeyParameters(d, P256.Domain);
        PublicKey = EcP256PublicKey.FromValidatedPoint(P256.PublicPointOf(d));
    }

    /// <summary>The matching public key.</summary>
    public EcP256PublicKey PublicKey { get; }

    internal BigInteger D { get; }

    internal ECPrivateKeyParameters Parameters { get; }

    /// <summary>Creates a key from its 32-byte big-endian scalar.</summary>
    /// <exception cref="KeyFormatException">Not 32 bytes, or not in [1, n-1].</exception>
    public static EcP256PrivateKey FromScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != ScalarLength)
        {
            throw new KeyFormatException(KeyFormatError.InvalidScalar, $"A P-256 private scalar is {ScalarLength} bytes, not {scalar.Length}.");
        }

        BigInteger d = P256.ReadScalar(scalar);
        if (!P256.IsInScalarRange(d))
        {
            throw new KeyFormatException(KeyFormatError.InvalidScalar, "The private scalar is not in [1, n-1] of P-256.");
        }

        return new EcP256PrivateKey(d);
    }

    /// <summary>Reads PEM text holding a "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC 1) block; other blocks (EC PARAMETERS) are skipped.</summary>
    /// <exception cref="KeyFormatException">Not PEM, a public key, encrypted, not EC, wrong curve, bad scalar, mismatching public key.</exception>
    public static EcP256PrivateKey FromPem(string pem) => new(KeyEncoding.ReadPrivateKeyPem(pem));

    /// <summary>Reads a DER PKCS#8 PrivateKeyInfo.</summary>
    /// <exception cref="KeyFormatException">What is wrong with it.</exception>
    public static EcP256PrivateKey FromPkcs8(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        return new(KeyEncoding.ReadPkcs8(der));
    }

    /// <summary>Loads a private key file: PEM (PKCS#8 or SEC 1) or DER (PKCS#8, else SEC 1).</summary>
    /// <exception cref="KeyFormatException">The file is not a P-256 private key; says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static EcP256PrivateKey Load(string path)
    {
        string? pem = KeyFiles.Read(path, out byte[] der);
        return pem is not null ? FromPem(pem) : new(KeyEncoding.ReadPrivateKeyDer(der));
    }

    /// <summary>Returns the 32-byte big-endian scalar. Secret: for provisioning a simulated or real device only.</summary>
    public byte[] ExportScalar()
    {
        byte[] scalar = new byte[ScalarLength];
        P256.WriteScalar(D, scalar);
        return scalar;
    }

    /// <summary>The DER PKCS#8 PrivateKeyInfo (named curve, public key included).</summary>
    public byte[] ToPkcs8() => KeyEncoding.WritePkcs8(D);

    /// <summary>The "PRIVATE KEY" PEM text (PKCS#8), readable by <c>openssl pkey -in</c>.</summary>
    public string ToPem() => PemBlocks.Write(KeyEncoding.Pkcs8Label, ToPkcs8());

    /// <summary>
    /// Writes the PEM to a new file (owner read/write only on Unix); refuses to replace an existing file unless
    /// <paramref name="overwrite"/>, because overwriting a signing key by accident loses it for good.
    /// </summary>
    public void Save(string path, bool overwrite = false) => KeyFiles.Write(path, ToPem(), secret: true, overwrite);

    /// <inheritdoc/>
    public override string ToString() => $"P-256 private key for public key {PublicKey.KeyIdHex}";
}
