using System.CommandLine;
using Csa.Cli.Devices;

namespace Csa.Cli.Commands;

/// <summary><c>csa devices</c>: discovers the devices on the given links and lists them.</summary>
internal static class DevicesCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var command = options.AddTo(new Command("devices", "Discover the devices on the given links and list them (address, unique id, versions)"), selection: false);
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            await using DeviceSession session = await DeviceSession.OpenAsync(context, options.Read(context.ParseResult), cancellationToken).ConfigureAwait(false);
            if (context.Json)
                context.WriteJson(new { devices = session.Devices.Select(DeviceJson.From).ToArray() });
            else
            {
                context.Out.Write(DeviceTables.Devices(session.Devices));
                context.WriteLine($"{session.Devices.Count} device(s) on {session.Settings.Links.Count} link(s)");
            }
            return ExitCodes.Success;
        });
    }
}
