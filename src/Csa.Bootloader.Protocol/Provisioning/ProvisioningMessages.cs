using System.Security.Cryptography;
using System.Text;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// The messages a device identity key signs (docs/security.md sections 10.3 and 10.4). Each starts with its own ASCII
/// label, so a signature made for one purpose is never valid for another (an authentication answer can not be replayed
/// as a proof of possession, and neither is ever an image manifest, which starts with "CSAI"). Signatures are ECDSA
/// P-256 over SHA-256 of the message, 64 bytes r || s.
/// </summary>
public static class ProvisioningMessages
{
    /// <summary>Label of the key-possession message (21 ASCII bytes, no terminator).</summary>
    public const string KeyPossessionLabel = "CSA-KEY-POSSESSION-V1";

    /// <summary>Label of the authentication message (18 ASCII bytes, no terminator).</summary>
    public const string AuthenticationLabel = "CSA-DEVICE-AUTH-V1";

    /// <summary>Bytes in a station nonce or host challenge.</summary>
    public const int NonceLength = 32;

    /// <summary>Bytes of the key-possession message: label 21 + UID 12 + nonce 32 + public key 64.</summary>
    public const int KeyPossessionLength = 21 + DeviceUid.Length + NonceLength + DeviceCertificate.PublicKeyLength;

    /// <summary>Bytes of the authentication message: label 18 + UID 12 + challenge 32 + certificate SHA-256 32.</summary>
    public const int AuthenticationLength = 18 + DeviceUid.Length + NonceLength + 32;

    /// <summary>
    /// The key-possession message: label || UID || station nonce || public key X || Y. The new key signs it in
    /// GenerateIdentityKey, so the station knows the device holds the private half of what it certifies.
    /// </summary>
    /// <exception cref="ArgumentException">The nonce is not 32 bytes or the key not 64 (or 65) bytes.</exception>
    public static byte[] KeyPossession(DeviceUid uid, ReadOnlySpan<byte> stationNonce, ReadOnlySpan<byte> publicKey)
    {
        CheckNonce(stationNonce, nameof(stationNonce));
        if (publicKey.Length == DeviceCertificate.PublicKeyLength + 1 && publicKey[0] == 0x04)
            publicKey = publicKey[1..];
        if (publicKey.Length != DeviceCertificate.PublicKeyLength)
            throw new ArgumentException($"The public key is 64 bytes X || Y, not {publicKey.Length}.", nameof(publicKey));
        var message = new byte[KeyPossessionLength];
        int at = Encoding.ASCII.GetBytes(KeyPossessionLabel, message);
        uid.CopyTo(message.AsSpan(at));
        at += DeviceUid.Length;
        stationNonce.CopyTo(message.AsSpan(at));
        at += NonceLength;
        publicKey.CopyTo(message.AsSpan(at));
        return message;
    }

    /// <summary>
    /// The authentication message: label || UID || challenge || SHA-256(certificate). The UID and the certificate's
    /// digest bind the answer to this device and the certificate it presented; the fresh challenge makes an old answer
    /// worthless.
    /// </summary>
    /// <exception cref="ArgumentException">The challenge is not 32 bytes or the certificate digest not 32 bytes.</exception>
    public static byte[] Authentication(DeviceUid uid, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> certificateSha256)
    {
        CheckNonce(challenge, nameof(challenge));
        if (certificateSha256.Length != 32)
            throw new ArgumentException($"The certificate digest is a 32-byte SHA-256, not {certificateSha256.Length} bytes.", nameof(certificateSha256));
        var message = new byte[AuthenticationLength];
        int at = Encoding.ASCII.GetBytes(AuthenticationLabel, message);
        uid.CopyTo(message.AsSpan(at));
        at += DeviceUid.Length;
        challenge.CopyTo(message.AsSpan(at));
        at += NonceLength;
        certificateSha256.CopyTo(message.AsSpan(at));
        return message;
    }

    /// <summary>A fresh 32-byte nonce from the operating system's CSPRNG.</summary>
    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceLength);

    private static void CheckNonce(ReadOnlySpan<byte> nonce, string name)
    {
        if (nonce.Length != NonceLength)
            throw new ArgumentException($"A nonce is {NonceLength} bytes, not {nonce.Length}.", name);
    }
}
