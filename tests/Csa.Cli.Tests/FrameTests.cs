namespace Csa.Cli.Tests;

/// <summary>What every command shares: usage errors, exit codes, one-line errors, --json.</summary>
public sealed class FrameTests
{
    [Fact]
    public async Task UnknownCommand_IsAUsageErrorWithOneLine()
    {
        CliRun run = await CliRunner.RunAsync("frobnicate");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        string line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("csa: error:", line);
    }

    [Fact]
    public async Task Help_ListsTheCommandsAndSucceeds()
    {
        CliRun run = await CliRunner.RunAsync("--help");
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("rpc", run.Output);
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task RpcGenC_WritesAHeaderThatNamesTheInterface()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "sample.rpc.json");
        CliRun run = await CliRunner.RunAsync("rpc", "gen-c", path);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("#ifndef", run.Output);
        Assert.Contains("SAMPLE", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task RpcGenC_Json_ParsesAndCarriesTheHeader()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "sample.rpc.json");
        CliRun run = await CliRunner.RunAsync("rpc", "gen-c", path, "--json");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("#ifndef", run.Json().GetProperty("header").GetString());
    }

    [Fact]
    public async Task RpcGenC_MissingFile_IsAFileErrorWithOneLine()
    {
        CliRun run = await CliRunner.RunAsync("rpc", "gen-c", "/nonexistent/x.rpc.json");
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
        Assert.Equal("csa: error: interface file not found: /nonexistent/x.rpc.json", run.Error.Trim());
    }

    [Fact]
    public async Task RpcGenC_BadInterface_IsInvalidInputWithOneLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.rpc.json");
        await File.WriteAllTextAsync(path, "{ \"name\": 5 }");
        try
        {
            CliRun run = await CliRunner.RunAsync("rpc", "gen-c", path);
            Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
            Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", run.Error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task MissingArgument_IsAUsageError()
    {
        CliRun run = await CliRunner.RunAsync("rpc", "gen-c");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("csa rpc gen-c --help", run.Error);
    }
}
