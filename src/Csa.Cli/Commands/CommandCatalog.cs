using System.CommandLine;

namespace Csa.Cli.Commands;

/// <summary>Every top-level command of the tool, in the order `csa --help` lists them. One line per command.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliConsole console)
    {
        yield return DemoCommand.Create(console);
        yield return SimCommand.Create(console);
        yield return DevicesCommand.Create(console);
        yield return PortsCommand.Create(console);
        yield return ProfileCommand.Create(console);
        yield return InfoCommand.Create(console);
        yield return RegionsCommand.Create(console);
        yield return VerifyCommand.Create(console);
        yield return ResetCommand.Create(console);
        yield return EraseCommand.Create(console);
        yield return UpdateCommand.Create(console);
        yield return InstallCommand.Create(console);
        yield return ProvisionCommand.Create(console);
        yield return RecordsCommand.Create(console);
        yield return ImageCommand.Create(console);
        yield return KeysCommand.Create(console);
        yield return RpcCommand.Create(console);
        yield return PythonSdkCommand.Create(console);
    }
}
