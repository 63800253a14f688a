using System.Globalization;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.DataLink.Transports;
using Csa.Firmware.Tests.Support;
using Csa.Simulator.Flash;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// The C device as a device under test: a csa-device process factory-programmed from the same images, on a flash file
/// with the strictest overwrite rule (a program over cells that are not erased fails, so a device that relied on the
/// F4's AND would fail its update), instant flash timing, listening on TCP. A power cut (planned, or SIGUSR1) restarts
/// the chip in the process from its flash file after 50 ms without power, and the host's TCP connection stays, as a
/// UART cable does; opening <see cref="Link"/> again makes a new connection.
/// </summary>
internal sealed class CDeviceUnderTest : IDeviceUnderTest
{
    public const int PowerOffMilliseconds = 50;

    private readonly CDevice _process;
    private readonly string _directory;
    private readonly string _flashFile;

    private CDeviceUnderTest(ConformanceProduct product, CDevice process, string directory, string flashFile)
    {
        Product = product;
        _process = process;
        _directory = directory;
        _flashFile = flashFile;
        Link = NetworkLink.FromFactory($"c-{product}", OpenTransportAsync);
    }

    public DeviceImplementation Implementation => DeviceImplementation.C;

    public ConformanceProduct Product { get; }

    public NetworkLink Link { get; }

    public async Task<Csa.DataLink.ILinkTransport> OpenTransportAsync(CancellationToken cancellationToken) =>
        await TcpTransport.ConnectAsync("127.0.0.1", _process.TcpPort, cancellationToken: cancellationToken);

    public int PowerCuts => _process.CountInLog("csa-device: power cut");

    public string Log => _process.Log;

    /// <summary>The flash image file the device keeps current after every operation.</summary>
    public string FlashFile => _flashFile;

    public CDevice Process => _process;

    public static async Task<IDeviceUnderTest> StartAsync(ConformanceProduct product, FactoryImages factory, CutPoint? cut) =>
        await StartAsync(product, factory, cut, []);

    public static async Task<CDeviceUnderTest> StartAsync(ConformanceProduct product, FactoryImages factory, CutPoint? cut, IReadOnlyList<string> extra) =>
        await StartCoreAsync(product, factory, null, null, cut, extra);

    public static async Task<IDeviceUnderTest> StartFromFlashAsync(ConformanceProduct product, string flashFile, EcP256PrivateKey? keyInStorage) =>
        await StartCoreAsync(product, null, flashFile, keyInStorage, null, []);

    /// <summary>The key storage file (the C# SecureKeyStorage's format): what an invasive attack reads out.</summary>
    public EcP256PrivateKey? ExtractIdentityKey()
    {
        string path = Path.Combine(_directory, KeyStorageName);
        return File.Exists(path) ? EcP256PrivateKey.Load(path) : null;
    }

    public Task SaveFlashAsync(string path)
    {
        // The device replaces its file atomically after every operation: a copy is one consistent state.
        File.Copy(_flashFile, path, overwrite: true);
        return Task.CompletedTask;
    }

    private const string KeyStorageName = "key-storage.pem";

    private static async Task<CDeviceUnderTest> StartCoreAsync(ConformanceProduct product, FactoryImages? factory, string? flashFile,
        EcP256PrivateKey? keyInStorage, CutPoint? cut, IReadOnlyList<string> extra)
    {
        string directory = Directory.CreateTempSubdirectory("csa-c-dut-").FullName;
        string chipFlash = Path.Combine(directory, "chip.flash");
        // The chip's key storage: a file of its own beside (never inside) the flash file.
        string keyStorage = Path.Combine(directory, KeyStorageName);
        keyInStorage?.Save(keyStorage);
        var arguments = new List<string>
        {
            "--upstream", "tcp-listen:127.0.0.1:0",
            "--flash", chipFlash,
            "--key-storage", keyStorage,
        };
        if (factory is not null)
        {
            string bootloader = Path.Combine(directory, "bootloader-a.csai");
            await File.WriteAllBytesAsync(bootloader, factory.BootloaderA.ToArray());
            arguments.AddRange(["--factory-bootloader", bootloader]);
        }
        else
        {
            File.Copy(flashFile!, chipFlash);
        }
        if (product.IdentityKey is { } identity)
        {
            string path = Path.Combine(directory, "identity-key.pem");
            identity.Save(path);
            arguments.AddRange(["--identity-key", path]);
        }
        arguments.AddRange(
        [
            "--flash-timing", "instant",
            "--strict-flash",
            "--heartbeat-ms", "0",
            "--no-telemetry",
            "--power-off-ms", PowerOffMilliseconds.ToString(CultureInfo.InvariantCulture),
        ]);
        if (factory?.Application is { } application)
        {
            string path = Path.Combine(directory, "application.csai");
            await File.WriteAllBytesAsync(path, application.ToArray());
            arguments.AddRange(["--factory-application", path]);
        }
        arguments.AddRange(product.CArguments(ConformanceKit.PublicKeyFile));
        if (cut is not null)
        {
            arguments.Add("--cut-at");
            arguments.Add(cut.Fraction is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"{cut.Operation}:{f:0.###}")
                : cut.Operation.ToString(CultureInfo.InvariantCulture));
        }
        arguments.AddRange(extra);
        CDevice process = await CDevice.StartAsync([.. arguments]);
        return new CDeviceUnderTest(product, process, directory, Path.Combine(directory, "chip.flash"));
    }

    public async Task CutPowerAsync()
    {
        // The C device's off time is fixed at its start (--power-off-ms); the suite's cuts use that one.
        int before = _process.CountInLog("csa-device: power on");
        _process.Signal(CDevice.SigUsr1);
        using var guard = ConformanceKit.Guard();
        await _process.WaitForLogAsync("csa-device: power on", before + 1, guard.Token);
    }

    public FlashSnapshot Snapshot()
    {
        // The file as the device last saved it (atomically, after every flash operation), read by the C# model.
        SimulatedFlash flash = FlashImageFile.Load(_flashFile, expectedGeometry: Product.Map.Geometry);
        return FlashSnapshot.Of(flash, Product.Map);
    }

    public async Task<long> FlashOperationsAsync()
    {
        using var guard = ConformanceKit.Guard();
        return await _process.FlashOperationsAsync(guard.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
