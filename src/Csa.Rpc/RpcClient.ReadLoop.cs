using System.Threading.Channels;
using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcClient
{
    // The only reader of the socket: parses each packet and hands it to its waiting call or its subscribers.
    // It never runs caller code (completions continue asynchronously, handlers run on their own pumps).
    private async Task ReadLoopAsync()
    {
        ChannelReader<InboundPacket> inbound = _socket.Inbound;
        Exception? failure = null;
        try
        {
            while (await inbound.WaitToReadAsync(_shutdown.Token).ConfigureAwait(false))
            {
                while (inbound.TryRead(out InboundPacket? packet))
                    Dispatch(packet);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            return; // disposed
        }
        catch (ChannelClosedException ex)
        {
            failure = ex.InnerException ?? ex;
        }
#pragma warning disable CA1031 // Whatever ended the stream, the pending calls must learn that the link is gone.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }
        OnLinkLost(failure);
    }

    private void Dispatch(InboundPacket packet)
    {
        if (!RpcPacket.TryParse(packet.Payload, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out RpcPacketError error))
        {
            RpcLog.MalformedPacket(_logger, packet.Source, error);
            return;
        }
        if (packet.Source.Port != _options.RemotePort)
        {
            RpcLog.UnmatchedAnswer(_logger, packet.Source, header);
            return;
        }
        switch (header.Kind)
        {
            case RpcPacketKind.Response:
            case RpcPacketKind.Error:
                var key = new PendingKey(packet.Source.Node.Value, header.RequestId);
                if (_pending.TryGetValue(key, out PendingCall? call) && call.Matches(header))
                    call.Reply.TrySetResult(new RpcReply(header, payload));
                else
                    RpcLog.UnmatchedAnswer(_logger, packet.Source, header); // a duplicate, or an answer after a timeout
                break;
            case RpcPacketKind.Event:
                DispatchEvent(packet.Source.Node, header, payload);
                break;
            default:
                RpcLog.UnexpectedKind(_logger, packet.Source, header.Kind);
                break;
        }
    }
}
