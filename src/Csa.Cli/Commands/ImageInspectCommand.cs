using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Cli.Images;

namespace Csa.Cli.Commands;

/// <summary><c>csa image inspect</c>: every manifest field, the sections, the key block, and the key-free integrity checks.</summary>
internal static class ImageInspectCommand
{
    public static Command Create(CliConsole console)
    {
        var input = new Argument<string>("image") { Description = "The image to inspect (.csai)" };
        var command = new Command("inspect", "Show every manifest field, key id, binding, wrapped-key entries, sizes and hashes of an image") { input };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            string path = context.ParseResult.GetValue(input)!;
            FirmwareImage image = await ImageInputs.ReadImageAsync(path, cancellationToken).ConfigureAwait(false);
            ImageDescription description = ImageDescription.Describe(image, path);
            if (context.Json)
                context.WriteJson(description);
            else
                ImageTables.Render(context.Out, description);
            return ExitCodes.Success;
        });
    }
}
