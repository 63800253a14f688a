using System.Text.Json;
using Csa.Cli.Ports;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa ports</c> and <c>serial:auto</c>: the sysfs reading over a tree built like the kernel's, and probing against
/// <c>csa sim --pty</c> pseudo-terminals given through <c>CSA_SERIAL_PORTS</c> (the machine's own ports are never probed:
/// every run here sees a catalog over an empty sysfs).
/// </summary>
public sealed class PortsCommandTests : IDisposable
{
    private readonly string _directory = DeviceTestKit.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Sysfs_UsbAdapters_GetTheirIds_SerialNumberDriverAndLocation_PhantomUartsAndVirtualTtysAreLeftOut()
    {
        string sys = FakeSysfs.Build(Path.Combine(_directory, "sys"));
        IReadOnlyList<SerialPortInfo> ports = new SerialPortCatalog(sys, "/dev").List("/dev/pts/7");

        Assert.Equal(["/dev/ttyACM0", "/dev/ttyS0", "/dev/ttyUSB0", "/dev/pts/7"], ports.Select(p => p.Path));
        SerialPortInfo ftdi = ports.Single(p => p.Path == "/dev/ttyUSB0");
        Assert.Equal(("0403", "6001", "A50285BI", "ftdi_sio", "1-1.4:1.0"), (ftdi.Vid, ftdi.Pid, ftdi.SerialNumber, ftdi.Driver, ftdi.Location));
        Assert.Equal("USB 0403:6001 FTDI FT232R USB UART, serial A50285BI", ftdi.Description);
        SerialPortInfo acm = ports.Single(p => p.Path == "/dev/ttyACM0");
        Assert.Equal(("0483", "5740", "cdc_acm"), (acm.Vid, acm.Pid, acm.Driver));
        SerialPortInfo uart = ports.Single(p => p.Path == "/dev/ttyS0");
        Assert.Null(uart.Vid);
        Assert.Equal("serial", uart.Driver); // the UART's own driver, not the serial core's "port" device in between
        Assert.Equal(SerialPortCatalog.ExtraPortsVariable, ports[^1].Source);
    }

    [Fact]
    public async Task Ports_Json_ListsWhatTheCatalogHas_AndBaudWithoutProbeIsAUsageError()
    {
        string sys = FakeSysfs.Build(Path.Combine(_directory, "sys"));
        using (SerialPortCatalog.Substitute(new SerialPortCatalog(sys, "/dev")))
        using (CliEnvironment.Override(new Dictionary<string, string?> { [SerialPortCatalog.ExtraPortsVariable] = null }))
        {
            CliRun run = await CliRunner.RunAsync("ports", "--json");
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
            JsonElement usb = run.Json().GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("path").GetString() == "/dev/ttyUSB0");
            Assert.Equal("0403", usb.GetProperty("vid").GetString());
            Assert.Equal("A50285BI", usb.GetProperty("serialNumber").GetString());
            Assert.False(usb.TryGetProperty("probe", out _));

            CliRun baud = await CliRunner.RunAsync("ports", "--baud", "9600");
            Assert.Equal(ExitCodes.Usage, baud.ExitCode);
            Assert.Contains("--probe", baud.Error);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Probe_FindsTheSimulatedDevice_AndSerialAuto_UsesTheOnePortThatAnswers()
    {
        if (!OperatingSystem.IsLinux())
            return;
        await using PtySim sim = await PtySim.StartAsync(Path.Combine(_directory, "state"));
        string notAPort = Path.Combine(_directory, "plain-file");
        await File.WriteAllTextAsync(notAPort, "");
        using var empty = SerialPortCatalog.Substitute(new SerialPortCatalog(Path.Combine(_directory, "no-sys"), "/dev"));
        using var ports = CliEnvironment.Override(new Dictionary<string, string?> { [SerialPortCatalog.ExtraPortsVariable] = sim.Path + Path.PathSeparator + notAPort });

        CliRun probe = await CliRunner.RunAsync("ports", "--probe", "--json");
        Assert.True(probe.ExitCode == ExitCodes.Success, probe.ToString());
        JsonElement[] rows = probe.Json().GetProperty("ports").EnumerateArray().ToArray();
        JsonElement answered = rows.Single(p => p.GetProperty("path").GetString() == sim.Path).GetProperty("probe");
        Assert.True(answered.GetProperty("answered").GetBoolean());
        Assert.Equal("100043005153463432303231", answered.GetProperty("devices")[0].GetProperty("uid").GetString());
        JsonElement refused = rows.Single(p => p.GetProperty("path").GetString() == notAPort).GetProperty("probe");
        Assert.False(refused.GetProperty("answered").GetBoolean());
        Assert.Contains("not a serial port", refused.GetProperty("error").GetString());

        CliRun auto = await CliRunner.RunAsync("devices", "--json", "--link", "serial:auto?baud=115200");
        Assert.True(auto.ExitCode == ExitCodes.Success, auto.ToString());
        JsonElement device = Assert.Single(auto.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.Equal($"serial:{sim.Path}?baud=115200", device.GetProperty("link").GetString());
    }

    [Fact]
    public async Task SerialAuto_WithNoPortThatAnswers_IsExit5_NamingWhatWasProbed()
    {
        string notAPort = Path.Combine(_directory, "plain-file");
        await File.WriteAllTextAsync(notAPort, "");
        using var empty = SerialPortCatalog.Substitute(new SerialPortCatalog(Path.Combine(_directory, "no-sys"), "/dev"));
        using (CliEnvironment.Override(new Dictionary<string, string?> { [SerialPortCatalog.ExtraPortsVariable] = null }))
        {
            CliRun none = await CliRunner.RunAsync("devices", "--json", "--link", "serial:auto");
            Assert.Equal(ExitCodes.Unreachable, none.ExitCode);
            Assert.Contains("no serial ports", none.Json().GetProperty("error").GetProperty("message").GetString());
        }
        using (CliEnvironment.Override(new Dictionary<string, string?> { [SerialPortCatalog.ExtraPortsVariable] = notAPort }))
        {
            CliRun silent = await CliRunner.RunAsync("devices", "--link", "serial:auto");
            Assert.Equal(ExitCodes.Unreachable, silent.ExitCode);
            Assert.Contains(notAPort, Assert.Single(DeviceTestKit.Lines(silent.Error)));
        }
    }
}

/// <summary><c>csa sim --pty --json</c> running in this process until disposed.</summary>
internal sealed class PtySim : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));
    private Task<int> _run = Task.FromResult(0);

    public string Path { get; private set; } = "";

    public string Link { get; private set; } = "";

    public static async Task<PtySim> StartAsync(string state, params string[] options)
    {
        var sim = new PtySim();
        var output = new WatchedWriter("\"signingKey\"");
        sim._run = CsaApp.RunAsync(["sim", "--pty", "--json", "--flash-timing", "instant", "--state", state, .. options], CliConsole.FromWriters(output, TextWriter.Null), sim._stop.Token);
        await Task.WhenAny(output.Seen, sim._run).Unwrap().WaitAsync(sim._stop.Token).ConfigureAwait(false);
        // The document is complete once its closing brace is written.
        while (!output.ToString().TrimEnd().EndsWith('}'))
            await Task.Delay(10, sim._stop.Token);
        using JsonDocument document = JsonDocument.Parse(output.ToString());
        sim.Link = document.RootElement.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
        sim.Path = sim.Link["serial:".Length..].Split('?')[0];
        return sim;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}

