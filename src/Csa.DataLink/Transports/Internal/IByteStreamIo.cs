namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// The raw byte I/O of one connection (a socket, a serial port) that <see cref="DuplexPumps"/> moves
/// between the medium and the transport's two pipes. Implementations translate nothing: errors surface as
/// the medium's own exceptions and the pumps map them to <see cref="TransportClosedException"/>.
/// </summary>
internal interface IByteStreamIo
{
    /// <summary>Receives at least one byte, or returns 0 when the peer ended the stream in an orderly way.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>The local writer completed its output: half-close the medium if it has such a thing.</summary>
    void ShutdownSend();

    /// <summary>Closes the medium now. Pending receives and sends must end (with an exception or 0).</summary>
    void Abort();
}
