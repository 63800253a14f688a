using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Csa.Python.Tests;

namespace Csa.PythonSdk.Tests;

/// <summary>
/// <c>csa python-sdk DIR</c> as a Python user meets it: the folder is written by the tool, a device is served by
/// <c>csa sim --tcp</c>, an image is built by <c>csa image build</c>, and <c>DIR/update_device.py</c> updates the device
/// through pythonnet, loading every Csa assembly from DIR (this process references none).
/// </summary>
[Collection(PythonCollection.Name)]
public sealed class PythonSdkFolderTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("csa-python-sdk-").FullName;

    public PythonSdkFolderTests(PythonEngineFixture engine) => Assert.True(File.Exists(engine.LibraryPath));

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string Tool => typeof(PythonSdkFolderTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CsaTool").Value!;

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Category", "Python")]
    public async Task TheSampleInTheFolder_UpdatesADevice_WithTheAssembliesFromThatFolder()
    {
        string sdk = Path.Combine(_scratch, "sdk");
        (int code, string output, string error) = await CsaAsync("python-sdk", sdk, "--json");
        Assert.True(code == 0, output + error);
        Assert.True(File.Exists(Path.Combine(sdk, "update_device.py")));
        Assert.Contains("Csa.Bootloader.dll", output);

        using Process sim = StartSim(Path.Combine(_scratch, "state"), out string uri, out string key);
        try
        {
            string binary = Path.Combine(_scratch, "app.bin");
            await File.WriteAllBytesAsync(binary, Enumerable.Range(0, 20_000).Select(i => (byte)(i * 31)).ToArray());
            string image = Path.Combine(_scratch, "app.csai");
            (int built, string buildOutput, string buildError) = await CsaAsync("image", "build", binary, "--load-address", "0x08060000", "--version", "3.2.1",
                "--security-counter", "2", "--vendor", "0x00C5A000", "--device-class", "1", "--sign", key, "-o", image);
            Assert.True(built == 0, buildOutput + buildError);

            ScriptRun run = await PythonScript.RunAsync(Path.Combine(sdk, "update_device.py"), image, "--uri", uri);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.StartsWith("updated to 3.2.1+0 in ", run.OutputLines[^1], StringComparison.Ordinal);
        }
        finally
        {
            sim.Kill(entireProcessTree: true);
            await sim.WaitForExitAsync();
        }

        // Nothing of the SDK came from anywhere but the folder.
        Assembly[] csa = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name!.StartsWith("Csa.", StringComparison.Ordinal) && a != typeof(PythonSdkFolderTests).Assembly).ToArray();
        Assert.Contains(csa, a => a.GetName().Name == "Csa.Bootloader");
        Assert.All(csa, a => Assert.StartsWith(sdk, a.Location, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANonEmptyFolder_IsExit3_AndKeepsItsFiles_ForceReplacesThem()
    {
        string sdk = Path.Combine(_scratch, "taken");
        Directory.CreateDirectory(sdk);
        await File.WriteAllTextAsync(Path.Combine(sdk, "mine.txt"), "keep");
        (int code, _, string error) = await CsaAsync("python-sdk", sdk);
        Assert.Equal(3, code);
        Assert.Contains("--force", error);
        Assert.Equal(["mine.txt"], Directory.GetFiles(sdk).Select(Path.GetFileName));

        (int forced, _, _) = await CsaAsync("python-sdk", sdk, "--force");
        Assert.Equal(0, forced);
        Assert.False(File.Exists(Path.Combine(sdk, "mine.txt")));
        Assert.True(File.Exists(Path.Combine(sdk, "Csa.Bootloader.dll")));
    }

    private static Process StartSim(string state, out string uri, out string key)
    {
        Process process = Start("sim", "--tcp", "0", "--json", "--flash-timing", "instant", "--state", state);
        // The document is written at once and whole; read it up to its closing brace.
        var text = new System.Text.StringBuilder();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            text.AppendLine(line);
            if (line == "}")
                break;
        }
        using JsonDocument document = JsonDocument.Parse(text.ToString());
        uri = document.RootElement.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
        key = document.RootElement.GetProperty("signingKey").GetString()!;
        return process;
    }

    private static async Task<(int Code, string Output, string Error)> CsaAsync(params string[] args)
    {
        using Process process = Start(args);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<string> output = process.StandardOutput.ReadToEndAsync(guard.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(guard.Token);
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await output, await error);
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Tool);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }
}
