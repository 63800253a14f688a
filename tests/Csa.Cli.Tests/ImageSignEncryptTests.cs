using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Tests;

/// <summary><c>csa image sign</c> and <c>csa image encrypt</c>: what they keep, what they change, what they refuse.</summary>
public sealed class ImageSignEncryptTests(ImageTestKeys keys) : IClassFixture<ImageTestKeys>
{
    private static string Hex => ImageTestSupport.TestData("firmware.hex");

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task SignLater_ThenSign_KeepsTheManifest_SoTheWrappedKeysStillUnwrap()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["unsigned.csai"], "--sign-later", keys.SignPub,
            "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Pub}"));
        JsonElement waiting = (await ImageTestSupport.RunOk("image", "inspect", dir["unsigned.csai"], "--json")).Json();
        Assert.Equal("awaitingSignature", waiting.GetProperty("authentication").GetProperty("state").GetString());
        await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["unsigned.csai"], "--trust", keys.SignPub);

        JsonElement signed = (await ImageTestSupport.RunOk("image", "sign", dir["unsigned.csai"], "--key", keys.SignKey, "-o", dir["signed.csai"], "--json")).Image();
        Assert.Equal("signed", signed.GetProperty("authentication").GetProperty("state").GetString());
        FirmwareImage before = ImageReader.Parse(File.ReadAllBytes(dir["unsigned.csai"]));
        FirmwareImage after = ImageReader.Parse(File.ReadAllBytes(dir["signed.csai"]));
        Assert.Equal(before.ManifestBytes.ToArray(), after.ManifestBytes.ToArray());
        Assert.Equal(before.Payload.ToArray(), after.Payload.ToArray());

        CliRun verify = await ImageTestSupport.RunOk("image", "verify", dir["signed.csai"], "--trust", keys.SignPub,
            "--device-uid", ImageTestKeys.Device1, "--device-key", keys.Dev1Key, "--json");
        Assert.True(verify.Json().GetProperty("valid").GetBoolean());
        Assert.Equal("passed", Check(verify.Json(), "payloadHash"));
        Assert.Equal("passed", Check(verify.Json(), "keyUnwrap"));
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Sign_CrcImage_BecomesSignedByTheKey_EveryOtherFieldKept()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["crc.csai"], "--crc", "--kind", "bl", "--bind-uid", ImageTestKeys.Device2));
        await ImageTestSupport.RunOk("image", "sign", dir["crc.csai"], "--key", keys.SignKey, "-o", dir["signed.csai"]);
        ImageManifest crc = ImageReader.Parse(File.ReadAllBytes(dir["crc.csai"])).Manifest;
        ImageManifest signed = ImageReader.Parse(File.ReadAllBytes(dir["signed.csai"])).Manifest;
        Assert.Equal(ImageAuthentication.EcdsaP256Sha256, signed.Authentication);
        Assert.Equal(EcP256PublicKey.Load(keys.SignPub).KeyId.ToArray(), signed.KeyId.ToArray());
        Assert.Equal((crc.Kind, crc.Version, crc.SecurityCounter, crc.VendorId, crc.DeviceClassId, crc.LoadAddress, crc.PayloadSize),
            (signed.Kind, signed.Version, signed.SecurityCounter, signed.VendorId, signed.DeviceClassId, signed.LoadAddress, signed.PayloadSize));
        Assert.Equal(crc.BoundDevices, signed.BoundDevices);
        Assert.Equal(crc.PayloadSha256.ToArray(), signed.PayloadSha256.ToArray());
        await ImageTestSupport.RunOk("image", "verify", dir["signed.csai"], "--trust", keys.SignPub, "--device-uid", ImageTestKeys.Device2);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Sign_ImageSignedByAnotherKey_IsReSigned_OldKeyNoLongerVerifies()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["old.csai"], "--sign", keys.OtherKey));
        await ImageTestSupport.RunOk("image", "sign", dir["old.csai"], "--key", keys.SignKey, "-o", dir["new.csai"]);
        await ImageTestSupport.RunOk("image", "verify", dir["new.csai"], "--trust", keys.SignPub);
        CliRun old = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["new.csai"], "--trust", keys.OtherPub);
        Assert.Contains("UnknownKey", old.Error);
    }

    [Fact]
    public async Task Sign_EncryptedImageNamingAnotherKey_IsRefused_BecauseItWouldBreakTheWrappedKeys()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["enc.csai"], "--sign", keys.OtherKey, "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Pub}"));
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "sign", dir["enc.csai"], "--key", keys.SignKey, "-o", dir["out.csai"]);
        Assert.Contains("wrapped key", run.Error);
        Assert.False(File.Exists(dir["out.csai"]));
    }

    [Fact]
    public async Task Sign_BadInputs_GetTheirExitCodes()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["a.csai"], "--crc"));
        await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "sign", dir["missing.csai"], "--key", keys.SignKey, "-o", dir["out.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "sign", Hex, "--key", keys.SignKey, "-o", dir["out.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "sign", dir["a.csai"], "--key", keys.SignPub, "-o", dir["out.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "sign", dir["a.csai"], "--key", keys.SignKey, "-o", dir["a.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "sign", dir["a.csai"], "-o", dir["out.csai"]);
        Assert.False(File.Exists(dir["out.csai"]));
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task Encrypt_CrcImage_ForTwoDevices_EachDecrypts_TheCiphertextHidesThePayload()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["plain.csai"], "--crc"));
        JsonElement image = (await ImageTestSupport.RunOk("image", "encrypt", dir["plain.csai"], "-o", dir["enc.csai"], "--json",
            "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Pub}", "--encrypt-for", $"{ImageTestKeys.Device2}={keys.Dev2Pub}")).Image();
        Assert.Equal("aes256CtrEciesP256", image.GetProperty("manifest").GetProperty("encryption").GetString());
        Assert.Equal(2, image.GetProperty("wrappedKeys").GetArrayLength());
        Assert.Equal(129, image.GetProperty("wrappedKeys")[0].GetProperty("length").GetInt32());

        byte[] firmware = File.ReadAllBytes(ImageTestSupport.TestData("firmware.bin"));
        FirmwareImage encrypted = ImageReader.Parse(File.ReadAllBytes(dir["enc.csai"]));
        Assert.NotEqual(firmware, encrypted.Payload.ToArray());
        Assert.Equal(-1, File.ReadAllBytes(dir["enc.csai"]).AsSpan().IndexOf(firmware.AsSpan(32, 16)));

        foreach ((string uid, string key) in new[] { (ImageTestKeys.Device1, keys.Dev1Key), (ImageTestKeys.Device2, keys.Dev2Key) })
        {
            CliRun ok = await ImageTestSupport.RunOk("image", "verify", dir["enc.csai"], "--accept-crc", "--device-uid", uid, "--device-key", key, "--json");
            Assert.Equal("passed", Check(ok.Json(), "payloadHash"));
        }

        // Device 1's key does not open device 2's entry (REQ-KEY-EXPOSURE)
        CliRun wrong = await ImageTestSupport.RunFails(ExitCodes.VerificationFailed, "image", "verify", dir["enc.csai"], "--accept-crc",
            "--device-uid", ImageTestKeys.Device2, "--device-key", keys.Dev1Key);
        Assert.Contains("KeyUnwrapFailed", wrong.Error);
    }

    [Fact]
    public async Task Encrypt_SignedImage_NeedsANewSignature()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["signed.csai"], "--sign", keys.SignKey));
        string recipient = $"{ImageTestKeys.Device1}={keys.Dev1Pub}";
        CliRun refused = await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "encrypt", dir["signed.csai"], "--encrypt-for", recipient, "-o", dir["enc.csai"]);
        Assert.Contains("--sign", refused.Error);
        await ImageTestSupport.RunOk("image", "encrypt", dir["signed.csai"], "--encrypt-for", recipient, "--sign", keys.SignKey, "-o", dir["enc.csai"]);
        await ImageTestSupport.RunOk("image", "verify", dir["enc.csai"], "--trust", keys.SignPub, "--device-uid", ImageTestKeys.Device1, "--device-key", keys.Dev1Key);
    }

    [Fact]
    public async Task Encrypt_BadInputs_GetTheirExitCodes()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["plain.csai"], "--crc"));
        string recipient = $"{ImageTestKeys.Device1}={keys.Dev1Pub}";
        await ImageTestSupport.RunOk("image", "encrypt", dir["plain.csai"], "--encrypt-for", recipient, "-o", dir["enc.csai"]);

        CliRun again = await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "encrypt", dir["enc.csai"], "--encrypt-for", recipient, "-o", dir["x.csai"]);
        Assert.Contains("already encrypted", again.Error);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "encrypt", dir["plain.csai"], "-o", dir["x.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "encrypt", dir["plain.csai"], "--encrypt-for", keys.Dev1Pub, "-o", dir["x.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "encrypt", dir["plain.csai"], "--encrypt-for", recipient, "--encrypt-for", recipient, "-o", dir["x.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "encrypt", dir["plain.csai"], "--encrypt-for", $"{ImageTestKeys.Device1}={dir["none.pub.pem"]}", "-o", dir["x.csai"]);
        CliRun privateKey = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "encrypt", dir["plain.csai"], "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Key}", "-o", dir["x.csai"]);
        Assert.Contains("private key", privateKey.Error);
        Assert.False(File.Exists(dir["x.csai"]));
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Encrypt_ForADeviceTheImageIsNotBoundTo_Warns()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["bound.csai"], "--crc", "--bind-uid", ImageTestKeys.Device1));
        CliRun run = await ImageTestSupport.RunOk("image", "encrypt", dir["bound.csai"], "--encrypt-for", $"{ImageTestKeys.Device2}={keys.Dev2Pub}", "-o", dir["enc.csai"], "--json");
        Assert.Contains($"csa: warning: device {ImageTestKeys.Device2}", run.Error);
        Assert.Equal(JsonValueKind.Object, run.Json().ValueKind);
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Encrypt_RecipientsFile_KeyFilesAndRawPoints_EveryListedDeviceDecrypts()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["plain.csai"], "--crc"));
        File.Copy(keys.Dev1Pub, dir["dev1.pub.pem"]);
        string dev2Point = Convert.ToHexString(EcP256PublicKey.Load(keys.Dev2Pub).UncompressedPoint.Span);
        File.WriteAllText(dir["batch.txt"], $"# production batch 42\n{ImageTestKeys.Device1} dev1.pub.pem\n\n{ImageTestKeys.Device2},{dev2Point}\n");
        JsonElement image = (await ImageTestSupport.RunOk("image", "encrypt", dir["plain.csai"], "--recipients", dir["batch.txt"], "-o", dir["enc.csai"], "--json")).Image();
        Assert.Equal(new[] { ImageTestKeys.Device1, ImageTestKeys.Device2 },
            image.GetProperty("wrappedKeys").EnumerateArray().Select(k => k.GetProperty("device").GetString()!).ToArray());
        await ImageTestSupport.RunOk("image", "verify", dir["enc.csai"], "--accept-crc", "--device-uid", ImageTestKeys.Device2, "--device-key", keys.Dev2Key);
    }

    [Fact]
    public async Task Encrypt_BadRecipientsFile_NamesTheLine()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["plain.csai"], "--crc"));
        await ImageTestSupport.RunFails(ExitCodes.FileError, "image", "encrypt", dir["plain.csai"], "--recipients", dir["none.txt"], "-o", dir["x.csai"]);
        File.WriteAllText(dir["bad.txt"], $"{ImageTestKeys.Device1} {keys.Dev1Pub}\nnot-a-uid {keys.Dev2Pub}\n");
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "encrypt", dir["plain.csai"], "--recipients", dir["bad.txt"], "-o", dir["x.csai"]);
        Assert.Contains("line 2", run.Error);
        File.WriteAllText(dir["offcurve.txt"], $"{ImageTestKeys.Device1} 04{new string('1', 128)}\n");
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "encrypt", dir["plain.csai"], "--recipients", dir["offcurve.txt"], "-o", dir["x.csai"]);
        File.WriteAllText(dir["twice.txt"], $"{ImageTestKeys.Device1} {keys.Dev1Pub}\n");
        await ImageTestSupport.RunFails(ExitCodes.Usage, "image", "encrypt", dir["plain.csai"], "--recipients", dir["twice.txt"],
            "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Pub}", "-o", dir["x.csai"]);
        Assert.False(File.Exists(dir["x.csai"]));
    }

    /// <summary>
    /// A device built only from docs/security.md section 5 and openssl (ECDH, HKDF-SHA256, AES-256-CTR) opens what
    /// <c>csa image build --encrypt-for</c> wrote and gets the firmware back: the tool's output follows the spec.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task Encrypted_Image_DecryptsWithOpenSsl_FollowingTheDocumentedKeyWrap()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["enc.csai"], "--crc", "--encrypt-for", $"{ImageTestKeys.Device1}={keys.Dev1Pub}"));
        FirmwareImage image = ImageReader.Parse(File.ReadAllBytes(dir["enc.csai"]));
        byte[] wrapped = image.FindWrappedKey(DeviceUid.Parse(ImageTestKeys.Device1))!.WrappedKey.ToArray();
        byte[] e = wrapped[..65], c = wrapped[65..97], tag = wrapped[97..129];
        byte[] context = System.Security.Cryptography.SHA256.HashData(image.ManifestBytes.Span);
        byte[] recipient = EcP256PublicKey.Load(keys.Dev1Pub).UncompressedPoint.ToArray();

        // Z = x(d * E): openssl ECDH with the device's private key and the ephemeral key as a SubjectPublicKeyInfo
        File.WriteAllBytes(dir["eph.der"], [.. Convert.FromHexString("3059301306072A8648CE3D020106082A8648CE3D030107034200"), .. e]);
        (int code, string output) = ImageTestSupport.OpenSsl("pkeyutl", "-derive", "-inkey", keys.Dev1Key, "-peerkey", dir["eph.der"], "-peerform", "DER", "-out", dir["z.bin"]);
        Assert.True(code == 0, output);
        byte[] z = File.ReadAllBytes(dir["z.bin"]);

        byte[] info = [.. "Csa ECIES-P256 content key v1"u8, .. context, .. e, .. recipient];
        (code, output) = ImageTestSupport.OpenSsl("kdf", "-keylen", "64", "-kdfopt", "digest:SHA256", "-kdfopt", $"hexkey:{Convert.ToHexString(z)}",
            "-kdfopt", $"hexinfo:{Convert.ToHexString(info)}", "HKDF");
        Assert.True(code == 0, output);
        byte[] okm = Convert.FromHexString(output.Trim().Replace(":", "", StringComparison.Ordinal));
        byte[] ke = okm[..32], km = okm[32..];
        Assert.Equal(tag, System.Security.Cryptography.HMACSHA256.HashData(km, (byte[])[.. e, .. c, .. context]));
        byte[] contentKey = [.. c.Zip(ke, (x, y) => (byte)(x ^ y))];

        File.WriteAllBytes(dir["cipher.bin"], image.Payload.ToArray());
        (code, output) = ImageTestSupport.OpenSsl("enc", "-d", "-aes-256-ctr", "-K", Convert.ToHexString(contentKey),
            "-iv", Convert.ToHexString(image.Manifest.Nonce.Span), "-in", dir["cipher.bin"], "-out", dir["plain.bin"]);
        Assert.True(code == 0, output);
        Assert.Equal(File.ReadAllBytes(ImageTestSupport.TestData("firmware.bin")), File.ReadAllBytes(dir["plain.bin"]));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.IMG.REPLACE")]
    public async Task Sign_AndEncrypt_RefuseADamagedImage_SoTamperingIsNeverLaunderedIntoAFreshSignature()
    {
        using var dir = new TempFolder();
        string recipient = $"{ImageTestKeys.Device1}={keys.Dev1Pub}";
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["crc.csai"], "--crc"));

        byte[] payloadFlipped = File.ReadAllBytes(dir["crc.csai"]);
        payloadFlipped[ImageFormat.ManifestFixedSize + 5] ^= 0x80;
        File.WriteAllBytes(dir["payload.csai"], payloadFlipped);
        CliRun sign = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "sign", dir["payload.csai"], "--key", keys.SignKey, "-o", dir["x.csai"]);
        Assert.Contains("SHA-256", sign.Error);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "encrypt", dir["payload.csai"], "--encrypt-for", recipient, "-o", dir["x.csai"]);

        byte[] manifestFlipped = File.ReadAllBytes(dir["crc.csai"]);
        manifestFlipped[28] ^= 0x01; // security counter
        File.WriteAllBytes(dir["manifest.csai"], manifestFlipped);
        CliRun crc = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "sign", dir["manifest.csai"], "--key", keys.SignKey, "-o", dir["x.csai"]);
        Assert.Contains("CRC-32", crc.Error);

        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["signed.csai"], "--sign", keys.SignKey));
        byte[] signedFlipped = File.ReadAllBytes(dir["signed.csai"]);
        signedFlipped[28] ^= 0x01;
        File.WriteAllBytes(dir["signed-modified.csai"], signedFlipped);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "encrypt", dir["signed-modified.csai"], "--encrypt-for", recipient, "--sign", keys.SignKey, "-o", dir["x.csai"]);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "sign", dir["signed-modified.csai"], "--key", keys.SignKey, "-o", dir["x.csai"]);
        Assert.False(File.Exists(dir["x.csai"]));
    }

    [Fact]
    public async Task Sign_ImageSignedByAnotherKey_WarnsThatTheOldSignatureIsNotChecked()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(Hex, dir["old.csai"], "--sign", keys.OtherKey));
        CliRun run = await ImageTestSupport.RunOk("image", "sign", dir["old.csai"], "--key", keys.SignKey, "-o", dir["new.csai"], "--json");
        Assert.Contains("csa: warning:", run.Error);
        Assert.Contains("not checked", run.Error);
        Assert.Equal(JsonValueKind.Object, run.Json().ValueKind);
    }

    internal static string? Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).GetProperty("result").GetString();
}
