using System.Net;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

namespace Csa.Python.Tests;

/// <summary>
/// A virtual STM32F4 served over TCP on the loopback, as <c>csa sim --tcp PORT</c> serves one: factory-programmed
/// (pre-bootloader, bootloader copy A 1.0, application 1.0), trusting one signing key, powered on, behind a
/// <see cref="TcpDeviceServer"/>. Flash is instant so the tests stay quick; everything else is the real device.
/// </summary>
internal sealed class SimulatedTcpDevice : IAsyncDisposable
{
    public static readonly FirmwareVersion FactoryVersion = new(1, 0, 0, 1);

    private readonly EcdsaP256Signer _signer;
    private readonly TcpDeviceServer _server;

    private SimulatedTcpDevice(DeviceProfile profile, EcdsaP256Signer signer, VirtualDevice device, TcpDeviceServer server)
    {
        Profile = profile;
        _signer = signer;
        Device = device;
        _server = server;
    }

    public DeviceProfile Profile { get; }

    public VirtualDevice Device { get; }

    /// <summary>The link URI the script is given: <c>tcp://127.0.0.1:PORT</c>.</summary>
    public string Uri => _server.Uri;

    /// <summary>Starts device number <paramref name="index"/> (its unique id and product name follow from it).</summary>
    public static async Task<SimulatedTcpDevice> StartAsync(int index = 0)
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        var profile = new DeviceProfile
        {
            MemoryMap = MemoryMap.Stm32F4_1M,
            Uid = DeviceUid.FromWords(0x0036_0021u + (uint)index, 0x3134_5102u, 0x3332_3130u),
            ProductName = index == 0 ? "Infusion pump" : $"Infusion pump {index}",
            TrustedSigningKeys = [signer.PublicKey],
            DowngradePrevention = true,
            FlashTiming = FlashTimingProfile.Instant,
        };
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { Name = $"python-sim-{index}" });
        TcpDeviceServer? server = null;
        try
        {
            FactoryProgrammer.Program(profile, device.Flash,
                Build(profile, signer, ImageKind.Bootloader, FactoryVersion, 12_000, profile.MemoryMap.BootloaderA.Address),
                application: Build(profile, signer, ImageKind.Application, FactoryVersion, 20_000, profile.MemoryMap.Application.Address));
            await device.PowerOnAsync();
            server = TcpDeviceServer.Start(device, new IPEndPoint(IPAddress.Loopback, 0));
            return new SimulatedTcpDevice(profile, signer, device, server);
        }
        catch
        {
            if (server is not null)
                await server.DisposeAsync();
            await device.DisposeAsync();
            throw;
        }
    }

    /// <summary>A signed application image for this device.</summary>
    public FirmwareImage ApplicationImage(FirmwareVersion version, int payloadSize, uint securityCounter) =>
        Build(Profile, _signer, ImageKind.Application, version, payloadSize, Profile.MemoryMap.Application.Address, securityCounter);

    /// <summary>Writes a signed application image for this device into <paramref name="folder"/> and returns its path.</summary>
    public string WriteApplicationImage(string folder, FirmwareVersion version, int payloadSize, uint securityCounter)
    {
        string path = Path.Combine(folder, $"app-{version.Major}.{version.Minor}.{version.Patch}.csai");
        File.WriteAllBytes(path, ApplicationImage(version, payloadSize, securityCounter).ToArray());
        return path;
    }

    private static FirmwareImage Build(DeviceProfile profile, EcdsaP256Signer signer, ImageKind kind, FirmwareVersion version, int size,
        uint loadAddress, uint securityCounter = 1)
    {
        var payload = new byte[size];
        new Random(size ^ (int)version.Ordinal).NextBytes(payload);
        var settings = new ImageSettings
        {
            Kind = kind,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = version,
            SecurityCounter = securityCounter,
        };
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, loadAddress), signer).GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await Device.DisposeAsync();
    }
}
