using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using HostRpcServer.Thermometer;

namespace HostRpcServer;

/// <summary>
/// The host end: a data link node at the host address, chain enumeration to give the device its address, an
/// <see cref="RpcClient"/> on the RPC port and the generated <see cref="ThermometerClient"/> on top.
/// </summary>
public static class ThermometerHost
{
    /// <summary>
    /// Finds the first device on <paramref name="transport"/>, reads its temperature, sets an alarm limit just
    /// above it and waits for the LimitExceeded event, then shows the typed error of an out-of-range limit.
    /// Writes what happens to <paramref name="output"/>. Takes ownership of the transport.
    /// </summary>
    /// <returns>The event the device sent.</returns>
    /// <exception cref="InvalidOperationException">No device answered the enumeration.</exception>
    public static async Task<LimitExceededEvent> RunSessionAsync(ILinkTransport transport, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(output);
        // The host address (0x00). Enumeration ends when nobody answers behind the last device, after
        // LinkManagementTimeout x LinkManagementAttempts: a point-to-point link can afford a short wait (the default,
        // 1 s, suits long chains at low baud rates).
        await using var node = new DataLinkNode(new DataLinkNodeOptions { LinkManagementTimeout = TimeSpan.FromMilliseconds(200) });
        NodeLink link = node.AddLink(transport, LinkRole.Downstream);
        IReadOnlyList<ChainMember> members = await node.EnumerateChainAsync(link, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (members.Count == 0)
            throw new InvalidOperationException($"No device answered on {transport.Name}.");
        NodeAddress device = members[0].Address;
        output.WriteLine($"found {members.Count} device(s) on {transport.Name}; talking to {device}");

        await using var rpc = new RpcClient(node.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions { OwnsSocket = true });
        using var thermometer = new ThermometerClient(rpc, device);

        // Events: subscribe before provoking them. The async stream buffers, so nothing is lost between reads.
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<LimitExceededEvent> alarms = thermometer.LimitExceededEventsAsync(stopWaiting.Token).GetAsyncEnumerator(stopWaiting.Token);
        try
        {
            // MoveNextAsync starts the subscription; the limit is set once the device has it.
            ValueTask<bool> firstAlarm = alarms.MoveNextAsync();

            GetTemperatureResponse now = await thermometer.GetTemperatureAsync(cancellationToken).ConfigureAwait(false);
            output.WriteLine($"temperature {now.MilliCelsius / 1000.0:F3} °C (sample {now.SampleNumber})");

            int limit = Math.Min(now.MilliCelsius + 500, 38_500);
            await thermometer.SetAlarmLimitAsync(limit, cancellationToken).ConfigureAwait(false);
            output.WriteLine($"alarm limit set to {limit / 1000.0:F3} °C");

            stopWaiting.CancelAfter(TimeSpan.FromSeconds(30));
            if (!await firstAlarm.ConfigureAwait(false))
                throw new InvalidOperationException("The event stream ended without an event.");
            LimitExceededEvent alarm = alarms.Current;
            output.WriteLine($"event LimitExceeded: {alarm.MilliCelsius / 1000.0:F3} °C at sample {alarm.SampleNumber}");

            try
            {
                await thermometer.SetAlarmLimitAsync(200_000, cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException("The device took a limit of 200 °C.");
            }
            catch (RpcErrorException error) when (ThermometerInterface.TryGetError(error, out ThermometerError code))
            {
                output.WriteLine($"a limit of 200 °C is refused: {code} ({error.Message})");
            }

            return alarm;
        }
        finally
        {
            await stopWaiting.CancelAsync().ConfigureAwait(false);
            try
            {
                await alarms.DisposeAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
