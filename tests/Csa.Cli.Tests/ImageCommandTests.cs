using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Tests;

/// <summary>
/// Keys shared by the image command tests, generated once through <c>csa keys generate</c> itself: a firmware
/// signing key, a second (untrusted) signing key, and two device identity keys.
/// </summary>
public sealed class ImageTestKeys : IAsyncLifetime
{
    public const string Device1 = "3A0024000D51343138393836";
    public const string Device2 = "1F0031001247363035353533";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"csa-image-keys-{Guid.NewGuid():N}");

    public string SignKey => Path.Combine(Directory, "sign.key.pem");
    public string SignPub => Path.Combine(Directory, "sign.pub.pem");
    public string OtherKey => Path.Combine(Directory, "other.key.pem");
    public string OtherPub => Path.Combine(Directory, "other.pub.pem");
    public string Dev1Key => Path.Combine(Directory, "dev1.key.pem");
    public string Dev1Pub => Path.Combine(Directory, "dev1.pub.pem");
    public string Dev2Key => Path.Combine(Directory, "dev2.key.pem");
    public string Dev2Pub => Path.Combine(Directory, "dev2.pub.pem");

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach ((string role, string name) in new[] { ("firmware-signing", "sign"), ("firmware-signing", "other"), ("device-identity", "dev1"), ("device-identity", "dev2") })
        {
            CliRun run = await CliRunner.RunAsync("keys", "generate", "--role", role, "--out", Path.Combine(Directory, name));
            Assert.True(run.ExitCode == 0, run.ToString());
        }
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>A temporary folder for one test's files.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"csa-image-{Guid.NewGuid():N}");

    public TempFolder() => Directory.CreateDirectory(Path);

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Helpers of the image and key command tests.</summary>
public static class ImageTestSupport
{
    public static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "images", name);

    /// <summary>A file of the repository (found by walking up to Csa.sln from the test's output folder).</summary>
    public static string RepoFile(string relative)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return Path.Combine(dir.FullName, relative);
        }
        throw new InvalidOperationException("Csa.sln not found above the test output folder");
    }

    /// <summary>The bytes of a golden image hex dump (docs/image-format.md section 8: hex bytes, '#' comments).</summary>
    public static byte[] ReadGoldenDump(string relative)
    {
        var bytes = new List<byte>();
        foreach (string line in File.ReadAllLines(RepoFile(relative)))
        {
            if (line.TrimStart().StartsWith('#'))
                continue;
            foreach (string token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                bytes.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
        return [.. bytes];
    }

    /// <summary>Runs the tool and fails the test (showing its output) unless it exits 0.</summary>
    public static async Task<CliRun> RunOk(params string[] args)
    {
        CliRun run = await CliRunner.RunAsync(args);
        Assert.True(run.ExitCode == 0, $"csa {string.Join(' ', args)}\n{run}");
        return run;
    }

    /// <summary>Runs the tool, expects <paramref name="exitCode"/>, one error line and no stack trace.</summary>
    public static async Task<CliRun> RunFails(int exitCode, params string[] args)
    {
        CliRun run = await CliRunner.RunAsync(args);
        Assert.True(run.ExitCode == exitCode, $"expected exit {exitCode}: csa {string.Join(' ', args)}\n{run}");
        string line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("csa: error: ", line);
        Assert.DoesNotContain("   at ", run.Error);
        return run;
    }

    /// <summary>The standard build arguments for <paramref name="firmware"/> (a binary at 0x08020000 or HEX).</summary>
    public static string[] BuildArgs(string firmware, string output, params string[] extra) =>
    [
        "image", "build", firmware, "--version", "1.2.3+45", "--security-counter", "7", "--vendor", "0x0000C5A0",
        "--device-class", "0x00000401", "-o", output,
        .. firmware.EndsWith(".bin", StringComparison.Ordinal) ? new[] { "--load-address", "0x08020000" } : [],
        .. extra,
    ];

    public static (int ExitCode, string Output) OpenSsl(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "openssl hang guard");
        return (process.ExitCode, output);
    }

    public static JsonElement Image(this CliRun run) => run.Json().GetProperty("image");
}

