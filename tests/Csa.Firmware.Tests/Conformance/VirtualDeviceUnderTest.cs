using System.Text;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// The C# virtual device as a device under test: factory-programmed, powered on, its upstream wire an in-memory cable
/// that each opening of <see cref="Link"/> replaces (as a host reopening its serial port), and a mains supply that
/// switches the power back on after every cut.
/// </summary>
internal sealed class VirtualDeviceUnderTest : IDeviceUnderTest
{
    private static readonly TimeSpan PlannedCutOffTime = TimeSpan.FromMilliseconds(50);

    private readonly VirtualDevice _device;
    private readonly StringBuilder _log = new();
    private readonly CancellationTokenSource _stop = new();
    private int _opens;
    private long _cutsHandled;
    private int _manualCut;

    private VirtualDeviceUnderTest(ConformanceProduct product, VirtualDevice device)
    {
        Product = product;
        _device = device;
        Link = NetworkLink.FromFactory($"virtual-{product}", OpenTransportAsync);
        device.StateChanged += OnStateChanged;
    }

    public DeviceImplementation Implementation => DeviceImplementation.CSharp;

    /// <summary>The device itself, for wiring it into a chain (<see cref="ConformanceChain"/>) and reading its counters.</summary>
    public VirtualDevice Device => _device;

    public ConformanceProduct Product { get; }

    public NetworkLink Link { get; }

    public async Task<Csa.DataLink.ILinkTransport> OpenTransportAsync(CancellationToken cancellationToken)
    {
        await _device.DetachUpstreamAsync();
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"conformance{Interlocked.Increment(ref _opens)}");
        _device.AttachUpstream(deviceEnd);
        return hostEnd;
    }

    public int PowerCuts => (int)_device.Flash.Statistics.PowerCuts;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public static async Task<IDeviceUnderTest> StartFromFlashAsync(ConformanceProduct product, string flashFile, EcP256PrivateKey? keyInStorage)
    {
        // The device keeps saving to its flash file: a copy of its own.
        string copy = Path.Combine(Path.GetTempPath(), $"csa-clone-{Guid.NewGuid():N}.flash");
        File.Copy(flashFile, copy);
        var device = new VirtualDevice(product.ToProfile(), new VirtualDeviceOptions
        {
            HeartbeatInterval = null, PublishTelemetry = false, Name = $"virtual clone {product}", FlashFilePath = copy,
            KeyStorage = keyInStorage is null ? new SecureKeyStorage() : new SecureKeyStorage(keyInStorage),
        });
        var dut = new VirtualDeviceUnderTest(product, device) { _ownedFile = copy };
        await device.PowerOnAsync();
        return dut;
    }

    private string? _ownedFile;

    public EcP256PrivateKey? ExtractIdentityKey() => _device.KeyStorage.ExtractByInvasiveAttack();

    public Task SaveFlashAsync(string path)
    {
        FlashImageFile.Save(_device.Flash, path);
        return Task.CompletedTask;
    }

    public static async Task<IDeviceUnderTest> StartAsync(ConformanceProduct product, FactoryImages factory, CutPoint? cut)
    {
        DeviceProfile profile = product.ToProfile();
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false, Name = $"virtual {product}" });
        FactoryProgrammer.Program(profile, device.Flash, factory.BootloaderA, application: factory.Application);
        device.Flash.ResetStatistics();
        var dut = new VirtualDeviceUnderTest(product, device);
        await device.PowerOnAsync();
        if (cut is not null)
        {
            device.Flash.ArmPowerCut(cut.Fraction is { } f
                ? PowerCutPlan.DuringOperationAt(cut.Operation, seed: (int)cut.Operation, fraction: f)
                : PowerCutPlan.BeforeOperation(cut.Operation));
        }
        return dut;
    }

    /// <summary>Every power loss (a planned cut firing under a command, or <see cref="CutPowerAsync"/>) is followed by power-on, as the C device restarts itself.</summary>
    private void OnStateChanged(object? sender, VirtualDeviceStateChange change)
    {
        lock (_log)
            _log.AppendLine($"{change.Previous} -> {change.Current}: {change.Reason}");
        if (change.Current != VirtualDeviceState.Off || _stop.IsCancellationRequested)
            return;
        // A reset passes through Off too, and powers on by itself; only a lost power needs the supply.
        long cuts = _device.Flash.Statistics.PowerCuts;
        if (cuts == Interlocked.Exchange(ref _cutsHandled, cuts))
            return;
        if (Interlocked.Exchange(ref _manualCut, 0) == 1)
            return; // CutPowerAsync restores the power itself
        _ = RestoreAsync(PlannedCutOffTime);
    }

    private async Task RestoreAsync(TimeSpan off)
    {
        try
        {
            await Task.Delay(off, _stop.Token);
            await _device.PowerOnAsync(_stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async Task CutPowerAsync()
    {
        Volatile.Write(ref _manualCut, 1);
        await _device.CutPowerAsync();
        await RestoreAsync(PlannedCutOffTime);
    }

    public FlashSnapshot Snapshot() => FlashSnapshot.Of(_device.Flash, Product.Map);

    public Task<long> FlashOperationsAsync() => Task.FromResult(_device.Flash.Statistics.OperationCount);

    /// <summary>No flash rule broken: no program needed a 0 -> 1 change, none went over cells that were not erased.</summary>
    public void AssertNoFlashRuleBroken()
    {
        FlashStatistics stats = _device.Flash.Statistics;
        Assert.True(stats.BitSetAttempts == 0 && stats.ReprogrammedUnits == 0,
            $"{stats.BitSetAttempts} programs needed a 0 -> 1 change, {stats.ReprogrammedUnits} units were programmed over non-erased cells");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _device.StateChanged -= OnStateChanged;
        await _device.DisposeAsync();
        _stop.Dispose();
        if (_ownedFile is not null)
            File.Delete(_ownedFile);
    }
}
