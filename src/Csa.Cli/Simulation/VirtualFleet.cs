using Csa.Bootloader.Images;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Bus.Emulation;
using Csa.DataLink.Transports;
using Csa.Simulator;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Cli.Simulation;

/// <summary>
/// The simulated devices of one <see cref="SimulationSpec"/>: C# virtual devices, and C devices (the C firmware in
/// csa-device processes) at the positions <see cref="SimulationSpec.CDevices"/> names; made, programmed with factory
/// firmware when their flash is blank, and wired either in this process (<see cref="WireInProcessAsync"/>: host ports
/// for a <see cref="Bootloader.Updates.DeviceNetwork"/>) or for serving (<see cref="WireForServing"/>: the chain behind
/// device 0, whose upstream port stays free for a TCP server or a pseudo-terminal). Disposing powers everything off,
/// saves the flash files and ends the C device processes.
/// </summary>
internal sealed class VirtualFleet : IAsyncDisposable
{
    private readonly SimulatedDevice[] _devices;
    private readonly List<IAsyncDisposable> _owned = [];
    private VirtualDeviceHost? _host;
    private IDisposable? _bus;
    private int _disposed;

    private VirtualFleet(SimulationSpec spec, SimulationKeys keys, DeviceFactory factory, SimulatedDevice[] devices)
    {
        Spec = spec;
        Keys = keys;
        Factory = factory;
        _devices = devices;
    }

    public SimulationSpec Spec { get; }

    public SimulationKeys Keys { get; }

    /// <summary>Signs with the simulation's signing key: the devices' factory images, and the images the demo installs.</summary>
    public DeviceFactory Factory { get; }

    /// <summary>The devices, in chain (or star port) order.</summary>
    public IReadOnlyList<SimulatedDevice> Devices => _devices;

    /// <summary>True when every device is a C# virtual device (wired by <see cref="VirtualDeviceHost"/>).</summary>
    private bool AllVirtual => _devices.All(d => !d.RunsCFirmware);

    private VirtualDevice Virtual(int index) => ((VirtualSimulatedDevice)_devices[index]).Device;

    /// <summary>The I2C address of device 0 of an <c>i2c</c> topology; device i is at this + i.</summary>
    public const int FirstBusAddress = 0x10;

    /// <summary>The unique id of simulated device <paramref name="index"/> of <paramref name="family"/> (stable, so state files match).</summary>
    public static DeviceUid UidFor(FlashFamily family, int index) =>
        DeviceUid.FromWords(0x0043_0010u + (uint)index, family == FlashFamily.Stm32F4 ? 0x3446_5351u : 0x344C_5351u, 0x3132_3032u);

    /// <summary>
    /// The profile a simulated device of <paramref name="spec"/> gets: signatures, encryption (an identity key, put into a C
    /// device's key storage), downgrade protection, the spec's receive buffers.
    /// </summary>
    public static DeviceProfile ProfileFor(SimulationSpec spec, SimulationKeys keys, int index) => new()
    {
        MemoryMap = spec.Family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
        Uid = UidFor(spec.Family, spec.FirstDevice + index),
        ProductName = $"Csa {(spec.CDevices.Contains(index) ? "C" : "virtual")} {(spec.Family == FlashFamily.Stm32F4 ? "STM32F4" : "STM32L4")} #{spec.FirstDevice + index}",
        Authentication = ImageAuthentication.EcdsaP256Sha256,
        TrustedSigningKeys = keys.Trusted,
        // A provisioning product makes its identity key on the device at provisioning; before that it has none.
        IdentityKey = keys.ProductionAnchors.Count > 0 ? null : keys.IdentityKey(index),
        FlashTiming = spec.Timing,
        ReceiveBuffers = (byte)spec.ReceiveBuffers,
        RequireProvisioning = keys.ProductionAnchors.Count > 0,
        ProductionTrustAnchors = keys.ProductionAnchors,
    };