/// <summary><c>csa image build</c> and <c>csa image inspect</c>: happy paths and every kind of bad input.</summary>
public sealed class ImageCommandTests(ImageTestKeys keys) : IClassFixture<ImageTestKeys>
{
    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Build_FromBinary_Signed_JsonDescribesEveryManifestField()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunOk([.. ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.bin"), dir["a.csai"], "--sign", keys.SignKey), "--json"]);

        JsonElement image = run.Image();
        JsonElement m = image.GetProperty("manifest");
        Assert.Equal("application", m.GetProperty("kind").GetString());
        Assert.Equal("1.2.3+45", m.GetProperty("version").GetString());
        Assert.Equal(7u, m.GetProperty("securityCounter").GetUInt32());
        Assert.Equal("0x0000C5A0", m.GetProperty("vendorId").GetString());
        Assert.Equal("0x00000401", m.GetProperty("deviceClassId").GetString());
        Assert.Equal("0x08020000", m.GetProperty("loadAddress").GetString());
        Assert.Equal(96u, m.GetProperty("payloadSize").GetUInt32());
        Assert.Equal("ecdsaP256Sha256", m.GetProperty("authentication").GetString());
        Assert.Equal("none", m.GetProperty("encryption").GetString());
        Assert.Equal(EcP256PublicKey.Load(keys.SignPub).KeyIdHex, m.GetProperty("keyId").GetString());
        byte[] firmware = File.ReadAllBytes(ImageTestSupport.TestData("firmware.bin"));
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(firmware)).ToLowerInvariant(), m.GetProperty("payloadSha256").GetString());
        Assert.Equal("signed", image.GetProperty("authentication").GetProperty("state").GetString());
        Assert.True(image.GetProperty("integrity").GetProperty("payloadHashMatches").GetBoolean());
        Assert.Equal(96 + 96 + 64, image.GetProperty("size").GetInt32());
        Assert.Equal(new FileInfo(dir["a.csai"]).Length, image.GetProperty("size").GetInt32());
        Assert.Equal(Path.GetFullPath(dir["a.csai"]), run.Json().GetProperty("output").GetString());
    }

    [Fact]
    public async Task Build_FromIntelHex_TakesTheAddressFromTheFile_SameImageAsTheBinary()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["hex.csai"], "--crc"));
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.bin"), dir["bin.csai"], "--crc"));
        Assert.Equal(File.ReadAllBytes(dir["bin.csai"]), File.ReadAllBytes(dir["hex.csai"]));
        FirmwareImage image = ImageReader.Parse(File.ReadAllBytes(dir["hex.csai"]));
        Assert.Equal(0x08020000u, image.Manifest.LoadAddress);
        Assert.Equal(ImageAuthentication.Crc32, image.Manifest.Authentication);
    }

    [Fact]
    public async Task Build_Bootloader_BoundToTwoDevices_InspectTableShowsKindKeyAndBinding()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.bin"), dir["bl.csai"],
            "--kind", "bootloader", "--bind-uid", ImageTestKeys.Device1, "--bind-uid", ImageTestKeys.Device2, "--sign", keys.SignKey));
        CliRun run = await ImageTestSupport.RunOk("image", "inspect", dir["bl.csai"]);
        Assert.Contains("bootloader", run.Output);
        Assert.Contains(ImageTestKeys.Device1, run.Output);
        Assert.Contains(ImageTestKeys.Device2, run.Output);
        Assert.Contains(EcP256PublicKey.Load(keys.SignPub).KeyIdHex, run.Output);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Inspect_GoldenCrcImage_JsonHasTheDocumentedValues()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["golden.csai"], ImageTestSupport.ReadGoldenDump("tests/Csa.Bootloader.Tests/TestData/golden-crc.hex"));
        JsonElement d = (await ImageTestSupport.RunOk("image", "inspect", dir["golden.csai"], "--json")).Json();
        JsonElement m = d.GetProperty("manifest");
        Assert.Equal("1.2.3+45", m.GetProperty("version").GetString());
        Assert.Equal(7u, m.GetProperty("securityCounter").GetUInt32());
        Assert.Equal("0x0000C5A0", m.GetProperty("vendorId").GetString());
        Assert.Equal("0x00000401", m.GetProperty("deviceClassId").GetString());
        Assert.Equal("crc32", m.GetProperty("authentication").GetString());
        Assert.Equal("0000000000000000", m.GetProperty("keyId").GetString());
        Assert.Equal("2a47bf40", d.GetProperty("authentication").GetProperty("block").GetString());
        Assert.True(d.GetProperty("integrity").GetProperty("crcValid").GetBoolean());
        Assert.Equal(132, d.GetProperty("size").GetInt32());
        Assert.Equal(3, d.GetProperty("sections").GetArrayLength());
        Assert.Equal(128, d.GetProperty("sections")[2].GetProperty("offset").GetInt32());
    }

    [Fact]
    public async Task Inspect_GoldenEcdsaImage_ShowsTheRfc6979KeyIdAndBothBoundDevices()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["golden.csai"], ImageTestSupport.ReadGoldenDump("tests/Csa.Bootloader.Tests/TestData/golden-ecdsa.hex"));
        JsonElement m = (await ImageTestSupport.RunOk("image", "inspect", dir["golden.csai"], "--json")).Json().GetProperty("manifest");
        Assert.Equal("b18b86ce1389e46d", m.GetProperty("keyId").GetString());
        Assert.Equal(new[] { ImageTestKeys.Device1, ImageTestKeys.Device2 }, m.GetProperty("boundDevices").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Build_Signature_VerifiesWithOpenSslOverTheManifestBytes()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.bin"), dir["a.csai"], "--sign", keys.SignKey, "--bind-uid", ImageTestKeys.Device1));
        FirmwareImage image = ImageReader.Parse(File.ReadAllBytes(dir["a.csai"]));
        File.WriteAllBytes(dir["manifest.bin"], image.ManifestBytes.ToArray());
        File.WriteAllBytes(dir["sig.der"], EcdsaP256SignatureEncoding.ToDer(image.AuthenticationBlock.Span));
        (int code, string output) = ImageTestSupport.OpenSsl("dgst", "-sha256", "-verify", keys.SignPub, "-signature", dir["sig.der"], dir["manifest.bin"]);
        Assert.True(code == 0, output);
        Assert.Contains("Verified OK", output);

        // and openssl refuses it under another key, so the check above is not vacuous
        (int wrong, _) = ImageTestSupport.OpenSsl("dgst", "-sha256", "-verify", keys.OtherPub, "-signature", dir["sig.der"], dir["manifest.bin"]);
        Assert.NotEqual(0, wrong);
    }

    [Fact]
    public async Task Build_MissingFirmware_IsAFileError()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.FileError, ImageTestSupport.BuildArgs(dir["nope.hex"], dir["a.csai"], "--crc"));
        Assert.Contains("firmware file not found", run.Error);
    }

    [Fact]
    public async Task Build_HexWithBadChecksum_IsInvalidInputNamingTheLine()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("bad-checksum.hex"), dir["a.csai"], "--crc"));
        Assert.Contains("line 4", run.Error);
        Assert.False(File.Exists(dir["a.csai"]));
    }

    [Fact]
    public async Task Build_EmptyBinary_IsInvalidInput()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["empty.bin"], []);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, ImageTestSupport.BuildArgs(dir["empty.bin"], dir["a.csai"], "--crc"));
    }

    [Fact]
    public async Task Build_BinaryWithoutLoadAddress_IsAUsageError()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "build", ImageTestSupport.TestData("firmware.bin"), "--version", "1.0.0",
            "--security-counter", "1", "--vendor", "1", "--device-class", "2", "--crc", "-o", dir["a.csai"]);
        Assert.Contains("--load-address", run.Error);
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task Build_HexWithDisagreeingLoadAddress_IsAUsageError()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.Usage, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc", "--load-address", "0x08040000"));
        Assert.Contains("0x08020000", run.Error);
    }

    [Theory]
    [InlineData("--version", "1.2")]
    [InlineData("--version", "1.2.3+x")]
    [InlineData("--version", "256.0.0")]
    [InlineData("--security-counter", "-1")]
    [InlineData("--security-counter", "0x1FFFFFFFF")]
    [InlineData("--vendor", "C5A0")]
    [InlineData("--load-address", "0xZZ")]
    [InlineData("--kind", "firmware")]
    [InlineData("--bind-uid", "0102")]
    [InlineData("--bind-uid", "3A0024000D5134313839383G")]
    [InlineData("--encrypt-for", "3A0024000D51343138393836")]
    public async Task Build_WrongOptionValue_IsAUsageErrorNamingTheOption(string option, string value)
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.Usage, [.. ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc"), option, value]);
        Assert.Contains(option, run.Error);
        Assert.False(File.Exists(dir["a.csai"]));
    }

    [Fact]
    public async Task Build_WithoutAnAuthenticationChoice_IsAUsageError()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.Usage, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"]));
        Assert.Contains("--sign", run.Error);
    }

    [Fact]
    public async Task Build_WithTwoAuthenticationChoices_IsAUsageError()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunFails(ExitCodes.Usage, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc", "--sign", keys.SignKey));
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Build_SameBoundDeviceTwice_IsAUsageError()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunFails(ExitCodes.Usage, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc",
            "--bind-uid", ImageTestKeys.Device1, "--bind-uid", ImageTestKeys.Device1.ToLowerInvariant()));
    }

    [Fact]
    public async Task Build_SigningKeyMissing_IsAFileError_AndPublicKeyAsSigningKey_IsInvalidInput()
    {
        using var dir = new TempFolder();
        CliRun missing = await ImageTestSupport.RunFails(ExitCodes.FileError, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", dir["none.key.pem"]));
        Assert.Contains("none.key.pem", missing.Error);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", keys.SignPub));
        File.WriteAllText(dir["garbage.pem"], "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n");
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", dir["garbage.pem"]));
        Assert.False(File.Exists(dir["a.csai"]));
    }

    [Fact]
    public async Task Build_RefusesToReplaceAnExistingImage_UnlessForced()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir["a.csai"], "precious");
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.FileError, ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc"));
        Assert.Contains("--force", run.Error);
        Assert.Equal("precious", File.ReadAllText(dir["a.csai"]));
        await ImageTestSupport.RunOk([.. ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc"), "--force"]);
        Assert.Equal(ImageFormat.ManifestMagic, BitConverter.ToUInt32(File.ReadAllBytes(dir["a.csai"]), 0));
    }

    [Fact]
    public async Task Inspect_MissingFile_IsAFileError()
    {
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "inspect", "/nonexistent/a.csai");
        Assert.Equal("csa: error: image file not found: /nonexistent/a.csai", run.Error.Trim());
    }

    [Fact]
    public async Task Inspect_NotAnImage_IsInvalidInputWithTheFormatError()
    {
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "inspect", ImageTestSupport.TestData("firmware.bin"));
        Assert.Contains("BadMagic", run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task Inspect_TruncatedImage_IsInvalidInput()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", keys.SignKey));
        byte[] bytes = File.ReadAllBytes(dir["a.csai"]);
        File.WriteAllBytes(dir["a.csai"], bytes[..^1]);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "inspect", dir["a.csai"]);
        Assert.Contains("Truncated", run.Error);
    }

    [Fact]
    public async Task Build_HexWithAByteOrderMark_IsRead()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["bom.hex"], [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(ImageTestSupport.TestData("firmware.hex"))]);
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(dir["bom.hex"], dir["a.csai"], "--crc"));
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["b.csai"], "--crc"));
        Assert.Equal(File.ReadAllBytes(dir["b.csai"]), File.ReadAllBytes(dir["a.csai"]));
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Inspect_LargeKeyBlock_TableShowsTheHead_JsonListsAll()
    {
        using var dir = new TempFolder();
        string point = Convert.ToHexString(EcP256PublicKey.Load(keys.Dev1Pub).UncompressedPoint.Span);
        File.WriteAllLines(dir["batch.txt"], Enumerable.Range(1, 20).Select(i => $"{i:X24} {point}"));
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--crc", "--recipients", dir["batch.txt"]));
        CliRun table = await ImageTestSupport.RunOk("image", "inspect", dir["a.csai"]);
        Assert.Contains("key block: 20 device(s)", table.Output);
        Assert.Contains($"{16:X24}", table.Output);
        Assert.DoesNotContain($"{17:X24}", table.Output);
        Assert.Contains("and 4 more device(s)", table.Output);
        JsonElement json = (await ImageTestSupport.RunOk("image", "inspect", dir["a.csai"], "--json")).Json();
        Assert.Equal(20, json.GetProperty("wrappedKeys").GetArrayLength());
        Assert.Equal(4, json.GetProperty("sections").GetArrayLength());
    }

    [Fact]
    public async Task Build_Verbose_LogsToStandardErrorOnly()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunOk([.. ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", keys.SignKey), "--json", "--verbose"]);
        Assert.Contains("Firmware", run.Error);
        Assert.Contains(EcP256PublicKey.Load(keys.SignPub).KeyIdHex, run.Error);
        Assert.Equal(JsonValueKind.Object, run.Json().ValueKind);
    }
}
