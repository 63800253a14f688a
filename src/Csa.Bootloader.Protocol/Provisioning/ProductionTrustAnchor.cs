using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning.Internal;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// The production public key(s) a host trusts for device certificates, as the bootloader ships them, with the
/// signature check to use. Several keys can be trusted at once (a production key rotation); each is selected by the
/// certificate's issuer key id. It holds public keys only.
/// </summary>
public sealed class ProductionTrustAnchor
{
    private readonly Dictionary<ulong, byte[]> _keys = new();

    /// <summary>Creates an anchor that trusts <paramref name="productionPublicKeys"/> (65-byte uncompressed points).</summary>
    /// <exception cref="ArgumentException">No key, a key that is not a 65-byte uncompressed point, or two keys with one id.</exception>
    public ProductionTrustAnchor(IEnumerable<ReadOnlyMemory<byte>> productionPublicKeys, IP256SignatureVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(productionPublicKeys);
        ArgumentNullException.ThrowIfNull(verifier);
        Verifier = verifier;
        foreach (ReadOnlyMemory<byte> key in productionPublicKeys)
        {
            if (key.Length != 65 || key.Span[0] != 0x04)
                throw new ArgumentException($"A production public key is the 65-byte uncompressed point 0x04 || X || Y, not {key.Length} bytes.", nameof(productionPublicKeys));
            ulong id = IdOf(KeyIdOf(key.Span));
            if (_keys.TryGetValue(id, out byte[]? existing))
            {
                if (!existing.AsSpan().SequenceEqual(key.Span))
                    throw new ArgumentException("Two different production keys share a key id.", nameof(productionPublicKeys));
                continue;
            }
            _keys.Add(id, key.ToArray());
        }
        if (_keys.Count == 0)
            throw new ArgumentException("A trust anchor needs at least one production key.", nameof(productionPublicKeys));
    }

    /// <summary>The signature check.</summary>
    public IP256SignatureVerifier Verifier { get; }

    /// <summary>The key ids of the trusted production keys.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> KeyIds => _keys.Values.Select(k => (ReadOnlyMemory<byte>)KeyIdOf(k)).ToArray();

    /// <summary>The key id of a 65-byte uncompressed point: the first 8 bytes of its SHA-256 (docs/security.md section 3).</summary>
    public static byte[] KeyIdOf(ReadOnlySpan<byte> uncompressedPoint) => SHA256.HashData(uncompressedPoint)[..8];

    /// <summary>
    /// Checks a certificate: issued by a trusted production key whose signature holds, for the Provisioned lifecycle.
    /// Returns null when it holds, else why not.
    /// </summary>
    public DeviceAuthenticationFailure? Check(DeviceCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!_keys.TryGetValue(IdOf(certificate.IssuerKeyId.Span), out byte[]? key))
            return DeviceAuthenticationFailure.UnknownIssuer;
        if (LowS.IsHigh(certificate.Signature.Span) || !Verifier.VerifyDigest(key, certificate.ComputeSignedDigest(), certificate.Signature.Span))
            return DeviceAuthenticationFailure.BadCertificateSignature;
        if (certificate.Lifecycle != DeviceLifecycle.Provisioned)
            return DeviceAuthenticationFailure.WrongLifecycle;
        return null;
    }

    /// <summary>
    /// Checks a device's answer to a challenge: <paramref name="signature"/> by the certificate's identity key over the
    /// authentication message for <paramref name="uid"/>, <paramref name="challenge"/> and this certificate.
    /// </summary>
    public bool VerifyChallengeResponse(DeviceCertificate certificate, DeviceUid uid, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        byte[] message = ProvisioningMessages.Authentication(uid, challenge, certificate.ComputeDigest());
        return !LowS.IsHigh(signature) && Verifier.VerifyDigest(certificate.GetUncompressedPublicKey(), SHA256.HashData(message), signature);
    }

    private static ulong IdOf(ReadOnlySpan<byte> keyId) =>
        keyId.Length == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(keyId) : ulong.MaxValue;
}
