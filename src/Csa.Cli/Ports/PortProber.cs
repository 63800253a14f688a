using Csa.Bootloader.Updates;
using Microsoft.Extensions.Logging;

namespace Csa.Cli.Ports;

/// <summary>What probing one port found: the devices that answered our protocol there, or why the port could not be tried.</summary>
/// <param name="Path">The port.</param>
/// <param name="Uri">The link URI it was opened with.</param>
/// <param name="Devices">The devices that answered (a daisy chain behind one port answers with several).</param>
/// <param name="Error">Why it could not be opened or read (in use, access denied, not a serial port); null otherwise.</param>
internal sealed record PortProbe(string Path, string Uri, IReadOnlyList<DeviceInfo> Devices, string? Error)
{
    /// <summary>True when at least one device answered.</summary>
    public bool Answered => Devices.Count > 0;
}

/// <summary>
/// Opens serial ports and enumerates them as a device link, to find which answer the Csa protocol (<c>csa ports
/// --probe</c>, <c>serial:auto</c>). Probing writes enumeration frames to each port: other equipment on a port (a modem, a
/// console) sees a few bytes, which is why it is asked for, never done by <c>csa ports</c> alone.
/// </summary>
internal static class PortProber
{
    /// <summary>Probes every port at once; each result in the order of <paramref name="ports"/>.</summary>
    /// <param name="ports">The ports.</param>
    /// <param name="query">The link parameters each port is opened with (<c>baud=115200</c>), without the '?'.</param>
    /// <param name="commandTimeout">How long one enumeration question waits.</param>
    /// <param name="attempts">How many times a question is asked.</param>
    /// <param name="connectTimeout">How long opening a port may take.</param>
    /// <param name="loggerFactory">Logs (silent unless --verbose).</param>
    /// <param name="cancellationToken">Stops probing.</param>
    public static Task<PortProbe[]> ProbeAsync(IEnumerable<string> ports, string query, TimeSpan commandTimeout, int attempts, TimeSpan connectTimeout,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        Task.WhenAll(ports.Select(port => ProbeOneAsync(port, query, commandTimeout, attempts, connectTimeout, loggerFactory, cancellationToken)));

    private static async Task<PortProbe> ProbeOneAsync(string port, string query, TimeSpan commandTimeout, int attempts, TimeSpan connectTimeout,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        string uri = $"serial:{port}" + (query.Length > 0 ? "?" + query : "");
        try
        {
            using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            opening.CancelAfter(connectTimeout);
            NetworkLink link = NetworkLink.FromFactory(uri, ct => Csa.DataLink.Transports.TransportFactory.ConnectAsync(uri, ct));
            DeviceNetwork network;
            try
            {
                network = await DeviceNetwork.ConnectAsync([link], new DeviceNetworkOptions
                {
                    Retry = new RetryPolicy { Timeout = commandTimeout, Attempts = attempts },
                    LoggerFactory = loggerFactory,
                }, opening.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new PortProbe(port, uri, [], $"did not open within {connectTimeout.TotalSeconds:0.#} s");
            }
            await using (network.ConfigureAwait(false))
            {
                IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(cancellationToken).ConfigureAwait(false);
                return new PortProbe(port, uri, devices, null);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return new PortProbe(port, uri, [], ErrorReporter.Describe(ex).Message);
        }
    }
}
