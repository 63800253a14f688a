using System.CommandLine;
using Csa.Rpc.CHeader;

namespace Csa.Cli.Commands;

/// <summary><c>csa rpc gen-c</c>: the C header for the firmware side of an RPC interface file.</summary>
internal static class RpcCommand
{
    public static Command Create(CliConsole console)
    {
        var rpc = new Command("rpc", "Work with RPC interface files (*.rpc.json)");
        rpc.Subcommands.Add(CreateGenC(console));
        return rpc;
    }

    private static Command CreateGenC(CliConsole console)
    {
        var input = new Argument<FileInfo>("interface") { Description = "The interface file (*.rpc.json)" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the header here (default: standard output)" };
        var prefix = new Option<string?>("--prefix") { Description = "Prefix for C identifiers (default: from the interface name)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing output file" };
        var command = new Command("gen-c", "Generate the C header (structs, ids, error codes) that the firmware compiles against")
        {
            input, output, prefix, force,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            FileInfo file = context.ParseResult.GetValue(input)!;
            if (Directory.Exists(file.FullName))
                throw CliException.File($"{file.FullName} is a directory, not an interface file");
            if (!file.Exists)
                throw CliException.File($"interface file not found: {file.FullName}");
            FileInfo? target = context.ParseResult.GetValue(output);
            if (target is not null)
                Images.ImageOutputs.CheckWritable(target.FullName, context.ParseResult.GetValue(force));
            string json = await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
            string header;
            try
            {
                header = CHeaderGenerator.Generate(json, new CHeaderOptions
                {
                    Prefix = context.ParseResult.GetValue(prefix),
                    SourceName = file.Name,
                });
            }
            catch (ArgumentException e) when (e is not ArgumentNullException)
            {
                // A bad --prefix: say so without the "(Parameter 'options')" tail of the exception text.
                throw CliException.Usage($"--prefix: {e.Message.Split(" (Parameter", 2)[0]}");
            }

            if (target is null)
            {
                if (context.Json)
                    context.WriteJson(new { source = file.Name, header });
                else
                    await context.Console.OutWriter.WriteAsync(header).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await AtomicFile.WriteAllTextAsync(target.FullName, header, cancellationToken).ConfigureAwait(false);
            if (context.Json)
                context.WriteJson(new { source = file.Name, output = target.FullName, bytes = System.Text.Encoding.UTF8.GetByteCount(header) });
            else
                context.WriteLine($"wrote {target.FullName} ({System.Text.Encoding.UTF8.GetByteCount(header)} bytes) from {file.Name}");
            return ExitCodes.Success;
        });
    }
}
