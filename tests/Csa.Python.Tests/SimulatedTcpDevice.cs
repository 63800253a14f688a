using System.Net;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator;
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

    private readonly DeviceFactory _factory;
    private readonly TcpDeviceServer _server;

    private SimulatedTcpDevice(DeviceProfile profile, DeviceFactory factory, VirtualDevice device, TcpDeviceServer server)
    {
        Profile = profile;
        _factory = factory;
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
        // A development signing key of its own, and the factory images signed with it: bootloader copy A and application 1.0.0.1.
        var factory = new DeviceFactory(new DeviceFactoryOptions
        {
            Firmware = new FactoryFirmware { BootloaderVersion = FactoryVersion, BootloaderSize = 12_000, ApplicationVersion = FactoryVersion, ApplicationSize = 20_000 },
        });
        var profile = new DeviceProfile
        {
            MemoryMap = MemoryMap.Stm32F4_1M,
            Uid = DeviceUid.FromWords(0x0036_0021u + (uint)index, 0x3134_5102u, 0x3332_3130u),
            ProductName = index == 0 ? "Infusion pump" : $"Infusion pump {index}",
            TrustedSigningKeys = [factory.PublicKey],
            DowngradePrevention = true,
            FlashTiming = FlashTimingProfile.Instant,
        };
        VirtualDevice device = await factory.CreateDeviceAsync(profile, new VirtualDeviceOptions { Name = $"python-sim-{index}" });
        TcpDeviceServer? server = null;
        try
        {
            await device.PowerOnAsync();
            server = TcpDeviceServer.Start(device, new IPEndPoint(IPAddress.Loopback, 0));
            return new SimulatedTcpDevice(profile, factory, device, server);
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
        _factory.BuildImage(Profile, RegionKind.Application, version, new FactoryImageOptions { Size = payloadSize, SecurityCounter = securityCounter });

    /// <summary>Writes a signed application image for this device into <paramref name="folder"/> and returns its path.</summary>
    public string WriteApplicationImage(string folder, FirmwareVersion version, int payloadSize, uint securityCounter)
    {
        string path = Path.Combine(folder, $"app-{version.Major}.{version.Minor}.{version.Patch}.csai");
        File.WriteAllBytes(path, ApplicationImage(version, payloadSize, securityCounter).ToArray());
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await Device.DisposeAsync();
    }
}
