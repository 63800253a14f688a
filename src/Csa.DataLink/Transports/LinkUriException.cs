namespace Csa.DataLink.Transports;

/// <summary>A link URI (<c>tcp://host:port</c>, <c>serial:/dev/ttyUSB0?baud=115200</c>, ...) is malformed, names an
/// unknown scheme, or carries a bad or unknown parameter. The message says exactly what is wrong.</summary>
public class LinkUriException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="uri">The URI text as given.</param>
    /// <param name="problem">What is wrong with it.</param>
    public LinkUriException(string uri, string problem)
        : base($"Bad link URI '{uri}': {problem}. Examples: tcp://192.168.1.20:5000, serial:/dev/ttyUSB0?baud=115200&parity=none, serial:COM3?baud=921600.")
    {
        Uri = uri;
        Problem = problem;
    }

    /// <summary>The URI text as given.</summary>
    public string Uri { get; }

    /// <summary>What is wrong with it, e.g. <c>the port 70000 is outside 1..65535</c>.</summary>
    public string Problem { get; }
}
