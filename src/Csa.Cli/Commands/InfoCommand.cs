using System.CommandLine;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;

namespace Csa.Cli.Commands;

/// <summary><c>csa info</c>: everything a device reports about itself (identity, versions, link limits, features, bootloader status).</summary>
internal static class InfoCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var command = options.AddTo(new Command("info", "Show what devices report about themselves: identity, versions, link limits, features, and the bootloader's status when it runs"));
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            await using DeviceSession session = await DeviceSession.OpenAsync(context, options.Read(context.ParseResult), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(context.ParseResult).Apply(session.Devices, defaultAll: true);
            if (context.Json)
                context.WriteJson(new { devices = chosen.Select(DeviceJson.From).ToArray() });
            else
            {
                foreach (DeviceInfo device in chosen)
                    context.Out.Write(DeviceTables.Info(device));
            }
            return ExitCodes.Success;
        });
    }
}
