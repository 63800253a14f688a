using System.Device.Spi;
using Csa.DataLink;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;
using Csa.DataLink.Transports;
using Csa.Simulator.Hosting.Internal;

namespace Csa.Simulator.Hosting;

/// <summary>
/// One cable of a virtual topology: the end nearer the host (plugged into the host or into the previous
/// device's downstream port) and the end nearer the device (plugged into the device's upstream port).
/// </summary>
/// <param name="HostEnd">The end towards the host.</param>
/// <param name="DeviceEnd">The end towards the device.</param>
/// <param name="Medium">What carries the bytes between the ends and must be disposed with them (an
/// <see cref="EmulatedLink"/>), or null when disposing the ends is enough.</param>
public sealed record VirtualLink(ILinkTransport HostEnd, ILinkTransport DeviceEnd, IAsyncDisposable? Medium = null);

/// <summary>Makes the cable with index <paramref name="index"/> of a topology (0 is the one at the host).</summary>
public delegate VirtualLink VirtualLinkFactory(int index);

/// <summary>Ready-made <see cref="VirtualLinkFactory"/>s.</summary>
public static class VirtualLinks
{
    /// <summary>In-memory pipes: no delay, no loss, as fast as the process runs.</summary>
    /// <param name="name">A label for link names (<c>memory://{name}{index}/a</c>).</param>
    public static VirtualLinkFactory InMemory(string name = "sim") => index =>
    {
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"{name}{index}");
        return new VirtualLink(hostEnd, deviceEnd);
    };

    /// <summary>
    /// Emulated serial lines (baud rate, latency, seeded impairments; see docs/transports.md). End A is the host
    /// end. Every cable gets its own seed, <paramref name="options"/>.Seed + index, so impairments differ per cable
    /// and stay reproducible.
    /// </summary>
    public static VirtualLinkFactory Emulated(EmulatedLinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return index =>
        {
            var link = EmulatedLink.CreatePair(new EmulatedLinkOptions
            {
                AToB = options.AToB,
                BToA = options.BToA,
                Seed = unchecked(options.Seed + index),
                TimeProvider = options.TimeProvider,
            });
            return new VirtualLink(link.A, link.B, link);
        };
    }

    /// <summary>
    /// Devices on one emulated I2C bus, with the host as bus master (docs/transports.md section 7): cable <c>i</c> is the
    /// slave at address <paramref name="firstAddress"/> + i on <paramref name="bus"/>, its host end a
    /// <see cref="BusLinkTransport"/> that polls it. The slave answers while its device's firmware runs. Put it in a star
    /// (<see cref="VirtualDeviceHost.CreateStarAsync(int, Func{int, Device.VirtualDevice}, VirtualLinkFactory?, bool, CancellationToken)"/>):
    /// a bus of N devices is N links. The bus outlives the cables; dispose it yourself.
    /// </summary>
    /// <param name="bus">The bus, shared by all cables.</param>
    /// <param name="firstAddress">The first device's 7-bit address (0x08..0x77); the next ones follow.</param>
    /// <param name="linkOptions">The host links' polling settings (a name is set per link); null takes the defaults.</param>
    /// <param name="slaveOptions">The slaves' buffers; null takes the defaults.</param>
    /// <param name="readyLines">Wire each slave's ready output to line i of the bus's board and let its link wait for the line instead of polling.</param>
    public static VirtualLinkFactory I2cBus(EmulatedI2cBus bus, int firstAddress = 0x10, BusLinkOptions? linkOptions = null,
        BusSlaveOptions? slaveOptions = null, bool readyLines = false)
    {
        ArgumentNullException.ThrowIfNull(bus);
        BusLinkOptions options = linkOptions ?? BusLinkOptions.Default;
        return index =>
        {
            int address = firstAddress + index;
            BusSlave slave = bus.AttachSlave(address, slaveOptions, readyLines ? index : null);
            BusLinkOptions linkSettings = options with
            {
                Name = $"i2c:sim?address=0x{address:X2}",
                TimeProvider = bus.Options.TimeProvider,
                Ready = readyLines ? new ReadyLine(bus.CreateReadyLineController(), index) { OwnsController = true } : options.Ready,
            };
            return new VirtualLink(BusLinkTransport.ForI2c(bus.CreateDevice(address), linkSettings), new BusSlaveCable(slave));
        };
    }

    /// <summary>
    /// Devices on one emulated SPI bus: cable <c>i</c> is the slave behind chip select i, clocked at
    /// <paramref name="clockRate"/> in <paramref name="mode"/>; otherwise as <see cref="I2cBus"/>.
    /// </summary>
    /// <param name="bus">The bus, shared by all cables.</param>
    /// <param name="clockRate">The SPI clock in Hz (8 MHz by default).</param>
    /// <param name="mode">The SPI mode of master and slaves.</param>
    /// <param name="linkOptions">The host links' polling settings; null takes the defaults.</param>
    /// <param name="slaveOptions">The slaves' buffers (their mode is set to <paramref name="mode"/>); null takes the defaults.</param>
    /// <param name="readyLines">Wire each slave's ready output to line i and let its link wait for the line.</param>
    public static VirtualLinkFactory SpiBus(EmulatedSpiBus bus, int clockRate = 8_000_000, SpiMode mode = SpiMode.Mode0, BusLinkOptions? linkOptions = null,
        BusSlaveOptions? slaveOptions = null, bool readyLines = false)
    {
        ArgumentNullException.ThrowIfNull(bus);
        BusLinkOptions options = linkOptions ?? BusLinkOptions.Default;
        BusSlaveOptions slaves = (slaveOptions ?? BusSlaveOptions.Default) with { SpiMode = mode };
        return index =>
        {
            BusSlave slave = bus.AttachSlave(index, slaves, readyLines ? index : null);
            BusLinkOptions linkSettings = options with
            {
                Name = $"spi:sim.{index}?mode={(int)mode}&speed={clockRate}",
                TimeProvider = bus.Options.TimeProvider,
                Ready = readyLines ? new ReadyLine(bus.CreateReadyLineController(), index) { OwnsController = true } : options.Ready,
            };
            SpiDevice device = bus.CreateDevice(new SpiConnectionSettings(bus.Options.BusId, index) { Mode = mode, ClockFrequency = clockRate });
            return new VirtualLink(BusLinkTransport.ForSpi(device, linkSettings), new BusSlaveCable(slave));
        };
    }

    /// <summary>
    /// The device end of <paramref name="slave"/>, to plug into a virtual device's upstream port
    /// (<see cref="Device.VirtualDevice.AttachUpstream"/>): the slave then answers while the device's firmware runs, and a
    /// reset waits until the master has read the answer. For a bus published for link URIs (<c>i2c:NAME?address=0x42</c>),
    /// whose host links the application opens itself.
    /// </summary>
    public static ILinkTransport SlaveCable(BusSlave slave)
    {
        ArgumentNullException.ThrowIfNull(slave);
        return new BusSlaveCable(slave);
    }
}
