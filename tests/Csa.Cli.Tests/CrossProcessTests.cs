using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary><c>csa sim --pty</c> in a child process, driven over its pseudo-terminal by <c>csa update</c> in this one.</summary>
public sealed class CrossProcessTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task SimOnAPty_UpdatedByAnotherProcess_RunsTheNewVersion()
    {
        if (!OperatingSystem.IsLinux())
            return; // Pseudo-terminals are Linux-only; nothing to test elsewhere.
        string directory = DeviceTestKit.NewDirectory();
        string csa = Path.Combine(AppContext.BaseDirectory, "csa.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { csa, "sim", "--pty", "--json", "--devices", "2", "--flash-timing", "instant", "--state", Path.Combine(directory, "state") })
            start.ArgumentList.Add(arg);
        using Process child = Process.Start(start)!;
        var errors = new StringBuilder();
        child.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        child.BeginErrorReadLine();
        using var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            // The child prints one JSON document (indented over several lines) once its devices run.
            var text = new StringBuilder();
            JsonElement announced;
            while (true)
            {
                string? line = await child.StandardOutput.ReadLineAsync(hangGuard.Token);
                Assert.True(line is not null, $"csa sim ended early: {errors}");
                text.AppendLine(line);
                if (line == "}")
                {
                    announced = JsonDocument.Parse(text.ToString()).RootElement.Clone();
                    break;
                }
            }
            string uri = announced.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
            Assert.StartsWith("serial:/dev/", uri);
            string key = announced.GetProperty("signingKey").GetString()!;

            string image = await DeviceTestKit.WriteImageAsync(Path.Combine(directory, "app.csai"), key, 1, new FirmwareVersion(5, 0, 0, 0));
            string link = uri + "?baud=115200";
            CliRun update = await CliRunner.RunAsync(["update", image, "--link", link, "--device", "0x02"], TimeSpan.FromSeconds(60), hangGuard.Token);
            Assert.True(update.ExitCode == ExitCodes.Success, update.ToString() + errors);

            CliRun info = await CliRunner.RunAsync(["info", "--json", "--link", link], TimeSpan.FromSeconds(60), hangGuard.Token);
            Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
            JsonElement[] devices = info.Json().GetProperty("devices").EnumerateArray().ToArray();
            Assert.Equal(2, devices.Length);
            Assert.Equal("1.0.0+0", devices[0].GetProperty("application").GetString());
            Assert.Equal("5.0.0+0", devices[1].GetProperty("application").GetString());
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(directory, recursive: true);
        }
    }
}
