using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Csa.Cli.Tests;

/// <summary>
/// docs/cli.md about the simulated devices tells the truth: what it says they are (vendor, class, factory security counter,
/// packet size, receive buffers) is what they report, its image example installs on them as written, and
/// <c>buffers=</c> / <c>--buffers</c> set what they advertise, with a typed usage error outside 1..16.
/// </summary>
public sealed partial class SimDocsTests : IDisposable
{
    private readonly string _directory = DeviceTestKit.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string CliMd => File.ReadAllText(ImageTestSupport.RepoFile("docs/cli.md"));

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task CliMd_StatesTheSimulatedDevicesVendorClassSecurityCounterPacketSizeAndBuffers_AsTheyReportThem()
    {
        Match stated = SimulatedDeviceFacts().Match(CliMd);
        Assert.True(stated.Success, "docs/cli.md no longer states the simulated devices' vendor, class, security counter, packet size and buffers");

        CliRun run = await CliRunner.RunAsync("info", "--json", "--link", "sim:?timing=instant");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement device = Assert.Single(run.Json().GetProperty("devices").EnumerateArray().ToArray());

        Assert.Equal($"0x{stated.Groups["vendor"].Value}", device.GetProperty("vendor").GetString());
        Assert.Equal($"0x{stated.Groups["class"].Value}", device.GetProperty("deviceClass").GetString());
        Assert.Equal(uint.Parse(stated.Groups["counter"].Value, CultureInfo.InvariantCulture), device.GetProperty("securityCounter").GetUInt32());
        Assert.Equal(int.Parse(stated.Groups["packet"].Value, CultureInfo.InvariantCulture), device.GetProperty("maxPacketSize").GetInt32());
        Assert.Equal(int.Parse(stated.Groups["buffers"].Value, CultureInfo.InvariantCulture), device.GetProperty("receiveBuffers").GetInt32());
        Assert.Equal(int.Parse(stated.Groups["frames"].Value, CultureInfo.InvariantCulture), device.GetProperty("maxFrameSize").GetInt32());
    }

