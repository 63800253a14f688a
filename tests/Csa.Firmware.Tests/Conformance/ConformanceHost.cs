using Csa.Bootloader.Updates;
using Csa.Crypto;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>The host of the suite: the SDK's <see cref="DeviceNetwork"/> and <see cref="FirmwareUpdater"/> over one device's link.</summary>
internal sealed class ConformanceHost : IAsyncDisposable
{
    private ConformanceHost(DeviceNetwork network, FirmwareUpdater updater, DeviceInfo device)
    {
        Network = network;
        Updater = updater;
        Device = device;
    }

    public DeviceNetwork Network { get; }

    public FirmwareUpdater Updater { get; }

    /// <summary>The device as discovered at the start.</summary>
    public DeviceInfo Device { get; }

    /// <summary>Timeouts for instant flash on a local link: a lost answer is resent soon; never a performance bound.</summary>
    public static UpdateOptions Options(bool localPreCheck = true, int maxResumeAttempts = 10)
    {
        var options = new UpdateOptions
        {
            Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
            EraseTimeout = TimeSpan.FromMilliseconds(500),
            RestartPollInterval = TimeSpan.FromMilliseconds(20),
            AddressRetentionGrace = TimeSpan.FromMilliseconds(600),
            RestartTimeout = TimeSpan.FromSeconds(20),
            ResumeDelay = TimeSpan.FromMilliseconds(50),
            MaxResumeAttempts = maxResumeAttempts,
            LocalPreCheck = localPreCheck,
        };
        options = options with { TrustedVerifiers = [.. options.TrustedVerifiers, new EcdsaP256Verifier(ConformanceKit.SigningKey.PublicKey)] };
        return options;
    }

    public static async Task<ConformanceHost> ConnectAsync(IDeviceUnderTest dut, UpdateOptions? options = null, CancellationToken cancellationToken = default)
    {
        DeviceNetwork network = await DeviceNetwork.ConnectAsync([dut.Link], new DeviceNetworkOptions
        {
            Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
            LinkManagementTimeout = TimeSpan.FromMilliseconds(150),
        }, cancellationToken);
        try
        {
            IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(cancellationToken);
            DeviceInfo device = Assert.Single(devices);
            Assert.Equal(dut.Product.Uid, device.Uid);
            return new ConformanceHost(network, new FirmwareUpdater(network, options ?? Options()), device);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the device answers now over the Device interface (found again by its unique id).</summary>
    public Task<DeviceInfo> ReadAsync(CancellationToken cancellationToken) => Network.FindAsync(Device.Uid, cancellationToken);

    public ValueTask DisposeAsync() => Network.DisposeAsync();
}
