using System.Net.Sockets;

namespace Csa.DataLink.Transports.Internal;

/// <summary>The byte I/O of a connected TCP socket.</summary>
internal sealed class SocketIo(Socket socket) : IByteStreamIo
{
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        => socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    public void ShutdownSend()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already reset by the peer: the receive loop reports the loss.
        }
        catch (ObjectDisposedException)
        {
            // Already closed by Abort.
        }
    }

    public void Abort() => socket.Dispose();
}
