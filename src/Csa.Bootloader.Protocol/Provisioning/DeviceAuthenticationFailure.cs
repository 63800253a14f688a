namespace Csa.Bootloader.Provisioning;

/// <summary>Why a device failed authentication (REQ-AUTH-DEV).</summary>
public enum DeviceAuthenticationFailure
{
    /// <summary>The device is blank: it holds no certificate.</summary>
    NotProvisioned,

    /// <summary>The device does not serve the Provisioning interface, or refused the challenge for another reason.</summary>
    ChallengeRefused,

    /// <summary>The certificate it presented breaks the certificate format.</summary>
    MalformedCertificate,

    /// <summary>The certificate was issued by a key that is not a trusted production key (a forged certificate).</summary>
    UnknownIssuer,

    /// <summary>The production key's signature over the certificate does not hold (a modified certificate).</summary>
    BadCertificateSignature,

    /// <summary>The certificate does not grant the Provisioned lifecycle.</summary>
    WrongLifecycle,

    /// <summary>The certificate is for another unique id than the device reports (a certificate copied onto another board).</summary>
    UidMismatch,

    /// <summary>The certificate names another vendor or device class than expected.</summary>
    WrongProduct,

    /// <summary>
    /// The answer to the fresh challenge is not signed by the certificate's identity key: the device does not hold the
    /// genuine key (a clone with a copied flash).
    /// </summary>
    BadChallengeSignature,

    /// <summary>
    /// During an update, the device that answers the unique id now presents another certificate than at first contact
    /// (another device took its place after a restart): no firmware goes to it.
    /// </summary>
    IdentityChanged,
}
