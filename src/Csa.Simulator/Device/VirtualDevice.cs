using Csa.DataLink;
using Csa.Simulator.Device.Internal;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Device;

/// <summary>
/// A virtual STM32 device: its flash, its firmware (pre-bootloader, two bootloader copies, an application) and
/// its wires. Power it on and it boots like the real board, then speaks the Csa data link and RPC protocol on
/// its wires: the Device interface always, the Bootloader interface while a bootloader runs, the DemoApp
/// interface while the application runs.
/// </summary>
/// <remarks>
/// <para>The wires (<see cref="AttachUpstream"/>, <see cref="AttachDownstream"/>) belong to the device and stay
/// plugged in across resets and power cycles. Each power-on builds a new data link node and RPC server over
/// them; while the device is off, bytes that arrive are lost.</para>
/// <para>The node address: a reset requested over the protocol (Device.Reset, Device.EnterBootloader) or by
/// <see cref="ResetAsync"/> keeps the address the host assigned, as firmware keeps it in a no-init RAM word that
/// the start-up code does not clear, so the host follows a device into its bootloader without enumerating the
/// chain again. Losing power loses it (<see cref="PowerOffAsync"/>, <see cref="CutPowerAsync"/>,
/// <see cref="PowerCycleAsync"/>): the device comes back unassigned and the host must enumerate again.</para>
/// </remarks>
public sealed partial class VirtualDevice : IAsyncDisposable
{
    private readonly SemaphoreSlim _power = new(1, 1);
    private readonly object _gate = new();
    private readonly VirtualDeviceOptions _options;
    private readonly ILogger _logger;
    private readonly IFirmwarePort _firmware;
    private PoweredRun? _run;
    private VirtualDeviceState _state;
    private string _stateReason = "not powered yet";
    private NodeAddress? _retainedAddress;
    private int _disposed;

    /// <summary>
    /// Creates a device, powered off, with <paramref name="profile"/>. Its flash is loaded from
    /// <see cref="VirtualDeviceOptions.FlashFilePath"/> when that file exists, and erased otherwise; a blank device
    /// is bricked until <see cref="FactoryProgrammer"/> writes its firmware into <see cref="Flash"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid, or the flash file holds another geometry or another device's unique id.</exception>
    /// <exception cref="FlashImageFileException">The flash file is not a valid flash image.</exception>
    public VirtualDevice(DeviceProfile profile, VirtualDeviceOptions? options = null)
        : this(profile, options, (p, flash, time, keys) => new DeviceFirmwarePort(new DeviceFirmware(p, flash, time, keys)
        {
            // The firmware's own messages (boot decisions, the update's steps, erase-ahead) go where the device's go.
            Logger = (options ?? new VirtualDeviceOptions()).LoggerFactory.CreateLogger<DeviceFirmware>(),
        }))
    {
    }

    internal VirtualDevice(DeviceProfile profile, VirtualDeviceOptions? options, Func<DeviceProfile, SimulatedFlash, TimeProvider, SecureKeyStorage, IFirmwarePort> firmwareFactory)
    {
        ArgumentNullException.ThrowIfNull(profile);
        options ??= new VirtualDeviceOptions();
        options.Validate();
        Profile = profile;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<VirtualDevice>();
        Name = options.Name ?? $"device-{profile.Uid}";
        Flash = CreateFlash(profile, options);
        KeyStorage = options.KeyStorage ?? new SecureKeyStorage();
        _firmware = firmwareFactory(profile, Flash, options.TimeProvider, KeyStorage);
    }

    /// <summary>The firmware logic over <see cref="Flash"/>: boot decisions, the inventory, the update service.</summary>
    public DeviceFirmware Firmware => _firmware is DeviceFirmwarePort port
        ? port.Firmware
        : throw new InvalidOperationException($"{Name} runs a substitute firmware, not a DeviceFirmware.");

    /// <summary>
    /// The chip's read-protected key storage (the identity key). Part of the silicon, like the unique id, not of the
    /// flash: <see cref="FlashFilePath"/> and a flash copy do not carry it (docs/security.md section 10.1).
    /// </summary>
    public SecureKeyStorage KeyStorage { get; }

    /// <summary>The profile the device was made from.</summary>
    public DeviceProfile Profile { get; }

    /// <summary>The device's name in logs and link names.</summary>
    public string Name { get; }

    /// <summary>The device's flash, for inspection (and for tests that arm power cuts).</summary>
    public SimulatedFlash Flash { get; }

    /// <summary>The flash file, or null for a device kept in memory.</summary>
    public string? FlashFilePath => _options.FlashFilePath;

    /// <summary>What the device is doing now.</summary>
    public VirtualDeviceState State
    {
        get
        {
            lock (_gate)
                return _state;
        }
    }

    /// <summary>Why the device is in its current state (the start-up decision, or how it powered down).</summary>
    public string StateReason
    {
        get
        {
            lock (_gate)
                return _stateReason;
        }
    }

    /// <summary>The node address the device has now; <see cref="NodeAddress.Unassigned"/> before enumeration, null while off.</summary>
    public NodeAddress? Address => Volatile.Read(ref _run)?.Node.LocalAddress;

    /// <summary>
    /// Raised after every change of <see cref="State"/>, on the thread that changed it, while the device holds its
    /// power lock: a handler must not block, and must not call the device's power or wire methods directly (start
    /// them on another task). Use <see cref="WaitForStateAsync"/> to wait for a state.
    /// </summary>
    public event EventHandler<VirtualDeviceStateChange>? StateChanged;

    private static SimulatedFlash CreateFlash(DeviceProfile profile, VirtualDeviceOptions options)
    {
        var flashOptions = new SimulatedFlashOptions
        {
            TimeProvider = options.TimeProvider,
            TimingProfile = profile.FlashTiming,
            UniqueId = profile.Uid.ToArray(),
            Logger = options.LoggerFactory.CreateLogger<SimulatedFlash>(),
        };
        if (options.FlashFilePath is { } path && File.Exists(path))
        {
            SimulatedFlash loaded = FlashImageFile.Load(path, flashOptions, profile.MemoryMap.Geometry);
            if (!loaded.UniqueId.AsSpan().SequenceEqual(profile.Uid.ToArray()))
                throw new ArgumentException($"The flash file {path} belongs to the device with unique id {Convert.ToHexString(loaded.UniqueId)}, not {profile.Uid}.", nameof(options));
            return loaded;
        }
        return new SimulatedFlash(profile.MemoryMap.Geometry, flashOptions);
    }

    private void SetState(VirtualDeviceState state, string reason)
    {
        VirtualDeviceState previous;
        lock (_gate)
        {
            previous = _state;
            _state = state;
            _stateReason = reason;
            foreach (StateWaiter waiter in _waiters.ToArray())
            {
                if (waiter.State == state)
                {
                    _waiters.Remove(waiter);
                    waiter.Completion.TrySetResult();
                }
            }
        }
        StateChanged?.Invoke(this, new VirtualDeviceStateChange(previous, state, reason));
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Powers the device off cleanly, saves the flash (when a file is set) and unplugs its wires.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _power.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsPoweredLocked)
                await PowerDownLockedAsync(abrupt: false, keepAddress: false, "disposed").ConfigureAwait(false);
            else
                await SaveFlashIfConfiguredAsync().ConfigureAwait(false);
            await DisposeWiresAsync().ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
        lock (_gate)
        {
            foreach (StateWaiter waiter in _waiters)
                waiter.Completion.TrySetException(new ObjectDisposedException(Name, "The device was disposed."));
            _waiters.Clear();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({State})";
}
