using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Images;

/// <summary>
/// How a new manifest is authenticated, shared by <c>image build</c> and <c>image encrypt</c>: <c>--sign KEY.pem</c>
/// (ECDSA P-256 now), <c>--sign-later PUB.pem</c> (name the key now, sign elsewhere with <c>image sign</c>) or
/// <c>--crc</c> (CRC-32 only, for products without asymmetric cryptography). At most one may be given.
/// </summary>
internal sealed class ImageAuthOptions
{
    public Option<string?> Sign { get; } = new("--sign")
    {
        Description = "Sign the manifest with this firmware-signing private key (PEM or DER)",
        HelpName = "KEY.pem",
    };

    public Option<string?> SignLater { get; } = new("--sign-later")
    {
        Description = "Name this signing public key in the manifest and leave the signature empty; sign later with 'csa image sign' where the private key is",
        HelpName = "PUB.pem",
    };

    public Option<bool> Crc { get; } = new("--crc")
    {
        Description = "Authenticate with a CRC-32 only (detects damage, not attackers; for products without signature checking)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Sign);
        command.Options.Add(SignLater);
        command.Options.Add(Crc);
        command.Validators.Add(result =>
        {
            int given = (result.GetValue(Sign) is null ? 0 : 1) + (result.GetValue(SignLater) is null ? 0 : 1) + (result.GetValue(Crc) ? 1 : 0);
            if (given > 1)
                result.AddError("give only one of --sign, --sign-later and --crc");
        });
    }

    /// <summary>The signer the options ask for, or null when none was given.</summary>
    public IImageSigner? Resolve(CommandContext context, out string description)
    {
        if (context.ParseResult.GetValue(Sign) is { } keyPath)
        {
            EcP256PrivateKey key = ImageInputs.ReadPrivateKey(keyPath);
            ImageLog.KeyLoaded(ImageLog.Of(context), keyPath, key.PublicKey.KeyIdHex);
            description = $"ECDSA P-256, key {key.PublicKey.KeyIdHex}";
            return new EcdsaP256Signer(key);
        }
        if (context.ParseResult.GetValue(SignLater) is { } publicPath)
        {
            EcP256PublicKey key = ImageInputs.ReadPublicKey(publicPath);
            ImageLog.KeyLoaded(ImageLog.Of(context), publicPath, key.KeyIdHex);
            description = $"ECDSA P-256, key {key.KeyIdHex}, awaiting signature";
            return new DeferredSigner(key);
        }
        if (context.ParseResult.GetValue(Crc))
        {
            description = "CRC-32 (no signature)";
            return Crc32ImageAuthenticator.Instance;
        }
        description = "";
        return null;
    }
}
