using Csa.DataLink;

namespace Csa.Rpc.Tests.Support;

/// <summary>A host client and one device server over a fake network.</summary>
public sealed class RpcTestBed : IAsyncDisposable
{
    public static readonly NodeAddress Device = new(0x01);

    public RpcTestBed(
        FakeNetworkOptions? network = null,
        RpcClientOptions? client = null,
        RpcServerOptions? server = null,
        byte receiveBuffers = 4,
        bool startServer = true,
        RpcExecution execution = RpcExecution.InArrivalOrder)
    {
        Network = new FakePacketNetwork(network);
        Network.Advertise(Device, new NodeCapabilities(1, 256, receiveBuffers));
        Network.Advertise(NodeAddress.Host, new NodeCapabilities(1, 256, 8));
        DeviceSocket = Network.Bind(new Endpoint(Device, WellKnownPorts.Rpc));
        HostSocket = Network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc));
        Service = new TestService();
        Server = new RpcServer(DeviceSocket, (server ?? new RpcServerOptions()) with { MaxConcurrentRequests = server?.MaxConcurrentRequests ?? receiveBuffers, OwnsSocket = true });
        Server.Register(Service, execution);
        if (startServer)
            Server.Start();
        Client = new RpcClient(HostSocket, (client ?? new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(10) }) with { OwnsSocket = true });
    }

    public FakePacketNetwork Network { get; }

    public FakePacketSocket DeviceSocket { get; }

    public FakePacketSocket HostSocket { get; }

    public TestService Service { get; }

    public RpcServer Server { get; }

    public RpcClient Client { get; }

    public Task<TResponse> CallAsync<TRequest, TResponse>(ushort command, TRequest request, RpcCallOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : IRpcMessage<TRequest>
        where TResponse : IRpcMessage<TResponse> =>
        Client.InvokeAsync<TRequest, TResponse>(Device, TestService.Id, command, request, options, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
