using System.Runtime.Versioning;

namespace Csa.Cli.Ports;

/// <summary>
/// The serial ports of this machine with what is known of them: on Linux from sysfs (<c>/sys/class/tty</c>: the driver,
/// and for USB adapters the vendor and product ids, serial number, manufacturer, product and USB location, as udev and
/// pyserial read them), on Windows from the registry (the ports of <c>HARDWARE\DEVICEMAP\SERIALCOMM</c>, USB ids from the
/// <c>Enum\USB</c> device that names each port), elsewhere the runtime's port list. Ports that enumeration cannot see
/// (pseudo-terminals of socat, ser2net or <c>csa sim --pty</c>) are added with <c>CSA_SERIAL_PORTS</c>.
/// </summary>
internal sealed class SerialPortCatalog
{
    /// <summary>The environment variable that adds ports: paths separated by the platform's path separator.</summary>
    public const string ExtraPortsVariable = "CSA_SERIAL_PORTS";

    private readonly string _sysRoot;
    private readonly string _devRoot;

    private static readonly AsyncLocal<SerialPortCatalog?> s_substitute = new();

    /// <summary>The catalog of this machine, or the one a host of the tool gave this run (<see cref="Substitute"/>).</summary>
    public static SerialPortCatalog ForThisRun => s_substitute.Value ?? new SerialPortCatalog();

    /// <summary>
    /// Makes <paramref name="catalog"/> the one the code that runs from here sees (a program hosting the tool in-process,
    /// its tests: so a run never probes the machine's real ports). Dispose to end it.
    /// </summary>
    public static IDisposable Substitute(SerialPortCatalog catalog)
    {
        SerialPortCatalog? before = s_substitute.Value;
        s_substitute.Value = catalog;
        return new Restore(before);
    }

    private sealed class Restore(SerialPortCatalog? before) : IDisposable
    {
        public void Dispose() => s_substitute.Value = before;
    }

    /// <summary>A catalog over the given sysfs and /dev roots (tests build their own trees).</summary>
    public SerialPortCatalog(string sysRoot = "/sys", string devRoot = "/dev")
    {
        _sysRoot = sysRoot;
        _devRoot = devRoot;
    }

    /// <summary>The ports, sorted by path, with <c>CSA_SERIAL_PORTS</c> last.</summary>
    public IReadOnlyList<SerialPortInfo> List(string? extraPorts = null)
    {
        IEnumerable<SerialPortInfo> found = OperatingSystem.IsWindows() ? FromRegistry()
            : Directory.Exists(Path.Combine(_sysRoot, "class", "tty")) ? FromSysfs()
            : System.IO.Ports.SerialPort.GetPortNames().Select(p => new SerialPortInfo(p, "system"));
        var ports = found.OrderBy(p => p.Path, StringComparer.Ordinal).ToList();
        foreach (string extra in (extraPorts ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!ports.Any(p => string.Equals(p.Path, extra, StringComparison.Ordinal)))
                ports.Add(new SerialPortInfo(extra, ExtraPortsVariable));
        }
        return ports;
    }

    /// <summary>
    /// Every tty with a device behind it (virtual consoles and pseudo-terminals have none), except the legacy 8250 ports the
    /// kernel always creates and whose UART it did not find (<c>type</c> 0, PORT_UNKNOWN).
    /// </summary>
    private IEnumerable<SerialPortInfo> FromSysfs()
    {
        string classDir = Path.Combine(_sysRoot, "class", "tty");
        foreach (string entry in Directory.EnumerateFileSystemEntries(classDir))
        {
            string name = Path.GetFileName(entry);
            string deviceLink = Path.Combine(entry, "device");
            if (!Path.Exists(deviceLink))
                continue;
            string device = Resolve(deviceLink);
            // A UART port the kernel registered but did not find (the legacy ttyS1..ttyS31 of 8250_core): PORT_UNKNOWN.
            if (ReadText(Path.Combine(entry, "type")) is "0")
                continue;
            string? driver = DriverAbove(device);
            string? usb = UsbDeviceAbove(device);
            if (usb is null)
            {
                yield return new SerialPortInfo(Path.Combine(_devRoot, name), "sysfs", driver);
                continue;
            }
            string? iface = Ancestors(device).FirstOrDefault(d => File.Exists(Path.Combine(d, "bInterfaceNumber")));
            yield return new SerialPortInfo(Path.Combine(_devRoot, name), "sysfs", driver,
                ReadText(Path.Combine(usb, "idVendor"))?.ToLowerInvariant(), ReadText(Path.Combine(usb, "idProduct"))?.ToLowerInvariant(),
                ReadText(Path.Combine(usb, "serial")), ReadText(Path.Combine(usb, "manufacturer")), ReadText(Path.Combine(usb, "product")),
                Path.GetFileName(iface ?? usb));
        }
    }

