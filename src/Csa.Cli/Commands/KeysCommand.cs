using System.CommandLine;
using Csa.Cli.Images;
using Csa.Crypto;

namespace Csa.Cli.Commands;

/// <summary><c>csa keys</c>: generate P-256 key pairs for each key role, and show a key file's id.</summary>
internal static class KeysCommand
{
    public static Command Create(CliConsole console)
    {
        var keys = new Command("keys", "Generate and show P-256 keys (firmware signing, production, device identity)");
        keys.Subcommands.Add(CreateGenerate(console));
        keys.Subcommands.Add(CreateShow(console));
        return keys;
    }

    private static Command CreateGenerate(CliConsole console)
    {
        var role = new Option<KeyRole>("--role")
        {
            Description = "What the key is for: firmware-signing, production or device-identity",
            CustomParser = ImageOptionParsers.Role,
            Required = true,
            HelpName = "firmware-signing|production|device-identity",
        };
        // --output / -o as every other command that writes files; --out stays for scripts written against it.
        var output = new Option<string>("--out", "--output", "-o")
        {
            Description = "Base name of the key pair: writes NAME.key.pem (private, owner-only) and NAME.pub.pem",
            HelpName = "NAME",
            Required = true,
        };
        var force = new Option<bool>("--force") { Description = "Replace existing key files (the old private key is lost)" };
        var command = new Command("generate", "Generate a P-256 key pair: NAME.key.pem (PKCS#8, mode 0600) and NAME.pub.pem") { role, output, force };
        return command.WithAction(console, (context, cancellationToken) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parse = context.ParseResult;
            KeyRole keyRole = parse.GetValue(role);
            string name = parse.GetValue(output)!;
            bool replace = parse.GetValue(force);
            string privatePath = name + ".key.pem";
            string publicPath = name + ".pub.pem";

            // Check both before writing either, so a refused run leaves no half pair behind.
            ImageOutputs.CheckWritable(privatePath, replace);
            ImageOutputs.CheckWritable(publicPath, replace);

            EcP256PrivateKey key = KeyGenerator.Generate(keyRole);
            key.Save(privatePath, overwrite: replace);
            try
            {
                key.PublicKey.Save(publicPath, overwrite: replace);
            }
            catch
            {
                File.Delete(privatePath);
                throw;
            }
            ImageLog.KeyLoaded(ImageLog.Of(context), privatePath, key.PublicKey.KeyIdHex);

            string roleName = RoleName(keyRole);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    role = roleName,
                    keyId = key.PublicKey.KeyIdHex,
                    privateKey = Path.GetFullPath(privatePath),
                    publicKey = Path.GetFullPath(publicPath),
                    publicPoint = Convert.ToHexString(key.PublicKey.UncompressedPoint.Span).ToLowerInvariant(),
                });
            }
            else
            {
                context.WriteLine($"generated {roleName} key {key.PublicKey.KeyIdHex}");
                context.WriteLine($"  private: {Path.GetFullPath(privatePath)} (keep it secret{(keyRole == KeyRole.DeviceIdentity ? "; it belongs in the device only" : "; offline or in an HSM")})");
                context.WriteLine($"  public:  {Path.GetFullPath(publicPath)}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
    }

    private static Command CreateShow(CliConsole console)
    {
        var input = new Argument<string>("key") { Description = "A P-256 key file: private (PKCS#8 / SEC 1) or public, PEM or DER" };
        var command = new Command("show", "Show a key file's key id and public key (the id image manifests name)") { input };
        return command.WithAction(console, (context, cancellationToken) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            string path = context.ParseResult.GetValue(input)!;
            if (!File.Exists(path))
                throw CliException.File($"key file not found: {path}");
            (EcP256PublicKey publicKey, bool isPrivate) = LoadEither(path);
            if (context.Json)
            {
                context.WriteJson(new
                {
                    file = Path.GetFileName(path),
                    kind = isPrivate ? "private" : "public",
                    keyId = publicKey.KeyIdHex,
                    publicPoint = Convert.ToHexString(publicKey.UncompressedPoint.Span).ToLowerInvariant(),
                    publicKeyPem = publicKey.ToPem(),
                });
            }
            else
            {
                context.WriteLine($"{(isPrivate ? "private" : "public")} P-256 key, key id {publicKey.KeyIdHex}");
                context.Console.OutWriter.Write(publicKey.ToPem());
            }
            return Task.FromResult(ExitCodes.Success);
        });
    }

    private static (EcP256PublicKey Key, bool IsPrivate) LoadEither(string path)
    {
        try
        {
            return (EcP256PublicKey.Load(path), false);
        }
        catch (KeyFormatException e) when (e.Error == KeyFormatError.NotPublicKey)
        {
            return (ImageInputs.ReadPrivateKey(path).PublicKey, true);
        }
        catch (KeyFormatException e)
        {
            throw CliException.Invalid($"{path} is not a P-256 key: {e.Message}", e);
        }
    }

    private static string RoleName(KeyRole role) => role switch
    {
        KeyRole.Production => "production",
        KeyRole.DeviceIdentity => "device-identity",
        _ => "firmware-signing",
    };
}
