using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.DataLink;
using Microsoft.Extensions.Time.Testing;

namespace Csa.Cli.Tests;

/// <summary>
/// What every command that opens a link shares: <c>--timeout</c>, <c>--retries</c>, <c>--connect-timeout</c>; and the
/// plain progress lines a CI log gets (the stage changes, and the percent every few seconds while transferring).
/// </summary>
public sealed class LinkOptionsTests
{
    [Fact]
    public void EveryCommandThatTakesALink_TakesTimeoutRetriesAndConnectTimeout()
    {
        System.CommandLine.RootCommand root = CsaApp.BuildRoot(CliConsole.FromWriters(TextWriter.Null, TextWriter.Null));
        var withLinks = new List<string>();
        foreach (System.CommandLine.Command command in All(root))
        {
            string[] names = command.Options.Select(o => o.Name).ToArray();
            if (!names.Contains("--link"))
                continue;
            withLinks.Add(command.Name);
            Assert.Contains("--timeout", names);
            Assert.Contains("--retries", names);
            Assert.Contains("--connect-timeout", names);
        }
        Assert.Superset(new HashSet<string> { "devices", "info", "regions", "verify", "reset", "erase", "update", "install", "provision" }, withLinks.ToHashSet());
    }

    private static IEnumerable<System.CommandLine.Command> All(System.CommandLine.Command command) =>
        command.Subcommands.SelectMany(c => All(c).Prepend(c));

    [Theory]
    [InlineData("--retries", "21")]
    [InlineData("--retries", "-1")]
    [InlineData("--retries", "many")]
    [InlineData("--timeout", "soon")]
    [InlineData("--timeout", "2h")]
    public async Task BadTimeoutOrRetries_IsAUsageError_NamingTheOption_BeforeAnyLinkIsOpened(string option, string value)
    {
        // Port 1 is refused at once: had the link been opened, the exit code would be 5.
        CliRun run = await CliRunner.RunAsync("devices", "--json", "--link", "tcp://127.0.0.1:1", option, value);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(option, run.Json().GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task RetriesAndTimeout_ReachTheNetwork()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--json", "--link", DeviceTestKit.Sim(), "--retries", "0", "--timeout", "3s");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(1, DeviceOptions.AttemptsOf(0));
        Assert.Equal(3, DeviceOptions.AttemptsOf(null));
    }

    [Fact]
    public void ProgressLines_OnePerStage_AndWhileTransferring_OneEveryInterval_WithThePercent()
    {
        var time = new FakeTimeProvider();
        var lines = new List<string>();
        var uid = DeviceUid.Parse("100043005153463432303231");
        var view = new ProgressLines(_ => "0x01 dev", lines.Add, time, TimeSpan.FromSeconds(5));
        UpdateProgress At(UpdateStage stage, long done) => new(uid, new NodeAddress(1), stage, done, 65536, 0, 4096, null, 0, 1, 1);

        view.Report(At(UpdateStage.EnteringBootloader, 0));
        view.Report(At(UpdateStage.Transferring, 0));
        for (int second = 1; second <= 12; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            view.Report(At(UpdateStage.Transferring, second * 4096));
            view.Report(At(UpdateStage.Transferring, second * 4096 + 1024)); // many reports per second, at most one line
        }
        view.Report(At(UpdateStage.Done, 65536));

        Assert.Equal(
        [
            "  0x01 dev: EnteringBootloader",
            "  0x01 dev: Transferring 0% 0/65536 bytes, 4.0 KiB/s",
            "  0x01 dev: Transferring 31% 20480/65536 bytes, 4.0 KiB/s",
            "  0x01 dev: Transferring 62% 40960/65536 bytes, 4.0 KiB/s",
            "  0x01 dev: Done 100% 65536/65536 bytes",
        ], lines);
    }
}
