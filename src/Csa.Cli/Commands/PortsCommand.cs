using System.CommandLine;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Cli.Ports;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa ports [--probe]</c>: the serial ports of this machine with what is known of them (USB vendor and product id,
/// serial number, driver), and with <c>--probe</c> which of them answer the Csa protocol (stm32flash and
/// STM32CubeProgrammer <c>-l</c>, mcumgr's port discovery).
/// </summary>
internal static class PortsCommand
{
    public static Command Create(CliConsole console)
    {
        var probe = new Option<bool>("--probe") { Description = "Open each port and enumerate it: which answer the Csa protocol (writes a few bytes to every port)" };
        var baud = new Option<int?>("--baud") { Description = "The bit rate to probe at (default: the serial link's 115200)" };
        var timeout = new Option<string>("--timeout") { Description = "How long one enumeration question waits (500ms, 2s)", DefaultValueFactory = _ => "1s" };
        var retries = new Option<int?>("--retries") { Description = "How many times an unanswered question is asked again, 0..20 (default 2)" };
        var connectTimeout = new Option<string>("--connect-timeout") { Description = "How long opening one port may take", DefaultValueFactory = _ => "5s" };
        var command = new Command("ports", "List the serial ports (USB ids, serial number, driver) and, with --probe, which answer the Csa protocol")
        {
            probe, baud, timeout, retries, connectTimeout,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            TimeSpan commandTimeout = DeviceOptions.ParseDuration(parse.GetValue(timeout) ?? "1s", "--timeout");
            TimeSpan openTimeout = DeviceOptions.ParseDuration(parse.GetValue(connectTimeout) ?? "5s", "--connect-timeout");
            int attempts = DeviceOptions.AttemptsOf(parse.GetValue(retries));
            if (parse.GetValue(baud) is { } rate && rate is < 50 or > 20_000_000)
                throw CliException.Usage($"--baud {rate}: 50..20000000");
            if (parse.GetValue(baud) is not null && !parse.GetValue(probe))
                throw CliException.Usage("--baud is the bit rate to probe at: give --probe too");

            IReadOnlyList<SerialPortInfo> ports = SerialPortCatalog.ForThisRun.List(CliEnvironment.Get(SerialPortCatalog.ExtraPortsVariable));
            PortProbe[]? probes = null;
            if (parse.GetValue(probe) && ports.Count > 0)
            {
                string query = parse.GetValue(baud) is { } b ? $"baud={b}" : "";
                probes = await PortProber.ProbeAsync(ports.Select(p => p.Path), query, commandTimeout, attempts, openTimeout, context.LoggerFactory, cancellationToken).ConfigureAwait(false);
            }

            PortJson[] rows = ports.Select((p, i) => PortJson.From(p, probes?[i])).ToArray();
            if (context.Json)
                context.WriteJson(new { ports = rows });
            else if (rows.Length == 0)
                context.WriteLine($"No serial ports found ({SerialPortCatalog.ExtraPortsVariable} adds pseudo-terminals and ports enumeration cannot see).");
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("port", "what", "location");
                if (probes is not null)
                    table.AddColumn("answers");
                foreach (PortJson r in rows)
                {
                    var cells = new List<string> { Markup.Escape(r.Path), Markup.Escape(r.Description), Markup.Escape(r.Location ?? "-") };
                    if (probes is not null)
                        cells.Add(r.Probe!.Error is { } e ? $"[red]{Markup.Escape(e)}[/]"
                            : r.Probe.Devices.Count == 0 ? "no" : Markup.Escape(string.Join(", ", r.Probe.Devices.Select(d => $"{d.Uid} ({d.Product})"))));
                    table.AddRow(cells.ToArray());
                }
                context.Out.Write(table);
                if (probes is not null)
                    context.WriteLine($"{probes.Count(p => p.Answered)} of {probes.Length} port(s) answer" + (probes.Count(p => p.Answered) == 1 ? "; --link serial:auto picks it" : ""));
            }
            return ExitCodes.Success;
        });
    }

    /// <summary>One port as <c>--json</c> shows it.</summary>
    internal sealed record PortJson(string Path, string Description, string Source, string? Driver, string? Vid, string? Pid, string? SerialNumber,
        string? Manufacturer, string? Product, string? Location, ProbeJson? Probe)
    {
        public static PortJson From(SerialPortInfo p, PortProbe? probe) => new(p.Path, p.Description, p.Source, p.Driver, p.Vid, p.Pid, p.SerialNumber,
            p.Manufacturer, p.Product, p.Location, probe is null ? null : new ProbeJson(probe.Uri, probe.Answered,
                probe.Devices.Select(d => new ProbedDevice(d.Uid.ToString(), d.Address.ToString(), d.ProductName, d.IsInBootloader ? "bootloader" : "application",
                    d.ApplicationValid ? d.ApplicationVersion.ToString() : null)).ToArray(), probe.Error));
    }

    internal sealed record ProbeJson(string Uri, bool Answered, IReadOnlyList<ProbedDevice> Devices, string? Error);

    internal sealed record ProbedDevice(string Uid, string Address, string Product, string Running, string? Application);
}
