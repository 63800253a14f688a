using Csa.Simulator.Device;
using Csa.Simulator.Hosting.Internal;

namespace Csa.Simulator.Hosting;

/// <summary>
/// A virtual device on a pseudo-terminal (Linux): the device holds the master side, and <see cref="SlavePath"/>
/// (/dev/pts/N) is a serial port for any host program, ours (<c>serial:/dev/pts/N</c>, SerialTransport) or
/// anyone's (screen, pyserial, a C tool). The host may open and close the port as often as it likes; what the
/// device sends while the port is closed is lost, as with a UART and no cable.
/// </summary>
public sealed class PseudoTerminalDevicePort : IAsyncDisposable
{
    private readonly VirtualDevice _device;
    private int _disposed;

    private PseudoTerminalDevicePort(VirtualDevice device, string slavePath)
    {
        _device = device;
        SlavePath = slavePath;
    }

    /// <summary>The serial device a host opens, e.g. <c>/dev/pts/5</c>.</summary>
    public string SlavePath { get; }

    /// <summary>The link URI for <see cref="Csa.DataLink.Transports.TransportFactory"/>.</summary>
    public string Uri => $"serial:{SlavePath}";

    /// <summary>The device served.</summary>
    public VirtualDevice Device => _device;

    /// <summary>
    /// Creates a pseudo-terminal and plugs its master side into <paramref name="device"/>'s upstream port. The
    /// device is not powered on here.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="InvalidOperationException">The device has an upstream wire already.</exception>
    /// <exception cref="IOException">The system refused a pseudo-terminal.</exception>
    public static PseudoTerminalDevicePort Open(VirtualDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Pseudo-terminal devices need Linux (posix_openpt, ptsname_r, cfmakeraw).");
        if (device.HasUpstream)
            throw new InvalidOperationException($"{device.Name} has an upstream wire already; a pseudo-terminal needs the port free.");
        (int fd, string slavePath) = PosixPty.OpenMaster();
        var transport = new PtyMasterTransport(fd, slavePath);
        try
        {
            device.AttachUpstream(transport);
        }
        catch
        {
            transport.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        return new PseudoTerminalDevicePort(device, slavePath);
    }

    /// <summary>Unplugs the pseudo-terminal from the device and closes it; the slave path disappears.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _device.DetachUpstreamAsync().ConfigureAwait(false);
    }
}
