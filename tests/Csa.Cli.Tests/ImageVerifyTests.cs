using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Tests;

/// <summary><c>csa image verify</c>: exit 0 for a valid image, 7 with the reason for every way it can be invalid.</summary>
public sealed class ImageVerifyTests(ImageTestKeys keys) : IClassFixture<ImageTestKeys>
{
    private static string Hex => ImageTestSupport.TestData("firmware.hex");

    private async Task<string> BuildSignedAsync(TempFolder dir, params string[] extra)
    {
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["a.csai"], [.. extra, "--sign", keys.SignKey]));
        return dir["a.csai"];
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Verify_ValidImage_ExitsZero_JsonListsEveryCheck()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        CliRun run = await ImageTestSupport.RunOk("image", "verify", image, "--trust", keys.OtherPub, "--trust", keys.SignPub,
            "--vendor", "0xC5A0", "--device-class", "1025", "--kind", "application", "--min-security-counter", "7", "--json");
        JsonElement report = run.Json();
        Assert.True(report.GetProperty("valid").GetBoolean());
        Assert.Equal(EcP256PublicKey.Load(keys.SignPub).KeyIdHex, report.GetProperty("keyId").GetString());
        Assert.Equal(2, report.GetProperty("trustedKeyIds").GetArrayLength());
        foreach (string check in new[] { "authenticity", "kind", "vendor", "deviceClass", "securityCounter", "payloadHash" })
            Assert.Equal("passed", ImageSignEncryptTests.Check(report, check));
        Assert.Equal("skipped", ImageSignEncryptTests.Check(report, "binding"));
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Verify_ValidImage_TableSaysValid()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunOk("image", "verify", await BuildSignedAsync(dir), "--trust", keys.SignPub);
        Assert.Contains("a.csai is valid", run.Output);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.IMG.REPLACE")]
    public async Task Verify_TamperedPayloadByte_Fails7_PayloadHashMismatch()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        Flip(image, ImageFormat.ManifestFixedSize + 40);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", image, "--trust", keys.SignPub);
        Assert.Contains("PayloadHashMismatch", run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    public async Task Verify_TamperedSecurityCounterInTheManifest_Fails7_BadSignature()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        Flip(image, 28); // security counter, low byte
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", image, "--trust", keys.SignPub, "--json");
        JsonElement report = run.Json();
        Assert.False(report.GetProperty("valid").GetBoolean());
        Assert.Equal("BadSignature", report.GetProperty("reason").GetString());
        Assert.Equal("failed", ImageSignEncryptTests.Check(report, "authenticity"));
        Assert.Equal("notReached", ImageSignEncryptTests.Check(report, "payloadHash"));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task Verify_TamperedSignatureByte_Fails7()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        Flip(image, (int)new FileInfo(image).Length - 1);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", image, "--trust", keys.SignPub);
        Assert.Contains("BadSignature", run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task Verify_SignedByAnUntrustedKey_Fails7_UnknownKey()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", await BuildSignedAsync(dir), "--trust", keys.OtherPub);
        Assert.Contains("UnknownKey", run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Verify_CrcImage_RefusedUnlessCrcIsAccepted()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["crc.csai"], "--crc"));
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["crc.csai"], "--trust", keys.SignPub);
        Assert.Contains("UnsupportedAuthentication", run.Error);
        await ImageTestSupport.RunOk("image", "verify", dir["crc.csai"], "--accept-crc");
        Flip(dir["crc.csai"], 24); // version build byte: the CRC no longer matches
        await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["crc.csai"], "--accept-crc");
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task Verify_BoundImage_OnAnotherDevice_Fails7_NotBoundToThisDevice()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir, "--bind-uid", ImageTestKeys.Device1);
        await ImageTestSupport.RunOk("image", "verify", image, "--trust", keys.SignPub, "--device-uid", ImageTestKeys.Device1);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", image, "--trust", keys.SignPub, "--device-uid", ImageTestKeys.Device2);
        Assert.Contains("NotBoundToThisDevice", run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    public async Task Verify_SecurityCounterBelowTheDevicesMinimum_Fails7()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        await ImageTestSupport.RunOk("image", "verify", image, "--trust", keys.SignPub, "--min-security-counter", "7");
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", image, "--trust", keys.SignPub, "--min-security-counter", "8");
        Assert.Contains("SecurityCounterTooLow", run.Error);
    }

    [Theory]
    [InlineData("--vendor", "0xC5A1", "WrongVendor")]
    [InlineData("--device-class", "0x402", "WrongDeviceClass")]
    [InlineData("--kind", "bootloader", "WrongImageKind")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task Verify_WrongTarget_Fails7(string option, string value, string reason)
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", await BuildSignedAsync(dir), "--trust", keys.SignPub, option, value);
        Assert.Contains(reason, run.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Verify_EncryptedImage_DeviceWithoutAKeyBlockEntry_Fails7_RequireEncryption_RefusesPlaintext()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["enc.csai"], "--sign", keys.SignKey, "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Pub}"));
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["enc.csai"], "--trust", keys.SignPub, "--device-uid", ImageTestKeys.Device2);
        Assert.Contains("NoKeyForThisDevice", run.Error);
        await ImageTestSupport.RunOk("image", "verify", dir["enc.csai"], "--trust", keys.SignPub, "--require-encryption");

        string plain = await BuildSignedAsync(dir);
        CliRun refused = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", plain, "--trust", keys.SignPub, "--require-encryption");
        Assert.Contains("EncryptionRequired", refused.Error);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Verify_GoldenEcdsaImage_UnderTheRfc6979Key_ValidForItsBoundDeviceOnly()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["golden.csai"], ImageTestSupport.ReadGoldenDump("tests/Csa.Bootloader.Tests/TestData/golden-ecdsa.hex"));
        byte[] point = Convert.FromHexString("0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
        File.WriteAllText(dir["rfc6979.pub.pem"], EcP256PublicKey.FromUncompressedPoint(point).ToPem());
        await ImageTestSupport.RunOk("image", "verify", dir["golden.csai"], "--trust", dir["rfc6979.pub.pem"], "--device-uid", ImageTestKeys.Device1,
            "--vendor", "0x0000C5A0", "--device-class", "0x00000401", "--min-security-counter", "8");
        await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["golden.csai"], "--trust", dir["rfc6979.pub.pem"], "--device-uid", "000000000000000000000001");
    }

    [Theory]
    [InlineData("0x08020000:0x60000", null)]
    [InlineData("0x08040000:0x40000", "WrongLoadAddress")]
    [InlineData("0x08020000:64", "TooLargeForRegion")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task Verify_Region_ChecksLoadAddressAndSize(string region, string? reason)
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        if (reason is null)
        {
            await ImageTestSupport.RunOk("image", "verify", image, "--trust", keys.SignPub, "--region", region);
            return;
        }
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", image, "--trust", keys.SignPub, "--region", region, "--json");
        Assert.Equal(reason, run.Json().GetProperty("reason").GetString());
        Assert.Equal("failed", ImageSignEncryptTests.Check(run.Json(), "region"));
    }

    [Fact]
    public async Task Verify_BadCommandLines_AreUsageErrors()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        CliRun noTrust = await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "verify", image);
        Assert.Contains("--trust", noTrust.Error);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "verify", image, "--trust", keys.SignPub, "--device-key", keys.Dev1Key);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "verify", image, "--trust", keys.SignPub, "--device-uid", "xyz");
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "verify", image, "--trust", keys.SignPub, "--min-security-counter", "seven");
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "verify", image, "--trust", keys.SignPub, "--region", "0x08020000");
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "verify", image, "--trust", keys.SignPub, "--region", "0xFFFFFF00:0x200");
    }

    [Fact]
    public async Task Verify_BadFiles_GetFileAndInvalidInputErrors()
    {
        using var dir = new TempFolder();
        string image = await BuildSignedAsync(dir);
        await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "verify", dir["missing.csai"], "--trust", keys.SignPub);
        await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "verify", image, "--trust", dir["missing.pub.pem"]);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "verify", image, "--trust", keys.SignKey);
        File.WriteAllText(dir["junk.pem"], "hello");
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "verify", image, "--trust", dir["junk.pem"]);
        byte[] bytes = File.ReadAllBytes(image);
        bytes[0] ^= 0xFF;
        File.WriteAllBytes(dir["bad-magic.csai"], bytes);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "verify", dir["bad-magic.csai"], "--trust", keys.SignPub);
    }

    private static void Flip(string path, int offset)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}
