using System.Net;
using System.Net.Sockets;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Device;
using Xunit.Abstractions;

namespace Csa.Python.Tests;

/// <summary>
/// samples/python/update_device.py, run unchanged through pythonnet against a virtual device served over TCP the way
/// <c>csa sim --tcp</c> serves it: what a customer's Python script sees of the SDK.
/// </summary>
[Collection(PythonCollection.Name)]
public sealed class UpdateDeviceScriptTests : IDisposable
{
    private static readonly FirmwareVersion NewVersion = new(2, 1, 0, 7);

    private readonly string _folder = Directory.CreateTempSubdirectory("csa-python-").FullName;

    private readonly ITestOutputHelper _output;

    // The fixture parameter makes xunit start the interpreter first (or fail every test with the reason it could not).
    public UpdateDeviceScriptTests(PythonEngineFixture engine, ITestOutputHelper output)
    {
        Assert.True(File.Exists(engine.LibraryPath));
        _output = output;
        _output.WriteLine($"embedded Python: {engine.LibraryPath}");
    }

    private static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "update_device.py");

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Category", "Python")]
    public async Task Script_UpdatesTheVirtualDevice_PrintingProgress_AndTheDeviceRunsTheNewVersion()
    {
        await using SimulatedTcpDevice sim = await SimulatedTcpDevice.StartAsync();
        string image = sim.WriteApplicationImage(_folder, NewVersion, payloadSize: 64_000, securityCounter: 2);

        ScriptRun run = await PythonScript.RunAsync(ScriptPath, image, "--uri", sim.Uri);
        _output.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Error.Length == 0, run.ToString());
        IReadOnlyList<string> lines = run.OutputLines;
        Assert.Contains($"connecting to {sim.Uri}", lines);
        Assert.Contains(lines, l => l.StartsWith("found 1 device(s); updating Infusion pump", StringComparison.Ordinal)
            && l.EndsWith($"application {SimulatedTcpDevice.FactoryVersion} -> {NewVersion}", StringComparison.Ordinal));
        // One line per stage, in the order the updater goes through them.
        string[] stages = lines.Where(l => l.StartsWith("progress: ", StringComparison.Ordinal))
            .Select(l => l["progress: ".Length..].Split(' ', 2)[0]).Distinct().ToArray();
        Assert.Equal(["Connecting", "EnteringBootloader", "Checking", "Erasing", "Transferring", "Verifying", "Restarting", "Confirming", "Done"], stages);
        // The transfer is shown in tenths, ending at the whole payload.
        string[] transfer = lines.Where(l => l.StartsWith("progress: Transferring", StringComparison.Ordinal)).ToArray();
        Assert.True(transfer.Length >= 3, run.ToString());
        Assert.Contains(transfer, l => l.Contains("100%  64000/64000 bytes", StringComparison.Ordinal));
        // The bootloader's event reached the Python callback.
        Assert.Contains(lines, l => l.Contains("update phase Complete, 64000 bytes committed", StringComparison.Ordinal));
        Assert.StartsWith($"updated to {NewVersion} in ", lines[^1], StringComparison.Ordinal);

        // The device itself, seen from the C# side: the new application is installed, checked and running.
        Assert.Equal(VirtualDeviceState.Application, sim.Device.State);
        Assert.Equal(NewVersion, sim.Device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(NewVersion, sim.Device.Firmware.LastBoot?.ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Category", "Python")]
    public async Task Script_GivenAnUnreachableUri_ExitsWithOneClearLine()
    {
        await using SimulatedTcpDevice sim = await SimulatedTcpDevice.StartAsync();
        string image = sim.WriteApplicationImage(_folder, NewVersion, payloadSize: 4_000, securityCounter: 2);
        string uri = $"tcp://127.0.0.1:{FreeLoopbackPort()}";

        ScriptRun run = await PythonScript.RunAsync(ScriptPath, image, "--uri", uri);
        _output.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 3, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("update_device: error: cannot reach the device: ", line, StringComparison.Ordinal);
        Assert.Contains(uri, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Traceback", run.Error, StringComparison.Ordinal);
        Assert.Equal(SimulatedTcpDevice.FactoryVersion, sim.Device.Firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Category", "Python")]
    public async Task Script_GivenAMalformedUri_ExitsWithTheUsageCode_AndOneLine()
    {
        await using SimulatedTcpDevice sim = await SimulatedTcpDevice.StartAsync();
        string image = sim.WriteApplicationImage(_folder, NewVersion, payloadSize: 4_000, securityCounter: 2);

        ScriptRun run = await PythonScript.RunAsync(ScriptPath, image, "--uri", "tcp://127.0.0.1:70000");
        _output.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 2, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("update_device: error: Bad link URI 'tcp://127.0.0.1:70000': ", line, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Category", "Python")]
    public async Task Script_GivenAFileThatIsNoImage_ExitsWithOneClearLine_BeforeConnecting()
    {
        await using SimulatedTcpDevice sim = await SimulatedTcpDevice.StartAsync();
        string notAnImage = Path.Combine(_folder, "notes.txt");
        await File.WriteAllTextAsync(notAnImage, "not firmware");

        ScriptRun run = await PythonScript.RunAsync(ScriptPath, notAnImage, "--uri", sim.Uri);
        _output.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 1, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"update_device: error: cannot use {notAnImage}: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("connecting", run.Output, StringComparison.Ordinal);
        Assert.Equal(SimulatedTcpDevice.FactoryVersion, sim.Device.Firmware.Inventory[RegionKind.Application].Version);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // A port nothing listens on: the system hands out a free one, and it stays free once released.
    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
