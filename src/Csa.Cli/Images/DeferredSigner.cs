using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Images;

/// <summary>
/// The signer behind <c>--sign-later PUB.pem</c>: writes a manifest that names the signing key (ECDSA P-256 and
/// its key id) with an all-zero signature, so the private key can stay on an offline machine or in an HSM and
/// <c>csa image sign</c> fills in the signature there. Because the manifest is already final, an encrypted image's
/// wrapped keys (bound to the manifest's SHA-256) stay valid when it is signed. Until then no device accepts
/// the image: an all-zero r||s is never a valid signature.
/// </summary>
internal sealed class DeferredSigner(EcP256PublicKey publicKey) : IImageSigner
{
    public const int SignatureLength = 64;

    /// <summary>The public key of the signing key the manifest names.</summary>
    public EcP256PublicKey PublicKey => publicKey;

    public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

    public ReadOnlyMemory<byte> KeyId => publicKey.KeyId;

    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new byte[SignatureLength]);
    }

    /// <summary>True when <paramref name="image"/> names an ECDSA key but carries the all-zero placeholder signature.</summary>
    public static bool IsAwaitingSignature(FirmwareImage image) =>
        image.Manifest.Authentication == ImageAuthentication.EcdsaP256Sha256
        && image.AuthenticationBlock.Span.IndexOfAnyExcept((byte)0) < 0;
}
