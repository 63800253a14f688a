using System.Security.Cryptography;
using Csa.Bootloader.Images;

namespace Csa.Benchmarks;

/// <summary>
/// ECDSA P-256 signer/verifier on the BCL for the image benchmarks (Csa.Crypto's BouncyCastle verifier can
/// be benchmarked beside it). Key id = first 8 bytes of SHA-256 of the uncompressed public key.
/// </summary>
internal sealed class ImageBenchmarkEcdsa : IImageSigner, IImageVerifier, IDisposable
{
    private readonly ECDsa _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly byte[] _keyId;

    public ImageBenchmarkEcdsa()
    {
        ECParameters p = _ecdsa.ExportParameters(false);
        _keyId = SHA256.HashData([0x04, .. p.Q.X!, .. p.Q.Y!])[..8];
    }

    public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

    public ReadOnlyMemory<byte> KeyId => _keyId;

    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default) =>
        Task.FromResult(_ecdsa.SignData(manifest.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    public bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId) =>
        keyId.SequenceEqual(_keyId)
        && _ecdsa.VerifyData(manifest, authenticationBlock, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => _ecdsa.Dispose();
}
