using System.Diagnostics;
using System.Text.Json;

namespace Csa.Crypto.Tests;

/// <summary>Paths, hex and JSON helpers shared by the tests.</summary>
internal static class TestSupport
{
    public static string DataPath(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    public static JsonDocument LoadJson(params string[] parts) =>
        JsonDocument.Parse(File.ReadAllBytes(DataPath(parts)));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static byte[] HexProperty(this JsonElement element, string name) => Hex(element.GetProperty(name).GetString()!);

    /// <summary>
    /// The documented Wycheproof policy for files without "acceptable" vectors: "valid" must pass, "invalid" must
    /// fail, anything else has no rule yet and fails the test (docs/security.md §7).
    /// </summary>
    public static bool ExpectValid(JsonElement test) => test.GetProperty("result").GetString() switch
    {
        "valid" => true,
        "invalid" => false,
        var other => throw new InvalidOperationException($"tcId {test.GetProperty("tcId").GetInt32()}: result '{other}' has no policy; see docs/security.md section 7"),
    };

    /// <summary>The repository root (the folder with Csa.sln), found by walking up from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Csa.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Csa.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A scratch folder deleted after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("csa-crypto-tests-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Runs the openssl command line (a required tool of the test environment, see docs/security.md).</summary>
internal static class OpenSsl
{
    public static string Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();

        // Hang guard only, never a performance assertion.
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new TimeoutException("openssl " + string.Join(' ', arguments) + " hung");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>Runs openssl and returns its exit code instead of throwing (for "verification failed" checks).</summary>
    public static int ExitCode(string workingDirectory, params string[] arguments)
    {
        try
        {
            Run(workingDirectory, arguments);
            return 0;
        }
        catch (InvalidOperationException)
        {
            return 1;
        }
    }
}
