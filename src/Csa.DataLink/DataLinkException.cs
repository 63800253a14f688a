namespace Csa.DataLink;

/// <summary>The base of every error the data link reports: a lost link, an unreachable node, a bad frame.</summary>
public class DataLinkException : Exception
{
    /// <summary>Creates the exception with a message that says what went wrong.</summary>
    public DataLinkException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error underneath it.</summary>
    public DataLinkException(string message, Exception? innerException) : base(message, innerException) { }
}
