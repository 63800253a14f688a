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
    [Trait("Requirement", "REQ-RPC")]
    public async Task RpcGenC_OutputDir_WritesTheCompleteBindingOfEachInterface()
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "TestData", "sample.rpc.json");
        string copy = Path.Combine(Path.GetTempPath(), $"gen-c-{Guid.NewGuid():N}", "second.rpc.json");
        string dir = Path.Combine(Path.GetDirectoryName(copy)!, "out");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        try
        {
            File.Copy(sample, copy);
            CliRun run = await CliRunner.RunAsync("rpc", "gen-c", sample, copy, "--output-dir", dir, "--json");
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
            string[] written = run.Json().GetProperty("files").EnumerateArray().Select(f => Path.GetFileName(f.GetProperty("output").GetString()!)).ToArray();
            Assert.Equal(["sample.rpc.h", "sample.rpc.binding.h", "sample.rpc.binding.c", "second.rpc.h", "second.rpc.binding.h", "second.rpc.binding.c"], written);
            Assert.Contains("#include \"sample.rpc.h\"", File.ReadAllText(Path.Combine(dir, "sample.rpc.binding.h")), StringComparison.Ordinal);
            Assert.Contains("_dispatch(", File.ReadAllText(Path.Combine(dir, "second.rpc.binding.c")), StringComparison.Ordinal);

            // Existing files stay unless --force; nothing at all is written then.
            File.WriteAllText(Path.Combine(dir, "second.rpc.binding.c"), "keep me");
            File.Delete(Path.Combine(dir, "sample.rpc.h"));
            CliRun refused = await CliRunner.RunAsync("rpc", "gen-c", sample, copy, "--output-dir", dir);
            Assert.Equal(ExitCodes.FileError, refused.ExitCode);
            Assert.Equal("keep me", File.ReadAllText(Path.Combine(dir, "second.rpc.binding.c")));
            Assert.False(File.Exists(Path.Combine(dir, "sample.rpc.h")));
            Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("rpc", "gen-c", sample, copy, "--output-dir", dir, "--force")).ExitCode);
            Assert.NotEqual("keep me", File.ReadAllText(Path.Combine(dir, "second.rpc.binding.c")));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("--output", "x.h", "--output-dir", "d")]
    [InlineData("--prefix", "p", "--output-dir", "d")]
    public async Task RpcGenC_ConflictingOptions_AreUsageErrors(string a, string b, string c, string d)
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "TestData", "sample.rpc.json");
        CliRun run = await CliRunner.RunAsync("rpc", "gen-c", sample, sample, a, b, c, d);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
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
