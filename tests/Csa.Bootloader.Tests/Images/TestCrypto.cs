using System.Security.Cryptography;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// Test-only ECDSA P-256 signer and verifier on the BCL (IEEE P1363 r||s), standing in for Csa.Crypto so the
/// image container can be tested without BouncyCastle. Key id = first 8 bytes of SHA-256 of the 65-byte
/// uncompressed public key, the convention the golden vectors use.
/// </summary>
internal sealed class BclEcdsaKey : IImageSigner, IKeyAwareImageVerifier, IDisposable
{
    // RFC 6979 A.2.5's P-256 private key: public, well known, and the key of the golden vectors.
    public const string Rfc6979PrivateKeyHex = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";

    private readonly ECDsa _ecdsa;
    private readonly byte[] _keyId;

    private BclEcdsaKey(ECDsa ecdsa)
    {
        _ecdsa = ecdsa;
        ECParameters p = ecdsa.ExportParameters(false);
        PublicKey = [0x04, .. p.Q.X!, .. p.Q.Y!];
        _keyId = SHA256.HashData(PublicKey)[..8];
    }

    public static BclEcdsaKey Rfc6979TestKey()
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportParameters(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = Convert.FromHexString(Rfc6979PrivateKeyHex),
            // The public point from RFC 6979 A.2.5.
            Q = new ECPoint
            {
                X = Convert.FromHexString("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"),
                Y = Convert.FromHexString("7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"),
            },
        });
        return new BclEcdsaKey(ecdsa);
    }

    public static BclEcdsaKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public byte[] PublicKey { get; }

    public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

    public ReadOnlyMemory<byte> KeyId => _keyId;

    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ecdsa.SignData(manifest.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    public bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId) =>
        keyId.SequenceEqual(_keyId) && authenticationBlock.Length == 64
        && _ecdsa.VerifyData(manifest, authenticationBlock, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public bool HasKey(ReadOnlySpan<byte> keyId) => keyId.SequenceEqual(_keyId);

    public void Dispose() => _ecdsa.Dispose();
}

/// <summary>A signer that returns a fixed block: reproduces a golden image whose signature was made elsewhere (RFC 6979).</summary>
internal sealed class FixedSigner(ImageAuthentication algorithm, byte[] keyId, byte[] block) : IImageSigner
{
    public ImageAuthentication Algorithm => algorithm;

    public ReadOnlyMemory<byte> KeyId => keyId;

    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default) => Task.FromResult((byte[])block.Clone());
}

/// <summary>
/// Test-only payload encryption so the key block can be exercised without Csa.Crypto: real AES-256-CTR
/// (built from the BCL's AES block function), but a TOY key wrap whose device secret is derived from the
/// public key (anyone can unwrap). It has the same shape and context binding as ECIES and nothing else.
/// </summary>
internal sealed class ToyEncryption : IPayloadEncryptor
{
    public ImageEncryption Algorithm => ImageEncryption.Aes256CtrEciesP256;

    public EncryptedPayload Encrypt(ReadOnlySpan<byte> plaintext)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] nonce = RandomNumberGenerator.GetBytes(16);
        var cipher = new byte[plaintext.Length];
        AesCtr(key, nonce, 0, plaintext, cipher);
        return new EncryptedPayload(cipher, nonce, key);
    }

    public byte[] WrapKey(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> devicePublicKey, ReadOnlySpan<byte> context)
    {
        byte[] secret = SHA256.HashData(devicePublicKey);
        byte[] pad = HMACSHA256.HashData(secret, (byte[])[.. "wrap"u8, .. context]);
        var wrapped = new byte[48];
        for (int i = 0; i < 32; i++)
            wrapped[i] = (byte)(contentKey[i] ^ pad[i]);
        HMACSHA256.HashData(secret, (byte[])[.. "confirm"u8, .. context, .. contentKey]).AsSpan(0, 16).CopyTo(wrapped.AsSpan(32));
        return wrapped;
    }

    public static void AesCtr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, long offset, ReadOnlySpan<byte> input, Span<byte> output)
    {
        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        Span<byte> counter = stackalloc byte[16];
        Span<byte> stream = stackalloc byte[16];
        for (int i = 0; i < input.Length; i++)
        {
            long position = offset + i;
            if (i == 0 || position % 16 == 0)
            {
                nonce.CopyTo(counter);
                AddBigEndian(counter, (ulong)(position / 16));
                aes.EncryptEcb(counter, stream, PaddingMode.None);
            }
            output[i] = (byte)(input[i] ^ stream[(int)(position % 16)]);
        }
    }

    private static void AddBigEndian(Span<byte> block, ulong value)
    {
        int carry = 0;
        for (int i = 15; i >= 0; i--)
        {
            int sum = block[i] + (int)(value & 0xFF) + carry;
            block[i] = (byte)sum;
            carry = sum >> 8;
            value >>= 8;
        }
    }
}

/// <summary>The device side of <see cref="ToyEncryption"/>, holding one device's (toy) key.</summary>
internal sealed class ToyDecryption(byte[] devicePublicKey) : IPayloadDecryptor
{
    public ImageEncryption Algorithm => ImageEncryption.Aes256CtrEciesP256;

    public bool TryUnwrapKey(ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> context, out byte[] contentKey)
    {
        contentKey = [];
        if (wrappedKey.Length != 48)
            return false;
        byte[] secret = SHA256.HashData(devicePublicKey);
        byte[] pad = HMACSHA256.HashData(secret, (byte[])[.. "wrap"u8, .. context]);
        var key = new byte[32];
        for (int i = 0; i < 32; i++)
            key[i] = (byte)(wrappedKey[i] ^ pad[i]);
        byte[] confirm = HMACSHA256.HashData(secret, (byte[])[.. "confirm"u8, .. context, .. key]);
        if (!CryptographicOperations.FixedTimeEquals(confirm.AsSpan(0, 16), wrappedKey[32..]))
            return false;
        contentKey = key;
        return true;
    }

    public void Decrypt(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> nonce, long offset, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext) =>
        ToyEncryption.AesCtr(contentKey, nonce, offset, ciphertext, plaintext);
}
