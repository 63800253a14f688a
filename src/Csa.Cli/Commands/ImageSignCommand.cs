using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Cli.Images;
using Csa.Crypto;

namespace Csa.Cli.Commands;

/// <summary><c>csa image sign</c>: sign an existing image's manifest with a firmware-signing key (rules in <see cref="ImageResigner"/>).</summary>
internal static class ImageSignCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("image") { Description = "The image to sign (.csai)" };
        var key = new Option<string>("--key")
        {
            Description = "The firmware-signing private key (PEM or DER)",
            HelpName = "KEY.pem",
            Required = true,
        };
        Option<string> output = ImageCommand.OutputOption();
        Option<bool> force = ImageCommand.ForceOption();
        var command = new Command("sign", "Sign an image's manifest: fill in a --sign-later signature, re-sign with the same key, or turn a plaintext CRC/other-key image into one signed by this key")
        {
            input, key, output, force,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            var parse = context.ParseResult;
            string inputPath = parse.GetValue(input)!;
            string outputPath = parse.GetValue(output)!;
            bool replace = parse.GetValue(force);
            FirmwareImage image = await ImageInputs.ReadImageAsync(inputPath, cancellationToken).ConfigureAwait(false);
            ImageLog.ImageRead(ImageLog.Of(context), inputPath, image.Manifest.ToString());
            ImageOutputs.CheckWritable(outputPath, replace);
            string keyPath = parse.GetValue(key)!;
            EcP256PrivateKey privateKey = ImageInputs.ReadPrivateKey(keyPath);
            ImageLog.KeyLoaded(ImageLog.Of(context), keyPath, privateKey.PublicKey.KeyIdHex);

            (FirmwareImage signed, string how) = await ImageResigner.SignAsync(image, inputPath, privateKey, context, cancellationToken).ConfigureAwait(false);

            // Never write a signature that does not verify (a damaged key file or a bug would ship a brick).
            var check = new EcdsaP256Verifier(privateKey.PublicKey);
            if (!check.Verify(signed.ManifestBytes.Span, signed.AuthenticationBlock.Span, signed.Manifest.KeyId.Span))
                throw new CliException(ExitCodes.Failed, "the new signature does not verify under the key's own public key; nothing was written");

            await ImageOutputs.WriteAsync(outputPath, signed.Bytes, replace, cancellationToken).ConfigureAwait(false);
            ImageLog.Wrote(ImageLog.Of(context), outputPath, signed.Length);
            ImageCommandOutput.Report(context, signed, outputPath, how);
            return ExitCodes.Success;
        });
    }
}
