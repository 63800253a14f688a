using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Cli.Simulation;
using Csa.Crypto;
using Csa.Simulator;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Cli.Tests;

/// <summary>What the device command tests share: sim: links, state directories, images signed for simulated devices.</summary>
internal static class DeviceTestKit
{
    /// <summary>A fresh in-process simulation with instant flash (tests never wait for datasheet erase times).</summary>
    public static string Sim(int devices = 1, string topology = "", string? state = null, string family = "f4") =>
        $"sim:{topology}?devices={devices}&timing=instant&family={family}" + (state is null ? "" : $"&state={state}");

    public static string NewDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-cli-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>An image for simulated device <paramref name="index"/>, signed with <paramref name="keyFile"/>, written to <paramref name="path"/>.</summary>
    public static async Task<string> WriteImageAsync(string path, string keyFile, int index, FirmwareVersion version, bool bootloader = false,
        FlashFamily family = FlashFamily.Stm32F4, int size = 8 * 1024, bool copyA = false)
    {
        var profile = new DeviceProfile
        {
            MemoryMap = family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
            Uid = VirtualFleet.UidFor(family, index),
        };
        RegionKind region = !bootloader ? RegionKind.Application : copyA ? RegionKind.BootloaderA : RegionKind.BootloaderB;
        var factory = new DeviceFactory(new DeviceFactoryOptions { SigningKey = EcP256PrivateKey.Load(keyFile) });
        FirmwareImage image = await factory.BuildImageAsync(profile, region, version, new FactoryImageOptions { Size = size });
        await image.WriteFileAsync(path);
        return path;
    }

    /// <summary>A signing key nobody's devices trust.</summary>
    public static string ForeignKey(string directory)
    {
        string path = Path.Combine(directory, "foreign.pem");
        KeyGenerator.Generate(KeyRole.FirmwareSigning).Save(path);
        return path;
    }

    /// <summary>
    /// Runs a command that runs until cancelled (<c>csa sim</c>) and cancels it once its output shows
    /// <paramref name="ready"/>: the test's Ctrl+C, sent when the command is ready rather than after a guessed delay.
    /// </summary>
    public static async Task<CliRun> RunUntilReadyAsync(string ready, params string[] args)
    {
        var output = new WatchedWriter(ready);
        var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Task<int> run = CsaApp.RunAsync(args, CliConsole.FromWriters(output, error), stop.Token);
        await Task.WhenAny(output.Seen, run);
        await stop.CancelAsync();
        return new CliRun(await run, output.ToString(), error.ToString());
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A thread-safe output writer that signals when a text first appears.</summary>
internal sealed class WatchedWriter(string awaited) : StringWriter
{
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Seen => _seen.Task;

    public override void Write(char value)
    {
        lock (this)
            base.Write(value);
    }

    public override void Write(string? value)
    {
        lock (this)
        {
            base.Write(value);
            if (base.ToString().Contains(awaited, StringComparison.Ordinal))
                _seen.TrySetResult();
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write(value + NewLine);

    public override string ToString()
    {
        lock (this)
            return base.ToString();
    }
}

/// <summary><c>csa devices</c>: discovery over every kind of link, JSON, and unreachable or malformed links.</summary>
public sealed class DevicesTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Devices_OnAChainOfThree_ListsEachInChainOrder()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", DeviceTestKit.Sim(3));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("3 device(s) on 1 link(s)", run.Output);
        foreach (string address in new[] { "0x01", "0x02", "0x03" })
            Assert.Contains(address, run.Output);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Devices_Json_OnAStar_GivesOneLinkPerDeviceAndParses()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--json", "--link", DeviceTestKit.Sim(2, "star", family: "l4"));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement[] devices = run.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(2, devices.Length);
        Assert.NotEqual(devices[0].GetProperty("link").GetString(), devices[1].GetProperty("link").GetString());
        Assert.All(devices, d => Assert.Equal("application", d.GetProperty("running").GetString()));
        Assert.All(devices, d => Assert.Equal("0x415", d.GetProperty("mcu").GetString()));
        Assert.Equal(VirtualFleet.UidFor(FlashFamily.Stm32L4, 0).ToString(), devices[0].GetProperty("uid").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Devices_UnreachableTcpLink_IsExit5WithOneLine()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", "tcp://127.0.0.1:1");
        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        string line = Assert.Single(DeviceTestKit.Lines(run.Error));
        Assert.StartsWith("csa: error:", line);
        Assert.Contains("127.0.0.1:1", line);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Devices_LinkThatNeverAnswers_IsExit5WithOneLine()
    {
        // A TCP peer that accepts and then stays silent, like a serial port with nothing on the other end.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        Task<System.Net.Sockets.TcpClient> accepted = listener.AcceptTcpClientAsync();
        CliRun run = await CliRunner.RunAsync(["devices", "--link", $"tcp://127.0.0.1:{port}"], TimeSpan.FromSeconds(60));
        (await accepted).Dispose();
        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Equal($"csa: error: no device answered on tcp://127.0.0.1:{port}", Assert.Single(DeviceTestKit.Lines(run.Error)));
    }

    [Theory]
    [InlineData("tcp://")]
    [InlineData("tcp://host:99999")]
    [InlineData("serial:/dev/ttyUSB0?bauds=9600")]
    [InlineData("sim:?devices=0")]
    [InlineData("sim:?devices=2&topology=single")]
    [InlineData("sim:ring?devices=2")]
    [InlineData("sim:?colour=blue")]
    public async Task Devices_MalformedLink_IsAUsageErrorWithOneLine(string link)
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", link);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Single(DeviceTestKit.Lines(run.Error));
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Devices_Verbose_LogsTheEnumerationToStandardErrorOnly()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--verbose", "--json", "--link", DeviceTestKit.Sim(2));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Took address 0x02", run.Error);
        Assert.Equal(2, run.Json().GetProperty("devices").GetArrayLength());
    }

    [Fact]
    public async Task Devices_SimLinkWithMissingKey_IsAFileError()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", "sim:?key=/nonexistent/dev.pem");
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
        Assert.Equal("csa: error: signing key not found: /nonexistent/dev.pem", run.Error.Trim());
    }

    [Fact]
    public async Task Devices_TwoSimLinks_IsAUsageError()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", "sim:", "--link", "sim:?family=l4");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }

    [Fact]
    public async Task Devices_WithoutLink_IsAUsageError()
    {
        CliRun run = await CliRunner.RunAsync("devices");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--link", run.Error);
    }

    [Fact]
    public async Task Devices_BadTimeout_IsAUsageError()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", DeviceTestKit.Sim(), "--timeout", "soon");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--timeout", run.Error);
    }
}
