using System.IO.Ports;

namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// The byte I/O of an open serial port.
/// </summary>
/// <remarks>
/// Reads are blocking <c>Read</c> calls with a short <see cref="SerialPort.ReadTimeout"/>, run by
/// <see cref="DuplexPumps"/> on a dedicated thread. Why not <c>BaseStream.ReadAsync</c>: on Linux and
/// Windows alike it ignores <c>ReadTimeout</c> and mostly ignores its cancellation token, so a pending read
/// can hang forever on a silent port and keep its buffer (dotnet/runtime#28968, corefx#36040); the blocking
/// <c>Read</c> honours the timeout on every platform, which lets the thread notice a close within one poll
/// interval. A dedicated thread (not the thread pool) because it blocks for the port's whole life.
/// Writes go through <c>BaseStream.WriteAsync</c>, which both platforms implement properly.
/// </remarks>
internal sealed class SerialPortIo(SerialPort port) : IByteStreamIo
{
    private readonly Stream _stream = port.BaseStream;

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // A port never returns 0 for a non-empty buffer while it works; if one ever does, the pumps
                // treat it as the end of the line rather than spinning on it.
                return ValueTask.FromResult(_stream.Read(buffer.Span));
            }
            catch (TimeoutException)
            {
                // Nothing arrived within the poll interval: a serial line has no end of stream, keep listening.
            }
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        => await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);

    public void ShutdownSend()
    {
        // A serial line has no half-close.
    }

    public void Abort() => port.Dispose();
}
