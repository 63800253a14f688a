using System.CommandLine;
using System.Globalization;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa regions [--hash]</c>: every flash region of the chosen devices with its state, version, security counter and,
/// with <c>--hash</c>, the SHA-256 of the region as stored (mcumgr <c>image list</c>). Read from the bootloader: a device
/// running its application is taken into it for the reading and restarted into its application.
/// </summary>
internal static class RegionsCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var hash = new Option<bool>("--hash") { Description = "Also show the SHA-256 of each whole region as the device stores it" };
        var command = options.AddTo(new Command("regions", "List each flash region of devices (state, version, security counter, optionally its hash); the device visits its bootloader for it and returns to its application")
        {
            hash,
        });
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            LinkSettings settings = options.Read(parse);
            bool hashes = parse.GetValue(hash);
            await using DeviceSession session = await DeviceSession.OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(parse).Apply(session.Devices, defaultAll: true);
            var maintenance = new DeviceMaintenance(session.Network, ImageFiles.UpdateOptions(context, settings, [], abortOnCancel: false));
            IReadOnlyList<DeviceOutcome<DeviceRegions>> outcomes = await PerDevice.RunAsync(chosen,
                (device, ct) => maintenance.ReadRegionsAsync(device, hashes, ct), cancellationToken).ConfigureAwait(false);

            RegionsRow[] rows = outcomes.Select(RegionsRow.From).ToArray();
            if (context.Json)
                context.WriteJson(new { devices = rows });
            else
            {
                foreach (RegionsRow row in rows.Where(r => r.Succeeded))
                    context.Out.Write(Table(row, hashes));
            }
            return PerDevice.Finish(context, outcomes);
        });
    }

    private static Table Table(RegionsRow row, bool hashes)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("region", "state", "start", "size", "version", "security counter");
        if (hashes)
            table.AddColumn("sha256 (whole region)");
        table.Title = new TableTitle(Markup.Escape($"{row.Address} {row.Uid}: {(row.Running == "application" ? "application runs" : $"bootloader runs ({row.StayReason})")}"));
        foreach (RegionsRow.RegionRow r in row.Regions!)
        {
            var cells = new List<string> { r.Region, r.State, r.Start, string.Create(CultureInfo.InvariantCulture, $"{r.Size / 1024} KB"), r.State == "empty" ? "-" : r.Version,
                r.State == "empty" ? "-" : r.SecurityCounter.ToString(CultureInfo.InvariantCulture) };
            if (hashes)
                cells.Add(r.Sha256 ?? "-");
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        return table;
    }

    /// <summary>One device's regions as <c>--json</c> shows them.</summary>
    internal sealed record RegionsRow(string Uid, string Address, bool Succeeded, string? RunningBefore, string? Running, string? StayReason,
        string? RunningCopy, uint? DeviceSecurityCounter, IReadOnlyList<RegionsRow.RegionRow>? Regions, string? Error, int? ExitCode)
    {
        internal sealed record RegionRow(string Region, string State, string Start, uint Size, string Version, uint SecurityCounter, string? Sha256);

        public static RegionsRow From(DeviceOutcome<DeviceRegions> outcome)
        {
            (string? error, int? code) = PerDevice.ErrorOf(outcome);
            if (outcome.Result is not { } r)
                return new RegionsRow(outcome.Device.Uid.ToString(), outcome.Device.Address.ToString(), false, null, null, null, null, null, null, error, code);
            return new RegionsRow(r.Device.Uid.ToString(), r.Device.Address.ToString(), true,
                r.WasRunningApplication ? "application" : "bootloader", r.RunsApplication ? "application" : "bootloader",
                r.WasRunningApplication ? null : JsonNames.Of(r.Status.StayReason), JsonNames.Of(r.Status.RunningCopy), r.Status.DeviceSecurityCounter,
                r.Regions.Select(x => new RegionRow(JsonNames.Of(x.Region), JsonNames.Of(x.State), $"0x{x.Start:X8}", x.Size, x.Version.ToString(), x.SecurityCounter,
                    x.Sha256 is null ? null : Convert.ToHexString(x.Sha256).ToLowerInvariant())).ToArray(),
                null, null);
        }
    }
}
