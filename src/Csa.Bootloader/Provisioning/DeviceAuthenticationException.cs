using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// A device failed authentication: no firmware is sent to it. <see cref="Reason"/> says why; the message says it in
/// words.
/// </summary>
public sealed class DeviceAuthenticationException : DeviceException
{
    /// <summary>Creates the exception.</summary>
    public DeviceAuthenticationException(DeviceUid uid, DeviceAuthenticationFailure reason, string message, Exception? innerException = null)
        : base(uid, message, innerException)
    {
        Uid = uid;
        Reason = reason;
    }

    /// <summary>The unique id the device reported.</summary>
    public DeviceUid Uid { get; }

    /// <summary>Why it failed.</summary>
    public DeviceAuthenticationFailure Reason { get; }
}

/// <summary>A device that proved its identity: it holds the private key of <see cref="Certificate"/>.</summary>
/// <param name="Uid">Its unique id (the certificate's).</param>
/// <param name="Certificate">Its certificate, issued by a trusted production key.</param>
public sealed record AuthenticatedDevice(DeviceUid Uid, DeviceCertificate Certificate)
{
    /// <summary>The identity public key as the 65-byte uncompressed point: what content keys are wrapped for.</summary>
    public byte[] PublicKey => Certificate.GetUncompressedPublicKey();
}
