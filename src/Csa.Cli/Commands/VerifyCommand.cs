using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa verify IMAGE</c>: does each chosen device hold exactly this image (its region valid with the image's version,
/// security counter and payload SHA-256, computed by the device) and run it (STM32CubeProgrammer <c>-v</c>, stm32flash
/// <c>-v</c>, without reading firmware back). Exit 7 when a device does not.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var imageArgument = new Argument<string>("image") { Description = "The image file (.csai) the devices should hold and run" };
        var command = options.AddTo(new Command("verify", "Check that devices hold and run exactly an image (region hash against the image's payload hash); exit 7 when one does not")
        {
            imageArgument,
        });
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            string file = parse.GetValue(imageArgument)!;
            FirmwareImage image = await ImageFiles.ReadAsync(file, cancellationToken).ConfigureAwait(false);
            LinkSettings settings = options.Read(parse);
            await using DeviceSession session = await DeviceSession.OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(parse).Apply(session.Devices, defaultAll: false);
            var maintenance = new DeviceMaintenance(session.Network, ImageFiles.UpdateOptions(context, settings, [], abortOnCancel: false));
            IReadOnlyList<DeviceOutcome<InstalledImageCheck>> outcomes = await PerDevice.RunAsync(chosen,
                (device, ct) => maintenance.VerifyAsync(device, image, ct), cancellationToken).ConfigureAwait(false);

            VerifyRow[] rows = outcomes.Select(VerifyRow.From).ToArray();
            ImageManifest manifest = image.Manifest;
            if (context.Json)
            {
                context.WriteJson(new
                {
                    image = Path.GetFullPath(file),
                    kind = DeviceTables.TargetOf(image),
                    version = manifest.Version.ToString(),
                    securityCounter = manifest.SecurityCounter,
                    payloadSha256 = Convert.ToHexString(manifest.PayloadSha256.Span).ToLowerInvariant(),
                    devices = rows,
                });
            }
            else
                context.Out.Write(Table(rows));

            int code = PerDevice.Finish(context, outcomes);
            if (code != ExitCodes.Success)
                return code;
            VerifyRow[] different = rows.Where(r => r.Matches == false).ToArray();
            if (different.Length == 0)
            {
                if (!context.Json)
                    context.WriteLine($"{rows.Length} device(s) hold and run {Path.GetFileName(file)} ({manifest.Version}).");
                return ExitCodes.Success;
            }
            DeviceErrorJson[] errors = different.Select(r => new DeviceErrorJson(r.Uid, ExitCodes.VerificationFailed, ExitCodes.NameOf(ExitCodes.VerificationFailed),
                $"device {r.Uid} does not hold and run {Path.GetFileName(file)}: {r.Problem}")).ToArray();
            context.SetFailure(different.Length == 1 && rows.Length == 1 ? errors[0].Message : $"{different.Length} of {rows.Length} devices do not hold and run {Path.GetFileName(file)}", errors);
            foreach (DeviceErrorJson error in errors)
                context.Console.Error.WriteLine($"csa: error: {error.Message}");
            return ExitCodes.VerificationFailed;
        });
    }

    private static Table Table(IReadOnlyList<VerifyRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("device", "address", "region", "state", "version", "payload hash", "runs", "result");
        foreach (VerifyRow r in rows)
        {
            string result = r.Error is not null ? $"[red]failed[/]: {Markup.Escape(r.Error)}"
                : r.Matches == true ? "[green]holds and runs it[/]" : $"[red]differs[/]: {Markup.Escape(r.Problem ?? "")}";
            table.AddRow(r.Uid, r.Address, r.Region ?? "-", r.State ?? "-", r.Version ?? "-",
                r.Holds == true ? "equal" : r.StoredPayloadSha256 is null ? "-" : "different", r.Runs == true ? "yes" : "no", result);
        }
        return table;
    }

    /// <summary>One device's check as <c>--json</c> shows it.</summary>
    internal sealed record VerifyRow(string Uid, string Address, bool Succeeded, bool? Matches, bool? Holds, bool? Runs, string? Region, string? State,
        string? Version, uint? SecurityCounter, string? StoredPayloadSha256, string? Running, string? Problem, string? Error, int? ExitCode)
    {
        public static VerifyRow From(DeviceOutcome<InstalledImageCheck> outcome)
        {
            (string? error, int? code) = PerDevice.ErrorOf(outcome);
            if (outcome.Result is not { } c)
                return new VerifyRow(outcome.Device.Uid.ToString(), outcome.Device.Address.ToString(), false, null, null, null, null, null, null, null, null, null, null, error, code);
            return new VerifyRow(c.Uid.ToString(), c.Device.Address.ToString(), true, c.Matches, c.Holds, c.Runs, JsonNames.Of(c.Region), JsonNames.Of(c.State),
                c.State == Csa.Bootloader.Protocol.RegionState.Empty ? null : c.StoredVersion.ToString(), c.State == Csa.Bootloader.Protocol.RegionState.Empty ? null : c.StoredSecurityCounter,
                c.StoredPayloadSha256 is null ? null : Convert.ToHexString(c.StoredPayloadSha256).ToLowerInvariant(),
                c.Device.IsInBootloader ? "bootloader" : "application", c.Problem, null, null);
        }
    }
}
