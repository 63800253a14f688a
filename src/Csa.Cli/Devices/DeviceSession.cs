using Csa.Bootloader.Updates;
using Csa.Cli.Simulation;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Hosting;

namespace Csa.Cli.Devices;

/// <summary>
/// One command's connection to its devices: the links of <c>--link</c> opened (a <c>sim:</c> link builds its virtual
/// devices in this process first), one <see cref="DeviceNetwork"/> over all of them, and the devices discovered.
/// Disposing closes the links and powers the in-process devices off (saving their flash files).
/// </summary>
internal sealed class DeviceSession : IAsyncDisposable
{
    private readonly List<VirtualFleet> _fleets;

    private DeviceSession(DeviceNetwork network, IReadOnlyList<DeviceInfo> devices, List<VirtualFleet> fleets, LinkSettings settings)
    {
        Network = network;
        Devices = devices;
        _fleets = fleets;
        Settings = settings;
    }

    public DeviceNetwork Network { get; }

    /// <summary>What discovery found, in link and chain order (never empty).</summary>
    public IReadOnlyList<DeviceInfo> Devices { get; }

    public LinkSettings Settings { get; }

    /// <summary>The in-process simulations of <c>sim:</c> links.</summary>
    public IReadOnlyList<VirtualFleet> Simulations => _fleets;

    /// <summary>Opens every link, discovers, and fails with exit 5 when no device answers.</summary>
    public static async Task<DeviceSession> OpenAsync(CommandContext context, LinkSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Links.Count == 0)
            throw CliException.Usage("give at least one --link");
        var fleets = new List<VirtualFleet>();
        DeviceNetwork? network = null;
        try
        {
            var links = new List<NetworkLink>();
            foreach (string uri in settings.Links)
            {
                if (uri.StartsWith("sim:", StringComparison.OrdinalIgnoreCase) && !IsPublishedDevice(uri))
                {
                    if (fleets.Count > 0)
                        throw CliException.Usage("one sim: link per command (its devices would have the same unique ids); use devices=N");
                    SimulationSpec spec = SimulationSpec.ParseUri(uri);
                    VirtualFleet fleet = await VirtualFleet.CreateAsync(spec, loggerFactory: context.LoggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
                    fleets.Add(fleet);
                    foreach (ILinkTransport port in await fleet.WireInProcessAsync(cancellationToken).ConfigureAwait(false))
                        links.Add(NetworkLink.FromTransport(port));
                }
                else if (Ports.SerialAuto.Is(uri))
                {
                    links.Add(RealLink(await Ports.SerialAuto.ResolveAsync(uri, settings, context, cancellationToken).ConfigureAwait(false), settings.ConnectTimeout));
                }
                else
                {
                    links.Add(RealLink(uri, settings.ConnectTimeout));
                }
            }

            network = await DeviceNetwork.ConnectAsync(links, new DeviceNetworkOptions
            {
                Retry = new RetryPolicy { Timeout = settings.CommandTimeout, Attempts = settings.CommandAttempts },
                LoggerFactory = context.LoggerFactory,
            }, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            if (devices.Count == 0)
                throw new CliException(ExitCodes.Unreachable, $"no device answered on {string.Join(", ", settings.Links)}");
            return new DeviceSession(network, devices, fleets, settings);
        }
        catch
        {
            if (network is not null)
                await network.DisposeAsync().ConfigureAwait(false);
            foreach (VirtualFleet fleet in fleets)
                await fleet.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// True for <c>sim:NAME</c> where a program hosting this tool in-process published a virtual device under NAME
    /// (<see cref="SimulatorScheme.Publish"/>): that device is opened like any other link instead of building a new one.
    /// </summary>
    private static bool IsPublishedDevice(string uri)
    {
        string name = uri["sim:".Length..];
        int query = name.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
            name = name[..query];
        return name.Length > 0 && SimulatorScheme.PublishedNames.Contains(name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A link opened through <see cref="TransportFactory"/> within <paramref name="connectTimeout"/> (also when the link is
    /// reopened during an update). The URI is checked now, so a malformed one is a usage error before anything is opened.
    /// </summary>
    private static NetworkLink RealLink(string uri, TimeSpan connectTimeout)
    {
        LinkUri.Parse(uri);
        return NetworkLink.FromFactory(uri, async cancellationToken =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connectTimeout);
            try
            {
                return await TransportFactory.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TransportConnectTimeoutException(uri, connectTimeout);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Network.DisposeAsync().ConfigureAwait(false);
        foreach (VirtualFleet fleet in _fleets)
            await fleet.DisposeAsync().ConfigureAwait(false);
    }
}
