using System.CommandLine;
using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// With <c>--json</c> every command prints exactly one JSON document on standard output, also when it fails: then
/// <c>succeeded: false</c>, the documented <c>exitCode</c>, and <c>error: { code, message, devices? }</c>
/// (docs/cli.md, "Errors with --json"; issue 13 item 12). The one-line error on standard error stays.
/// </summary>
public sealed class JsonErrorTests : PersistedBenchTests
{
    private static readonly string Missing = Path.Combine(Path.GetTempPath(), $"csa-missing-{Guid.NewGuid():N}");

    /// <summary>One failing command line per command of the tool, and the exit code docs/cli.md gives it.</summary>
    public static TheoryData<string, string[], int> FailingCommands() => new()
    {
        { "demo", ["demo", "--app-size", "0"], ExitCodes.Usage },
        { "sim", ["sim", "--tcp", "0", "--key", Path.Combine(Missing, "key.pem")], ExitCodes.FileError },
        { "devices", ["devices", "--link", "serial:/dev/ttyUSB7-csa-missing"], ExitCodes.Unreachable },
        { "info", ["info", "--link", "tcp://127.0.0.1:1", "--connect-timeout", "2s"], ExitCodes.Unreachable },
        { "update", ["update", Path.Combine(Missing, "app.csai"), "--link", DeviceTestKit.Sim()], ExitCodes.FileError },
        { "install", ["install", Path.Combine(Missing, "app.csai"), "--link", DeviceTestKit.Sim()], ExitCodes.FileError },
        { "provision", ["provision", "--production-key", Path.Combine(Missing, "p.pem"), "--vendor", "1", "--device-class", "1", "--link", DeviceTestKit.Sim()], ExitCodes.FileError },
        { "image build", ["image", "build", Path.Combine(Missing, "fw.hex"), "--version", "1.0.0", "--security-counter", "1", "--vendor", "1", "--device-class", "1", "--crc", "-o", Path.Combine(Missing, "a.csai")], ExitCodes.FileError },
        { "image sign", ["image", "sign", Path.Combine(Missing, "a.csai"), "--key", Path.Combine(Missing, "k.pem"), "-o", Path.Combine(Missing, "b.csai")], ExitCodes.FileError },
        { "image encrypt", ["image", "encrypt", Path.Combine(Missing, "a.csai"), "--encrypt-for", $"{ImageTestKeys.Device1}={Path.Combine(Missing, "d.pem")}", "-o", Path.Combine(Missing, "b.csai")], ExitCodes.FileError },
        { "image inspect", ["image", "inspect", ImageTestSupport.TestData("firmware.bin")], ExitCodes.InvalidInput },
        { "image verify", ["image", "verify", ImageTestSupport.TestData("firmware.hex"), "--accept-crc"], ExitCodes.InvalidInput },
        { "keys generate", ["keys", "generate", "--role", "firmware-signing", "--out", Path.Combine(Missing, "sub", "k")], ExitCodes.FileError },
        { "keys show", ["keys", "show", ImageTestSupport.TestData("firmware.hex")], ExitCodes.InvalidInput },
        { "rpc gen-c", ["rpc", "gen-c", Path.Combine(Missing, "i.rpc.json")], ExitCodes.FileError },
        { "records init", ["records", "init", "--records", $"sqlite:{Path.Combine(Missing, "sub", "r.db")}"], ExitCodes.FileError },
        { "records query", ["records", "query", "--records", $"sqlite:{Path.Combine(Missing, "sub", "r.db")}"], ExitCodes.FileError },
        { "records forward", ["records", "forward", "--records", "postgres://station:secret@127.0.0.1:1/csa"], ExitCodes.Usage },
        { "records void", ["records", "void", "not-a-uid", "--reason", "test", "--records", $"sqlite:{Path.Combine(Missing, "sub", "r.db")}"], ExitCodes.Usage },
        { "regions", ["regions", "--link", "tcp://127.0.0.1:1"], ExitCodes.Unreachable },
        { "verify", ["verify", Path.Combine(Missing, "app.csai"), "--link", DeviceTestKit.Sim()], ExitCodes.FileError },
        { "reset", ["reset", "--link", "sim:?devices=99"], ExitCodes.Usage },
        { "erase", ["erase", "--authorize", Path.Combine(Missing, "app.csai"), "--link", DeviceTestKit.Sim()], ExitCodes.FileError },
        { "ports", ["ports", "--baud", "9600"], ExitCodes.Usage },
        { "profile add", ["profile", "add", "x", "--link", "carrier-pigeon"], ExitCodes.Usage },
        { "profile list", ["profile", "list", "--no-such-option"], ExitCodes.Usage },
        { "profile show", ["profile", "show", "csa-test-no-such-profile"], ExitCodes.Usage },
        { "profile remove", ["profile", "remove", "csa-test-no-such-profile"], ExitCodes.Usage },
        { "python-sdk", ["python-sdk", ImageTestSupport.TestData("firmware.bin")], ExitCodes.FileError },
        { "(parser)", ["image", "build", "--no-such-option"], ExitCodes.Usage },
    };

