using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Simulator;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Tests.Device;

/// <summary>Profiles, firmware images and provisioning for virtual-device tests.</summary>
internal static class DeviceTestSupport
{
    /// <summary>Only a hang guard: generous, never a performance assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static readonly FirmwareVersion BootloaderVersion = new(1, 2, 0, 7);
    public static readonly FirmwareVersion ApplicationVersion = new(2, 5, 3, 1234);


    /// <summary>A checksum-only STM32F4 profile with instant flash timing and a unique id derived from <paramref name="index"/>.</summary>
    public static DeviceProfile Profile(int index = 0, MemoryMap? map = null) => new()
    {
        MemoryMap = map ?? MemoryMap.Stm32F4_1M,
        Uid = DeviceUid.FromWords(0x0030_0041u + (uint)index, 0x3233_5111u, 0x3836_0000u + (uint)(index * 7)),
        Authentication = ImageAuthentication.Crc32,
        ProductName = $"Virtual pump {index}",
        HardwareRevision = 3,
        FlashTiming = FlashTimingProfile.Instant,
        MaxFrameSize = 256,
        ReceiveBuffers = 4,
        MaxPacketSize = 1024,
    };

    /// <summary>The factory state of these devices: bootloader copy A (3000 bytes) and application (5000 bytes), CRC-authenticated.</summary>
    public static FactoryFirmware Factory(bool withApplication = true, FirmwareVersion? applicationVersion = null) => new()
    {
        BootloaderVersion = BootloaderVersion,
        BootloaderSize = 3000,
        ApplicationVersion = applicationVersion ?? ApplicationVersion,
        ApplicationSize = withApplication ? 5000 : null,
    };

    /// <summary>An image of <paramref name="kind"/> linked for its region of <paramref name="map"/> (copy A for a bootloader), CRC-authenticated, of the factory's size.</summary>
    public static FirmwareImage Image(MemoryMap map, ImageKind kind, FirmwareVersion version) =>
        DeviceKit.Factory.BuildImage(Profile(0, map), kind == ImageKind.Bootloader ? RegionKind.BootloaderA : RegionKind.Application, version,
            new FactoryImageOptions { Size = kind == ImageKind.Bootloader ? Factory().BootloaderSize : Factory().ApplicationSize!.Value });

    /// <summary>Programs a blank device as the factory does: pre-bootloader, bootloader A and (optionally) the application.</summary>
    public static void Provision(VirtualDevice device, bool withApplication = true, FirmwareVersion? applicationVersion = null) =>
        DeviceKit.Factory.ProgramAsync(device.Profile, device.Flash, Factory(withApplication, applicationVersion)).GetAwaiter().GetResult();

    /// <summary>A provisioned device, powered off, with a quiet link unless told otherwise.</summary>
    public static VirtualDevice CreateDevice(int index = 0, bool withApplication = true, VirtualDeviceOptions? options = null) =>
        DeviceKit.Factory.CreateDevice(Profile(index), options ?? new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false }, Factory(withApplication));
}

/// <summary>The host side of a test: a host node, its links, and an RPC client on its RPC port.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(DataLinkNode node, RpcClient client)
    {
        Node = node;
        Client = client;
    }

    public DataLinkNode Node { get; }

    public RpcClient Client { get; }

    public static TestHost Create(RpcClientOptions? options = null)
    {
        var node = new DataLinkNode(new DataLinkNodeOptions { LinkManagementTimeout = TimeSpan.FromMilliseconds(250) });
        var client = new RpcClient(node.OpenSocket(WellKnownPorts.Rpc), (options ?? new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(2) }) with { OwnsSocket = true });
        return new TestHost(node, client);
    }

    public NodeLink Add(ILinkTransport hostEnd) => Node.AddLink(hostEnd, LinkRole.Downstream);

    /// <summary>Enumerates the devices behind <paramref name="link"/> (the host's first link when null).</summary>
    public async Task<IReadOnlyList<ChainMember>> EnumerateAsync(NodeLink? link = null, byte firstAddress = NodeAddress.FirstDevice)
    {
        using var guard = new CancellationTokenSource(DeviceTestSupport.HangGuard);
        return await Node.EnumerateChainAsync(link ?? Node.Links[0], firstAddress, guard.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Node.DisposeAsync();
    }
}