    /// <summary>The nearest directory at or above <paramref name="device"/> that is a USB device (it has <c>idVendor</c>).</summary>
    private string? UsbDeviceAbove(string device) => Ancestors(device).FirstOrDefault(d => File.Exists(Path.Combine(d, "idVendor")));

    /// <summary><paramref name="directory"/> and its parents, up to the sysfs root.</summary>
    private IEnumerable<string> Ancestors(string directory)
    {
        string root = Resolve(_sysRoot);
        for (string? d = directory; d is not null && d.Length > root.Length && d.StartsWith(root, StringComparison.Ordinal); d = Path.GetDirectoryName(d))
            yield return d;
    }

    /// <summary>
    /// The canonical path of <paramref name="path"/>, every symbolic link along it resolved as realpath(3) does: sysfs is
    /// links through links (<c>class/tty/ttyUSB0</c> to the device tree, its <c>device</c> link relative to where that lands).
    /// </summary>
    internal static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        for (int links = 0; pending.Count > 0;)
        {
            string part = pending.Pop();
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            string next = Path.Combine(current, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > 40)
                throw new IOException($"{path}: too many levels of symbolic links");
            if (Path.IsPathRooted(target))
                current = Path.GetPathRoot(target)!;
            foreach (string t in target.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
                pending.Push(t);
        }
        return current.Length > 1 ? current.TrimEnd(Path.DirectorySeparatorChar) : current;
    }

    /// <summary>
    /// The driver of the device or of its nearest parent that has one, passing over the serial core's own "port" and
    /// "ctrl" devices (Linux 6.5 and later put a <c>serial-base</c> device between a UART and its tty).
    /// </summary>
    private string? DriverAbove(string device)
    {
        foreach (string directory in Ancestors(device))
        {
            string link = Path.Combine(directory, "driver");
            if (!Path.Exists(link))
                continue;
            string driver = Resolve(link);
            if (!driver.Contains($"{Path.DirectorySeparatorChar}serial-base{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                return Path.GetFileName(driver);
        }
        return null;
    }

    private static string? ReadText(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // some attributes are readable by root only; the port is still listed
        }
    }

    /// <summary>
    /// Windows: the ports the serial drivers registered (<c>HKLM\HARDWARE\DEVICEMAP\SERIALCOMM</c>), and for each the USB
    /// device whose <c>Device Parameters\PortName</c> names it (<c>HKLM\SYSTEM\CurrentControlSet\Enum\USB\VID_xxxx&amp;PID_xxxx\SERIAL</c>).
    /// </summary>
    [SupportedOSPlatform("windows")]
    private static IEnumerable<SerialPortInfo> FromRegistry()
    {
        var usbByPort = new Dictionary<string, (string Vid, string Pid, string? Serial, string? Name)>(StringComparer.OrdinalIgnoreCase);
        using (Microsoft.Win32.RegistryKey? usb = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(@"SYSTEM\CurrentControlSet\Enum\USB"))
        {
            foreach (string ids in usb?.GetSubKeyNames() ?? [])
            {
                // "VID_0403&PID_6001" (a composite device's interfaces add "&MI_00")
                string[] parts = ids.Split('&');
                string? vid = parts.FirstOrDefault(p => p.StartsWith("VID_", StringComparison.OrdinalIgnoreCase))?[4..];
                string? pid = parts.FirstOrDefault(p => p.StartsWith("PID_", StringComparison.OrdinalIgnoreCase))?[4..];
                if (vid is null || pid is null)
                    continue;
                using Microsoft.Win32.RegistryKey? idsKey = usb!.OpenSubKey(ids);
                foreach (string instance in idsKey?.GetSubKeyNames() ?? [])
                {
                    using Microsoft.Win32.RegistryKey? instanceKey = idsKey!.OpenSubKey(instance);
                    using Microsoft.Win32.RegistryKey? parameters = instanceKey?.OpenSubKey("Device Parameters");
                    if (parameters?.GetValue("PortName") is string port)
                        usbByPort[port] = (vid.ToLowerInvariant(), pid.ToLowerInvariant(), instance.Contains('&', StringComparison.Ordinal) ? null : instance, instanceKey!.GetValue("FriendlyName") as string);
                }
            }
        }
        using Microsoft.Win32.RegistryKey? comm = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(@"HARDWARE\DEVICEMAP\SERIALCOMM");
        foreach (string valueName in comm?.GetValueNames() ?? [])
        {
            if (comm!.GetValue(valueName) is not string port)
                continue;
            string driver = valueName.Split('\\', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? valueName;
            yield return usbByPort.TryGetValue(port, out var u)
                ? new SerialPortInfo(port, "registry", driver, u.Vid, u.Pid, u.Serial, null, u.Name)
                : new SerialPortInfo(port, "registry", driver);
        }
    }
}
