using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Cli.Images;
using Csa.Crypto;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa image encrypt</c>: a plaintext image's payload encrypted for one or more devices. Encryption sets the
/// manifest's encryption field and nonce, so the manifest is authenticated again: a CRC image gets a new CRC, a
/// signed image needs <c>--sign</c> or <c>--sign-later</c>.
/// </summary>
internal static class ImageEncryptCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("image") { Description = "The plaintext image to encrypt (.csai)" };
        Option<RecipientSpec[]> encryptFor = ImageCommand.EncryptForOption();
        Option<string?> recipientsFile = ImageCommand.RecipientsOption();
        var auth = new ImageAuthOptions();
        Option<string> output = ImageCommand.OutputOption();
        Option<bool> force = ImageCommand.ForceOption();
        var command = new Command("encrypt", "Encrypt a plaintext image's payload (AES-256-CTR) and wrap its key for each device's public key (ECIES P-256)")
        {
            input, encryptFor, recipientsFile, output, force,
        };
        auth.AddTo(command);
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            var parse = context.ParseResult;
            string inputPath = parse.GetValue(input)!;
            string outputPath = parse.GetValue(output)!;
            bool replace = parse.GetValue(force);
            if ((parse.GetValue(encryptFor) ?? []).Length == 0 && parse.GetValue(recipientsFile) is null)
                throw CliException.Usage("say whom to encrypt for: --encrypt-for UID=PUB.pem (repeatable) and/or --recipients FILE");
            FirmwareImage image = await ImageInputs.ReadImageAsync(inputPath, cancellationToken).ConfigureAwait(false);
            ImageLog.ImageRead(ImageLog.Of(context), inputPath, image.Manifest.ToString());
            ImageOutputs.CheckWritable(outputPath, replace);
            if (image.Manifest.Encryption != ImageEncryption.None)
                throw CliException.Usage($"{inputPath} is already encrypted; its content key cannot be recovered to wrap it for other devices: encrypt the plaintext image");

            IImageSigner? signer = auth.Resolve(context, out string authDescription);
            if (signer is null)
            {
                if (image.Manifest.Authentication != ImageAuthentication.Crc32)
                    throw CliException.Usage("encrypting changes the signed manifest (its encryption field and nonce), so it must be signed again: give --sign KEY.pem, or --sign-later PUB.pem to sign it elsewhere");
                signer = Crc32ImageAuthenticator.Instance;
                authDescription = "CRC-32 (no signature)";
            }
            ImageIntegrity.RequireIntact(image, inputPath, (signer as EcdsaP256Signer)?.PublicKey ?? (signer as DeferredSigner)?.PublicKey, "encrypt", context);
            ImageRecipient[] recipients = await ImageInputs.ReadAllRecipientsAsync(parse.GetValue(encryptFor) ?? [], parse.GetValue(recipientsFile), cancellationToken).ConfigureAwait(false);

            FirmwareImage encrypted = await ImageComposer.ComposeAsync(
                ImageComposer.SettingsOf(image.Manifest), ImageComposer.SourceOf(image), signer, recipients, context, cancellationToken).ConfigureAwait(false);
            await ImageOutputs.WriteAsync(outputPath, encrypted.Bytes, replace, cancellationToken).ConfigureAwait(false);
            ImageLog.Wrote(ImageLog.Of(context), outputPath, encrypted.Length);
            ImageCommandOutput.Report(context, encrypted, outputPath, $"encrypted for {recipients.Length} device(s); {authDescription}");
            return ExitCodes.Success;
        });
    }
}
