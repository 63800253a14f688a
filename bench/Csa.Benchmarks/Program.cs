using BenchmarkDotNet.Running;

// Every benchmark class in this assembly is listed; pick with --filter, e.g.
//   dotnet run -c Release --project bench/Csa.Benchmarks -- --filter '*FrameCodec*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
