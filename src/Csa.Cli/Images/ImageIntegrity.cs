using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Images;

/// <summary>
/// The checks <c>sign</c> and <c>encrypt</c> make on their input before they authenticate it again. Both write a
/// new authentication block, and a rebuild hashes the payload afresh, so without these checks a damaged or
/// modified image would come out freshly signed and look genuine. What can be checked without trusted keys is:
/// the plaintext payload against the manifest's SHA-256, the CRC of a CRC image, and a signature by the very key
/// the command signs with.
/// </summary>
internal static class ImageIntegrity
{
    public static void RequireIntact(FirmwareImage image, string path, EcP256PublicKey? signingKey, string action, CommandContext context)
    {
        ImageManifest m = image.Manifest;
        if (m.Encryption == ImageEncryption.None && !SHA256.HashData(image.Payload.Span).AsSpan().SequenceEqual(m.PayloadSha256.Span))
            throw CliException.Invalid($"{path}: the payload does not match the manifest's SHA-256 (damaged or modified); refusing to {action} it");

        if (m.Authentication == ImageAuthentication.Crc32)
        {
            if (!Crc32ImageAuthenticator.Instance.Verify(image.ManifestBytes.Span, image.AuthenticationBlock.Span, m.KeyId.Span))
                throw CliException.Invalid($"{path}: the CRC-32 does not match the manifest (damaged or modified); refusing to {action} it");
            return;
        }
        if (DeferredSigner.IsAwaitingSignature(image))
            return;

        string keyId = ImageDescription.Lower(m.KeyId.Span);
        if (signingKey is not null && m.KeyId.Span.SequenceEqual(signingKey.KeyId.Span))
        {
            if (!new EcdsaP256Verifier(signingKey).Verify(image.ManifestBytes.Span, image.AuthenticationBlock.Span, m.KeyId.Span))
                throw CliException.Invalid($"{path}: its signature by key {keyId} does not verify (modified after signing); refusing to {action} it");
            return;
        }
        context.Warn($"{path}: its existing signature by key {keyId} is not checked (that key is not the one given); check it first with 'csa image verify --trust'");
    }
}
