using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Images;

/// <summary>
/// <c>csa image sign</c>'s rules. Signing covers the manifest's exact bytes, and the manifest names the signing
/// key, so:
/// <list type="bullet">
/// <item>an image whose manifest already names this key (built with <c>--sign-later</c>, or signed by it before)
/// keeps its manifest byte for byte and gets a new authentication block; an encrypted image's wrapped keys,
/// bound to the manifest's SHA-256, stay valid;</item>
/// <item>a plaintext image that names another key, or a CRC, is rebuilt from its payload with the manifest
/// naming this key (key rotation, CRC to signature); every other field is kept;</item>
/// <item>an encrypted image that names another key cannot be re-signed: a new manifest would break every wrapped
/// key, and the content key to re-wrap is not recoverable without a device's private key.</item>
/// </list>
/// </summary>
internal static class ImageResigner
{
    public static async Task<(FirmwareImage Image, string How)> SignAsync(
        FirmwareImage image, string path, EcP256PrivateKey key, CommandContext context, CancellationToken cancellationToken)
    {
        ImageManifest m = image.Manifest;
        var signer = new EcdsaP256Signer(key);
        bool sameKey = m.Authentication == ImageAuthentication.EcdsaP256Sha256 && m.KeyId.Span.SequenceEqual(key.PublicKey.KeyId.Span);
        if (sameKey)
        {
            ImageIntegrity.RequireIntact(image, path, key.PublicKey, "sign", context);
            byte[] signature = signer.Sign(image.ManifestBytes.Span);
            byte[] bytes = image.ToArray();
            signature.CopyTo(bytes, image.ManifestBytes.Length + image.Payload.Length);
            FirmwareImage signed = ImageReader.Parse(bytes);
            string how = DeferredSigner.IsAwaitingSignature(image) ? "signed the waiting manifest" : "replaced the signature (manifest unchanged)";
            return (signed, $"{how} with key {key.PublicKey.KeyIdHex}");
        }

        string was = m.Authentication == ImageAuthentication.Crc32 ? "a CRC-32" : $"key {ImageDescription.Lower(m.KeyId.Span)}";
        if (m.Encryption != ImageEncryption.None)
        {
            throw CliException.Usage(
                $"the image is encrypted and its manifest names {was}; signing it with key {key.PublicKey.KeyIdHex} would change the manifest " +
                "and break every wrapped key, which is bound to it. Sign the plaintext image and encrypt afterwards, or build with " +
                "--sign-later for this key");
        }

        ImageIntegrity.RequireIntact(image, path, key.PublicKey, "sign", context);
        FirmwareImage rebuilt = await ImageComposer.ComposeAsync(
            ImageComposer.SettingsOf(m), ImageComposer.SourceOf(image), signer, [], context, cancellationToken).ConfigureAwait(false);
        return (rebuilt, $"re-signed with key {key.PublicKey.KeyIdHex} (was {was}); the manifest now names the new key");
    }
}
