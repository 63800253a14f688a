using Csa.Cli.Devices;
using Csa.DataLink.Transports;

namespace Csa.Cli.Ports;

/// <summary>
/// <c>serial:auto[?params]</c>: the one serial port on which a device answers, probed with the link's parameters (so
/// <c>serial:auto?baud=921600</c> probes at 921600 baud). None answering is exit 5, several a usage error naming them.
/// </summary>
internal static class SerialAuto
{
    /// <summary>True for a <c>serial:auto</c> link.</summary>
    public static bool Is(string uri) =>
        LinkUri.TryParse(uri, out LinkUri? parsed, out _) && parsed is { Scheme: "serial", HasAuthority: false } && string.Equals(parsed.Path, "auto", StringComparison.OrdinalIgnoreCase);

    /// <summary>The link of the one port that answers, with the same parameters.</summary>
    public static async Task<string> ResolveAsync(string uri, LinkSettings settings, CommandContext context, CancellationToken cancellationToken)
    {
        int question = uri.IndexOf('?', StringComparison.Ordinal);
        string query = question < 0 ? "" : uri[(question + 1)..];
        IReadOnlyList<SerialPortInfo> ports = SerialPortCatalog.ForThisRun.List(CliEnvironment.Get(SerialPortCatalog.ExtraPortsVariable));
        if (ports.Count == 0)
            throw new CliException(ExitCodes.Unreachable, $"{uri}: this machine has no serial ports ('csa ports' lists them; {SerialPortCatalog.ExtraPortsVariable} adds pseudo-terminals)");
        PortProbe[] probes = await PortProber.ProbeAsync(ports.Select(p => p.Path), query, settings.CommandTimeout, settings.CommandAttempts, settings.ConnectTimeout,
            context.LoggerFactory, cancellationToken).ConfigureAwait(false);
        PortProbe[] answered = probes.Where(p => p.Answered).ToArray();
        return answered.Length switch
        {
            1 => answered[0].Uri,
            0 => throw new CliException(ExitCodes.Unreachable, $"{uri}: no device answered on any serial port (probed {string.Join(", ", probes.Select(p => p.Error is null ? p.Path : $"{p.Path}: {p.Error}"))})"),
            _ => throw CliException.Usage($"{uri}: devices answer on {answered.Length} serial ports ({string.Join(", ", answered.Select(p => $"{p.Path}: {string.Join(' ', p.Devices.Select(d => d.Uid))}"))}); name one with --link serial:PATH"),
        };
    }
}
