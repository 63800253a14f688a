using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;

namespace Csa.Python.Tests;

/// <summary>
/// The SDK members added so scripts read naturally (<see cref="ImageReader.ReadFile"/>,
/// <see cref="DeviceNetwork.Connect(string, DeviceNetworkOptions?, CancellationToken)"/>,
/// <see cref="FirmwareUpdater.ProgressChanged"/>), checked from C# without Python.
/// </summary>
public sealed class SdkAdditionsTests : IDisposable
{
    private static readonly FirmwareVersion NewVersion = new(2, 0, 0, 2);

    private readonly string _folder = Directory.CreateTempSubdirectory("csa-sdk-").FullName;

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task ReadFile_ReturnsTheImageItsBytesMake()
    {
        await using SimulatedTcpDevice sim = await SimulatedTcpDevice.StartAsync();
        string path = sim.WriteApplicationImage(_folder, NewVersion, payloadSize: 5_000, securityCounter: 2);

        FirmwareImage image = ImageReader.ReadFile(path);

        Assert.Equal(await File.ReadAllBytesAsync(path), image.ToArray());
        Assert.Equal(NewVersion, image.Manifest.Version);
        Assert.Equal(5_000u, image.Manifest.PayloadSize);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task ReadFile_BadInput_GetsTypedErrors()
    {
        string missing = Path.Combine(_folder, "missing.csai");
        string truncated = Path.Combine(_folder, "truncated.csai");
        await File.WriteAllBytesAsync(truncated, "CSAI"u8.ToArray());

        Assert.Throws<FileNotFoundException>(() => ImageReader.ReadFile(missing));
        ImageFormatException error = Assert.Throws<ImageFormatException>(() => ImageReader.ReadFile(truncated));
        Assert.Equal(ImageError.Truncated, error.Error);
        Assert.Throws<ArgumentNullException>(() => ImageReader.ReadFile(null!));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void Connect_NullOrMalformedUri_GetsTypedErrors()
    {
        Assert.Throws<ArgumentNullException>(() => DeviceNetwork.Connect((string)null!));
        Assert.Throws<Csa.DataLink.Transports.LinkUriException>(() => DeviceNetwork.Connect("nonsense://x"));
        Assert.Throws<Csa.DataLink.Transports.LinkUriException>(() => DeviceNetwork.Connect("tcp://127.0.0.1:70000"));
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task ProgressChanged_EveryHandlerAndTheCallersProgressSeeEveryReport_AndAThrowingHandlerStopsNothing()
    {
        await using SimulatedTcpDevice sim = await SimulatedTcpDevice.StartAsync();
        FirmwareImage image = sim.ApplicationImage(NewVersion, payloadSize: 20_000, securityCounter: 2);
        using DeviceNetwork network = DeviceNetwork.Connect(sim.Uri);
        DeviceInfo device = Assert.Single(await network.DiscoverAsync());
        var updater = new FirmwareUpdater(network);
        var fromEvent = new List<UpdateProgress>();
        var fromCaller = new List<UpdateProgress>();
        int thrown = 0;
        updater.ProgressChanged += _ =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("a faulty display");
        };
        updater.ProgressChanged += p =>
        {
            lock (fromEvent)
                fromEvent.Add(p);
        };

        UpdateResult result = await updater.UpdateApplicationAsync(device, image, new CallbackProgress<UpdateProgress>(p =>
        {
            lock (fromCaller)
                fromCaller.Add(p);
        })).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(NewVersion, result.VersionAfter);
        Assert.Equal(NewVersion, sim.Device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(fromCaller.Count, fromEvent.Count);
        Assert.Equal(fromCaller.Count, Volatile.Read(ref thrown));
        Assert.Equal(UpdateStage.Done, fromEvent[^1].Stage);
        Assert.Contains(fromEvent, p => p.Stage == UpdateStage.Transferring && p.BytesDone == 20_000);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
