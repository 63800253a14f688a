using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>Keeps the warnings and errors a virtual device logs, so a failing test can say what the device saw.</summary>
internal sealed class CapturedLog : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public override string ToString() => _entries.IsEmpty ? "(device logged no warnings)" : string.Join(" | ", _entries.TakeLast(8));

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
            _entries.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
    }

    public void Dispose()
    {
    }
}
