using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary>Help that names the docs, "did you mean", and the completion directive the docs tell shells to call.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("did you mean 'update'?", "updaet")]
    [InlineData("did you mean 'verify'?", "image", "verfy")]
    [InlineData("unknown option '--lnk' for 'csa update'; did you mean '--link'?", "update", "app.csai", "--lnk", "tcp://127.0.0.1:1")]
    [InlineData("did you mean '--timeout'?", "devices", "--link", "tcp://127.0.0.1:1", "--timout", "2s")]
    [InlineData("did you mean '--json'?", "info", "--jsn")]
    public async Task AMistypedCommandOrOption_IsExit2_WithTheClosestName(string expected, params string[] args)
    {
        CliRun run = await CliRunner.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        string line = Assert.Single(DeviceTestKit.Lines(run.Error));
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task AMistypedOption_WithJson_GetsTheSuggestionInTheDocument()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--json", "--lnik", "sim:");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("did you mean '--link'?", run.Json().GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public void NothingClose_SuggestsNothing()
    {
        Assert.Empty(DidYouMean.Closest("zzzzzz", ["update", "install"]));
        Assert.Equal(1, DidYouMean.Distance("updaet", "update")); // a transposition is one edit
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("update", "--help")]
    [InlineData("image", "verify", "-h")]
    public async Task Help_EvenWithRequiredArgumentsMissing_IsShown_AndNamesTheDocsOnline(params string[] args)
    {
        CliRun run = await CliRunner.RunAsync(args);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Usage:", run.Output);
        Assert.Contains(DocsHelp.CliReference, run.Output);
        Assert.StartsWith("https://", DocsHelp.CliReference);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task TheCompletionDirective_CompletesCommandsAndOptions()
    {
        CliRun commands = await CliRunner.RunAsync("[suggest:6]", "csa re");
        Assert.Equal(["records", "regions", "reset"], DeviceTestKit.Lines(commands.Output));
        CliRun options = await CliRunner.RunAsync("[suggest:15]", "csa verify --re");
        Assert.Contains("--retries", DeviceTestKit.Lines(options.Output));
    }
}
