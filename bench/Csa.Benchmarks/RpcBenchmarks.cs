using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Tests.Support;

namespace Csa.Benchmarks;

/// <summary>
/// Client and server over the in-memory fake network with no pacing: the cost of the RPC runtime itself
/// (encode, correlate, dispatch, cache, decode). Round trips per second = 1 / Mean (per operation).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(RpcRoundTripConfig))]
public class RpcRoundTripBenchmarks
{
    private static readonly NodeAddress Device = new(0x01);
    private RpcServer _server = null!;
    private RpcClient _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        var network = new FakePacketNetwork();
        network.Advertise(Device, new NodeCapabilities(1, 256, 8));
        _server = new RpcServer(network.Bind(new Endpoint(Device, WellKnownPorts.Rpc)), new RpcServerOptions { MaxConcurrentRequests = 8, OwnsSocket = true });
        _server.Register(new TestService());
        _server.Start();
        _client = new RpcClient(network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)), new RpcClientOptions { OwnsSocket = true });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>One call at a time.</summary>
    [Benchmark]
    public Task<U32Message> SequentialRoundTrip() =>
        _client.InvokeAsync<U32Message, U32Message>(Device, TestService.Id, TestService.AddOne, new U32Message(1), null, CancellationToken.None);

    /// <summary>64 calls issued at once through a window of 8; the time is per call.</summary>
    [Benchmark(OperationsPerInvoke = 64)]
    public Task PipelinedRoundTrip()
    {
        var calls = new Task[64];
        for (int i = 0; i < calls.Length; i++)
            calls[i] = _client.InvokeAsync<U32Message, U32Message>(Device, TestService.Id, TestService.AddOne, new U32Message((uint)i), null, CancellationToken.None);
        return Task.WhenAll(calls);
    }

    private sealed class RpcRoundTripConfig : ManualConfig
    {
        public RpcRoundTripConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10).WithId("InProcess"));
    }
}

/// <summary>
/// A firmware download as a device sees it: 64 idempotent 256-byte "write at offset" commands over an emulated
/// 115200 baud 8N1 serial link (10 bits per byte, 16 bytes of framing per frame as the data link's codec produces
/// for these frames, a fixed latency per packet for the USB-serial adapter and driver, 1 ms of serialised flash
/// programming per write on the device). Window 1 is stop-and-wait (what the STM32 ROM bootloader, mcumgr and OpenBLT
/// do); window 4 keeps the device's four receive buffers busy. "Link use" is file bytes delivered per second over the
/// raw link capacity (11 520 B/s): the framing, RPC header and offset/length fields alone cap it at 256 / 286 = 89.5 %
/// (docs/rpc-packets.md section 8; <c>FramingOverheadTests</c> checks both numbers).
/// </summary>
[Config(typeof(PacedConfig))]
public class RpcPipelinedWriteBenchmarks
{
    private const int Writes = 64;
    private const int BlockSize = 256;
    private static readonly NodeAddress Device = new(0x01);
    // The data link's framing per frame and the payload of the device's 320-byte frames: LinkPacing's defaults.
    private static readonly LinkPacing Pacing115200 = new(BitsPerSecond: 115_200, BitsPerByte: 10);
    private RpcServer _server = null!;
    private RpcClient _client = null!;
    private byte[] _block = null!;

    /// <summary>Requests in flight: 1 = stop-and-wait, 4 = the device's receive buffers.</summary>
    [Params(1, 4)]
    public int Window { get; set; }

    /// <summary>Latency added to every packet, per direction (USB-serial adapters: 1 ms USB frame up to a 16 ms latency timer).</summary>
    [Params(2, 16)]
    public int LatencyMs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var network = new FakePacketNetwork(new FakeNetworkOptions { Pacing = Pacing115200 with { Latency = TimeSpan.FromMilliseconds(LatencyMs) } });
        network.Advertise(Device, new NodeCapabilities(1, 320, 4));
        _server = new RpcServer(network.Bind(new Endpoint(Device, WellKnownPorts.Rpc)), new RpcServerOptions { MaxConcurrentRequests = 4, OwnsSocket = true });
        _server.Register(new TestService { WriteTime = TimeSpan.FromMilliseconds(1) });
        _server.Start();
        _client = new RpcClient(network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)), new RpcClientOptions { MaxRequestsInFlight = Window, DefaultTimeout = TimeSpan.FromSeconds(5), OwnsSocket = true });
        _block = new byte[BlockSize];
        Random.Shared.NextBytes(_block);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Writes 64 × 256 bytes = 16 KiB.</summary>
    [Benchmark]
    public Task Write16KiB()
    {
        var writes = new Task[Writes];
        var options = new RpcCallOptions { Idempotent = true };
        for (int i = 0; i < Writes; i++)
        {
            writes[i] = _client.InvokeAsync<WriteAtRequest, EmptyMessage>(
                Device, TestService.Id, TestService.WriteAt, new WriteAtRequest((uint)(i * BlockSize), _block), options, CancellationToken.None);
        }
        return Task.WhenAll(writes);
    }

    private sealed class PacedConfig : ManualConfig
    {
        public PacedConfig()
        {
            // Seconds per operation and wall-clock pacing: measure each operation once, a few times over.
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(5)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithId("Paced115200"));
            AddColumn(new ThroughputColumn("File KiB/s", bytesPerSecond => (bytesPerSecond / 1024).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));
            AddColumn(new ThroughputColumn("Link use", bytesPerSecond => (bytesPerSecond / Pacing115200.BytesPerSecond).ToString("P1", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Derives throughput from the measured mean time of one 16 KiB operation.</summary>
    private sealed class ThroughputColumn(string name, Func<double, string> format) : BenchmarkDotNet.Columns.IColumn
    {
        public string Id => "Rpc" + name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public BenchmarkDotNet.Columns.ColumnCategory Category => BenchmarkDotNet.Columns.ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public BenchmarkDotNet.Columns.UnitType UnitType => BenchmarkDotNet.Columns.UnitType.Dimensionless;

        public string Legend => $"{name} for {Writes * BlockSize} file bytes per operation";

        public string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase)
        {
            double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return meanNs is > 0 ? format(Writes * BlockSize / (meanNs.Value / 1e9)) : "NA";
        }

        public string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, BenchmarkDotNet.Reports.SummaryStyle style) =>
            GetValue(summary, benchmarkCase);

        public bool IsDefault(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(BenchmarkDotNet.Reports.Summary summary) => true;
    }
}
