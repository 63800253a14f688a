using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates.Internal;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Updates;

/// <summary>
/// The host's view of its devices: one host data link node with one link per <see cref="NetworkLink"/> (a daisy chain,
/// one device of a star, a TCP gateway, a bus with fixed addresses), an RPC client over it, and discovery. Thread-safe:
/// many updates run over one network at once. Dispose it to close every link.
/// </summary>
/// <remarks>
/// A device that restarts keeps its address; a device that loses power comes back without one, and a link can be
/// lost and reopened. <see cref="FindAsync"/> finds a device again by its unique id: first at its last address, then
/// by reopening and enumerating its link again (which gives every device of a chain its old address back, because
/// enumeration assigns addresses in chain order), then on the other links.
/// </remarks>
public sealed partial class DeviceNetwork : IAsyncDisposable, IDisposable
{
    private readonly DeviceNetworkOptions _options;
    private readonly ILogger _logger;
    private readonly LinkSlot[] _slots;
    private readonly ConcurrentDictionary<DeviceUid, DeviceInfo> _known = new();
    private readonly ConcurrentDictionary<RulesKey, (UpdateRules? Rules, Csa.Rpc.Device.ImageKind AskedOf)> _rules = new();
    private IReadOnlyList<DeviceInfo> _devices = [];
    private int _disposed;

