using Csa.Cli.Ports;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa ports</c> on Windows: the registry reading, run on any machine over a tree laid out as Windows lays it out
/// (SERIALCOMM for the ports, Enum\USB and FTDI's Enum\FTDIBUS for what the adapters are).
/// </summary>
public sealed class WindowsPortCatalogTests
{
    private const string Enum = @"SYSTEM\CurrentControlSet\Enum";

    [Fact]
    public void Registry_UsbCdcAndFtdiAdapters_GetTheirIdsAndSerialNumbers_AMotherboardUartIsListedByItsDriver()
    {
        var registry = new FakeRegistry()
            .Value(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\Serial0", "COM1")
            .Value(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\USBSER000", "COM7")
            .Value(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\VCP0", "COM3")
            .Value(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\Silabser0", "COM12")
            // An STM32 virtual COM port (usbser.sys): the instance is the serial number; the port is interface 0 of a
            // composite device, so its ids carry &MI_00 and the interface's instance is made up.
            .Value($@"{Enum}\USB\VID_0483&PID_5740\8D7F3A5B", "FriendlyName", "USB Serial Device (COM7)")
            .Value($@"{Enum}\USB\VID_0483&PID_5740\8D7F3A5B\Device Parameters", "PortName", "COM7")
            // An FTDI FT232R on FTDI's bus driver: serial number plus channel letter in the ids.
            .Value($@"{Enum}\FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", "FriendlyName", "USB Serial Port (COM3)")
            .Value($@"{Enum}\FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", "Mfg", "@oem42.inf,%ftdi%;FTDI")
            .Value($@"{Enum}\FTDIBUS\VID_0403+PID_6001+A50285BIA\0000\Device Parameters", "PortName", "COM3")
            // A CP2102 whose instance Windows made up (no serial number descriptor).
            .Value($@"{Enum}\USB\VID_10C4&PID_EA60\5&2A1B3C4D&0&2", "FriendlyName", "Silicon Labs CP210x USB to UART Bridge (COM12)")
            .Value($@"{Enum}\USB\VID_10C4&PID_EA60\5&2A1B3C4D&0&2\Device Parameters", "PortName", "COM12")
            // A USB device that is not a port, and a hub without ids: nothing to list.
            .Value($@"{Enum}\USB\VID_046D&PID_C52B\6&1&0&1", "FriendlyName", "Logitech receiver")
            .Value($@"{Enum}\USB\ROOT_HUB30\4&1&0", "FriendlyName", "Root hub");

        IReadOnlyList<SerialPortInfo> ports = new SerialPortCatalog(registry).List(@"\\.\CNCA0");

        Assert.Equal(["COM1", "COM12", "COM3", "COM7", @"\\.\CNCA0"], ports.Select(p => p.Path));
        SerialPortInfo stm32 = ports.Single(p => p.Path == "COM7");
        Assert.Equal(("0483", "5740", "8D7F3A5B", "USBSER000", "registry"), (stm32.Vid, stm32.Pid, stm32.SerialNumber, stm32.Driver, stm32.Source));
        Assert.Equal(@"USB\VID_0483&PID_5740\8D7F3A5B", stm32.Location);
        Assert.Equal("USB 0483:5740 USB Serial Device (COM7), serial 8D7F3A5B", stm32.Description);
        SerialPortInfo ftdi = ports.Single(p => p.Path == "COM3");
        Assert.Equal(("0403", "6001", "A50285BIA", "FTDI", "VCP0"), (ftdi.Vid, ftdi.Pid, ftdi.SerialNumber, ftdi.Manufacturer, ftdi.Driver));
        SerialPortInfo cp2102 = ports.Single(p => p.Path == "COM12");
        Assert.Equal(("10c4", "ea60"), (cp2102.Vid, cp2102.Pid));
        Assert.Null(cp2102.SerialNumber); // Windows' made-up instance id is not a serial number
        SerialPortInfo uart = ports.Single(p => p.Path == "COM1");
        Assert.False(uart.IsUsb);
        Assert.Equal("Serial0 (registry)", uart.Description);
        Assert.Equal(SerialPortCatalog.ExtraPortsVariable, ports[^1].Source);
    }

    [Fact]
    public void Registry_WithoutSerialComm_ListsNoPort_EvenWithUsbDevicesThatOnceHadOne()
    {
        // Windows keeps Enum\USB entries of adapters unplugged long ago; only SERIALCOMM says what is there now.
        var registry = new FakeRegistry()
            .Value($@"{Enum}\USB\VID_0483&PID_5740\8D7F3A5B\Device Parameters", "PortName", "COM7");

        Assert.Empty(new SerialPortCatalog(registry).List());
    }

    /// <summary>An in-memory registry: keys are created by the values put in them.</summary>
    private sealed class FakeRegistry : IRegistryTree
    {
        private readonly Dictionary<string, Dictionary<string, object>> _values = new(StringComparer.OrdinalIgnoreCase);

        public FakeRegistry Value(string key, string name, object value)
        {
            for (string k = key; k.Length > 0; k = k.Contains('\\', StringComparison.Ordinal) ? k[..k.LastIndexOf('\\')] : "")
                _values.TryAdd(k, new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase));
            _values[key][name] = value;
            return this;
        }

        public IReadOnlyList<string> SubKeyNames(string key) =>
            _values.Keys.Where(k => k.StartsWith(key + "\\", StringComparison.OrdinalIgnoreCase) && !k[(key.Length + 1)..].Contains('\\', StringComparison.Ordinal))
                .Select(k => k[(key.Length + 1)..]).ToArray();

        public IReadOnlyList<string> ValueNames(string key) => _values.TryGetValue(key, out var values) ? values.Keys.ToArray() : [];

        public object? Value(string key, string name) => _values.TryGetValue(key, out var values) && values.TryGetValue(name, out object? value) ? value : null;
    }
}