    /// <summary>
    /// Makes the devices (powered off, not wired). A device whose flash file exists keeps its flash; a blank one gets
    /// the factory images, signed with the simulation's signing key.
    /// </summary>
    /// <param name="spec">What to make.</param>
    /// <param name="profileFor">The profile of device i (default <see cref="ProfileFor"/>).</param>
    /// <param name="serving">Devices served to other processes publish heartbeats and telemetry; in-process ones stay quiet.</param>
    /// <param name="loggerFactory">Device logs (--verbose).</param>
    /// <param name="cancellationToken">Stops the build.</param>
    public static async Task<VirtualFleet> CreateAsync(SimulationSpec spec, Func<SimulationKeys, int, DeviceProfile>? profileFor = null,
        bool serving = false, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        spec.Validate();
        SimulationKeys keys = SimulationKeys.Load(spec);
        SimulationStore? store = spec.Store;
        if (store is { PersistFlash: true })
            store.EnsureDirectory();
        var factory = new DeviceFactory(new DeviceFactoryOptions { SigningKey = keys.SigningKey });
        var devices = new List<SimulatedDevice>();
        string? program = spec.CDevices.Count == 0 ? null : spec.CDeviceProgram ?? await LocateCDeviceProgramAsync(cancellationToken).ConfigureAwait(false);
        ILogger cLogger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Csa.Cli.CDevice");
        try
        {
            for (int i = 0; i < spec.Devices; i++)
            {
                DeviceProfile profile = profileFor?.Invoke(keys, i) ?? ProfileFor(spec, keys, i);
                string? flashPath = store is { PersistFlash: true } ? store.FlashPath(i) : null;
                // The identity key a provisioned device makes lives in the chip's key store, not in flash: with a store it
                // persists in a file of its own beside the flash file, so the device stays provisioned.
                string? keyStorage = store is { PersistFlash: true } ? Path.ChangeExtension(store.IdentityKeyPath(i), ".keystore") : null;
                if (spec.CDevices.Contains(i))
                {
                    devices.Add(await CSimulatedDevice.CreateAsync(i, profile, program!, spec, spec.PowerOffTime, serving, flashPath, keyStorage, factory, cLogger, cancellationToken).ConfigureAwait(false));
                    continue;
                }
                // A device whose flash file exists keeps its flash; a blank one gets the factory images (a product that is
                // provisioned first gets its application from the assembler's station, after provisioning).
                VirtualDevice device = await factory.CreateDeviceAsync(profile, new VirtualDeviceOptions
                {
                    Name = $"sim-{i}",
                    FlashFilePath = flashPath,
                    LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
                    HeartbeatInterval = serving ? TimeSpan.FromSeconds(5) : null,
                    PublishTelemetry = serving,
                    KeyStorage = keyStorage is null ? null : new SecureKeyStorage(keyStorage),
                }, FactoryFirmwareFor(factory, profile), cancellationToken).ConfigureAwait(false);
                devices.Add(new VirtualSimulatedDevice(i, device));
            }
            return new VirtualFleet(spec, keys, factory, [.. devices]);
        }
        catch
        {
            foreach (SimulatedDevice device in devices)
                await device.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// What the electronics manufacturer programs: the bootloader and the application, or the bootloader only for a
    /// product that is provisioned first (its application comes from the assembler's production station).
    /// </summary>
    public static FactoryFirmware FactoryFirmwareFor(DeviceFactory factory, DeviceProfile profile) =>
        profile.RequireProvisioning ? factory.Options.Firmware.WithoutApplication() : factory.Options.Firmware;

    private static async Task<string> LocateCDeviceProgramAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CDeviceProgram.LocateAsync(null, _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (CDeviceUnavailableException e)
        {
            throw CliException.File($"C devices: {e.Message}");
        }
    }

    /// <summary>The cables: in-memory pipes, or emulated UART lines at <see cref="SimulationSpec.Baud"/>.</summary>
    public VirtualLinkFactory LinkFactory => Spec.Baud == 0
        ? VirtualLinks.InMemory("sim")
        : VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = Spec.Baud }));

    /// <summary>
    /// Wires the devices in this process (a chain or single device behind one host port, a star with one per device),
    /// powers them on, and returns the host ports for the host node (which then owns them).
    /// </summary>
    public async Task<IReadOnlyList<ILinkTransport>> WireInProcessAsync(CancellationToken cancellationToken)
    {
        if (!AllVirtual)
            return await WireMixedInProcessAsync(cancellationToken).ConfigureAwait(false);
        VirtualDevice[] devices = [.. _devices.Select((_, i) => Virtual(i))];
        if (Spec.IsBus)
        {
            // One emulated bus, a slave per device, a host link per device: a star whose links share the wire.
            VirtualLinkFactory slaves;
            if (Spec.Topology == SimulationTopology.I2c)
            {
                var i2c = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = Spec.EffectiveBusClock });
                (_bus, slaves) = (i2c, VirtualLinks.I2cBus(i2c, FirstBusAddress, readyLines: Spec.ReadyLines));
            }
            else
            {
                var spi = new EmulatedSpiBus();
                (_bus, slaves) = (spi, VirtualLinks.SpiBus(spi, Spec.EffectiveBusClock, readyLines: Spec.ReadyLines));
            }
            _host = await VirtualDeviceHost.CreateStarAsync(devices.Length, i => devices[i], slaves, powerOn: true, cancellationToken).ConfigureAwait(false);
            return _host.HostPorts;
        }
        _host = Spec.Topology == SimulationTopology.Star
            ? await VirtualDeviceHost.CreateStarAsync(devices.Length, i => devices[i], LinkFactory, powerOn: true, cancellationToken).ConfigureAwait(false)
            : await VirtualDeviceHost.CreateChainAsync(devices.Length, i => devices[i], LinkFactory, powerOn: true, cancellationToken).ConfigureAwait(false);
        return _host.HostPorts;
    }

    /// <summary>
    /// Wires a chain's devices to each other and returns the devices whose upstream port faces the host: device 0 of a
    /// chain or single device, every device of a star. Power them on after plugging something into those ports.
    /// </summary>
    public IReadOnlyList<SimulatedDevice> WireForServing()
    {
        if (Spec.Topology == SimulationTopology.Star)
            return _devices;
        VirtualLinkFactory cables = LinkFactory;
        for (int i = 1; i < _devices.Length; i++)
            Connect(cables(i), _devices[i - 1], _devices[i]);
        return [_devices[0]];
    }

    /// <summary>
    /// A chain, single device or star with C devices in it: the same cables as <see cref="VirtualDeviceHost"/> lays
    /// (cable 0 from the host port to device 0, cable i from device i-1's downstream to device i's upstream; a star's
    /// cable i from host port i to device i), a C device's ends bridged to its TCP links; then every device powered on.
    /// </summary>
    private async Task<IReadOnlyList<ILinkTransport>> WireMixedInProcessAsync(CancellationToken cancellationToken)
    {
        if (Spec.IsBus)
            throw CliException.Usage("C devices sit on UART cables (single, chain or star), not on an I2C or SPI bus");
        VirtualLinkFactory cables = LinkFactory;
        var hostPorts = new List<ILinkTransport>();
        for (int i = 0; i < _devices.Length; i++)
        {
            VirtualLink cable = cables(i);
            if (Spec.Topology == SimulationTopology.Star || i == 0)
            {
                hostPorts.Add(cable.HostEnd);
                Connect(cable, upstreamOf: null, _devices[i]);
            }
            else
            {
                Connect(cable, _devices[i - 1], _devices[i]);
            }
        }
        await PowerOnAllAsync(cancellationToken).ConfigureAwait(false);
        return hostPorts;
    }

    /// <summary>Lays <paramref name="cable"/> from <paramref name="upstreamOf"/>'s downstream (null: the host's end stays free) to <paramref name="device"/>'s upstream.</summary>
    private void Connect(VirtualLink cable, SimulatedDevice? upstreamOf, SimulatedDevice device)
    {
        if (cable.Medium is not null)
            _owned.Add(cable.Medium);
        upstreamOf?.AttachDownstream(cable.HostEnd);
        device.AttachUpstream(cable.DeviceEnd);
    }

    /// <summary>Remembers something to dispose after the devices (a TCP server, a pseudo-terminal).</summary>
    public void Own(IAsyncDisposable resource) => _owned.Insert(0, resource);

    public Task PowerOnAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_devices.Select(d => d.PowerOnAsync(cancellationToken)));

    /// <summary>Cuts the power of every device at once (flash operations in progress are torn, as on a real board).</summary>
    public Task CutPowerAllAsync() => Task.WhenAll(_devices.Select(d => d.CutPowerAsync()));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // Servers first (they hand back the devices' ports), then the devices (saving flash), then the cables.
        foreach (IAsyncDisposable resource in _owned.Where(r => r is TcpDeviceServer or PseudoTerminalDevicePort).ToArray())
            await resource.DisposeAsync().ConfigureAwait(false);
        if (_host is not null)
            await _host.DisposeAsync().ConfigureAwait(false);
        else
            await Task.WhenAll(_devices.Select(d => d.DisposeAsync().AsTask())).ConfigureAwait(false);
        _bus?.Dispose();
        foreach (IAsyncDisposable resource in _owned.Where(r => r is not TcpDeviceServer and not PseudoTerminalDevicePort).ToArray())
            await resource.DisposeAsync().ConfigureAwait(false);
    }
}
