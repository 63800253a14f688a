using System.Security.Cryptography;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Crypto.Parameters;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Csa.Crypto;

/// <summary>
/// A validated P-256 public key: a point on the curve, never the point at infinity. Its key id (the first
/// 8 bytes of SHA-256 over the 65-byte uncompressed point) names it in image manifests.
/// </summary>
public sealed class EcP256PublicKey : IEquatable<EcP256PublicKey>
{
    /// <summary>Bytes in the uncompressed point 0x04 || X || Y.</summary>
    public const int UncompressedPointLength = P256.UncompressedPointLength;

    /// <summary>Bytes in a key id.</summary>
    public const int KeyIdLength = 8;

    private readonly byte[] _point;
    private readonly byte[] _keyId;

    private EcP256PublicKey(ECPoint point)
    {
        Point = point.Normalize();
        _point = P256.EncodeUncompressed(Point);
        _keyId = ComputeKeyId(_point);
        Parameters = new ECPublicKeyParameters(Point, P256.Domain);
    }

    /// <summary>The 65-byte uncompressed point 0x04 || X || Y (big-endian coordinates).</summary>
    public ReadOnlyMemory<byte> UncompressedPoint => _point;

    /// <summary>The 8-byte key id: SHA-256(uncompressed point)[0..8].</summary>
    public ReadOnlyMemory<byte> KeyId => _keyId;

    /// <summary>The key id as 16 lowercase hex digits, as tools print it.</summary>
    public string KeyIdHex => Convert.ToHexString(_keyId).ToLowerInvariant();

    internal ECPoint Point { get; }

    internal ECPublicKeyParameters Parameters { get; }

    /// <summary>Computes the key id of a 65-byte uncompressed point: the first 8 bytes of its SHA-256.</summary>
    /// <exception cref="ArgumentException">The point is not 65 bytes.</exception>
    public static byte[] ComputeKeyId(ReadOnlySpan<byte> uncompressedPoint)
    {
        if (uncompressedPoint.Length != UncompressedPointLength)
        {
            throw new ArgumentException($"An uncompressed P-256 point is {UncompressedPointLength} bytes, not {uncompressedPoint.Length}.", nameof(uncompressedPoint));
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(uncompressedPoint, digest);
        return digest[..KeyIdLength].ToArray();
    }

    /// <summary>Creates a key from a 65-byte uncompressed point, checking that it lies on P-256.</summary>
    /// <exception cref="KeyFormatException">Not 65 bytes, not 0x04-prefixed, off the curve.</exception>
    public static EcP256PublicKey FromUncompressedPoint(ReadOnlySpan<byte> uncompressedPoint)
    {
        if (uncompressedPoint.Length != UncompressedPointLength || uncompressedPoint[0] != 0x04)
        {
            throw new KeyFormatException(
                KeyFormatError.InvalidPoint,
                $"A P-256 public key here is the 65-byte uncompressed point 0x04 || X || Y; got {uncompressedPoint.Length} bytes{(uncompressedPoint.Length > 0 ? $" starting with 0x{uncompressedPoint[0]:X2}" : string.Empty)}.");
        }

        ECPoint point = P256.TryDecodeUncompressed(uncompressedPoint)
            ?? throw new KeyFormatException(KeyFormatError.InvalidPoint, "The point is not on P-256 (or a coordinate is not below the field prime).");
        return new EcP256PublicKey(point);
    }

    /// <summary>Like <see cref="FromUncompressedPoint"/>, but returns false instead of throwing.</summary>
    public static bool TryFromUncompressedPoint(ReadOnlySpan<byte> uncompressedPoint, out EcP256PublicKey? key)
    {
        ECPoint? point = P256.TryDecodeUncompressed(uncompressedPoint);
        key = point is null ? null : new EcP256PublicKey(point);
        return key is not null;
    }

    /// <summary>Reads a "PUBLIC KEY" (SubjectPublicKeyInfo) PEM block, as written by <c>openssl pkey -pubout</c>.</summary>
    /// <exception cref="KeyFormatException">What is wrong: not PEM, a private key, not EC, wrong curve, invalid point.</exception>
    public static EcP256PublicKey FromPem(string pem) => new(KeyEncoding.ReadPublicKeyPem(pem));

    /// <summary>Reads a DER SubjectPublicKeyInfo.</summary>
    /// <exception cref="KeyFormatException">What is wrong with it.</exception>
    public static EcP256PublicKey FromSubjectPublicKeyInfo(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        return new(KeyEncoding.ReadSubjectPublicKeyInfo(der));
    }

    /// <summary>Loads a public key file: PEM ("PUBLIC KEY") or DER SubjectPublicKeyInfo.</summary>
    /// <exception cref="KeyFormatException">The file is not a P-256 public key; says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static EcP256PublicKey Load(string path)
    {
        string? pem = KeyFiles.Read(path, out byte[] der);
        return pem is not null ? FromPem(pem) : new(KeyEncoding.ReadPublicKeyDer(der));
    }

    /// <summary>Returns a copy of the 65-byte uncompressed point.</summary>
    public byte[] ToUncompressedPoint() => (byte[])_point.Clone();

    /// <summary>The DER SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, uncompressed point).</summary>
    public byte[] ToSubjectPublicKeyInfo() => KeyEncoding.WriteSubjectPublicKeyInfo(_point);

    /// <summary>The "PUBLIC KEY" PEM text, readable by <c>openssl pkey -pubin</c>.</summary>
    public string ToPem() => PemBlocks.Write(KeyEncoding.PublicKeyLabel, ToSubjectPublicKeyInfo());

    /// <summary>Writes the PEM to <paramref name="path"/>; refuses to replace an existing file unless <paramref name="overwrite"/>.</summary>
    public void Save(string path, bool overwrite = false) => KeyFiles.Write(path, ToPem(), secret: false, overwrite);

    /// <inheritdoc/>
    public bool Equals(EcP256PublicKey? other) => other is not null && _point.AsSpan().SequenceEqual(other._point);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EcP256PublicKey);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(_keyId, 0);

    /// <inheritdoc/>
    public override string ToString() => $"P-256 public key {KeyIdHex}";

    internal static EcP256PublicKey FromValidatedPoint(ECPoint point) => new(point);
}
