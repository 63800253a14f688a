using BenchmarkDotNet.Running;
using Csa.Benchmarks.Buses;
using Csa.Benchmarks.LinkThroughput;
using Csa.Benchmarks.Updates;

// Two kinds of benchmark live here:
//  - BenchmarkDotNet classes (every one in this assembly; pick with --filter), e.g.
//      dotnet run -c Release --project bench/Csa.Benchmarks -- --filter '*FrameCodec*'
//  - end-to-end measurements over emulated links in real time, which print one table per run:
//      dotnet run -c Release --project bench/Csa.Benchmarks -- rpc-link [--quick]
//      dotnet run -c Release --project bench/Csa.Benchmarks -- update-speed [--quick] [--goals-only] [--no-frames] [--store-and-forward | --compare-forwarding]
//      dotnet run -c Release --project bench/Csa.Benchmarks -- multicast-speed [--quick] [--size KiB] [--large-ram] [--c] [--store-and-forward | --compare-forwarding]
//      dotnet run -c Release --project bench/Csa.Benchmarks -- bus-speed [--quick]
if (args.Length > 0 && args[0] == RpcLinkThroughputCommand.Name)
    return await RpcLinkThroughputCommand.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == UpdateSpeedCommand.Name)
    return await UpdateSpeedCommand.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == MulticastSpeedCommand.Name)
    return await MulticastSpeedCommand.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == BusSpeedCommand.Name)
    return await BusSpeedCommand.RunAsync(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(UpdateSpeedCommand).Assembly).Run(args);
return 0;