    private DeviceNetwork(DeviceNetworkOptions options, NetworkLink[] links)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<DeviceNetwork>();
        Node = new DataLinkNode(new DataLinkNodeOptions
        {
            MaxFrameSize = options.HostMaxFrameSize,
            LinkManagementTimeout = options.LinkManagementTimeout,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
            // The network opens its links again after they close (NetworkLink): its RPC client outlives a link.
            KeepSocketsWithoutLinks = true,
        });
        Client = new RpcClient(Node.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions
        {
            DefaultTimeout = options.CommandTimeout,
            MaxAttempts = options.CommandAttempts,
            OwnsSocket = true,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        });
        int stride = options.AddressesPerLink ?? Math.Clamp((NodeAddress.LastDevice - NodeAddress.FirstDevice + 1) / Math.Max(1, links.Length), 1, 32);
        _slots = new LinkSlot[links.Length];
        for (int i = 0; i < links.Length; i++)
        {
            int first = links[i].FirstAddress ?? NodeAddress.FirstDevice + (i * stride);
            if (first > NodeAddress.LastDevice)
                throw new ArgumentException($"Link {i} ({links[i].Name}) would start at address {first}, past the last device address; set AddressesPerLink or the links' FirstAddress.", nameof(links));
            _slots[i] = new LinkSlot(i, links[i], (byte)first);
        }
    }

    /// <summary>The host's data link node (for counters, routes and low-level access).</summary>
    public DataLinkNode Node { get; }

    /// <summary>The RPC client every device client of this network uses.</summary>
    public RpcClient Client { get; }

    /// <summary>The links, in the order given (<see cref="DeviceInfo.LinkIndex"/> indexes this list).</summary>
    public IReadOnlyList<NetworkLink> Links => _slots.Select(s => s.Spec).ToArray();

    /// <summary>The devices the last <see cref="DiscoverAsync"/> found, in link and chain order.</summary>
    public IReadOnlyList<DeviceInfo> Devices => Volatile.Read(ref _devices);

    /// <summary>The settings.</summary>
    public DeviceNetworkOptions Options => _options;

    /// <summary>
    /// Opens every link (nothing is enumerated yet; call <see cref="DiscoverAsync"/>).
    /// </summary>
    /// <param name="links">The links, at least one.</param>
    /// <param name="options">Settings; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops opening.</param>
    /// <exception cref="ArgumentException">No link, or the links' address ranges do not fit.</exception>
    /// <exception cref="DataLinkException">A link could not be opened (the links opened so far are closed again).</exception>
    public static async Task<DeviceNetwork> ConnectAsync(IEnumerable<NetworkLink> links, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(links);
        NetworkLink[] list = links.ToArray();
        if (list.Length == 0)
            throw new ArgumentException("A network needs at least one link.", nameof(links));
        foreach (NetworkLink link in list)
            ArgumentNullException.ThrowIfNull(link, nameof(links));
        options ??= DeviceNetworkOptions.Default;
        options.Validate();
        var network = new DeviceNetwork(options, list);
        try
        {
            await Task.WhenAll(network._slots.Select(s => network.EnsureOpenAsync(s, cancellationToken))).ConfigureAwait(false);
            return network;
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens one enumerated link by its URI (<c>tcp://host:port</c>, <c>serial:/dev/ttyUSB0?baud=115200</c>,
    /// <c>sim:NAME</c>, ...); nothing is enumerated yet (call <see cref="DiscoverAsync"/>). The async form of
    /// <see cref="Connect(string, DeviceNetworkOptions?, CancellationToken)"/>.
    /// </summary>
    /// <param name="linkUri">The link's URI.</param>
    /// <param name="options">Settings; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops opening.</param>
    /// <exception cref="ArgumentNullException"><paramref name="linkUri"/> is null.</exception>
    /// <exception cref="Csa.DataLink.Transports.LinkUriException">The URI is malformed, names an unknown scheme or carries a bad parameter.</exception>
    /// <exception cref="Csa.DataLink.DataLinkException">The link could not be opened.</exception>
    public static Task<DeviceNetwork> ConnectAsync(string linkUri, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkUri);
        return ConnectUrisAsync([linkUri], options, cancellationToken);
    }

    /// <summary>Opens one enumerated link per URI (<c>tcp://...</c>, <c>serial://...</c>); see <see cref="ConnectAsync(IEnumerable{NetworkLink}, DeviceNetworkOptions?, CancellationToken)"/>.</summary>
    public static Task<DeviceNetwork> ConnectUrisAsync(IEnumerable<string> linkUris, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkUris);
        return ConnectAsync(linkUris.Select(uri => NetworkLink.FromUri(uri)).ToArray(), options, cancellationToken);
    }

    /// <summary>Opens one enumerated link per transport (links that cannot be reopened); see <see cref="ConnectAsync(IEnumerable{NetworkLink}, DeviceNetworkOptions?, CancellationToken)"/>.</summary>
    public static Task<DeviceNetwork> ConnectTransportsAsync(IEnumerable<ILinkTransport> transports, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transports);
        return ConnectAsync(transports.Select(t => NetworkLink.FromTransport(t)).ToArray(), options, cancellationToken);
    }

    /// <summary>A Device interface client for <paramref name="device"/> over this network.</summary>
    public DeviceClient CreateDeviceClient(DeviceInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new DeviceClient(Client, device.Address);
    }

    /// <summary>A Bootloader interface client for <paramref name="device"/> over this network (answered while its bootloader runs).</summary>
    public BootloaderClient CreateBootloaderClient(DeviceInfo device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new BootloaderClient(Client, device.Address);
    }

    /// <summary>Closes every link and the RPC client. Calls in progress fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Client.DisposeAsync().ConfigureAwait(false);
        RpcClient? groupClient;
        lock (_groupsLock)
            groupClient = _groupClient;
        if (groupClient is not null)
            await groupClient.DisposeAsync().ConfigureAwait(false);
        await Node.DisposeAsync().ConfigureAwait(false);
        foreach (LinkSlot slot in _slots)
            slot.Gate.Dispose();
    }

    /// <summary>Blocking form of <see cref="DisposeAsync"/> (Python's <c>with</c>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <inheritdoc />
    public override string ToString() => $"DeviceNetwork: {_slots.Length} link(s), {Devices.Count} device(s) known";

    /// <summary>One link: its spec, the node link open now, and what its last enumeration found.</summary>
    private sealed class LinkSlot(int index, NetworkLink spec, byte firstAddress)
    {
        public int Index { get; } = index;

        public NetworkLink Spec { get; } = spec;

        public byte FirstAddress { get; } = firstAddress;

        /// <summary>Serialises opening and enumerating this link: one enumeration at a time re-addresses a chain.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public NodeLink? Link { get; set; }

        /// <summary>When the link was last enumerated or reopened (TimeProvider timestamp), so concurrent finders enumerate once.</summary>
        public long LastRediscovered { get; set; } = long.MinValue;

        private long _addressGeneration;

        /// <summary>Counts what may have given the link's devices other addresses: enumerations, reopenings, address assignments.</summary>
        public long AddressGeneration => Interlocked.Read(ref _addressGeneration);

        /// <summary>The link's devices may have other addresses now.</summary>
        public void Readdressed() => Interlocked.Increment(ref _addressGeneration);
    }
}
