using System.Collections.Concurrent;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;

namespace Csa.Simulator.Hosting;

/// <summary>
/// The <c>sim:</c> link scheme: <c>sim:NAME</c> connects to the in-process virtual device published under NAME,
/// through an in-memory cable plugged into its upstream port, so anything that takes a link URI (the CLI, a
/// configuration file, <see cref="TransportFactory.ConnectAsync(string, CancellationToken)"/>) can talk to a
/// simulated device. One host at a time: a second connection while the first is open is refused; when the host
/// closes its end the device's port is free again.
/// </summary>
public static class SimulatorScheme
{
    /// <summary>The scheme name.</summary>
    public const string Scheme = "sim";

    private static readonly ConcurrentDictionary<string, VirtualDevice> s_devices = new(StringComparer.OrdinalIgnoreCase);
    private static readonly object s_registration = new();

    /// <summary>
    /// Publishes <paramref name="device"/> as <c>sim:<paramref name="name"/></c> and registers the scheme with
    /// <see cref="TransportFactory"/> (once per process). Dispose the result to withdraw the name.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, has characters other than letters, digits, '-', '_' and '.', or is taken.</exception>
    public static IDisposable Publish(string name, VirtualDevice device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(device);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"'{name}' is not a simulator device name (letters, digits, '-', '_' and '.').", nameof(name));
        EnsureSchemeRegistered();
        if (!s_devices.TryAdd(name, device))
            throw new ArgumentException($"A device is published as sim:{name} already.", nameof(name));
        return new Publication(name, device);
    }

    /// <summary>
    /// Registers the scheme with <see cref="TransportFactory"/> (once per process; later calls do nothing). Not needed in
    /// most programs: a <c>sim:</c> URI loads this package and registers it by itself when the application ships
    /// Csa.Simulator, and <see cref="Publish"/> and <see cref="VirtualBench"/> register it too.
    /// </summary>
    public static void Register() => EnsureSchemeRegistered();

    /// <summary>Registers the scheme when the data link loads this package for a <c>sim:</c> URI.</summary>
    static SimulatorScheme() => EnsureSchemeRegistered();

    /// <summary>The names published now.</summary>
    public static IReadOnlyCollection<string> PublishedNames => s_devices.Keys.Order(StringComparer.OrdinalIgnoreCase).ToArray();

    private static void EnsureSchemeRegistered()
    {
        lock (s_registration)
        {
            if (!TransportFactory.IsSchemeRegistered(Scheme))
                TransportFactory.RegisterScheme(Scheme, ConnectAsync);
        }
    }

    private static async Task<ILinkTransport> ConnectAsync(LinkUri uri, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string name = uri.HasAuthority ? uri.Host : uri.Path;
        if (name.Length == 0 || name is "single" or "chain")
        {
            // sim:[single|chain]?devices=N&...: a bench made at the first connect and kept for the process, so a link
            // that is opened again (an update reopens its link) reaches the same devices.
            VirtualBench bench = await VirtualBench.ForUriAsync(uri.Text, cancellationToken).ConfigureAwait(false);
            name = bench.Name;
        }
        else
            uri.RequireKnownParameters();
        if (s_devices.TryGetValue(name, out VirtualDevice? published) && published.HasUpstream)
        {
            // The previous host may have just closed its end (a link opened again at once): its wire is unplugged as soon
            // as the device sees the end, which takes a moment. A host that is still connected keeps the port.
            try
            {
                await published.UpstreamEnded.WaitAsync(HostLeavingGrace, cancellationToken).ConfigureAwait(false);
                await published.DetachEndedUpstreamAsync().ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still in use: Attach says so.
            }
        }
        return Attach(uri, name);
    }

    /// <summary>How long a connect waits for the previous host's end of the wire to be seen gone.</summary>
    private static readonly TimeSpan HostLeavingGrace = TimeSpan.FromSeconds(1);

    private static ILinkTransport Attach(LinkUri uri, string name)
    {
        if (!s_devices.TryGetValue(name, out VirtualDevice? device))
            throw new TransportConnectException(uri.Text, $"no virtual device is published as sim:{name} (published: {string.Join(", ", PublishedNames)}).");
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"sim-{name}");
        try
        {
            device.AttachUpstream(deviceEnd);
        }
        catch (ObjectDisposedException ex)
        {
            throw new TransportConnectException(uri.Text, "the device was disposed.", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new TransportConnectException(uri.Text, "the device's port is in use by another host connection.", ex);
        }
        _ = FreePortWhenHostLeavesAsync(device);
        return hostEnd;
    }

    private static async Task FreePortWhenHostLeavesAsync(VirtualDevice device)
    {
        await device.UpstreamEnded.ConfigureAwait(false);
        try
        {
            await device.DetachEndedUpstreamAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The device went away first.
        }
    }

    private sealed class Publication(string name, VirtualDevice device) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                s_devices.TryRemove(new KeyValuePair<string, VirtualDevice>(name, device));
        }
    }
}
