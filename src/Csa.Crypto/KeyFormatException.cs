namespace Csa.Crypto;

/// <summary>A key (PEM text, DER structure, raw point or scalar) is not a valid P-256 key of the expected kind.</summary>
public sealed class KeyFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">A sentence that says what is wrong and, where possible, how to fix it.</param>
    /// <param name="innerException">The parser's own exception, if any.</param>
    public KeyFormatException(KeyFormatError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What is wrong, for programs that react to it.</summary>
    public KeyFormatError Error { get; }
}
