using System.Diagnostics;

namespace Csa.Cli.Tests;

/// <summary>
/// The repository's Directory.Build.props in checkouts that have no hosted remote (a fresh <c>git init</c>, a clone of a
/// local path as CI makes): a packable project under src/ builds with <c>-warnaserror</c> and without SourceLink's
/// "Repository ... has no remote" warnings, once per project and target framework before the fix.
/// </summary>
public sealed class RepositoryBuildTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);
    private readonly string _directory = DeviceTestKit.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("none")]
    [InlineData("local path")]
    public async Task ACheckoutWithoutAHostedRemote_BuildsWithWarningsAsErrors_WithoutSourceControlWarnings(string remote)
    {
        string checkout = Path.Combine(_directory, "checkout");
        Directory.CreateDirectory(Path.Combine(checkout, "src", "Probe"));
        foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" })
            File.Copy(ImageTestSupport.RepoFile(file), Path.Combine(checkout, file));
        // A packable library under src/, like the SDK's packages: it gets the SourceLink package reference.
        File.WriteAllText(Path.Combine(checkout, "src", "Probe", "Probe.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>\n");
        File.WriteAllText(Path.Combine(checkout, "src", "Probe", "Probe.cs"),
            "namespace Probe;\n\n/// <summary>Something to compile.</summary>\npublic static class Marker\n{\n}\n");
        await RunAsync(checkout, "git", "init", "-q");
        await RunAsync(checkout, "git", "add", ".");
        await RunAsync(checkout, "git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "probe");
        if (remote == "local path")
        {
            // What `git clone /some/path` leaves: a remote whose URL is a directory, itself without a remote.
            string origin = Path.Combine(_directory, "origin");
            Directory.CreateDirectory(origin);
            await RunAsync(origin, "git", "init", "-q");
            await RunAsync(checkout, "git", "remote", "add", "origin", origin);
        }

        (int code, string output) = await RunAsync(checkout, "dotnet", "build", "src/Probe/Probe.csproj", "-warnaserror", "-nologo", "-p:CI=true");

        Assert.True(code == 0, output);
        Assert.DoesNotContain("has no remote", output, StringComparison.Ordinal);
        Assert.Contains("0 Warning(s)", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(checkout, "src", "Probe", "bin", "Debug", "net10.0", "Probe.xml")), "the probe did not get the repository's settings (XML docs)");
    }

    private static async Task<(int Code, string Output)> RunAsync(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host runs under MSBuild/dotnet test: its MSBuild variables must not steer the child build.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        using var guard = new CancellationTokenSource(HangGuard);
        Task<string> output = process.StandardOutput.ReadToEndAsync(guard.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(guard.Token);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        string all = await output + await error;
        if (program == "git")
            Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {all}");
        return (process.ExitCode, all);
    }
}