    private static JsonElement ErrorDocument(CliRun run, int exitCode, bool batch = false)
    {
        Assert.True(run.ExitCode == exitCode, $"expected exit {exitCode}\n{run}");
        JsonElement document = run.Json(); // exactly one document, or this throws
        Assert.False(document.GetProperty("succeeded").GetBoolean());
        Assert.Equal(exitCode, document.GetProperty("exitCode").GetInt32());
        JsonElement error = document.GetProperty("error");
        Assert.Equal(NameOf(exitCode), error.GetProperty("code").GetString());
        string message = error.GetProperty("message").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        // The same words as the error line a person reads on standard error (a batch has one line per device).
        if (batch)
        {
            foreach (JsonElement device in error.GetProperty("devices").EnumerateArray())
                Assert.Contains(device.GetProperty("message").GetString()!, run.Error);
        }
        else
        {
            Assert.Contains(message, run.Error);
        }
        return document;
    }

    private static string NameOf(int code) => code switch
    {
        1 => "failed", 2 => "usage", 3 => "fileError", 4 => "invalidInput", 5 => "unreachable", 6 => "rejected",
        7 => "verificationFailed", 8 => "authenticationFailed", 130 => "cancelled", _ => "?",
    };

    [Theory]
    [MemberData(nameof(FailingCommands))]
    [Trait("Requirement", "REQ-INST")]
    public async Task EveryFailingCommand_PrintsOneJsonErrorDocumentWithItsExitCode(string command, string[] args, int exitCode)
    {
        CliRun run = await CliRunner.RunAsync([.. args, "--json"]);
        ErrorDocument(run, exitCode);
        Assert.NotEmpty(command);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public void TheFailingCommandList_CoversEveryCommandOfTheTool()
    {
        var leaves = new List<string>();
        void Walk(Command command, string prefix)
        {
            string name = prefix.Length == 0 ? command.Name : $"{prefix} {command.Name}";
            if (command.Subcommands.Count == 0)
                leaves.Add(name);
            foreach (Command sub in command.Subcommands)
                Walk(sub, name);
        }
        foreach (Command command in CsaApp.BuildRoot(CliConsole.FromWriters(TextWriter.Null, TextWriter.Null)).Subcommands)
            Walk(command, "");
        Assert.Equal(leaves.Order(), FailingCommands().Select(row => (string)row[0]).Where(n => n != "(parser)").Order());
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task AVerificationFailure_KeepsTheReportAndAddsTheError()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc"));
        // A CRC image verified without --accept-crc but with a key: nothing it trusts authenticates it.
        CliRun keys = await CliRunner.RunAsync("keys", "generate", "--role", "firmware-signing", "--out", dir["k"]);
        Assert.Equal(0, keys.ExitCode);
        CliRun run = await CliRunner.RunAsync("image", "verify", dir["a.csai"], "--trust", dir["k.pub.pem"], "--json");
        JsonElement document = ErrorDocument(run, ExitCodes.VerificationFailed);
        Assert.True(document.TryGetProperty("checks", out _) || document.TryGetProperty("valid", out _), document.ToString());
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task ABatchThatFailsOnEveryDevice_NamesEachDeviceWithItsCode()
    {
        string link = await CreateAsync(2);
        CliRun keys = await CliRunner.RunAsync("keys", "generate", "--role", "firmware-signing", "--out", Path.Combine(Scratch, "stranger"));
        Assert.Equal(0, keys.ExitCode);
        // Signed by a key the devices do not trust: each device refuses it.
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), Path.Combine(Scratch, "stranger.key.pem"), 0, new FirmwareVersion(2, 0, 0, 0));

        CliRun run = await CliRunner.RunAsync("install", image, "--link", link, "--json");
        JsonElement document = ErrorDocument(run, ExitCodes.Rejected, batch: true);
        JsonElement[] devices = document.GetProperty("error").GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(2, devices.Length);
        Assert.All(devices, d =>
        {
            Assert.Equal(24, d.GetProperty("uid").GetString()!.Length);
            Assert.Equal(ExitCodes.Rejected, d.GetProperty("exitCode").GetInt32());
            Assert.Equal("rejected", d.GetProperty("code").GetString());
            Assert.False(string.IsNullOrWhiteSpace(d.GetProperty("message").GetString()));
        });
        // The per-device rows stay where scripts already read them.
        Assert.Equal(2, document.GetProperty("devices").GetArrayLength());
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task ASuccessfulCommand_PrintsItsOwnDocumentUnchanged()
    {
        CliRun run = await CliRunner.RunAsync("keys", "show", ImageTestKeysPath(), "--json");
        Assert.Equal(0, run.ExitCode);
        JsonElement document = run.Json();
        Assert.False(document.TryGetProperty("error", out _));
        Assert.False(document.TryGetProperty("exitCode", out _));
    }

    private string ImageTestKeysPath()
    {
        string key = Path.Combine(Scratch, "shown");
        CliRun run = CliRunner.RunAsync("keys", "generate", "--role", "production", "--out", key).GetAwaiter().GetResult();
        Assert.Equal(0, run.ExitCode);
        return key + ".pub.pem";
    }
}
