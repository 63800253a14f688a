namespace Csa.Crypto;

/// <summary>An ECDSA signature is not in the encoding that was expected (strict DER, or 64-byte r||s).</summary>
public sealed class SignatureFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the signature bytes.</param>
    public SignatureFormatException(string message)
        : base(message)
    {
    }
}
