using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Csa.DataLink.Transports;

namespace Csa.Benchmarks;

/// <summary>
/// How close the emulated link's real-time pacing comes to the line rate: 256 KiB pushed through one direction
/// at 115200 baud and at 1 Mbaud, on the system clock. The ideal time is <c>bytes * 10 / baud</c>; the
/// "Of baud/10" column is ideal time / measured time (100 % = exactly the line rate; it can never be above).
/// Each operation takes seconds of real time, so the job runs few iterations.
///   dotnet run -c Release --project bench/Csa.Benchmarks -- --filter '*TransportEmulatedLink*'
/// </summary>
[Config(typeof(LineRateConfig))]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class TransportEmulatedLinkBenchmarks
{
    public const int TransferSize = 256 * 1024;

    private byte[] _payload = [];

    [Params(115200, 1_000_000)]
    public int Baud { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[TransferSize];
        new Random(1).NextBytes(_payload);
    }

    [Benchmark(Description = "256 KiB over the emulated link")]
    public Task Transfer256KiB() => TransferAsync(Baud, _payload);

    /// <summary>Sends <paramref name="payload"/> A→B at <paramref name="baud"/> and returns when B has it all.</summary>
    public static async Task TransferAsync(int baud, byte[] payload)
    {
        await using EmulatedLink link = EmulatedLink.CreatePair(
            EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = baud }));
        Task send = SendAsync(link.A.Output, payload);
        long received = 0;
        while (received < payload.Length)
        {
            ReadResult result = await link.B.Input.ReadAsync();
            received += result.Buffer.Length;
            link.B.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("the link closed early");
            }
        }

        await send;
    }

    private static async Task SendAsync(PipeWriter output, byte[] payload)
    {
        // Frame-sized writes, as the data link does them.
        for (int offset = 0; offset < payload.Length; offset += 512)
        {
            await output.WriteAsync(payload.AsMemory(offset, Math.Min(512, payload.Length - offset)));
        }
    }

    private sealed class LineRateConfig : ManualConfig
    {
        public LineRateConfig() => AddColumn(new LineUtilisationColumn());
    }

    /// <summary>Ideal time (bytes * 10 / baud) divided by the measured mean.</summary>
    private sealed class LineUtilisationColumn : IColumn
    {
        public string Id => nameof(LineUtilisationColumn);

        public string ColumnName => "Of baud/10";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Achieved throughput as a fraction of the line rate baud/10 bytes per second";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (meanNanoseconds is not > 0 || benchmarkCase.Parameters["Baud"] is not int baud)
            {
                return "-";
            }

            double idealSeconds = TransferSize * 10.0 / baud;
            return (idealSeconds / (meanNanoseconds.Value / 1e9)).ToString("P2", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
