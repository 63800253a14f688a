using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary>What one run of the tool printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>Parses standard output as the one JSON document --json promises (fails the test if it is not).</summary>
    public JsonElement Json()
    {
        using JsonDocument document = JsonDocument.Parse(Output);
        return document.RootElement.Clone();
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>Runs the csa tool in-process with captured output, as a user would run it from a shell.</summary>
public static class CliRunner
{
    /// <summary>Runs <c>csa args...</c>; a hang guard cancels it after <paramref name="hangGuard"/> (default 5 min).</summary>
    public static async Task<CliRun> RunAsync(string[] args, TimeSpan? hangGuard = null, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(hangGuard ?? TimeSpan.FromMinutes(5));
        int code = await CsaApp.RunAsync(args, CliConsole.FromWriters(output, error), guard.Token);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, null);
}
