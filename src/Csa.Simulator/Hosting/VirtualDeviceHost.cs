using System.Net;
using Csa.DataLink;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Simulator.Hosting;

/// <summary>
/// A set of virtual devices wired into a topology in this process: a daisy chain behind one host port, or a
/// star with one host port per device. The host side is yours: add each of <see cref="HostPorts"/> to your host's
/// <see cref="DataLinkNode"/> (which then owns it) and enumerate.
/// </summary>
public sealed class VirtualDeviceHost : IAsyncDisposable
{
    private readonly VirtualDevice[] _devices;
    private readonly ILinkTransport[] _hostPorts;
    private readonly IAsyncDisposable[] _media;
    private int _disposed;

    private VirtualDeviceHost(VirtualDevice[] devices, ILinkTransport[] hostPorts, IAsyncDisposable[] media)
    {
        _devices = devices;
        _hostPorts = hostPorts;
        _media = media;
    }

    /// <summary>The devices, in chain order (or star port order).</summary>
    public IReadOnlyList<VirtualDevice> Devices => _devices;

    /// <summary>
    /// The host-side ends: one for a chain, one per device for a star. Add them to the host node with
    /// <see cref="LinkRole.Downstream"/>; the node owns and disposes them from then on.
    /// </summary>
    public IReadOnlyList<ILinkTransport> HostPorts => _hostPorts;

