using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa erase --authorize IMAGE</c>: makes the application of the chosen devices invalid, so that their bootloader
/// stays resident, through the bootloader and with an update's rules: the device erases only for an application image
/// it accepts (signed by a trusted key, for it), so nobody without such an image can take a device out of service.
/// </summary>
internal static class EraseCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var authorize = new Option<string>("--authorize", "-a")
        {
            Description = "An application image (.csai) the device accepts: it erases only for such an image, as before an update",
            Required = true,
        };
        var trust = new Option<string[]>("--trust") { Description = "A public key (PEM) to check the image's signature with before anything is sent (repeatable)", Arity = ArgumentArity.OneOrMore };
        var command = options.AddTo(new Command("erase", "Erase the application of devices through their bootloader (they stay in it until updated); needs an application image the device accepts")
        {
            authorize, trust,
        });
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            FirmwareImage image = await ImageFiles.ReadAsync(parse.GetValue(authorize)!, cancellationToken).ConfigureAwait(false);
            if (image.Manifest.Kind != ImageKind.Application)
                throw CliException.Invalid($"{Path.GetFileName(parse.GetValue(authorize))} is a bootloader image; the erase of the application is authorised by an application image");
            LinkSettings settings = options.Read(parse);
            UpdateOptions updateOptions = ImageFiles.UpdateOptions(context, settings, parse.GetValue(trust) ?? [], abortOnCancel: false);
            await using DeviceSession session = await DeviceSession.OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(parse).Apply(session.Devices, defaultAll: false);
            var maintenance = new DeviceMaintenance(session.Network, updateOptions);
            IReadOnlyList<DeviceOutcome<DeviceInfo>> outcomes = await PerDevice.RunAsync(chosen, (device, ct) =>
            {
                if (!context.Json)
                    context.WriteLine($"  {device.Address} {device.Uid}: erasing the application");
                return maintenance.EraseApplicationAsync(device, image, ct);
            }, cancellationToken).ConfigureAwait(false);

            EraseRow[] rows = outcomes.Select(EraseRow.From).ToArray();
            if (context.Json)
                context.WriteJson(new { devices = rows });
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("device", "address", "result", "application region", "running", "stays because");
                foreach (EraseRow r in rows)
                    table.AddRow(r.Uid, r.Address, r.Succeeded ? "[green]erased[/]" : $"[red]failed[/]: {Markup.Escape(r.Error ?? "")}", r.Application ?? "-", r.Running ?? "-", r.StayReason ?? "-");
                context.Out.Write(table);
            }
            return PerDevice.Finish(context, outcomes);
        });
    }

    /// <summary>One device after the erase, as <c>--json</c> shows it.</summary>
    internal sealed record EraseRow(string Uid, string Address, bool Succeeded, string? Application, string? Running, string? StayReason, string? Error, int? ExitCode)
    {
        public static EraseRow From(DeviceOutcome<DeviceInfo> outcome)
        {
            (string? error, int? code) = PerDevice.ErrorOf(outcome);
            DeviceInfo? d = outcome.Result;
            return new EraseRow(outcome.Device.Uid.ToString(), (d ?? outcome.Device).Address.ToString(), outcome.Succeeded,
                d?.Bootloader is { } s ? JsonNames.Of(s.GetRegion(RegionKind.Application).State) : null,
                d is null ? null : d.IsInBootloader ? "bootloader" : "application",
                d?.Bootloader is { } t ? JsonNames.Of(t.StayReason) : null, error, code);
        }
    }
}