/// <summary>A sysfs tree laid out as the kernel lays it out: class links into the device tree, drivers as links.</summary>
internal static class FakeSysfs
{
    public static string Build(string root)
    {
        // An FTDI adapter on USB port 1-1.4: usb-serial port device ttyUSB0 under interface 1-1.4:1.0.
        string ftdi = Dir(root, "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.4");
        Files(ftdi, ("idVendor", "0403\n"), ("idProduct", "6001\n"), ("serial", "A50285BI\n"), ("manufacturer", "FTDI\n"), ("product", "FT232R USB UART\n"));
        string ftdiIface = Dir(ftdi, "1-1.4:1.0");
        Files(ftdiIface, ("bInterfaceNumber", "00\n"));
        string ftdiPort = Dir(ftdiIface, "ttyUSB0");
        Link(Path.Combine(ftdiPort, "driver"), Dir(root, "bus/usb-serial/drivers/ftdi_sio"));
        Link(Path.Combine(Dir(ftdiPort, "tty/ttyUSB0"), "device"), ftdiPort);
        Link(Path.Combine(Dir(root, "class/tty"), "ttyUSB0"), Path.Combine(ftdiPort, "tty/ttyUSB0"));

        // A CDC-ACM device (an STM32's USB virtual COM port): the tty's device is the interface itself.
        string acm = Dir(root, "devices/pci0000:00/0000:00:14.0/usb1/1-2");
        Files(acm, ("idVendor", "0483\n"), ("idProduct", "5740\n"));
        string acmIface = Dir(acm, "1-2:1.0");
        Files(acmIface, ("bInterfaceNumber", "00\n"));
        Link(Path.Combine(acmIface, "driver"), Dir(root, "bus/usb/drivers/cdc_acm"));
        Link(Path.Combine(Dir(acmIface, "tty/ttyACM0"), "device"), acmIface);
        Link(Path.Combine(root, "class/tty/ttyACM0"), Path.Combine(acmIface, "tty/ttyACM0"));

        // A real UART behind the serial core's port device (Linux 6.5+), and a phantom one (type 0).
        string pnp = Dir(root, "devices/pnp0/00:00");
        Link(Path.Combine(pnp, "driver"), Dir(root, "bus/pnp/drivers/serial"));
        string port = Dir(pnp, "00:00:0/00:00:0.0");
        Link(Path.Combine(port, "driver"), Dir(root, "bus/serial-base/drivers/port"));
        string ttyS0 = Dir(port, "tty/ttyS0");
        Files(ttyS0, ("type", "4\n"));
        Link(Path.Combine(ttyS0, "device"), port);
        Link(Path.Combine(root, "class/tty/ttyS0"), ttyS0);
        string phantom = Dir(root, "devices/platform/serial8250/serial8250:0/serial8250:0.1");
        Link(Path.Combine(phantom, "driver"), Dir(root, "bus/serial-base/drivers/port"));
        string ttyS1 = Dir(phantom, "tty/ttyS1");
        Files(ttyS1, ("type", "0\n"));
        Link(Path.Combine(ttyS1, "device"), phantom);
        Link(Path.Combine(root, "class/tty/ttyS1"), ttyS1);

        // A virtual console: no device behind it.
        Link(Path.Combine(root, "class/tty/tty0"), Dir(root, "devices/virtual/tty/tty0"));
        return root;
    }

    private static string Dir(string parent, string relative) => Directory.CreateDirectory(Path.Combine(parent, relative)).FullName;

    private static void Files(string directory, params (string Name, string Text)[] files)
    {
        foreach ((string name, string text) in files)
            File.WriteAllText(Path.Combine(directory, name), text);
    }

    /// <summary>A relative link, as sysfs makes them.</summary>
    private static void Link(string link, string target) =>
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, target));
}
