using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Csa.Crypto;
using Csa.Crypto.Internal;

namespace Csa.Benchmarks;

/// <summary>
/// Host-side cost of the image cryptography: ECDSA P-256 verification (ops/s), SHA-256 of a 1 MiB payload plus
/// the manifest signature check, AES-256-CTR throughput, signing and one content-key unwrap.
///   dotnet run -c Release --project bench/Csa.Benchmarks -- --filter '*CryptoBenchmarks*'
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class CryptoBenchmarks
{
    private const int ImageSize = 1024 * 1024;

    private EcdsaP256Signer _signer = null!;
    private EcdsaP256Verifier _verifier = null!;
    private AesCtrEciesPayloadDecryptor _decryptor = null!;
    private byte[] _manifest = null!;
    private byte[] _signature = null!;
    private byte[] _keyId = null!;
    private byte[] _image = null!;
    private byte[] _output = null!;
    private byte[] _contentKey = null!;
    private byte[] _nonce = null!;
    private byte[] _wrappedKey = null!;
    private byte[] _context = null!;
    private byte[] _payloadDigest = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        _verifier = new EcdsaP256Verifier(_signer.PublicKey);
        _manifest = new byte[512];
        random.NextBytes(_manifest);
        _signature = _signer.Sign(_manifest);
        _keyId = _signer.KeyId.ToArray();
        _image = new byte[ImageSize];
        random.NextBytes(_image);
        _output = new byte[ImageSize];
        _payloadDigest = SHA256.HashData(_image);
        var encryptor = new AesCtrEciesPayloadEncryptor();
        var payload = encryptor.Encrypt(_image);
        _contentKey = payload.ContentKey;
        _nonce = payload.Nonce;
        EcP256PrivateKey device = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        _decryptor = new AesCtrEciesPayloadDecryptor(device);
        _context = SHA256.HashData(_manifest);
        _wrappedKey = encryptor.WrapKey(_contentKey, device.PublicKey, _context);
    }

    /// <summary>One ECDSA P-256 verification of a 512-byte manifest (ops/s = 1 / mean).</summary>
    [Benchmark]
    public bool EcdsaVerify() => _verifier.Verify(_manifest, _signature, _keyId);

    /// <summary>SHA-256 over a 1 MiB payload, then the manifest signature check: what a host pre-check costs per image.</summary>
    [Benchmark]
    public bool Sha256AndVerify1MiB()
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(_image, digest);
        return digest.SequenceEqual(_payloadDigest) && _verifier.Verify(_manifest, _signature, _keyId);
    }

    /// <summary>AES-256-CTR over 1 MiB (MB/s = 1 MiB / mean).</summary>
    [Benchmark]
    public void AesCtr1MiB() => AesCtr.Transform(_contentKey, _nonce, 0, _image, _output);

    /// <summary>One deterministic ECDSA P-256 signature.</summary>
    [Benchmark]
    public byte[] EcdsaSign() => _signer.Sign(_manifest);

    /// <summary>One ECIES content-key unwrap (ECDH, HKDF, HMAC check).</summary>
    [Benchmark]
    public bool UnwrapKey() => _decryptor.TryUnwrapKey(_wrappedKey, _context, out _);
}
