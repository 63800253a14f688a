using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Cli.Images;
using Csa.Crypto;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa image verify</c>: the device's checks, run on the host against trusted keys and optional target values.
/// Exit 0 when the image is valid, 7 with the reason when it is not (4 when it is not even a well-formed image).
/// </summary>
internal static class ImageVerifyCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("image") { Description = "The image to verify (.csai)" };
        var trust = new Option<string[]>("--trust")
        {
            Description = "Trust this firmware-signing public key (repeat for several, e.g. during key rotation)",
            HelpName = "PUB.pem",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var acceptCrc = new Option<bool>("--accept-crc") { Description = "Accept CRC-32 images (products without signature checking)" };
        var deviceUid = new Option<DeviceUid?>("--device-uid")
        {
            Description = "Check as this device: its binding, and its entry in an encrypted image's key block",
            CustomParser = ImageOptionParsers.OptionalUid,
            HelpName = "UID",
        };
        var deviceKey = new Option<string?>("--device-key")
        {
            Description = "The device's identity private key: unwrap its content key and check the encrypted payload's hash (needs --device-uid)",
            HelpName = "KEY.pem",
        };
        var vendor = new Option<uint?>("--vendor") { Description = "Expected vendor id", CustomParser = ImageOptionParsers.OptionalUInt32, HelpName = "ID" };
        var deviceClass = new Option<uint?>("--device-class") { Description = "Expected device class id", CustomParser = ImageOptionParsers.OptionalUInt32, HelpName = "ID" };
        var kind = new Option<ImageKind?>("--kind") { Description = "Expected kind: application or bootloader", CustomParser = ImageOptionParsers.OptionalKind, HelpName = "application|bootloader" };
        var minimumCounter = new Option<uint?>("--min-security-counter")
        {
            Description = "Refuse images whose security counter is below this (the device's stored minimum)",
            CustomParser = ImageOptionParsers.OptionalUInt32,
            HelpName = "N",
        };
        var region = new Option<ImageRegion?>("--region")
        {
            Description = "The flash region the image goes into, START:SIZE (e.g. 0x08020000:0x60000): the image must be linked for START and fit",
            CustomParser = ImageOptionParsers.OptionalRegion,
            HelpName = "START:SIZE",
        };
        var requireEncryption = new Option<bool>("--require-encryption") { Description = "Refuse plaintext images" };

        var command = new Command("verify", "Check an image as a device would: signature under trusted keys (or CRC), target, binding, security counter, payload hash")
        {
            input, trust, acceptCrc, deviceUid, deviceKey, vendor, deviceClass, kind, minimumCounter, region, requireEncryption,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(trust) ?? []).Length == 0 && !result.GetValue(acceptCrc))
                result.AddError("say what to trust: --trust PUB.pem (repeatable) and/or --accept-crc");
            if (result.GetValue(deviceKey) is not null && result.GetValue(deviceUid) is null)
                result.AddError("--device-key needs --device-uid (the key block finds the device's entry by its UID)");
        });

        return command.WithAction(console, async (context, cancellationToken) =>
        {
            var parse = context.ParseResult;
            string path = parse.GetValue(input)!;
            FirmwareImage image = await ImageInputs.ReadImageAsync(path, cancellationToken).ConfigureAwait(false);
            ImageLog.ImageRead(ImageLog.Of(context), path, image.Manifest.ToString());

            var policy = new ImagePolicy();
            var trustedIds = new List<string>();
            var trustedKeys = new List<EcP256PublicKey>();
            foreach (string keyPath in parse.GetValue(trust) ?? [])
            {
                EcP256PublicKey key = ImageInputs.ReadPublicKey(keyPath);
                ImageLog.KeyLoaded(ImageLog.Of(context), keyPath, key.KeyIdHex);
                trustedKeys.Add(key);
                if (!trustedIds.Contains(key.KeyIdHex))
                    trustedIds.Add(key.KeyIdHex);
            }
            if (trustedKeys.Count > 0)
            {
                try
                {
                    policy.TrustedVerifiers.Add(new EcdsaP256Verifier(trustedKeys));
                }
                catch (ArgumentException e)
                {
                    throw CliException.Usage($"--trust: {e.Message.Split(" (Parameter", 2)[0]}");
                }
            }
            bool crc = parse.GetValue(acceptCrc);
            if (crc)
                policy.TrustedVerifiers.Add(Crc32ImageAuthenticator.Instance);
            ImageLog.Verifying(ImageLog.Of(context), trustedKeys.Count, crc ? " and CRC-32" : "");

            string? deviceKeyPath = parse.GetValue(deviceKey);
            if (deviceKeyPath is not null)
                policy.Decryptor = new AesCtrEciesPayloadDecryptor(ImageInputs.ReadPrivateKey(deviceKeyPath));

            var expect = new ImageVerification.Expectations(
                parse.GetValue(vendor), parse.GetValue(deviceClass), parse.GetValue(kind), parse.GetValue(deviceUid),
                parse.GetValue(minimumCounter), parse.GetValue(region), parse.GetValue(requireEncryption), deviceKeyPath is not null);
            VerifyReport report = ImageVerification.Run(image, path, policy, expect, trustedIds, crc);

            if (context.Json)
                context.WriteJson(report);
            else
                Render(context.Out, report);

            if (!report.Valid)
            {
                string hint = DeferredSigner.IsAwaitingSignature(image) ? " (the image is not signed yet: csa image sign)" : "";
                throw new CliException(ExitCodes.VerificationFailed, $"{path} is NOT valid: {report.Message}{hint}");
            }
            return ExitCodes.Success;
        });
    }

    private static void Render(IAnsiConsole console, VerifyReport report)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{report.File}: {(report.Valid ? "VALID" : "NOT VALID")}"));
        table.AddColumn("check");
        table.AddColumn("result");
        table.AddColumn("detail");
        foreach (VerifyCheck check in report.Checks)
            table.AddRow(Markup.Escape(check.Name), Markup.Escape(check.Result), Markup.Escape(check.Detail));
        console.Write(table);
        if (report.Valid)
            console.WriteLine($"{report.File} is valid");
    }
}
