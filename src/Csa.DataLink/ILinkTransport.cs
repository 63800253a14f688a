using System.IO.Pipelines;

namespace Csa.DataLink;

/// <summary>
/// A byte stream to one neighbour: a serial port, a TCP connection, one end of an in-memory pair or of an
/// emulated link. The transport knows nothing of frames; the data link reads and writes whole encoded
/// frames through its pipes. Disposing it closes the connection and completes both pipes.
/// </summary>
public interface ILinkTransport : IDuplexPipe, IAsyncDisposable
{
    /// <summary>A human-readable description for logs and errors, e.g. <c>tcp://127.0.0.1:5000</c>.</summary>
    string Name { get; }
}
