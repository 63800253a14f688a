using System.CommandLine;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Rpc.Device;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa reset [--bootloader]</c>: restarts the chosen devices into their application (or, with <c>--bootloader</c>,
/// into the bootloader, where they stay until reset again or updated) and reports what each runs afterwards
/// (mcumgr <c>reset</c>, STM32CubeProgrammer <c>-rst</c>, stm32flash <c>-R</c>).
/// </summary>
internal static class ResetCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var bootloader = new Option<bool>("--bootloader", "-b")
        {
            Description = "Restart into the bootloader and stay there (until 'csa reset' or an update) instead of into the application",
        };
        var command = options.AddTo(new Command("reset", "Restart devices into their application (or with --bootloader into the bootloader) and show what runs afterwards") { bootloader });
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            LinkSettings settings = options.Read(parse);
            ResetMode mode = parse.GetValue(bootloader) ? ResetMode.Bootloader : ResetMode.Normal;
            await using DeviceSession session = await DeviceSession.OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(parse).Apply(session.Devices, defaultAll: false);
            var maintenance = new DeviceMaintenance(session.Network, ImageFiles.UpdateOptions(context, settings, [], abortOnCancel: false));

            IReadOnlyList<DeviceOutcome<DeviceInfo>> outcomes = await PerDevice.RunAsync(chosen, (device, ct) =>
            {
                if (!context.Json)
                    context.WriteLine($"  {device.Address} {device.Uid}: resetting into the {(mode == ResetMode.Bootloader ? "bootloader" : "application")}");
                return maintenance.ResetAsync(device, mode, ct);
            }, cancellationToken).ConfigureAwait(false);

            ResetRow[] rows = outcomes.Select(ResetRow.From).ToArray();
            if (context.Json)
                context.WriteJson(new { mode = mode == ResetMode.Bootloader ? "bootloader" : "application", devices = rows });
            else
                context.Out.Write(Table(rows));
            return PerDevice.Finish(context, outcomes);
        });
    }

    private static Table Table(IReadOnlyList<ResetRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("device", "address", "result", "running", "application", "bootloader", "stays because");
        foreach (ResetRow r in rows)
        {
            table.AddRow(r.Uid, r.Address, r.Succeeded ? "[green]ok[/]" : $"[red]failed[/]: {Markup.Escape(r.Error ?? "")}", r.Running ?? "-",
                r.Application ?? "none", r.Bootloader ?? "-", r.StayReason ?? "-");
        }
        return table;
    }

    /// <summary>One device after its reset, as <c>--json</c> shows it.</summary>
    internal sealed record ResetRow(string Uid, string Address, bool Succeeded, string? Running, string? Application, string? Bootloader,
        string? ActiveBootloader, string? StayReason, string? Error, int? ExitCode)
    {
        public static ResetRow From(DeviceOutcome<DeviceInfo> outcome)
        {
            (string? error, int? code) = PerDevice.ErrorOf(outcome);
            DeviceInfo? d = outcome.Result;
            return new ResetRow(outcome.Device.Uid.ToString(), (d ?? outcome.Device).Address.ToString(), outcome.Succeeded,
                d is null ? null : d.IsInBootloader ? "bootloader" : "application",
                d is { ApplicationValid: true } ? d.ApplicationVersion.ToString() : null,
                d?.BootloaderVersion.ToString(), d?.ActiveBootloader.ToString(),
                d?.Bootloader is { } status ? JsonNames.Of(status.StayReason) : null, error, code);
        }
    }
}
