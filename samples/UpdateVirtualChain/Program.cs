// Installs a new application on three virtual STM32F4 devices wired as a daisy chain, the way a production station
// would: discover, one image per device (signed, bound to its unique id), all in parallel, progress, a result table.
// Run: dotnet run --project samples/UpdateVirtualChain
using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

// The factory: a development signing key, and devices programmed as production leaves them (bootloader and
// application 1.0.0, signed with that key), ready to update.
var factory = new DeviceFactory(new DeviceFactoryOptions { Firmware = new FactoryFirmware { BootloaderSize = 20_000, ApplicationSize = 60_000 } });
DeviceProfile[] profiles = [.. Enumerable.Range(0, 3).Select(i => new DeviceProfile
{
    MemoryMap = MemoryMap.Stm32F4_1M,
    Uid = DeviceUid.FromWords(0x0042_0010u + (uint)i, 0x3135_5102u, 0x3932_3130u),
    ProductName = $"Sample pump {i}",
    TrustedSigningKeys = [factory.PublicKey], // the bootloader accepts only images signed with the factory's key
    FlashTiming = FlashTimingProfile.Typical, // datasheet erase and program times
})];
await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(profiles.Length,
    (i, cancellationToken) => factory.CreateDeviceAsync(profiles[i], cancellationToken: cancellationToken));

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

// What a signing service does on demand: the new version, bound to the one device it is for.
IReadOnlyList<InstallResult> rows = await updater.InstallAsync(devices,
    (device, cancellationToken) => factory.BuildImageAsync(profiles.Single(p => p.Uid == device.Uid), RegionKind.Application, new FirmwareVersion(2, 0, 0, 0),
        new FactoryImageOptions { Size = 160_000, SecurityCounter = 2, BindToDevice = true }, cancellationToken),
    maxParallel: 3, progress);

Console.WriteLine();
foreach (InstallResult row in rows)
    Console.WriteLine(row);
return rows.All(r => r.Succeeded) ? 0 : 1;
