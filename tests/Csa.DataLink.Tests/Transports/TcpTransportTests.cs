using System.Net;
using System.Net.Sockets;
using Csa.DataLink.Transports;
using Microsoft.Extensions.Time.Testing;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

[Trait("Requirement", "REQ-TOPO")]
public sealed class TcpTransportTests
{
    private static async Task<(TcpLinkListener Listener, TcpTransport Client, TcpTransport Server)> ConnectPairAsync()
    {
        TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Task<TcpTransport> accept = listener.AcceptAsync();
        TcpTransport client = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).WaitAsync(HangGuard);
        TcpTransport server = await accept.WaitAsync(HangGuard);
        return (listener, client, server);
    }

    [Fact]
    public async Task Listener_on_port_zero_reports_the_port_it_bound()
    {
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.NotEqual(0, listener.LocalEndPoint.Port);
        Assert.Equal($"tcp-listener://127.0.0.1:{listener.LocalEndPoint.Port}", listener.Name);
    }

    [Fact]
    public async Task Bytes_travel_both_ways()
    {
        var (listener, client, server) = await ConnectPairAsync();
        await using (listener)
        await using (client)
        await using (server)
        {
            Assert.Equal($"tcp://127.0.0.1:{listener.LocalEndPoint.Port}", client.Name);
            Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);

            await WriteAsync(client.Output, "hello device\0"u8.ToArray());
            Assert.Equal("hello device\0"u8.ToArray(), await ReadExactlyAsync(server.Input, 13));

            await WriteAsync(server.Output, "hello host\0"u8.ToArray());
            Assert.Equal("hello host\0"u8.ToArray(), await ReadExactlyAsync(client.Input, 11));
        }
    }

    [Fact]
    public async Task One_MiB_in_each_direction_at_once_arrives_intact()
    {
        var (listener, client, server) = await ConnectPairAsync();
        await using (listener)
        await using (client)
        await using (server)
        {
            byte[] up = RandomBytes(1024 * 1024, seed: 1);
            byte[] down = RandomBytes(1024 * 1024, seed: 2);

            Task sendUp = WriteInPiecesAsync(client, up);
            Task sendDown = WriteInPiecesAsync(server, down);
            Task<byte[]> receiveUp = ReadExactlyAsync(server.Input, up.Length);
            Task<byte[]> receiveDown = ReadExactlyAsync(client.Input, down.Length);
            await Task.WhenAll(sendUp, sendDown, receiveUp, receiveDown).WaitAsync(HangGuard);

            Assert.Equal(up, await receiveUp);
            Assert.Equal(down, await receiveDown);
        }

        static async Task WriteInPiecesAsync(ILinkTransport transport, byte[] data)
        {
            // Irregular piece sizes so pipe segment and socket send boundaries fall everywhere.
            int offset = 0;
            var sizes = new Random(data.Length);
            while (offset < data.Length)
            {
                int size = Math.Min(sizes.Next(1, 20_000), data.Length - offset);
                await WriteAsync(transport.Output, data.AsMemory(offset, size));
                offset += size;
            }
        }
    }

    [Fact]
    public async Task Peer_close_completes_the_input_and_then_writes_fail_with_TransportClosedException()
    {
        var (listener, client, server) = await ConnectPairAsync();
        await using (listener)
        await using (client)
        {
            await WriteAsync(server.Output, "last words\0"u8.ToArray());
            await server.DisposeAsync();

            byte[] rest = await ReadToCompletionAsync(client.Input);
            Assert.Equal("last words\0"u8.ToArray(), rest);

            var error = await Assert.ThrowsAsync<TransportClosedException>(
                async () => await client.Output.WriteAsync(new byte[] { 1, 2, 3 }));
            Assert.Equal(client.Name, error.TransportName);
            Assert.Contains("peer closed", error.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<DataLinkException>(error);
        }
    }

    [Fact]
    public async Task Writes_on_a_disposed_transport_fail_with_TransportClosedException()
    {
        var (listener, client, server) = await ConnectPairAsync();
        await using (listener)
        await using (server)
        {
            await client.DisposeAsync();
            var error = await Assert.ThrowsAsync<TransportClosedException>(
                async () => await client.Output.WriteAsync(new byte[] { 1 }));
            Assert.Contains("disposed", error.Message, StringComparison.Ordinal);
            Assert.True((await client.Input.ReadAsync()).IsCompleted);
            Assert.True((await server.Input.ReadAsync().AsTask().WaitAsync(HangGuard)).IsCompleted);
        }
    }

    [Fact]
    public async Task Completing_the_output_half_closes_so_the_peer_input_completes_after_the_data()
    {
        var (listener, client, server) = await ConnectPairAsync();
        await using (listener)
        await using (client)
        await using (server)
        {
            await WriteAsync(client.Output, "bye\0"u8.ToArray());
            await client.Output.CompleteAsync();
            Assert.Equal("bye\0"u8.ToArray(), await ReadToCompletionAsync(server.Input));
        }
    }

    [Fact]
    public async Task Connection_refused_is_a_TransportConnectException_with_the_socket_error()
    {
        int port;
        await using (TcpLinkListener probe = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = probe.LocalEndPoint.Port;
        }

        var error = await Assert.ThrowsAsync<TransportConnectException>(
            () => TcpTransport.ConnectAsync("127.0.0.1", port).WaitAsync(HangGuard));
        Assert.IsNotType<TransportConnectTimeoutException>(error);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        Assert.Equal($"tcp://127.0.0.1:{port}", error.Target);
    }

    [Fact]
    public async Task A_connection_that_never_completes_fails_with_TransportConnectTimeoutException_when_the_timeout_elapses()
    {
        // A listener that never accepts, with its accept queue filled, leaves further connects unanswered (SYNs dropped).
        using var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(0);
        var endPoint = (IPEndPoint)listening.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            while (true)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                Task connect = filler.ConnectAsync(endPoint);
                if (await Task.WhenAny(connect, Task.Delay(300)) != connect)
                {
                    break; // this one is stuck: the queue is full
                }

                Assert.True(fillers.Count < 64, "the accept queue never filled up");
            }

            var clock = new FakeTimeProvider();
            var options = new TcpTransportOptions { ConnectTimeout = TimeSpan.FromSeconds(5), TimeProvider = clock };
            Task<TcpTransport> attempt = TcpTransport.ConnectAsync("127.0.0.1", endPoint.Port, options);
            Assert.False(attempt.IsCompleted);
            clock.Advance(TimeSpan.FromSeconds(5));

            var error = await Assert.ThrowsAsync<TransportConnectTimeoutException>(() => attempt.WaitAsync(HangGuard));
            Assert.Equal(TimeSpan.FromSeconds(5), error.Timeout);
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_cancelled_connect_is_an_OperationCanceledException_not_a_timeout()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TcpTransport.ConnectAsync("127.0.0.1", 9, cancellationToken: cancelled.Token));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public async Task Ports_outside_1_to_65535_are_rejected(int port)
        => await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TcpTransport.ConnectAsync("127.0.0.1", port));

    [Fact]
    public async Task An_empty_host_is_rejected()
        => await Assert.ThrowsAsync<ArgumentException>(() => TcpTransport.ConnectAsync(" ", 5000));

    [Fact]
    public async Task Bad_options_are_rejected_naming_the_option()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => TcpTransport.ConnectAsync("127.0.0.1", 5000, new TcpTransportOptions { KeepAliveTime = TimeSpan.Zero }));
        Assert.Equal(nameof(TcpTransportOptions.KeepAliveTime), error.ParamName);
    }

    [Fact]
    public async Task Binding_an_address_in_use_is_a_TransportConnectException()
    {
        await using TcpLinkListener first = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var error = Assert.Throws<TransportConnectException>(() => TcpLinkListener.Start(first.LocalEndPoint));
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task A_pending_accept_fails_with_TransportClosedException_when_the_listener_is_disposed()
    {
        TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Task<TcpTransport> accept = listener.AcceptAsync();
        await listener.DisposeAsync();
        await Assert.ThrowsAsync<TransportClosedException>(() => accept.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Accepted_connections_are_named_after_the_peer_address()
    {
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0), new TcpTransportOptions { NoDelay = false });
        Task<TcpTransport> accept = listener.AcceptAsync();
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(listener.LocalEndPoint);
        await using TcpTransport server = await accept.WaitAsync(HangGuard);
        Assert.Equal($"tcp://{raw.LocalEndPoint}", server.Name);
    }
}
