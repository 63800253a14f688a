using System.Diagnostics;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;

namespace Csa.Benchmarks.LinkThroughput;

/// <summary>
/// Measures, in real time, how much of an emulated UART link's capacity a firmware-style block transfer uses
/// through the whole stack (RPC client → data link frames → emulated 8N1 line → device node → RPC server), with
/// requests pipelined up to the device's receive buffers and stop-and-wait (window 1) side by side, in one run.
/// Efficiency = payload bytes / (time × baud / 10).
/// </summary>
internal static class RpcLinkThroughputCommand
{
    public const string Name = "rpc-link";

    private sealed record Scenario(int Baud, TimeSpan Latency, int BlockSize, int Window);

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick");
        int transfer = quick ? 16 * 1024 : 64 * 1024;
        const byte receiveBuffers = 4;
        var scenarios = new List<Scenario>();
        foreach (TimeSpan latency in new[] { TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(8) })
            foreach (int block in new[] { 256, 1024 })
                foreach (int window in new[] { 1, (int)receiveBuffers })
                    scenarios.Add(new Scenario(115_200, latency, block, window));

        Console.WriteLine($"RPC block writes over an emulated 115200 baud 8N1 link, {transfer / 1024} KiB per run, device: {receiveBuffers} receive buffers, 1 ms programming per KiB");
        Console.WriteLine();
        Console.WriteLine("| one-way latency | block | window | time | payload rate | efficiency |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        var byKey = new Dictionary<(TimeSpan, int, int), double>();
        foreach (Scenario scenario in scenarios)
        {
            (TimeSpan elapsed, double efficiency) = await MeasureAsync(scenario, transfer, receiveBuffers);
            byKey[(scenario.Latency, scenario.BlockSize, scenario.Window)] = efficiency;
            Console.WriteLine($"| {scenario.Latency.TotalMilliseconds} ms | {scenario.BlockSize} B | {(scenario.Window == 1 ? "1 (stop-and-wait)" : scenario.Window.ToString())} | {elapsed.TotalSeconds:F2} s | {transfer / elapsed.TotalSeconds / 1024:F2} KiB/s | {efficiency:P1} |");
        }
        Console.WriteLine();
        Console.WriteLine("| one-way latency | block | pipelined / stop-and-wait |");
        Console.WriteLine("|---:|---:|---:|");
        foreach (var group in byKey.Keys.Select(k => (k.Item1, k.Item2)).Distinct())
            Console.WriteLine($"| {group.Item1.TotalMilliseconds} ms | {group.Item2} B | {byKey[(group.Item1, group.Item2, receiveBuffers)] / byKey[(group.Item1, group.Item2, 1)]:F2} x |");
        return 0;
    }

    private static async Task<(TimeSpan Elapsed, double Efficiency)> MeasureAsync(Scenario scenario, int transfer, byte receiveBuffers)
    {
        var channel = new EmulatedChannelOptions { BaudRate = scenario.Baud, Latency = scenario.Latency };
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel));
        await using var host = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = NodeAddress.Host, LinkManagementTimeout = TimeSpan.FromSeconds(5) });
        await using var device = new DataLinkNode(new DataLinkNodeOptions
        {
            LocalAddress = new NodeAddress(0x01),
            MaxFrameSize = 1200,
            ReceiveBuffers = receiveBuffers,
        });
        host.AddLink(link.A, LinkRole.Downstream);
        device.AddLink(link.B, LinkRole.Upstream);

        var flash = new byte[transfer];
        await using var server = new RpcServer(device.OpenSocket(WellKnownPorts.Rpc), new RpcServerOptions
        {
            OwnsSocket = true,
            MaxConcurrentRequests = receiveBuffers,
            MaxRequestPayloadSize = BlockWrite.MaxData + 16,
        });
        server.Register(new BlockWriteService(flash, TimeSpan.FromMilliseconds(1)));
        server.Start();
        await using var client = new RpcClient(host.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions
        {
            OwnsSocket = true,
            MaxRequestsInFlight = scenario.Window,
            DefaultTimeout = TimeSpan.FromSeconds(5),
        });

        var target = new NodeAddress(0x01);
        await client.GetWindowSizeAsync(target, CancellationToken.None); // capabilities outside the timed part
        byte[] image = new byte[transfer];
        new Random(1).NextBytes(image);
        var stopwatch = Stopwatch.StartNew();
        var writes = new List<Task<BlockWritten>>();
        for (int offset = 0; offset < transfer; offset += scenario.BlockSize)
        {
            var block = new BlockWrite((uint)offset, image.AsSpan(offset, Math.Min(scenario.BlockSize, transfer - offset)).ToArray());
            writes.Add(client.InvokeAsync<BlockWrite, BlockWritten>(target, BlockWriteService.Id, BlockWriteService.WriteCommand, block, new RpcCallOptions { Idempotent = true }, CancellationToken.None));
        }
        await Task.WhenAll(writes);
        stopwatch.Stop();
        if (!flash.AsSpan().SequenceEqual(image))
            throw new InvalidOperationException("The device's copy differs from the image: the measurement is void.");
        double capacity = scenario.Baud / 10.0;
        return (stopwatch.Elapsed, transfer / (stopwatch.Elapsed.TotalSeconds * capacity));
    }
}
