using System.CommandLine;

namespace Csa.Cli.Commands;

/// <summary><c>csa image</c>: build, sign, encrypt, inspect and verify firmware image files (docs/image-format.md).</summary>
internal static class ImageCommand
{
    public static Command Create(CliConsole console)
    {
        var image = new Command("image", "Build, sign, encrypt, inspect and verify firmware images (.csai)");
        image.Subcommands.Add(ImageBuildCommand.Create(console));
        image.Subcommands.Add(ImageSignCommand.Create(console));
        image.Subcommands.Add(ImageEncryptCommand.Create(console));
        image.Subcommands.Add(ImageInspectCommand.Create(console));
        image.Subcommands.Add(ImageVerifyCommand.Create(console));
        return image;
    }

    /// <summary>The output file option every writing image command takes.</summary>
    public static Option<string> OutputOption() => new("--output", "-o")
    {
        Description = "The image file to write",
        HelpName = "FILE",
        Required = true,
    };

    /// <summary>Replace an existing output file.</summary>
    public static Option<bool> ForceOption() => new("--force")
    {
        Description = "Replace the output file if it exists",
    };

    /// <summary>The devices an encrypted image is made for.</summary>
    public static Option<Images.RecipientSpec[]> EncryptForOption() => new("--encrypt-for")
    {
        Description = "Encrypt the payload and wrap its key for this device: its unique ID, '=', its device-identity public key file (repeat for more devices)",
        HelpName = "UID=PUB.pem",
        CustomParser = Images.ImageOptionParsers.Recipients,
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>A file listing the devices an encrypted image is made for (production batches).</summary>
    public static Option<string?> RecipientsOption() => new("--recipients")
    {
        Description = "Encrypt for every device in this file: one 'UID PUBLIC-KEY' per line (a key file relative to the list, or 130 hex digits of the point); '#' starts a comment",
        HelpName = "FILE",
    };
}
