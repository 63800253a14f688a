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
    private readonly IRegistryTree? _registry;

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

    /// <summary>A catalog that reads the Windows way from <paramref name="registry"/>, on any machine (tests build their own tree).</summary>
    public SerialPortCatalog(IRegistryTree registry)
        : this()
    {
        _registry = registry;
    }

    /// <summary>The ports, sorted by path, with <c>CSA_SERIAL_PORTS</c> last.</summary>
    public IReadOnlyList<SerialPortInfo> List(string? extraPorts = null)
    {
        IEnumerable<SerialPortInfo> found = _registry is not null ? FromRegistry(_registry)
            : OperatingSystem.IsWindows() ? FromRegistry(new WindowsRegistryTree())
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
    /// Windows: the ports the serial drivers registered (<c>HKLM\HARDWARE\DEVICEMAP\SERIALCOMM</c>: value name the driver's
    /// device object, <c>\Device\VCP0</c>, data the port, <c>COM3</c>), and for each the device instance whose
    /// <c>Device Parameters\PortName</c> names it: USB adapters on the generic and CDC drivers under
    /// <c>SYSTEM\CurrentControlSet\Enum\USB\VID_xxxx&amp;PID_xxxx[&amp;MI_nn]\INSTANCE</c> (the instance is the serial number
    /// when the device has one; Windows makes up one with <c>&amp;</c> in it otherwise), FTDI adapters on FTDI's own bus
    /// driver under <c>Enum\FTDIBUS\VID_xxxx+PID_xxxx+SERIALc\0000</c> (the serial number followed by the channel letter).
    /// </summary>
    private IEnumerable<SerialPortInfo> FromRegistry(IRegistryTree registry)
    {
        var byPort = new Dictionary<string, SerialPortInfo>(StringComparer.OrdinalIgnoreCase);
        foreach ((string bus, char separator) in new[] { ("USB", '&'), ("FTDIBUS", '+') })
        {
            string busKey = $@"SYSTEM\CurrentControlSet\Enum\{bus}";
            foreach (string ids in registry.SubKeyNames(busKey))
            {
                string[] parts = ids.Split(separator);
                string? vid = parts.FirstOrDefault(p => p.StartsWith("VID_", StringComparison.OrdinalIgnoreCase))?[4..];
                string? pid = parts.FirstOrDefault(p => p.StartsWith("PID_", StringComparison.OrdinalIgnoreCase))?[4..];
                if (vid is null || pid is null)
                    continue;
                string? ftdiSerial = bus == "FTDIBUS" && parts.Length > 2 ? parts[2] : null;
                foreach (string instance in registry.SubKeyNames($@"{busKey}\{ids}"))
                {
                    string instanceKey = $@"{busKey}\{ids}\{instance}";
                    if (registry.Value($@"{instanceKey}\Device Parameters", "PortName") is not string port)
                        continue;
                    string? serial = ftdiSerial ?? (instance.Contains('&', StringComparison.Ordinal) ? null : instance);
                    byPort[port] = new SerialPortInfo(port, "registry", null, vid.ToLowerInvariant(), pid.ToLowerInvariant(), serial,
                        registry.Value(instanceKey, "Mfg") as string is { } mfg ? AfterSemicolon(mfg) : null,
                        registry.Value(instanceKey, "FriendlyName") as string, $"{bus}\\{ids}\\{instance}");
                }
            }
        }

        const string serialComm = @"HARDWARE\DEVICEMAP\SERIALCOMM";
        foreach (string valueName in registry.ValueNames(serialComm))
        {
            if (registry.Value(serialComm, valueName) is not string port)
                continue;
            string device = valueName.Split('\\', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? valueName;
            yield return byPort.TryGetValue(port, out SerialPortInfo? usb) ? usb with { Driver = device } : new SerialPortInfo(port, "registry", device);
        }
    }

    /// <summary>INF strings come as <c>@oem12.inf,%ftdi%;FTDI</c>: the text after the last semicolon is what to show.</summary>
    private static string AfterSemicolon(string text) => text[(text.LastIndexOf(';') + 1)..];
}