    [GeneratedRegex(@"vendor `0x(?<vendor>[0-9A-F]{8})`, device class `0x(?<class>[0-9A-F]{8})`.*?factory security counter (?<counter>\d+)\*\*.*?(?<frames>\d+)-byte frames, \*\*packets up to (?<packet>\d+) bytes\*\*.*?(?<buffers>\d+) receive buffers unless", RegexOptions.Singleline)]
    private static partial Regex SimulatedDeviceFacts();

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task CliMd_TypicalReleaseExample_AsWritten_InstallsOnASimDevice()
    {
        // The commands of the "A typical release" block, run as written (file names made absolute in a scratch
        // directory), on an app.hex linked for the simulated F4's application region.
        string block = Regex.Match(CliMd, @"A typical release:\s*```sh\n(?<commands>.*?)```", RegexOptions.Singleline).Groups["commands"].Value;
        string[] commands = Commands(block);
        Assert.Equal(["keys generate", "image build", "image verify"], commands.Select(c => string.Join(' ', Words(c).Skip(1).Take(2))));
        File.WriteAllText(Path.Combine(_directory, "app.hex"), IntelHex(0x0806_0000, 20_000));
        foreach (string command in commands)
        {
            CliRun step = await CliRunner.RunAsync(Absolute(Words(command).Skip(1)));
            Assert.True(step.ExitCode == ExitCodes.Success, $"{command}\n{step}");
        }

        // The update the text after the block gives, on a device that keeps its flash so its version can be read back.
        Match update = Regex.Match(CliMd, @"`csa update (?<image>\S+) --link ""sim:\?trust=(?<key>[^""]+)""`");
        Assert.True(update.Success, "docs/cli.md no longer shows how to install the example image on a csa sim device");
        string link = $"sim:?trust={Path.Combine(_directory, update.Groups["key"].Value)}&timing=instant&state={Path.Combine(_directory, "bench")}";
        CliRun installed = await CliRunner.RunAsync("update", Path.Combine(_directory, update.Groups["image"].Value), "--link", link);
        Assert.True(installed.ExitCode == ExitCodes.Success, installed.ToString());

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link);
        Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
        Assert.Equal("1.4.2+317", Assert.Single(info.Json().GetProperty("devices").EnumerateArray().ToArray()).GetProperty("application").GetString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(16)]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task SimBuffers_AreWhatTheDevicesAdvertise(int buffers)
    {
        CliRun run = await CliRunner.RunAsync("info", "--json", "--link", $"sim:chain?devices=2&timing=instant&buffers={buffers}");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.All(run.Json().GetProperty("devices").EnumerateArray(), d => Assert.Equal(buffers, d.GetProperty("receiveBuffers").GetInt32()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("17")]
    [InlineData("-1")]
    [InlineData("twelve")]
    public async Task SimBuffers_OutsideOneToSixteen_AreAUsageErrorThatSaysWhy(string buffers)
    {
        CliRun uri = await CliRunner.RunAsync("info", "--link", $"sim:?timing=instant&buffers={buffers}");
        Assert.Equal(ExitCodes.Usage, uri.ExitCode);
        Assert.Contains($"buffers '{buffers}' is not 1..16", uri.Error, StringComparison.Ordinal);

        CliRun sim = await CliRunner.RunAsync("sim", "--tcp", "0", "--buffers", buffers);
        Assert.Equal(ExitCodes.Usage, sim.ExitCode);
        Assert.Contains($"--buffers '{buffers}' is not 1..16", sim.Error, StringComparison.Ordinal);
        Assert.Single(DeviceTestKit.Lines(sim.Error));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task CsaSim_Buffers_IsWhatTheServedDeviceAdvertises()
    {
        var output = new WatchedWriter("signingKey");
        var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Task<int> sim = CsaApp.RunAsync(["sim", "--json", "--tcp", "0", "--buffers", "12", "--flash-timing", "instant"], CliConsole.FromWriters(output, error), stop.Token);
        await Task.WhenAny(output.Seen, sim);
        try
        {
            using JsonDocument served = JsonDocument.Parse(output.ToString());
            Assert.Equal(12, served.RootElement.GetProperty("receiveBuffers").GetInt32());
            string uri = served.RootElement.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
            CliRun info = await CliRunner.RunAsync("info", "--json", "--link", uri);
            Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
            Assert.Equal(12, info.Json().GetProperty("devices")[0].GetProperty("receiveBuffers").GetInt32());
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await sim);
        }
    }

    /// <summary>The shell commands of a code block: comments dropped, backslash continuations joined.</summary>
    private static string[] Commands(string block) =>
        Regex.Replace(block, @"\\\n\s*", " ").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => Regex.Replace(line, @"\s+#.*$", "").Trim())
            .Where(line => line.StartsWith("csa ", StringComparison.Ordinal))
            .ToArray();

    private static string[] Words(string command) => command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Makes the file names of the example (and the NAME of --out) absolute in the scratch directory.</summary>
    private string[] Absolute(IEnumerable<string> words)
    {
        var result = new List<string>();
        string? previous = null;
        foreach (string word in words)
        {
            bool file = Regex.IsMatch(word, @"^[\w.\-]+\.(hex|pem|csai|bin)$") || previous is "--out" or "--output" or "-o";
            result.Add(file ? Path.Combine(_directory, word) : word);
            previous = word;
        }
        return [.. result];
    }

    /// <summary>Intel HEX (I32HEX) of <paramref name="size"/> pseudo-random bytes at <paramref name="address"/>.</summary>
    private static string IntelHex(uint address, int size)
    {
        var data = new byte[size];
        new Random(42).NextBytes(data);
        var text = new StringBuilder();
        uint upper = uint.MaxValue;
        for (int offset = 0; offset < size; offset += 16)
        {
            uint at = address + (uint)offset;
            if (at >> 16 != upper)
            {
                upper = at >> 16;
                text.Append(Record(0, 0x04, [(byte)(upper >> 8), (byte)upper]));
            }
            text.Append(Record((ushort)at, 0x00, data.AsSpan(offset, Math.Min(16, size - offset)).ToArray()));
        }
        return text.Append(":00000001FF\n").ToString();
    }

    private static string Record(ushort offset, byte type, byte[] data)
    {
        byte[] record = [(byte)data.Length, (byte)(offset >> 8), (byte)offset, type, .. data];
        byte sum = 0;
        foreach (byte b in record)
            sum += b;
        return $":{Convert.ToHexString(record)}{(byte)-sum:X2}\n";
    }
}
