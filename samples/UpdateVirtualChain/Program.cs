// Installs a new application on three virtual STM32F4 devices wired as a daisy chain, the way a production station
// would: discover, one image per device (bound to its unique id), all in parallel, progress, a result table.
// Run: dotnet run --project samples/UpdateVirtualChain
using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

DeviceProfile Profile(int i) => new()
{
    MemoryMap = MemoryMap.Stm32F4_1M,
    Uid = DeviceUid.FromWords(0x0042_0010u + (uint)i, 0x3135_5102u, 0x3932_3130u),
    ProductName = $"Sample pump {i}",
    Authentication = ImageAuthentication.Crc32, // a checksum-only product: no keys needed for the sample
    FlashTiming = FlashTimingProfile.Typical,   // datasheet erase and program times
};

FirmwareImage Image(DeviceProfile profile, ImageKind kind, FirmwareVersion version, int size, bool bind)
{
    uint address = kind == ImageKind.Bootloader ? profile.MemoryMap.BootloaderA.Address : profile.MemoryMap.Application.Address;
    var payload = new byte[size];
    new Random(size).NextBytes(payload);
    var settings = new ImageSettings { Kind = kind, VendorId = profile.VendorId, DeviceClassId = profile.DeviceClassId, Version = version, SecurityCounter = 1 };
    if (bind)
        settings.BoundDevices.Add(profile.Uid);
    return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, address), Crc32ImageAuthenticator.Instance).GetAwaiter().GetResult();
}

DeviceProfile[] profiles = [Profile(0), Profile(1), Profile(2)];
await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(3, i =>
{
    var device = new VirtualDevice(profiles[i], new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false });
    FactoryProgrammer.Program(profiles[i], device.Flash,
        Image(profiles[i], ImageKind.Bootloader, new FirmwareVersion(1, 0, 0, 0), 20_000, bind: false),
        application: Image(profiles[i], ImageKind.Application, new FirmwareVersion(1, 0, 0, 0), 60_000, bind: false));
    return device;
});

await using DeviceNetwork network = await DeviceNetwork.ConnectTransportsAsync(chain.HostPorts);
IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();
foreach (DeviceInfo device in devices)
    Console.WriteLine(device);

var updater = new FirmwareUpdater(network);
var lastStage = new ConcurrentDictionary<DeviceUid, UpdateStage>();
var progress = new CallbackProgress<UpdateProgress>(p =>
{
    // One line per stage change per device, plus the rate while transferring.
    if (lastStage.TryGetValue(p.Device, out UpdateStage seen) && seen == p.Stage)
        return;
    lastStage[p.Device] = p.Stage;
    Console.WriteLine($"  {p}");
});

IReadOnlyList<InstallResult> rows = await updater.InstallAsync(devices,
    (device, _) => Task.FromResult(Image(profiles.Single(p => p.Uid == device.Uid), ImageKind.Application, new FirmwareVersion(2, 0, 0, 0), 160_000, bind: true)),
    maxParallel: 3, progress);

Console.WriteLine();
foreach (InstallResult row in rows)
    Console.WriteLine(row);
return rows.All(r => r.Succeeded) ? 0 : 1;
