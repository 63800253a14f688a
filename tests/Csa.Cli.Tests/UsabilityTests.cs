using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary>What a user meets when something is off: the message names the problem, nothing is half done.</summary>
public sealed class UsabilityTests : IDisposable
{
    private readonly string _directory = DeviceTestKit.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("bogus")]
    [InlineData("image", "bogus")]
    public async Task UnknownCommand_SaysWhichWordIsUnknown(params string[] args)
    {
        CliRun run = await CliRunner.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("'bogus'", run.Error);
    }

    [Fact]
    public async Task NonNumericCount_SaysWhatIsExpected_WithoutDotNetTypeNames()
    {
        CliRun run = await CliRunner.RunAsync("demo", "--app-size", "abc");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        string line = Assert.Single(DeviceTestKit.Lines(run.Error));
        Assert.Contains("'abc'", line, StringComparison.Ordinal); // what was given
        Assert.Contains("'--app-size'", line, StringComparison.Ordinal); // where
        Assert.Contains("a whole number", line, StringComparison.Ordinal); // what is expected
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", line, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryTypedOption_GivenAWrongValue_SaysWhatItTakes_WithoutDotNetTypeNames()
    {
        // Every numeric option of every command, given a word: the parser's complaint, as the tool
        // prints it, names the value and never a .NET type ('--tcp abc' used to say "System.Nullable`1[System.Int32]").
        System.CommandLine.RootCommand root = CsaApp.BuildRoot(CliConsole.FromWriters(TextWriter.Null, TextWriter.Null));
        var checkedOptions = new List<string>();
        foreach ((string[] path, System.CommandLine.Option option) in Options(root, []))
        {
            Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (!(type.IsPrimitive && type != typeof(bool)) && type != typeof(decimal))
                continue; // numbers only: "abc" is a fine file name or text
            string[] args = [.. path, option.Name, "abc"];
            string[] messages = root.Parse(args).Errors.Select(e => CsaApp.DescribeParseError(e.Message)).ToArray();
            Assert.All(messages, m => Assert.False(m.Contains("System.", StringComparison.Ordinal) || m.Contains("`1", StringComparison.Ordinal), $"{string.Join(' ', args)}: {m}"));
            // A command's own checks (a missing --trust, say) may be reported instead of the value; when the value is
            // reported, the message names the option too.
            foreach (string about in messages.Where(m => m.Contains("'abc'", StringComparison.Ordinal)))
            {
                Assert.Contains(option.Name, about, StringComparison.Ordinal);
                checkedOptions.Add($"{string.Join(' ', path)} {option.Name}");
            }
        }
        Assert.Contains("sim --tcp", checkedOptions);
        Assert.Contains("demo --app-size", checkedOptions);
        Assert.Contains("install --parallel", checkedOptions);
    }

    private static IEnumerable<(string[] Path, System.CommandLine.Option Option)> Options(System.CommandLine.Command command, string[] path)
    {
        foreach (System.CommandLine.Option option in command.Options)
            yield return (path, option);
        foreach (System.CommandLine.Command sub in command.Subcommands)
        {
            foreach ((string[] Path, System.CommandLine.Option Option) found in Options(sub, [.. path, sub.Name]))
                yield return found;
        }
    }

    [Theory]
    [InlineData("10-00-43-00-51-53-46-34-32-30-32-31")]
    [InlineData("10:00:43:00:51:53:46:34:32:30:32:31")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task DeviceSelection_TakesAUniqueIdWithSeparators(string uid)
    {
        CliRun run = await CliRunner.RunAsync("info", "--json", "--link", DeviceTestKit.Sim(2, "chain"), "--device", uid);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal("100043005153463432303231", Assert.Single(run.Json().GetProperty("devices").EnumerateArray().ToArray()).GetProperty("uid").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0xFF")]
    public async Task DeviceSelection_AddressOutsideTheAssignableRange_IsAUsageError(string address)
    {
        CliRun run = await CliRunner.RunAsync("info", "--link", DeviceTestKit.Sim(), "--device", address);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task RpcGenC_DoesNotReplaceAnExistingHeader_WithoutForce()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "TestData", "sample.rpc.json");
        string header = Path.Combine(_directory, "sample.h");
        await File.WriteAllTextAsync(header, "keep me");

        CliRun refused = await CliRunner.RunAsync("rpc", "gen-c", source, "-o", header);
        Assert.Equal(ExitCodes.FileError, refused.ExitCode);
        Assert.Equal("keep me", await File.ReadAllTextAsync(header));

        CliRun forced = await CliRunner.RunAsync("rpc", "gen-c", source, "-o", header, "--force", "--json");
        Assert.True(forced.ExitCode == ExitCodes.Success, forced.ToString());
        Assert.Equal(new FileInfo(header).Length, forced.Json().GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task RpcGenC_BadPrefix_IsAUsageErrorNamingTheOption()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "TestData", "sample.rpc.json");
        CliRun run = await CliRunner.RunAsync("rpc", "gen-c", source, "--prefix", "bad prefix!");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("csa: error: --prefix:", run.Error);
        Assert.DoesNotContain("Parameter", run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Provision_UnwritableRecordFile_FailsBeforeAnyDeviceIsProvisioned()
    {
        string key = Path.Combine(_directory, "production");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("keys", "generate", "--role", "production", "--out", key)).ExitCode);
        string link = DeviceTestKit.Sim(1, state: Path.Combine(_directory, "state")) + $"&production={key}.pub.pem";

        CliRun run = await CliRunner.RunAsync("provision", "--link", link, "--production-key", key + ".key.pem",
            "--vendor", "0x00C5_A000", "--device-class", "1", "--record", Path.Combine(_directory, "missing", "records.jsonl"));
        Assert.Equal(ExitCodes.FileError, run.ExitCode);

        // Still blank: the record problem stopped the station before it touched the device.
        CliRun again = await CliRunner.RunAsync("provision", "--json", "--link", link, "--production-key", key + ".key.pem",
            "--vendor", "0x00C5A000", "--device-class", "1");
        Assert.True(again.ExitCode == ExitCodes.Success, again.ToString());
        JsonElement row = Assert.Single(again.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.Equal("Provisioned", row.GetProperty("outcome").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Provision_AFailedDevice_GetsItsOwnErrorLine()
    {
        string key = Path.Combine(_directory, "production");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("keys", "generate", "--role", "production", "--out", key)).ExitCode);
        string link = DeviceTestKit.Sim(1) + $"&production={key}.pub.pem";

        CliRun run = await CliRunner.RunAsync("provision", "--link", link, "--production-key", key + ".key.pem", "--vendor", "7", "--device-class", "1");
        Assert.Equal(ExitCodes.AuthenticationFailed, run.ExitCode);
        string line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("csa: error: ", line);
        Assert.Contains("100043005153463432303231", line);
    }

    [Fact]
    public async Task InfoJson_EnumsAreCamelCase_AndFeaturesAreAList()
    {
        // A blank device of a provisioning product stays in its bootloader, so the bootloader's status is there too.
        string key = Path.Combine(_directory, "production");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("keys", "generate", "--role", "production", "--out", key)).ExitCode);
        CliRun run = await CliRunner.RunAsync("info", "--json", "--link", DeviceTestKit.Sim() + $"&production={key}.pub.pem");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement device = Assert.Single(run.Json().GetProperty("devices").EnumerateArray().ToArray());
        string[] features = device.GetProperty("features").EnumerateArray().Select(f => f.GetString()!).ToArray();
        Assert.Contains("forwarding", features);
        Assert.All(features, f => Assert.True(char.IsLower(f[0]), f));
        JsonElement status = device.GetProperty("bootloaderStatus");
        Assert.Equal("bootloaderA", status.GetProperty("runningCopy").GetString());
        Assert.Equal("notProvisioned", status.GetProperty("stayReason").GetString());
        Assert.Contains(status.GetProperty("regions").EnumerateArray(), r => r.GetProperty("region").GetString() == "application" && r.GetProperty("state").GetString() == "empty");
    }

    [Fact]
    public async Task KeysGenerate_TakesOutputLikeEveryOtherCommand()
    {
        CliRun run = await CliRunner.RunAsync("keys", "generate", "--role", "production", "-o", Path.Combine(_directory, "p"));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.True(File.Exists(Path.Combine(_directory, "p.key.pem")));
    }
}
