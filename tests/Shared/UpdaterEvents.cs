using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Csa.Testing;

/// <summary>Keeps what the updater logs (event id and text), so a test can check what happened on the way, not only the end state.</summary>
internal sealed class UpdaterEvents : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<(int Id, string Text)> _entries = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public IReadOnlyList<(int Id, string Text)> Entries => [.. _entries];

    /// <summary>The texts of the entries with <paramref name="eventId"/> (4018: a member left a group transfer; 4019: a repair round).</summary>
    public IEnumerable<string> Of(int eventId) => Entries.Where(e => e.Id == eventId).Select(e => e.Text);

    public override string ToString() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Id}: {e.Text}"));

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <summary>The lowest level kept (Information unless a test wants the updater's Debug diagnostics too).</summary>
    public LogLevel MinimumLevel { get; init; } = LogLevel.Information;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= MinimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
            _entries.Enqueue((eventId.Id, $"[{_clock.Elapsed.TotalSeconds:0.000}] {formatter(state, exception)}"));
    }

    public void Dispose()
    {
    }
}
