using Csa.Bootloader.Images;
using Csa.Cli.Images;

namespace Csa.Cli.Commands;

/// <summary>What build, sign and encrypt print after writing an image: its description (table or JSON).</summary>
internal static class ImageCommandOutput
{
    public static void Report(CommandContext context, FirmwareImage image, string outputPath, string summary)
    {
        ImageDescription description = ImageDescription.Describe(image, outputPath);
        if (context.Json)
        {
            context.WriteJson(new { output = Path.GetFullPath(outputPath), image = description });
            return;
        }
        ImageTables.Render(context.Out, description);
        context.WriteLine($"{summary}; wrote {Path.GetFullPath(outputPath)} ({image.Length} bytes)");
    }
}
