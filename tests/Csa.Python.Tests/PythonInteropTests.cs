using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Xunit.Abstractions;

namespace Csa.Python.Tests;

/// <summary>
/// What docs/updates.md section 13 says about calling the SDK from Python, checked in the embedded interpreter: several
/// links from a .NET list, a Python function as an install's image callback (wrapped in <c>Func</c>) and as a progress
/// callback (wrapped in <c>Action</c>), and .NET exceptions caught by their types.
/// </summary>
[Collection(PythonCollection.Name)]
public sealed class PythonInteropTests : IDisposable
{
    private static readonly FirmwareVersion Installed = new(2, 0, 0, 2);
    private static readonly FirmwareVersion Updated = new(3, 0, 0, 3);

    private const string Script = """
        import sys
        import clr
        clr.AddReference("Csa.Bootloader.Protocol")
        clr.AddReference("Csa.Bootloader")
        from System import Action, Func
        from System.Collections.Generic import List
        from Csa.Bootloader.Images import FirmwareImage, ImageReader
        from Csa.Bootloader.Updates import (DeviceInfo, DeviceNetwork, FirmwareUpdater, NetworkLink, UpdateOptions,
                                            UpdateProgress, UpdateRejectedException)

        # argv: uri_a image_a uri_b image_b update_image_for_a
        uri_a, image_a, uri_b, image_b, update_a = sys.argv[1:6]
        links = List[NetworkLink]()
        links.Add(NetworkLink.FromUri(uri_a))
        links.Add(NetworkLink.FromUri(uri_b))
        images = {0: ImageReader.ReadFile(image_a), 1: ImageReader.ReadFile(image_b)}
        asked = []

        def image_for(device):
            asked.append(device.LinkIndex)
            return images[device.LinkIndex]

        with DeviceNetwork.Connect(links) as network:
            devices = network.Discover()  # an IReadOnlyList: iterable and indexable, but len() needs list() or .Count
            print("devices", devices.Count, len(list(devices)), devices[1].LinkIndex)
            updater = FirmwareUpdater(network, UpdateOptions())
            for row in updater.Install(devices, Func[DeviceInfo, FirmwareImage](image_for), 2):
                print("installed", row.Succeeded, row.VersionAfter)
            print("images asked for links", sorted(asked))

            stages = []
            device_a = [d for d in network.Discover() if d.LinkIndex == 0][0]
            result = updater.UpdateApplication(device_a, ImageReader.ReadFile(update_a), Action[UpdateProgress](lambda p: stages.append(str(p.Stage))))
            print("updated", result.VersionAfter, "last stage", stages[-1])

            try:
                updater.UpdateApplication(device_a, images[0])  # older than what runs now
            except UpdateRejectedException as error:
                print("rejected", error.RejectedLocally, "one line" if "\n" not in error.Message else "several lines",
                      "str() has the .NET stack" if "   at Csa." in str(error) else "str() has no stack")
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("csa-python-").FullName;
    private readonly ITestOutputHelper _output;

    public PythonInteropTests(PythonEngineFixture engine, ITestOutputHelper output)
    {
        Assert.True(File.Exists(engine.LibraryPath));
        _output = output;
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Category", "Python")]
    public async Task DocumentedConversions_ListOfLinks_FuncImageCallback_ActionProgress_TypedExceptions()
    {
        await using SimulatedTcpDevice a = await SimulatedTcpDevice.StartAsync(1);
        await using SimulatedTcpDevice b = await SimulatedTcpDevice.StartAsync(2);
        string script = Path.Combine(_folder, "interop.py");
        await File.WriteAllTextAsync(script, Script);

        ScriptRun run = await PythonScript.RunAsync(script,
            a.Uri, Write(a, "a", Installed, counter: 2), b.Uri, Write(b, "b", Installed, counter: 2), Write(a, "a3", Updated, counter: 3));
        _output.WriteLine(run.ToString());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(
        [
            "devices 2 2 1",
            $"installed True {Installed}",
            $"installed True {Installed}",
            "images asked for links [0, 1]",
            $"updated {Updated} last stage Done",
            "rejected True one line str() has the .NET stack",
        ], run.OutputLines);
        Assert.Equal(Updated, a.Device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(Installed, b.Device.Firmware.Inventory[RegionKind.Application].Version);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(SimulatedTcpDevice device, string name, FirmwareVersion version, uint counter)
    {
        string folder = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
        return device.WriteApplicationImage(folder, version, payloadSize: 8_000, securityCounter: counter);
    }
}
