using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Cli.Images;

namespace Csa.Cli.Commands;

/// <summary><c>csa image build</c>: an image from a firmware file: ELF, Intel HEX, S-record or raw binary.</summary>
internal static class ImageBuildCommand
{
    public static Command Create(CliConsole console)
    {
        var firmware = new Argument<string>("firmware") { Description = "The firmware: ELF, Intel HEX or Motorola S-record (address from the file), or a raw binary (needs --load-address); told by content" };
        var inputFormat = new Option<FirmwareFileFormat>("--input-format")
        {
            Description = "Read FIRMWARE as this format instead of telling it by content: auto (default), bin, ihex, srec or elf",
            CustomParser = ImageOptionParsers.InputFormat,
            DefaultValueFactory = _ => FirmwareFileFormat.Auto,
            HelpName = "auto|bin|ihex|srec|elf",
        };
        var kind = new Option<ImageKind?>("--kind")
        {
            Description = "What the image installs: application (app, the default) or bootloader (bl)",
            CustomParser = ImageOptionParsers.OptionalKind,
            HelpName = "application|bootloader",
        };
        var version = new Option<FirmwareVersion>("--version")
        {
            Description = "The image version, major.minor.patch[+build], e.g. 1.4.2+317",
            CustomParser = ImageOptionParsers.Version,
            Required = true,
        };
        var securityCounter = new Option<uint>("--security-counter")
        {
            Description = "Security counter: devices refuse images below their stored minimum (raise it with security fixes)",
            CustomParser = ImageOptionParsers.UInt32,
            Required = true,
            HelpName = "N",
        };
        var loadAddress = new Option<uint?>("--load-address")
        {
            Description = "The flash address the firmware is linked for (required for a binary; a cross-check for ELF, HEX and S-record), e.g. 0x08020000",
            CustomParser = ImageOptionParsers.OptionalUInt32,
            HelpName = "ADDRESS",
        };
        var vendor = new Option<uint>("--vendor")
        {
            Description = "Vendor id the devices check, e.g. 0x0000C5A0",
            CustomParser = ImageOptionParsers.UInt32,
            Required = true,
            HelpName = "ID",
        };
        var deviceClass = new Option<uint>("--device-class")
        {
            Description = "Device class (product / board) id the devices check, e.g. 0x00000401",
            CustomParser = ImageOptionParsers.UInt32,
            Required = true,
            HelpName = "ID",
        };
        var bindUid = new Option<DeviceUid[]>("--bind-uid")
        {
            Description = "Bind the image to this device's 96-bit unique ID (24 hex digits; repeat, up to 32): every other device refuses it",
            CustomParser = ImageOptionParsers.Uids,
            Arity = ArgumentArity.ZeroOrMore,
            HelpName = "UID",
        };
        var auth = new ImageAuthOptions();
        Option<RecipientSpec[]> encryptFor = ImageCommand.EncryptForOption();
        Option<string?> recipientsFile = ImageCommand.RecipientsOption();
        Option<string> output = ImageCommand.OutputOption();
        Option<bool> force = ImageCommand.ForceOption();

        var command = new Command("build", "Build an image from firmware: manifest (target, version, counter, binding), payload, signature or CRC, optional encryption")
        {
            firmware, inputFormat, kind, version, securityCounter, loadAddress, vendor, deviceClass, bindUid, encryptFor, recipientsFile, output, force,
        };
        auth.AddTo(command);

        return command.WithAction(console, async (context, cancellationToken) =>
        {
            var parse = context.ParseResult;
            string firmwarePath = parse.GetValue(firmware)!;
            string outputPath = parse.GetValue(output)!;
            bool replace = parse.GetValue(force);
            ImageOutputs.CheckWritable(outputPath, replace);

            IImageSigner signer = auth.Resolve(context, out string authDescription)
                ?? throw CliException.Usage("choose how the manifest is authenticated: --sign KEY.pem, --sign-later PUB.pem or --crc");
            ImageRecipient[] recipients = await ImageInputs.ReadAllRecipientsAsync(parse.GetValue(encryptFor) ?? [], parse.GetValue(recipientsFile), cancellationToken).ConfigureAwait(false);
            FirmwareSource source = await ImageInputs.ReadFirmwareAsync(firmwarePath, parse.GetValue(loadAddress), parse.GetValue(inputFormat), cancellationToken).ConfigureAwait(false);
            ImageLog.FirmwareRead(ImageLog.Of(context), firmwarePath, source.Data.Length, source.LoadAddress);

            var settings = new ImageSettings
            {
                Kind = parse.GetValue(kind) ?? ImageKind.Application,
                Version = parse.GetValue(version),
                SecurityCounter = parse.GetValue(securityCounter),
                VendorId = parse.GetValue(vendor),
                DeviceClassId = parse.GetValue(deviceClass),
                LoadAddress = source.LoadAddress,
            };
            foreach (DeviceUid uid in parse.GetValue(bindUid) ?? [])
                settings.BoundDevices.Add(uid);

            FirmwareImage image = await ImageComposer.ComposeAsync(settings, source, signer, recipients, context, cancellationToken).ConfigureAwait(false);
            await ImageOutputs.WriteAsync(outputPath, image.Bytes, replace, cancellationToken).ConfigureAwait(false);
            ImageLog.Wrote(ImageLog.Of(context), outputPath, image.Length);
            ImageCommandOutput.Report(context, image, outputPath, $"built {Path.GetFileName(outputPath)}: {authDescription}");
            return ExitCodes.Success;
        });
    }
}
