using System.Collections.Concurrent;

namespace Csa.DataLink.Bus.Emulation;

/// <summary>Emulated buses published under a name, so that link URIs (<c>i2c:NAME?address=0x42</c>, <c>spi:NAME.0</c>) reach them.</summary>
internal static class EmulatedBusDirectory
{
    private static readonly ConcurrentDictionary<string, object> s_buses = new(StringComparer.OrdinalIgnoreCase);

    public static IDisposable Publish(string name, object bus)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"'{name}' is not an emulated bus name (a letter, then letters, digits, '-' and '_').", nameof(name));
        BusLinkSchemes.Register();
        if (!s_buses.TryAdd(name, bus))
            throw new ArgumentException($"An emulated bus is published as '{name}' already.", nameof(name));
        return new Publication(name, bus);
    }

    public static bool TryGet<T>(string name, out T? bus)
        where T : class
    {
        bus = s_buses.TryGetValue(name, out object? found) ? found as T : null;
        return bus is not null;
    }

    public static IEnumerable<string> Names<T>() => s_buses.Where(p => p.Value is T).Select(p => p.Key).Order(StringComparer.OrdinalIgnoreCase);

    private sealed class Publication(string name, object bus) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                s_buses.TryRemove(new KeyValuePair<string, object>(name, bus));
        }
    }
}
