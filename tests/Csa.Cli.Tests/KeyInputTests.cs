using System.Text;
using System.Text.Json;
using Csa.Crypto;

namespace Csa.Cli.Tests;

/// <summary>
/// Key files through the tool (issue 13 item 9): what <c>--sign</c> reads <c>keys show</c> reads; a file that is
/// not exactly one public key is refused by <c>--trust</c>; damaged key files are exit 4 with one line, never exit 1.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
[Trait("Requirement", "REQ-KEY-EXPOSURE")]
public sealed class KeyInputTests(ImageTestKeys keys) : IClassFixture<ImageTestKeys>
{
    [Theory]
    [InlineData("pkcs8")]
    [InlineData("sec1")]
    public async Task KeysShow_ReadsTheDerPrivateKeysThatSignAccepts(string form)
    {
        using var dir = new TempFolder();
        (int code, string output) = form == "pkcs8"
            ? ImageTestSupport.OpenSsl("pkey", "-in", keys.SignKey, "-outform", "DER", "-out", dir["key.der"])
            : ImageTestSupport.OpenSsl("ec", "-in", keys.SignKey, "-outform", "DER", "-out", dir["key.der"]);
        Assert.True(code == 0, output);

        // --sign accepts it ...
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", dir["key.der"]));
        // ... and keys show reads it as the private key it is.
        JsonElement shown = (await ImageTestSupport.RunOk("keys", "show", dir["key.der"], "--json")).Json();
        Assert.Equal("private", shown.GetProperty("kind").GetString());
        Assert.Equal(EcP256PublicKey.Load(keys.SignPub).KeyIdHex, shown.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task AFileHoldingAPrivateAndAPublicKey_IsRefusedByTrust()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", keys.SignKey));
        File.WriteAllText(dir["both.pem"], File.ReadAllText(keys.SignPub) + File.ReadAllText(keys.SignKey));

        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "verify", dir["a.csai"], "--trust", dir["both.pem"]);
        Assert.Contains("both.pem", run.Error);
        Assert.Contains("private key", run.Error);
    }

    [Fact]
    public async Task AByteOrderMarkBeforeThePem_IsRead()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir["bom.key.pem"], [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(keys.SignKey)]);
        File.WriteAllBytes(dir["bom.pub.pem"], [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(keys.SignPub)]);
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", dir["bom.key.pem"]));
        await ImageTestSupport.RunOk("image", "verify", dir["a.csai"], "--trust", dir["bom.pub.pem"]);
    }

    [Fact]
    public async Task APublicKeyWithAnInvalidPointPrefix_IsInvalidInput()
    {
        using var dir = new TempFolder();
        // The SubjectPublicKeyInfo's BIT STRING holds 0x04 || X || Y as its last 65 bytes: make the prefix 0x3A.
        byte[] der = EcP256PublicKey.Load(keys.SignPub).ToSubjectPublicKeyInfo();
        der[^65] = 0x3A;
        File.WriteAllText(dir["bad.pub.pem"], "-----BEGIN PUBLIC KEY-----\n" + Convert.ToBase64String(der) + "\n-----END PUBLIC KEY-----\n");
        await ImageTestSupport.RunOk(ImageTestSupport.BuildArgs(ImageTestSupport.TestData("firmware.hex"), dir["a.csai"], "--sign", keys.SignKey));

        CliRun show = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "keys", "show", dir["bad.pub.pem"]);
        Assert.Contains("0x3A", show.Error);
        await ImageTestSupport.RunFails(ExitCodes.InvalidInput, "image", "verify", dir["a.csai"], "--trust", dir["bad.pub.pem"]);
    }

    [Fact]
    public async Task DamagedKeyFiles_AreExit4WithOneLine()
    {
        using var dir = new TempFolder();
        var random = new Random(5208);
        byte[][] originals = [File.ReadAllBytes(keys.SignKey), File.ReadAllBytes(keys.SignPub), EcP256PrivateKey.Load(keys.SignKey).ToPkcs8()];
        for (int round = 0; round < 60; round++)
        {
            byte[] bytes = (byte[])originals[round % originals.Length].Clone();
            bool pem = bytes[0] == (byte)'-';
            byte[] damaged;
            if (pem)
            {
                // Damage the DER inside the PEM, so it reaches the ASN.1 decoder.
                string text = Encoding.ASCII.GetString(bytes);
                string label = text[11..text.IndexOf("-----", 11, StringComparison.Ordinal)];
                byte[] der = Convert.FromBase64String(string.Concat(text.Split('\n').Where(l => !l.StartsWith('-'))));
                der[random.Next(der.Length)] ^= (byte)(1 << random.Next(8));
                der = der[..random.Next(der.Length / 2, der.Length + 1)];
                damaged = Encoding.ASCII.GetBytes($"-----BEGIN {label}-----\n{Convert.ToBase64String(der)}\n-----END {label}-----\n");
            }
            else
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                damaged = bytes[..random.Next(1, bytes.Length + 1)];
            }
            File.WriteAllBytes(dir["k.pem"], damaged);
            CliRun run = await CliRunner.RunAsync("keys", "show", dir["k.pem"]);
            Assert.True(run.ExitCode is 0 or ExitCodes.InvalidInput, $"round {round}: {run}");
            if (run.ExitCode != 0)
            {
                string line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith("csa: error: ", line);
            }
        }
    }
}
