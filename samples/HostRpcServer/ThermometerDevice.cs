using System.Net;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;

namespace HostRpcServer;

/// <summary>
/// The device end: a data link node (address assigned by the host), an <see cref="RpcServer"/> on the RPC port, and
/// the Thermometer service registered in it. The same three objects serve any link: pass the transport in.
/// </summary>
public sealed class ThermometerDevice : IAsyncDisposable
{
    private readonly DataLinkNode _node;
    private readonly RpcServer _server;
    private readonly ThermometerService _service;

    private ThermometerDevice(DataLinkNode node, RpcServer server, ThermometerService service)
    {
        _node = node;
        _server = server;
        _service = service;
    }

    /// <summary>Completes when the server stops (faulted when its link was lost).</summary>
    public Task Completion => _server.Completion;

    /// <summary>
    /// Serves the Thermometer interface over <paramref name="transport"/>, which points towards the host. The node
    /// takes ownership of the transport.
    /// </summary>
    public static ThermometerDevice Start(ILinkTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        // Unassigned until the host's chain enumeration gives it an address (protocol.md 7.3), like every Csa device.
        var node = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = NodeAddress.Unassigned, ReceiveBuffers = 4 });
        node.AddLink(transport, LinkRole.Upstream);
        var server = new RpcServer(node.OpenSocket(WellKnownPorts.Rpc), new RpcServerOptions { OwnsSocket = true });
        var service = new ThermometerService();
        server.Register(service);
        server.Start();
        return new ThermometerDevice(node, server, service);
    }

    /// <summary>
    /// Serves hosts that connect over TCP to <paramref name="endPoint"/>, one connection at a time, until
    /// <paramref name="cancellationToken"/> is cancelled. <paramref name="listening"/> learns the bound end point.
    /// </summary>
    public static async Task ServeTcpAsync(IPEndPoint endPoint, Action<IPEndPoint>? listening = null, CancellationToken cancellationToken = default)
    {
        await using TcpLinkListener listener = TcpLinkListener.Start(endPoint);
        listening?.Invoke(listener.LocalEndPoint);
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpTransport connection;
            try
            {
                connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await using ThermometerDevice device = Start(connection);
            // One host at a time, as on a serial line: the next connection is accepted when this one ends.
            await Task.WhenAny(device.Completion, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the service, the server and the node (and with it the link).</summary>
    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        await _node.DisposeAsync().ConfigureAwait(false);
    }
}
