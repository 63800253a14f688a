namespace Csa.Crypto;

/// <summary>What exactly is wrong with a key that could not be loaded.</summary>
public enum KeyFormatError
{
    /// <summary>The text holds no PEM block ("-----BEGIN ...-----" / "-----END ...-----").</summary>
    NotPem,

    /// <summary>The PEM block's label is not a key this SDK reads (for example a CERTIFICATE).</summary>
    UnsupportedPemLabel,

    /// <summary>The PEM block holds a public key where a private key was expected.</summary>
    NotPrivateKey,

    /// <summary>The PEM block holds a private key where a public key was expected.</summary>
    NotPublicKey,

    /// <summary>The private key is password-protected (ENCRYPTED PRIVATE KEY).</summary>
    Encrypted,

    /// <summary>The base64 or the DER structure inside the block is malformed.</summary>
    MalformedEncoding,

    /// <summary>The key is not an elliptic-curve key (for example RSA or Ed25519).</summary>
    NotEcKey,

    /// <summary>The key is an elliptic-curve key on a curve other than P-256, or uses explicit curve parameters.</summary>
    WrongCurve,

    /// <summary>
    /// The public point is badly encoded (a first byte other than 0x04 uncompressed or 0x02/0x03 compressed, including
    /// the hybrid forms 0x06/0x07; a length that does not fit its form), is not on P-256, or is the point at infinity.
    /// </summary>
    InvalidPoint,

    /// <summary>The private scalar is not in [1, n-1] or not 32 bytes.</summary>
    InvalidScalar,

    /// <summary>The public key stored beside a private key does not belong to it.</summary>
    PublicKeyMismatch,

    /// <summary>The file holds more than one key of the kind asked for, so which one is meant is not clear.</summary>
    MultipleKeys,
}
