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
        var command = new Command("gen-c", "Generate the C header (structs, ids, error codes) that the firmware compiles against")
        {
            input, output, prefix,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            FileInfo file = context.ParseResult.GetValue(input)!;
            if (!file.Exists)
                throw CliException.File($"interface file not found: {file.FullName}");
            string json = await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
            string header = CHeaderGenerator.Generate(json, new CHeaderOptions
            {
                Prefix = context.ParseResult.GetValue(prefix),
                SourceName = file.Name,
            });

            FileInfo? target = context.ParseResult.GetValue(output);
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
                context.WriteJson(new { source = file.Name, output = target.FullName, bytes = header.Length });
            else
                context.WriteLine($"wrote {target.FullName} ({header.Length} bytes) from {file.Name}");
            return ExitCodes.Success;
        });
    }
}
