using System.Diagnostics;
using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary>
/// The host written from docs/ alone (<c>tests/docs-host/csa_docs_host.py</c>, Python standard library only) against
/// <c>csa sim --tcp 0 --json</c>: it enumerates the device, refuses nothing itself, and the device must refuse a
/// tampered manifest (BadSignature) and a tampered payload (PayloadHashMismatch) with the error names the docs give,
/// then install a good image that <c>csa info</c> reads back as the running, valid application.
/// </summary>
public sealed class DocsHostTests
{
    private const string HostScript = "tests/docs-host/csa_docs_host.py";

    [Python3Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Requirement", "REQ-RPC")]
    public Task A_host_written_from_the_docs_updates_the_simulated_device_and_gets_the_documented_refusals() =>
        UpdateWithRefusalsAsync(["sim", "--tcp", "0", "--json"], devices: 1, device: 0);

    /// <summary>The same on a chain of two whose second device runs the C firmware (firmware/, built by csa sim).</summary>
    [Python3Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Requirement", "REQ-RPC")]
    public Task A_host_written_from_the_docs_updates_the_C_device_behind_a_CSharp_device_on_a_chain() =>
        UpdateWithRefusalsAsync(["sim", "--tcp", "0", "--devices", "2", "--c-device", "1", "--json"], devices: 2, device: 1);

    /// <summary>
    /// The docs-only host's multicast (updates.md 10a, protocol.md 7.6, rpc-packets.md 12, device-model.md 6.4.2) on a
    /// chain of three whose middle device runs the C firmware: each device enters its bootloader and begins the update by
    /// itself, the three join a group, the payload goes once to the group, GetMissingBlocks finds what each lacks, and
    /// every device then runs the new application. The host's payload bytes are well below three payloads.
    /// </summary>
    [Python3Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RPC")]
    public async Task A_host_written_from_the_docs_writes_one_payload_once_to_a_group_of_three_devices_one_of_them_the_C_device()
    {
        const int PayloadSize = 100_000;
        const int Members = 3;
        using var folder = new TempFolder();
        var output = new WatchedWriter("\"signingKey\"");
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        // --state: the devices' keys in a folder of this test's own (before d14d83c every in-process `csa sim` without it
        // shared csa-sim-<process id>, and the first to stop deleted it; now each has its own, but this test keeps its own).
        string state = Path.Combine(folder.Path, "sim-state");
        Task<int> sim = CsaApp.RunAsync(["sim", "--tcp", "0", "--devices", "3", "--c-device", "1", "--state", state, "--json"],
            CliConsole.FromWriters(output, error), stop.Token);
        try
        {
            await Task.WhenAny(output.Seen, sim);
            Assert.False(sim.IsCompleted, $"csa sim ended: {output}{error}");
            JsonElement simDoc = await ReadSimDocumentAsync(output, sim);
            string link = simDoc.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
            string signingKey = simDoc.GetProperty("signingKey").GetString()!;

            JsonElement[] before = [await ReadDeviceAsync(link, 0), await ReadDeviceAsync(link, 1), await ReadDeviceAsync(link, 2)];
            Assert.Equal("c", simDoc.GetProperty("devices")[1].GetProperty("firmware").GetString());
            string firmware = Path.Combine(folder.Path, "app.bin");
            await File.WriteAllBytesAsync(firmware, FirmwareBytes(PayloadSize));
            string image = Path.Combine(folder.Path, "app.csai");
            CliRun build = await CliRunner.RunAsync("image", "build", firmware, "--input-format", "bin",
                "--load-address", before[0].GetProperty("updateRules").GetProperty("application").GetProperty("start").GetString()!,
                "--version", "7.4.0+43", "--security-counter", before[0].GetProperty("securityCounter").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--vendor", before[0].GetProperty("vendor").GetString()!, "--device-class", before[0].GetProperty("deviceClass").GetString()!,
                "--sign", signingKey, "-o", image);
            Assert.True(build.ExitCode == ExitCodes.Success, build.ToString());

            ProcessRun run = await RunHostAsync("multicast", "--link", link, "--devices", "3", image);
            Assert.True(run.ExitCode == 0, run.ToString());
            JsonElement result = JsonDocument.Parse(run.Output).RootElement;
            Assert.Equal(Members, result.GetProperty("members").GetInt32());
            Assert.Equal(PayloadSize, result.GetProperty("payloadBytes").GetInt32());
            Assert.True(result.GetProperty("groupWrites").GetInt32() > 0, run.ToString());
            // The point of multicast: the payload crossed the host's link about once, not once per member. Repairs and
            // Busy resends add a few writes; 0.5 of three payloads leaves room for them and none for unicast to each.
            long payloadBytesSent = result.GetProperty("payloadBytesSent").GetInt64();
            Assert.True(payloadBytesSent >= PayloadSize, run.ToString());
            Assert.True(payloadBytesSent < 0.5 * Members * PayloadSize, run.ToString());
            Assert.True(result.GetProperty("payloadBytesRatio").GetDouble() < 0.5, run.ToString());
            Assert.True(result.GetProperty("hostWireBytesRatio").GetDouble() < 0.5, run.ToString());

            for (int position = 0; position < Members; position++)
            {
                JsonElement row = result.GetProperty("devices")[position];
                Assert.Equal(before[position].GetProperty("uid").GetString(), row.GetProperty("device").GetString());
                Assert.Equal("7.4.0+43", row.GetProperty("after").GetString());
                await AssertRunsAsync(link, position, "7.4.0+43");
            }
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await sim);
        }
    }

    [Python3Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_docs_only_host_encodes_and_decodes_the_golden_vectors_of_the_protocol_documents()
    {
        ProcessRun run = await RunHostAsync("selftest", "--docs", ImageTestSupport.RepoFile("docs"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"selftest: (\d+) of \1 golden vectors hold", run.Error);
    }

    private static async Task UpdateWithRefusalsAsync(string[] simArgs, int devices, int device)
    {
        string position = device.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string count = devices.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var folder = new TempFolder();
        var output = new WatchedWriter("\"signingKey\"");
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        Task<int> sim = CsaApp.RunAsync(simArgs, CliConsole.FromWriters(output, error), stop.Token);
        try
        {
            await Task.WhenAny(output.Seen, sim);
            Assert.False(sim.IsCompleted, $"csa sim ended: {output}{error}");
            JsonElement simDoc = await ReadSimDocumentAsync(output, sim);
            string link = simDoc.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
            string signingKey = simDoc.GetProperty("signingKey").GetString()!;

            JsonElement before = await ReadDeviceAsync(link, device);
            string firmware = Path.Combine(folder.Path, "app.bin");
            await File.WriteAllBytesAsync(firmware, FirmwareBytes(40_000));
            string image = Path.Combine(folder.Path, "app.csai");
            CliRun build = await CliRunner.RunAsync("image", "build", firmware, "--input-format", "bin",
                "--load-address", before.GetProperty("updateRules").GetProperty("application").GetProperty("start").GetString()!,
                "--version", "7.3.1+42", "--security-counter", before.GetProperty("securityCounter").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--vendor", before.GetProperty("vendor").GetString()!, "--device-class", before.GetProperty("deviceClass").GetString()!,
                "--sign", signingKey, "-o", image);
            Assert.True(build.ExitCode == ExitCodes.Success, build.ToString());
            byte[] good = await File.ReadAllBytesAsync(image);

            // A manifest byte flipped (the version's minor number): refused at BeginUpdate, the application untouched.
            string tamperedManifest = Path.Combine(folder.Path, "tampered-manifest.csai");
            await File.WriteAllBytesAsync(tamperedManifest, Flip(good, 21));
            ProcessRun refusedManifest = await RunHostAsync("update", "--link", link, "--devices", count, "--device", position, tamperedManifest,
                "--expect-refusal", "BadSignature");
            Assert.True(refusedManifest.ExitCode == 0, refusedManifest.ToString());
            Assert.Equal("BadSignature", JsonDocument.Parse(refusedManifest.Output).RootElement.GetProperty("refused").GetString());
            JsonElement afterManifest = await ReadDeviceAsync(link, device);
            Assert.Equal(before.GetProperty("application").GetString(), afterManifest.GetProperty("application").GetString());
            Assert.True(afterManifest.GetProperty("applicationValid").GetBoolean());

            // A payload byte flipped: written, then refused at FinishUpdate by its hash.
            string tamperedPayload = Path.Combine(folder.Path, "tampered-payload.csai");
            await File.WriteAllBytesAsync(tamperedPayload, Flip(good, 96 + 12_345));
            ProcessRun refusedPayload = await RunHostAsync("update", "--link", link, "--devices", count, "--device", position, tamperedPayload,
                "--expect-refusal", "PayloadHashMismatch");
            Assert.True(refusedPayload.ExitCode == 0, refusedPayload.ToString());
            Assert.Equal("PayloadHashMismatch", JsonDocument.Parse(refusedPayload.Output).RootElement.GetProperty("refused").GetString());

            // The good image, from the bootloader the refused payload left resident.
            ProcessRun update = await RunHostAsync("update", "--link", link, "--devices", count, "--device", position, image);
            Assert.True(update.ExitCode == 0, update.ToString());
            JsonElement result = JsonDocument.Parse(update.Output).RootElement;
            Assert.Equal("7.3.1+42", result.GetProperty("after").GetString());
            Assert.Equal(40_000, result.GetProperty("bytesSent").GetInt32());
            Assert.Equal(before.GetProperty("uid").GetString(), result.GetProperty("device").GetString());

            await AssertRunsAsync(link, device, "7.3.1+42");
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await sim);
        }
    }

    /// <summary>What `csa info` reads from the device at <paramref name="position"/>: its application, valid, at <paramref name="version"/>, running.</summary>
    private static async Task AssertRunsAsync(string link, int position, string version)
    {
        JsonElement after = await ReadDeviceAsync(link, position);
        Assert.Equal("application", after.GetProperty("running").GetString());
        Assert.Equal(version, after.GetProperty("application").GetString());
        Assert.True(after.GetProperty("applicationValid").GetBoolean());
    }

    /// <summary>The sim's JSON document, once it is whole (it is written before the devices serve).</summary>
    private static async Task<JsonElement> ReadSimDocumentAsync(WatchedWriter output, Task<int> sim)
    {
        while (true)
        {
            string text = output.ToString();
            try
            {
                return JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException) when (!sim.IsCompleted)
            {
                await Task.Delay(20);
            }
        }
    }

    private static async Task<JsonElement> ReadDeviceAsync(string link, int position)
    {
        CliRun info = await CliRunner.RunAsync("info", "--link", link, "--json");
        Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
        return info.Json().GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("position").GetInt32() == position).Clone();
    }

    private static byte[] FirmwareBytes(int length)
    {
        var bytes = new byte[length];
        new Random(20261208).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Flip(byte[] image, int offset)
    {
        byte[] copy = (byte[])image.Clone();
        copy[offset] ^= 0x01;
        return copy;
    }

    private static async Task<ProcessRun> RunHostAsync(params string[] args)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ImageTestSupport.RepoFile(HostScript));
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }

    private sealed record ProcessRun(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }
}

/// <summary>A fact that needs <c>python3</c> on the PATH (<c>.ci/run</c> installs it); skipped with that reason otherwise.</summary>
public sealed class Python3FactAttribute : FactAttribute
{
    public Python3FactAttribute()
    {
        if (!OnPath("python3"))
            Skip = "Needs python3 on the PATH (the docs-only host, tests/docs-host/csa_docs_host.py, is a Python script); .ci/run installs it.";
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
