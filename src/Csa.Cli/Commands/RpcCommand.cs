using System.CommandLine;
using Csa.Rpc.Tooling;

namespace Csa.Cli.Commands;

/// <summary><c>csa rpc gen-c</c>: the C binding of RPC interface files, for firmware.</summary>
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
        var inputs = new Argument<FileInfo[]>("interface") { Description = "The interface file(s) (*.rpc.json)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the codec header of one interface here (default: standard output)" };
        var outputDir = new Option<DirectoryInfo?>("--output-dir", "-d") { Description = "Write the complete C binding of each interface into this folder: NAME.rpc.h, NAME.rpc.binding.h, NAME.rpc.binding.c" };
        var prefix = new Option<string?>("--prefix") { Description = "Prefix for C identifiers (default: from the interface name; one interface only)" };
        var force = new Option<bool>("--force") { Description = "Replace existing output files" };
        var command = new Command("gen-c", "Generate the C binding the firmware compiles against: codecs, ids and error codes, dispatch, handler prototypes, event emitters and client stubs")
        {
            inputs, output, outputDir, prefix, force,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            FileInfo[] files = context.ParseResult.GetValue(inputs)!;
            FileInfo? target = context.ParseResult.GetValue(output);
            DirectoryInfo? folder = context.ParseResult.GetValue(outputDir);
            string? prefixValue = context.ParseResult.GetValue(prefix);
            bool replace = context.ParseResult.GetValue(force);
            if (target is not null && folder is not null)
                throw CliException.Usage("--output and --output-dir: give one of them");
            if (files.Length > 1 && folder is null)
                throw CliException.Usage("several interface files need --output-dir");
            if (files.Length > 1 && prefixValue is not null)
                throw CliException.Usage("--prefix names one interface's identifiers; give one interface file with it");

            var bindings = new List<(FileInfo Source, CBinding Binding)>(files.Length);
            foreach (FileInfo file in files)
                bindings.Add((file, await GenerateAsync(file, prefixValue, cancellationToken).ConfigureAwait(false)));

            if (folder is not null)
                return await WriteFolderAsync(context, folder, bindings, replace, cancellationToken).ConfigureAwait(false);

            (FileInfo source, CBinding binding) = bindings[0];
            string header = binding.Header.Text;
            if (target is null)
            {
                if (context.Json)
                    context.WriteJson(new { source = source.Name, header });
                else
                    await context.Console.OutWriter.WriteAsync(header).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            Images.ImageOutputs.CheckWritable(target.FullName, replace);
            await AtomicFile.WriteAllTextAsync(target.FullName, header, cancellationToken).ConfigureAwait(false);
            int bytes = System.Text.Encoding.UTF8.GetByteCount(header);
            if (context.Json)
                context.WriteJson(new { source = source.Name, output = target.FullName, bytes });
            else
                context.WriteLine($"wrote {target.FullName} ({bytes} bytes) from {source.Name}");
            return ExitCodes.Success;
        });
    }

    private static async Task<CBinding> GenerateAsync(FileInfo file, string? prefix, CancellationToken cancellationToken)
    {
        if (Directory.Exists(file.FullName))
            throw CliException.File($"{file.FullName} is a directory, not an interface file");
        if (!file.Exists)
            throw CliException.File($"interface file not found: {file.FullName}");
        string json = await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
        try
        {
            return CBindingGenerator.Generate(json, new CBindingOptions { Prefix = prefix, SourceName = file.Name });
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            // A bad --prefix: say so without the "(Parameter 'options')" tail of the exception text.
            throw CliException.Usage($"--prefix: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    private static async Task<int> WriteFolderAsync(CommandContext context, DirectoryInfo folder, List<(FileInfo Source, CBinding Binding)> bindings, bool replace, CancellationToken cancellationToken)
    {
        if (File.Exists(folder.FullName))
            throw CliException.File($"output {folder.FullName} is a file, not a folder");
        Directory.CreateDirectory(folder.FullName);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((FileInfo source, CBinding binding) in bindings)
        {
            foreach (CGeneratedFile file in binding.Files)
            {
                if (!names.Add(file.FileName))
                    throw CliException.Usage($"two interface files would both write {file.FileName}; rename one of them");
                Images.ImageOutputs.CheckWritable(Path.Combine(folder.FullName, file.FileName), replace);
            }
        }

        var written = new List<object>();
        foreach ((FileInfo source, CBinding binding) in bindings)
        {
            foreach (CGeneratedFile file in binding.Files)
            {
                string path = Path.Combine(folder.FullName, file.FileName);
                await AtomicFile.WriteAllTextAsync(path, file.Text, cancellationToken).ConfigureAwait(false);
                int bytes = System.Text.Encoding.UTF8.GetByteCount(file.Text);
                written.Add(new { source = source.Name, output = path, bytes });
                if (!context.Json)
                    context.WriteLine($"wrote {path} ({bytes} bytes) from {source.Name}");
            }
        }

        if (context.Json)
            context.WriteJson(new { files = written });
        return ExitCodes.Success;
    }
}
