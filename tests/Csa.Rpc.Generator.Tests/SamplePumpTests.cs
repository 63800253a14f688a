using Csa.DataLink;

namespace Csa.Rpc.Generator.Tests;

/// <summary>A customer-style interface compiled into this assembly by the real generator, used end to end.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class SamplePumpTests
{
    private static readonly NodeAddress Pump = new(0x10);

    internal static StartInfusionRequest SampleStart() => new(
        DrugName: "Heparin",
        ProgramId: Enumerable.Range(0xA0, 16).Select(i => (byte)i).ToArray(),
        Steps: new[] { new ProtocolStep(1000, 60), new ProtocolStep(2500, 3600), new ProtocolStep(0, 0) },
        VolumeToBeInfusedMicroliters: 250_000,
        Notes: new byte[] { 0xDE, 0xAD });

    private sealed class PumpService : InfusionPumpServerBase
    {
        public bool DoorOpen { get; set; }

        public PumpState State { get; private set; } = PumpState.Idle;

        public List<(StartInfusionRequest Request, Endpoint Source)> Started { get; } = new();

        public Task RaiseAsync(AlarmRaisedEvent alarm) => PublishAlarmRaisedAsync(alarm);

        protected override Task<GetStatusResponse> GetStatusAsync(GetStatusRequest request, Endpoint source, CancellationToken cancellationToken) =>
            Task.FromResult(new GetStatusResponse(State, 1000, 42, AlarmFlags.LowBattery | AlarmFlags.Occlusion));

        protected override Task<StartInfusionResponse> StartInfusionAsync(StartInfusionRequest request, Endpoint source, CancellationToken cancellationToken)
        {
            if (DoorOpen)
                throw Error(InfusionPumpError.DoorOpen, "door open");
            Started.Add((request, source));
            State = PumpState.Infusing;
            return Task.FromResult(new StartInfusionResponse(7));
        }

        protected override Task<StopInfusionResponse> StopInfusionAsync(StopInfusionRequest request, Endpoint source, CancellationToken cancellationToken)
        {
            State = PumpState.Idle;
            return Task.FromResult(new StopInfusionResponse());
        }
    }

    private static (InfusionPumpClient Client, PumpService Service, LoopbackInvoker Invoker) Setup()
    {
        var invoker = new LoopbackInvoker { ServedDevice = Pump };
        var service = new PumpService();
        invoker.Host(service);
        return (new InfusionPumpClient(invoker, Pump), service, invoker);
    }

    [Fact]
    public async Task Client_calls_reach_the_server_handler_and_return_the_typed_response()
    {
        (InfusionPumpClient client, PumpService service, LoopbackInvoker invoker) = Setup();

        StartInfusionResponse started = await client.StartInfusionAsync(SampleStart());
        GetStatusResponse status = await client.GetStatusAsync();

        Assert.Equal(7u, started.InfusionNumber);
        Assert.Equal(SampleStart(), service.Started.Single().Request);
        Assert.Equal(LoopbackInvoker.HostEndpoint, service.Started.Single().Source);
        Assert.Equal(new GetStatusResponse(PumpState.Infusing, 1000, 42, AlarmFlags.LowBattery | AlarmFlags.Occlusion), status);
        Assert.Equal(
            new[] { (Pump, (ushort)0x0100, (ushort)2), (Pump, (ushort)0x0100, (ushort)1) },
            invoker.Calls.Select(c => (c.Device, c.InterfaceId, c.CommandId)));
        Assert.Equal((ushort)0x0100, InfusionPumpInterface.Id);
        Assert.Equal((ushort)2, InfusionPumpInterface.Version);
    }

    [Fact]
    public async Task Idempotency_comes_from_the_interface_file_and_other_options_pass_through()
    {
        (InfusionPumpClient client, _, LoopbackInvoker invoker) = Setup();
        var options = new RpcCallOptions { Idempotent = true, Timeout = TimeSpan.FromSeconds(3), MaxAttempts = 5 };

        await client.GetStatusAsync();
        await client.StartInfusionAsync(SampleStart(), options);
        await client.StopInfusionAsync(new StopInfusionRequest(), options);

        Assert.True(invoker.Calls[0].Options!.Idempotent);
        Assert.False(invoker.Calls[1].Options!.Idempotent);
        Assert.Equal(TimeSpan.FromSeconds(3), invoker.Calls[1].Options!.Timeout);
        Assert.Equal(5, invoker.Calls[1].Options!.MaxAttempts);
        Assert.Same(options, invoker.Calls[2].Options);
    }

    [Fact]
    public async Task Convenience_overload_builds_the_request_from_the_fields()
    {
        (InfusionPumpClient client, PumpService service, _) = Setup();
        StartInfusionRequest expected = SampleStart();

        await client.StartInfusionAsync(expected.DrugName, expected.ProgramId, expected.Steps, expected.VolumeToBeInfusedMicroliters, expected.Notes);

        Assert.Equal(expected, service.Started.Single().Request);
    }

    [Fact]
    public async Task Handler_error_reaches_the_client_as_a_typed_interface_error()
    {
        (InfusionPumpClient client, PumpService service, _) = Setup();
        service.DoorOpen = true;

        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(() => client.StartInfusionAsync(SampleStart()));

        Assert.Equal(InfusionPumpInterface.Id, error.InterfaceId);
        Assert.Equal((ushort)2, error.ErrorCode);
        Assert.Null(error.Status);
        Assert.True(InfusionPumpInterface.TryGetError(error, out InfusionPumpError code));
        Assert.Equal(InfusionPumpError.DoorOpen, code);
        Assert.False(InfusionPumpInterface.TryGetError(new RpcErrorException(0x0001, 2, "other interface"), out _));
        Assert.False(InfusionPumpInterface.TryGetError(new RpcErrorException(InfusionPumpInterface.Id, (ushort)RpcStatus.Busy, "busy"), out _));
    }

    [Fact]
    public async Task Unknown_command_and_malformed_payload_are_refused_by_dispatch()
    {
        var service = new PumpService();
        var response = new System.Buffers.ArrayBufferWriter<byte>();

        RpcErrorException unknown = await Assert.ThrowsAsync<RpcErrorException>(() =>
            service.DispatchAsync(new RpcServerCall(LoopbackInvoker.HostEndpoint, 0x0099, Array.Empty<byte>(), response), CancellationToken.None));
        Assert.Equal(RpcStatus.UnknownCommand, unknown.Status);
        Assert.Equal((ushort)0x0100, unknown.InterfaceId);

        byte[] good = Wire.Encode(SampleStart());
        await Assert.ThrowsAsync<RpcDecodeException>(() =>
            service.DispatchAsync(new RpcServerCall(LoopbackInvoker.HostEndpoint, InfusionPumpInterface.Commands.StartInfusion, good[..^1], response), CancellationToken.None));
        await Assert.ThrowsAsync<RpcDecodeException>(() =>
            service.DispatchAsync(new RpcServerCall(LoopbackInvoker.HostEndpoint, InfusionPumpInterface.Commands.StopInfusion, new byte[] { 0 }, response), CancellationToken.None));
        Assert.Empty(service.Started);
        Assert.Equal(0, response.WrittenCount);
    }

    [Fact]
    public async Task Dotnet_event_subscribes_on_first_handler_and_unsubscribes_on_last()
    {
        (InfusionPumpClient client, PumpService service, LoopbackInvoker invoker) = Setup();
        var received = new List<(NodeAddress Source, AlarmRaisedEvent Event)>();
        void Handler(NodeAddress source, AlarmRaisedEvent e) => received.Add((source, e));
        var alarm = new AlarmRaisedEvent(AlarmFlags.AirInLine, -1234, 0x0102030405060708);

        await service.RaiseAsync(alarm); // nobody listens yet
        client.AlarmRaised += Handler;
        Assert.Equal(1, invoker.ActiveSubscriptions);
        await service.RaiseAsync(alarm);
        client.AlarmRaised -= Handler;
        Assert.Equal(0, invoker.ActiveSubscriptions);
        await service.RaiseAsync(alarm);

        Assert.Equal(new[] { (Pump, alarm) }, received);
    }

    [Fact]
    public async Task Async_stream_yields_events_in_order_and_closes_its_subscription()
    {
        (InfusionPumpClient client, PumpService service, LoopbackInvoker invoker) = Setup();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // hang guard only
        var received = new List<AlarmRaisedEvent>();

        await using (IAsyncEnumerator<AlarmRaisedEvent> events = client.AlarmRaisedEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token))
        {
            ValueTask<bool> first = events.MoveNextAsync(); // subscribes, then waits
            Assert.Equal(1, invoker.ActiveSubscriptions);
            for (short i = 1; i <= 3; i++)
                await service.RaiseAsync(new AlarmRaisedEvent(AlarmFlags.Occlusion, i, (ulong)i));
            Assert.True(await first);
            received.Add(events.Current);
            Assert.True(await events.MoveNextAsync());
            received.Add(events.Current);
            Assert.True(await events.MoveNextAsync());
            received.Add(events.Current);
        }

        Assert.Equal(new short[] { 1, 2, 3 }, received.Select(e => e.SensorReading));
        Assert.Equal(0, invoker.ActiveSubscriptions);
    }

    [Fact]
    public async Task Async_stream_ends_with_cancellation()
    {
        (InfusionPumpClient client, _, LoopbackInvoker invoker) = Setup();
        using var cts = new CancellationTokenSource();

        Task consume = Task.Run(async () =>
        {
            await foreach (AlarmRaisedEvent _ in client.AlarmRaisedEventsAsync(cts.Token))
            {
            }
        });
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // hang guard only
        while (invoker.ActiveSubscriptions == 0)
            await Task.Delay(5, guard.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consume.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, invoker.ActiveSubscriptions);
    }

    [Fact]
    public async Task Publishing_without_a_host_says_what_is_missing()
    {
        var service = new PumpService();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => service.RaiseAsync(new AlarmRaisedEvent(AlarmFlags.None, 0, 0)));

        Assert.Contains("EventSink", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_closes_event_subscriptions()
    {
        (InfusionPumpClient client, _, LoopbackInvoker invoker) = Setup();
        client.AlarmRaised += (_, _) => { };

        client.Dispose();

        Assert.Equal(0, invoker.ActiveSubscriptions);
    }
}
