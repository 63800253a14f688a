using System.IO.Pipelines;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Device.Internal;

namespace Csa.Simulator.Hosting;

/// <summary>
/// A virtual device's USB serial port as a host sees a board whose USB-to-UART bridge is powered by the board itself
/// (not by the USB bus): the port exists only while the device has its supply. <see cref="OpenAsync"/> opens it (a fresh
/// cable into the device's upstream port; opening again ends the previous connection); when the device loses its supply
/// (a power cut, a power-off) the host's end closes at once, as <c>/dev/ttyUSB0</c> disappears when such a board is
/// switched off, and while the device has no supply opening fails with <see cref="SerialPortException"/>
/// (<see cref="SerialPortError.NotFound"/>). A reset keeps the port (the bridge keeps its power). Give
/// <see cref="OpenAsync"/> to a <c>NetworkLink.FromFactory</c> so the host opens it again after it went, as it reopens a
/// real port.
/// </summary>
public sealed class UsbSerialDevicePort : IAsyncDisposable
{
    private readonly VirtualDevice _device;
    private int _opens;
    private int _disposed;

    private UsbSerialDevicePort(VirtualDevice device, string name)
    {
        _device = device;
        Name = name;
    }

    /// <summary>The port's name (<c>usb:DEVICE</c>), the name of every host end it opens.</summary>
    public string Name { get; }

    /// <summary>The device behind the port.</summary>
    public VirtualDevice Device => _device;

    /// <summary>How often the port has been opened.</summary>
    public int Opens => Volatile.Read(ref _opens);

    /// <summary>Puts the port on <paramref name="device"/>, whose upstream port must be free. Nothing is opened yet.</summary>
    /// <exception cref="InvalidOperationException">The device has an upstream wire already.</exception>
    public static UsbSerialDevicePort Attach(VirtualDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.HasUpstream)
            throw new InvalidOperationException($"{device.Name} has an upstream wire already; its USB serial port needs the port free.");
        return new UsbSerialDevicePort(device, $"usb:{device.Name}");
    }

    /// <summary>
    /// Opens the port: the host's end of a fresh cable into the device's upstream port (a connection opened before is
    /// ended; its host end reads the end of the stream).
    /// </summary>
    /// <exception cref="SerialPortException">The device has no supply: the port is not there (<see cref="SerialPortError.NotFound"/>).</exception>
    /// <exception cref="ObjectDisposedException">The port or the device was disposed.</exception>
    public async Task<ILinkTransport> OpenAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        int open = Interlocked.Increment(ref _opens);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"{Name}#{open}");
        if (await _device.TryAttachSupplyPoweredUpstreamAsync(new BoardPoweredCable(deviceEnd)).ConfigureAwait(false))
            return hostEnd;
        await deviceEnd.DisposeAsync().ConfigureAwait(false);
        await hostEnd.DisposeAsync().ConfigureAwait(false);
        throw new SerialPortException(Name, Name, SerialPortError.NotFound,
            $"{Name} is not there: the board has no power, and its USB serial bridge is powered by the board.");
    }

    /// <summary>Unplugs the port: the host's end reads the end of the stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            await _device.DetachUpstreamAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The device went first, with its wires.
        }
    }

    /// <summary>The device's end of one connection: goes with the device's supply.</summary>
    private sealed class BoardPoweredCable(InMemoryTransport inner) : ILinkTransport, ISupplyPoweredCable
    {
        public string Name => inner.Name;

        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public override string ToString() => Name;
    }
}
