using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Csa.Benchmarks.Updates;

/// <summary>The updater's events on standard error with the time since the measurement started (set CSA_BENCH_LOG=1): where a row's time went.</summary>
internal sealed class StderrLog : ILoggerFactory, ILogger
{
    private static readonly Stopwatch s_clock = Stopwatch.StartNew();
    private readonly LogLevel _level;
    private readonly string _category;

    /// <summary>The time on the clock the log's lines carry.</summary>
    public static TimeSpan Now => s_clock.Elapsed;

    private StderrLog(LogLevel level, string category)
    {
        _level = level;
        _category = category;
    }

    /// <summary>CSA_BENCH_LOG=1: the updater's information; =debug: every category's debug messages too.</summary>
    public static ILoggerFactory? FromEnvironment() => Environment.GetEnvironmentVariable("CSA_BENCH_LOG") switch
    {
        "1" => new StderrLog(LogLevel.Information, ""),
        "debug" or "devices" => new StderrLog(LogLevel.Debug, ""),
        _ => null,
    };

    /// <summary>CSA_BENCH_LOG=devices: the virtual devices' own debug messages (their data links among them) too.</summary>
    public static ILoggerFactory? ForDevices() =>
        Environment.GetEnvironmentVariable("CSA_BENCH_LOG") == "devices" ? new StderrLog(LogLevel.Debug, "") : null;

    public ILogger CreateLogger(string categoryName) => new StderrLog(_level, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= _level;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
            Console.Error.WriteLine($"    [{s_clock.Elapsed.TotalSeconds,7:0.000}] {_category} {eventId.Id}: {formatter(state, exception)}");
    }

    public void Dispose()
    {
    }
}
