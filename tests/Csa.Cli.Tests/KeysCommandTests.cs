using System.Text.Json;
using Csa.Crypto;

namespace Csa.Cli.Tests;

/// <summary><c>csa keys generate</c> and <c>csa keys show</c>.</summary>
public sealed class KeysCommandTests
{
    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Generate_WritesAnOwnerOnlyPrivateKeyAndAPublicKey_PrintsTheKeyId()
    {
        using var dir = new TempFolder();
        CliRun run = await ImageTestSupport.RunOk("keys", "generate", "--role", "firmware-signing", "--out", dir["fw"]);
        EcP256PrivateKey key = EcP256PrivateKey.Load(dir["fw.key.pem"]);
        EcP256PublicKey pub = EcP256PublicKey.Load(dir["fw.pub.pem"]);
        Assert.Equal(key.PublicKey, pub);
        Assert.Contains(pub.KeyIdHex, run.Output);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir["fw.key.pem"]));
    }

    [Theory]
    [InlineData("firmware-signing")]
    [InlineData("production")]
    [InlineData("device-identity")]
    public async Task Generate_Json_ParsesAndNamesRoleKeyIdAndFiles(string role)
    {
        using var dir = new TempFolder();
        JsonElement json = (await ImageTestSupport.RunOk("keys", "generate", "--role", role, "--out", dir["k"], "--json")).Json();
        Assert.Equal(role, json.GetProperty("role").GetString());
        Assert.Equal(EcP256PublicKey.Load(dir["k.pub.pem"]).KeyIdHex, json.GetProperty("keyId").GetString());
        Assert.Equal(Path.GetFullPath(dir["k.key.pem"]), json.GetProperty("privateKey").GetString());
        Assert.Equal(130, json.GetProperty("publicPoint").GetString()!.Length);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Generate_KeysParseWithOpenSsl_AndThePublicKeyIsThePrivateKeysOwn()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk("keys", "generate", "--role", "device-identity", "--out", dir["dev"]);
        (int pubCode, string pubText) = ImageTestSupport.OpenSsl("pkey", "-pubin", "-in", dir["dev.pub.pem"], "-noout", "-text");
        Assert.True(pubCode == 0, pubText);
        Assert.Contains("prime256v1", pubText);
        (int code, string derived) = ImageTestSupport.OpenSsl("pkey", "-in", dir["dev.key.pem"], "-pubout");
        Assert.True(code == 0, derived);
        Assert.Equal(File.ReadAllText(dir["dev.pub.pem"]).Trim(), derived.Trim());
    }

    [Fact]
    public async Task Generate_RefusesToOverwrite_UnlessForced()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk("keys", "generate", "--role", "production", "--out", dir["p"]);
        string before = File.ReadAllText(dir["p.key.pem"]);
        CliRun refused = await ImageTestSupport.RunFails(ExitCodes.FileError, "keys", "generate", "--role", "production", "--out", dir["p"]);
        Assert.Contains("--force", refused.Error);
        Assert.Equal(before, File.ReadAllText(dir["p.key.pem"]));

        // Only the public half exists: still refused, and no private key is written beside it.
        File.Delete(dir["p.key.pem"]);
        await ImageTestSupport.RunFails(ExitCodes.FileError, "keys", "generate", "--role", "production", "--out", dir["p"]);
        Assert.False(File.Exists(dir["p.key.pem"]));

        await ImageTestSupport.RunOk("keys", "generate", "--role", "production", "--out", dir["p"], "--force");
        Assert.NotEqual(before, File.ReadAllText(dir["p.key.pem"]));
    }

    [Fact]
    public async Task Generate_BadCommandLines_AreUsageErrors()
    {
        using var dir = new TempFolder();
        CliRun role = await ImageTestSupport.RunFails(ExitCodes.Usage, "keys", "generate", "--role", "signing", "--out", dir["k"]);
        Assert.Contains("firmware-signing", role.Error);
        await ImageTestSupport.RunFails(ExitCodes.Usage, "keys", "generate", "--role", "production");
        await ImageTestSupport.RunFails(ExitCodes.Usage, "keys", "generate", "--out", dir["k"]);
        await ImageTestSupport.RunFails(ExitCodes.FileError, "keys", "generate", "--role", "production", "--out", dir["no/such/dir/k"]);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task Show_PrivateAndPublicKeyFiles_GiveTheSameKeyId()
    {
        using var dir = new TempFolder();
        string id = (await ImageTestSupport.RunOk("keys", "generate", "--role", "firmware-signing", "--out", dir["s"], "--json")).Json().GetProperty("keyId").GetString()!;
        JsonElement priv = (await ImageTestSupport.RunOk("keys", "show", dir["s.key.pem"], "--json")).Json();
        JsonElement pub = (await ImageTestSupport.RunOk("keys", "show", dir["s.pub.pem"], "--json")).Json();
        Assert.Equal("private", priv.GetProperty("kind").GetString());
        Assert.Equal("public", pub.GetProperty("kind").GetString());
        Assert.Equal(id, priv.GetProperty("keyId").GetString());
        Assert.Equal(id, pub.GetProperty("keyId").GetString());
        Assert.Equal(File.ReadAllText(dir["s.pub.pem"]), priv.GetProperty("publicKeyPem").GetString());
    }

    [Fact]
    public async Task Show_OpenSslGeneratedSec1Key_IsRead()
    {
        using var dir = new TempFolder();
        (int code, string output) = ImageTestSupport.OpenSsl("ecparam", "-name", "prime256v1", "-genkey", "-out", dir["ossl.pem"]);
        Assert.True(code == 0, output);
        CliRun run = await ImageTestSupport.RunOk("keys", "show", dir["ossl.pem"]);
        Assert.Contains(EcP256PrivateKey.Load(dir["ossl.pem"]).PublicKey.KeyIdHex, run.Output);
    }

    [Fact]
    public async Task Show_MissingFile_IsAFileError_Garbage_IsInvalidInput()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunFails(ExitCodes.FileError, "keys", "show", dir["none.pem"]);
        File.WriteAllText(dir["junk.pem"], "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "keys", "show", dir["junk.pem"]);
        (int code, string output) = ImageTestSupport.OpenSsl("genpkey", "-algorithm", "ed25519", "-out", dir["ed.pem"]);
        Assert.True(code == 0, output);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "keys", "show", dir["ed.pem"]);
        Assert.Contains("ed.pem", run.Error);
    }
}
