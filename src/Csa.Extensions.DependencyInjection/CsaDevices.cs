using Csa.Bootloader.Updates;
using Microsoft.Extensions.Options;

namespace Csa.Extensions.DependencyInjection;

/// <summary>
/// The devices of an application that uses the container: the <see cref="DeviceNetwork"/> over the configured links,
/// opened at the first call and kept (opened again after a failed attempt), an updater and the service operations over
/// it, all with the options the container holds. A singleton; disposing the container closes the links.
/// </summary>
public sealed class CsaDevices : IAsyncDisposable, IDisposable
{
    private readonly IOptions<CsaDevicesOptions> _links;
    private readonly IOptions<DeviceNetworkOptions> _network;
    private readonly IOptions<UpdateOptions> _updates;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DeviceNetwork? _open;
    private int _disposed;

    /// <summary>Created by the container.</summary>
    public CsaDevices(IOptions<CsaDevicesOptions> links, IOptions<DeviceNetworkOptions> network, IOptions<UpdateOptions> updates)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(updates);
        _links = links;
        _network = network;
        _updates = updates;
    }

    /// <summary>The update settings (bound from <c>Updates</c>, logging from the container).</summary>
    public UpdateOptions UpdateOptions => _updates.Value;

    /// <summary>The network over the configured links, opened at the first call (nothing discovered: call <see cref="DeviceNetwork.DiscoverAsync"/>).</summary>
    /// <exception cref="OptionsValidationException">The configuration names no link, or a malformed one.</exception>
    /// <exception cref="Csa.DataLink.DataLinkException">A link could not be opened (the next call tries again).</exception>
    public async Task<DeviceNetwork> GetNetworkAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _open) is { } open)
            return open;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_open is null)
            {
                string[] links = _links.Value.Links.ToArray();
                _open = await DeviceNetwork.ConnectUrisAsync(links, _network.Value, cancellationToken).ConfigureAwait(false);
            }
            return _open;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>An updater over <see cref="GetNetworkAsync"/> with <see cref="UpdateOptions"/>.</summary>
    public async Task<FirmwareUpdater> GetUpdaterAsync(CancellationToken cancellationToken = default) =>
        new(await GetNetworkAsync(cancellationToken).ConfigureAwait(false), UpdateOptions);

    /// <summary>The service operations (reset, regions, verify, erase) over <see cref="GetNetworkAsync"/>.</summary>
    public async Task<DeviceMaintenance> GetMaintenanceAsync(CancellationToken cancellationToken = default) =>
        new(await GetNetworkAsync(cancellationToken).ConfigureAwait(false), UpdateOptions);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (Interlocked.Exchange(ref _open, null) is { } open)
            await open.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