    /// <summary>
    /// Wires <paramref name="count"/> devices into a daisy chain: host port → device 0 → device 1 → …; each device
    /// forwards what is not addressed to it. Devices are created powered off; pass <paramref name="powerOn"/> to
    /// boot them all.
    /// </summary>
    /// <param name="count">How many devices, 1..239 (the device address range).</param>
    /// <param name="deviceFactory">Makes device <c>i</c> (give each a distinct unique id); the host owns it from then on.</param>
    /// <param name="linkFactory">The cable with index <c>i</c> (0 is the host's); null uses in-memory pipes.</param>
    /// <param name="powerOn">Boots every device before returning.</param>
    /// <param name="cancellationToken">Stops the power-on.</param>
    public static Task<VirtualDeviceHost> CreateChainAsync(int count, Func<int, VirtualDevice> deviceFactory,
        VirtualLinkFactory? linkFactory = null, bool powerOn = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceFactory);
        return CreateChainAsync(count, Synchronous(deviceFactory), linkFactory, powerOn, cancellationToken);
    }

    /// <summary>
    /// Wires <paramref name="count"/> devices, made by an asynchronous factory (<see cref="DeviceFactory.CreateDeviceAsync"/>,
    /// for one), into a daisy chain; see <see cref="CreateChainAsync(int, Func{int, VirtualDevice}, VirtualLinkFactory?, bool, CancellationToken)"/>.
    /// </summary>
    /// <param name="count">How many devices, 1..239 (the device address range).</param>
    /// <param name="deviceFactory">Makes device <c>i</c> (give each a distinct unique id); the host owns it from then on.</param>
    /// <param name="linkFactory">The cable with index <c>i</c> (0 is the host's); null uses in-memory pipes.</param>
    /// <param name="powerOn">Boots every device before returning.</param>
    /// <param name="cancellationToken">Stops making the devices and the power-on.</param>
    public static Task<VirtualDeviceHost> CreateChainAsync(int count, Func<int, CancellationToken, Task<VirtualDevice>> deviceFactory,
        VirtualLinkFactory? linkFactory = null, bool powerOn = true, CancellationToken cancellationToken = default)
    {
        Validate(count, deviceFactory);
        // Cable 0 runs from the host to device 0; cable i from device i-1's downstream port to device i.
        return BuildAsync(count, deviceFactory, linkFactory ?? VirtualLinks.InMemory("chain"), powerOn,
            (devices, i, hostEnd, hostPorts) =>
            {
                if (i == 0)
                    hostPorts.Add(hostEnd);
                else
                    devices[i - 1].AttachDownstream(hostEnd);
            }, cancellationToken);
    }

    /// <summary>
    /// Wires <paramref name="count"/> devices into a star: one cable per device, each with its own host port.
    /// Parameters as for <see cref="CreateChainAsync(int, Func{int, VirtualDevice}, VirtualLinkFactory?, bool, CancellationToken)"/>.
    /// </summary>
    public static Task<VirtualDeviceHost> CreateStarAsync(int count, Func<int, VirtualDevice> deviceFactory,
        VirtualLinkFactory? linkFactory = null, bool powerOn = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceFactory);
        return CreateStarAsync(count, Synchronous(deviceFactory), linkFactory, powerOn, cancellationToken);
    }

    /// <summary>
    /// Wires <paramref name="count"/> devices, made by an asynchronous factory, into a star. Parameters as for
    /// <see cref="CreateChainAsync(int, Func{int, CancellationToken, Task{VirtualDevice}}, VirtualLinkFactory?, bool, CancellationToken)"/>.
    /// </summary>
    public static Task<VirtualDeviceHost> CreateStarAsync(int count, Func<int, CancellationToken, Task<VirtualDevice>> deviceFactory,
        VirtualLinkFactory? linkFactory = null, bool powerOn = true, CancellationToken cancellationToken = default)
    {
        Validate(count, deviceFactory);
        // Every cable runs from a host port of its own to one device.
        return BuildAsync(count, deviceFactory, linkFactory ?? VirtualLinks.InMemory("star"), powerOn,
            (_, _, hostEnd, hostPorts) => hostPorts.Add(hostEnd), cancellationToken);
    }

    private static Func<int, CancellationToken, Task<VirtualDevice>> Synchronous(Func<int, VirtualDevice> deviceFactory) =>
        (index, _) => Task.FromResult(deviceFactory(index));

    /// <summary>
    /// Makes the devices and their cables, lets <paramref name="attachHostEnd"/> plug in the host end of cable i (a
    /// chain and a star differ only there), and powers everything on; on failure disposes what was made.
    /// </summary>
    private static async Task<VirtualDeviceHost> BuildAsync(int count, Func<int, CancellationToken, Task<VirtualDevice>> deviceFactory, VirtualLinkFactory linkFactory,
        bool powerOn, Action<List<VirtualDevice>, int, ILinkTransport, List<ILinkTransport>> attachHostEnd, CancellationToken cancellationToken)
    {
        var devices = new List<VirtualDevice>();
        var media = new List<IAsyncDisposable>();
        var hostPorts = new List<ILinkTransport>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                VirtualDevice device = await deviceFactory(i, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The device factory returned null for device {i}.");
                devices.Add(device);
                VirtualLink link = linkFactory(i) ?? throw new InvalidOperationException($"The link factory returned null for cable {i}.");
                if (link.Medium is not null)
                    media.Add(link.Medium);
                attachHostEnd(devices, i, link.HostEnd, hostPorts);
                device.AttachUpstream(link.DeviceEnd);
            }
            var host = new VirtualDeviceHost([.. devices], [.. hostPorts], [.. media]);
            if (powerOn)
                await host.PowerOnAllAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await DisposeAllAsync(devices, hostPorts, media).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Wires <paramref name="count"/> new devices made from profiles into a daisy chain (see
    /// <see cref="CreateChainAsync(int, Func{int, VirtualDevice}, VirtualLinkFactory?, bool, CancellationToken)"/>).
    /// </summary>
    /// <param name="count">How many devices, 1..239.</param>
    /// <param name="profileFactory">The profile of device <c>i</c> (give each a distinct unique id).</param>
    /// <param name="linkFactory">The cable with index <c>i</c>; null uses in-memory pipes.</param>
    /// <param name="optionsFactory">The options of device <c>i</c> (give each its own flash file, if any); null uses the defaults.</param>
    /// <param name="provision">
    /// Runs on every device before power-on, e.g. <c>d => FactoryProgrammer.Program(d.Profile, d.Flash, bootloader, application: app)</c>
    /// for blank devices (or make the devices with a <see cref="DeviceFactory"/> instead); null leaves the flash as it is
    /// (blank devices boot <see cref="VirtualDeviceState.Bricked"/>).
    /// </param>
    /// <param name="powerOn">Boots every device before returning.</param>
    /// <param name="cancellationToken">Stops the power-on.</param>
    public static Task<VirtualDeviceHost> CreateChainAsync(int count, Func<int, DeviceProfile> profileFactory, VirtualLinkFactory? linkFactory = null,
        Func<int, VirtualDeviceOptions>? optionsFactory = null, Action<VirtualDevice>? provision = null, bool powerOn = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profileFactory);
        return CreateChainAsync(count, FromProfiles(profileFactory, optionsFactory, provision), linkFactory, powerOn, cancellationToken);
    }

    /// <summary>
    /// Wires <paramref name="count"/> new devices made from profiles into a star. Parameters as for
    /// <see cref="CreateChainAsync(int, Func{int, DeviceProfile}, VirtualLinkFactory?, Func{int, VirtualDeviceOptions}?, Action{VirtualDevice}?, bool, CancellationToken)"/>.
    /// </summary>
    public static Task<VirtualDeviceHost> CreateStarAsync(int count, Func<int, DeviceProfile> profileFactory, VirtualLinkFactory? linkFactory = null,
        Func<int, VirtualDeviceOptions>? optionsFactory = null, Action<VirtualDevice>? provision = null, bool powerOn = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profileFactory);
        return CreateStarAsync(count, FromProfiles(profileFactory, optionsFactory, provision), linkFactory, powerOn, cancellationToken);
    }

    private static Func<int, VirtualDevice> FromProfiles(Func<int, DeviceProfile> profileFactory, Func<int, VirtualDeviceOptions>? optionsFactory, Action<VirtualDevice>? provision) => index =>
    {
        var device = new VirtualDevice(profileFactory(index), optionsFactory?.Invoke(index));
        try
        {
            provision?.Invoke(device);
        }
        catch
        {
            device.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        return device;
    };

    /// <summary>Serves <paramref name="device"/> over TCP on <paramref name="endPoint"/>; see <see cref="TcpDeviceServer.Start"/>.</summary>
    public static TcpDeviceServer ServeTcp(VirtualDevice device, IPEndPoint endPoint) => TcpDeviceServer.Start(device, endPoint);

    /// <summary>Puts <paramref name="device"/> on a pseudo-terminal (Linux); see <see cref="PseudoTerminalDevicePort.Open"/>.</summary>
    public static PseudoTerminalDevicePort ServePseudoTerminal(VirtualDevice device) => PseudoTerminalDevicePort.Open(device);

    /// <summary>Powers every device on (in parallel).</summary>
    public Task PowerOnAllAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(_devices.Select(d => d.PowerOnAsync(cancellationToken)));

    /// <summary>Powers every device off cleanly (in parallel).</summary>
    public Task PowerOffAllAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(_devices.Select(d => d.PowerOffAsync(cancellationToken)));

    /// <summary>Power-cycles every device (in parallel): they all come back unassigned; enumerate again.</summary>
    public Task PowerCycleAllAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(_devices.Select(d => d.PowerCycleAsync(cancellationToken)));

    /// <summary>
    /// Disposes the devices (each powers off and saves its flash file, if any) and the cables. Host ports that
    /// were never handed to a node are disposed too; disposing one twice is harmless.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await DisposeAllAsync(_devices, _hostPorts, _media).ConfigureAwait(false);
    }

    private static void Validate(int count, Delegate deviceFactory)
    {
        ArgumentNullException.ThrowIfNull(deviceFactory);
        int max = NodeAddress.LastDevice - NodeAddress.FirstDevice + 1;
        if (count < 1 || count > max)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A topology holds 1..{max} devices (the device address range).");
    }

    private static async Task DisposeAllAsync(IEnumerable<VirtualDevice> devices, IEnumerable<ILinkTransport> hostPorts, IEnumerable<IAsyncDisposable> media)
    {
        await Task.WhenAll(devices.Select(d => d.DisposeAsync().AsTask())).ConfigureAwait(false);
        foreach (ILinkTransport port in hostPorts)
            await port.DisposeAsync().ConfigureAwait(false);
        foreach (IAsyncDisposable medium in media)
            await medium.DisposeAsync().ConfigureAwait(false);
    }
}
