using Csa.DataLink;
using HostRpcServer.Thermometer;

namespace HostRpcServer;

/// <summary>
/// The device's implementation of the Thermometer interface: the generated <see cref="ThermometerServerBase"/> decodes
/// each request and encodes each answer; this class only says what the device does. The "sensor" is a triangle wave
/// between 36.000 and 39.000 degrees Celsius, one sample every <see cref="SamplePeriod"/>, so the alarm fires on its own.
/// </summary>
public sealed class ThermometerService : ThermometerServerBase, IAsyncDisposable
{
    /// <summary>How often the sensor is sampled.</summary>
    public static readonly TimeSpan SamplePeriod = TimeSpan.FromMilliseconds(20);

    private const int LowestLimit = -40_000;
    private const int HighestLimit = 125_000;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private int _milliCelsius = 36_000;
    private uint _sampleNumber;
    private int _limit = int.MaxValue;

    /// <summary>Starts sampling. Events go nowhere until an <see cref="Csa.Rpc.RpcServer"/> hosts the service.</summary>
    public ThermometerService() => _sampling = SampleAsync(_stop.Token);

    /// <inheritdoc />
    protected override Task<GetTemperatureResponse> GetTemperatureAsync(GetTemperatureRequest request, Endpoint source, CancellationToken cancellationToken) =>
        Task.FromResult(new GetTemperatureResponse(Volatile.Read(ref _milliCelsius), Volatile.Read(ref _sampleNumber)));

    /// <inheritdoc />
    protected override Task<SetAlarmLimitResponse> SetAlarmLimitAsync(SetAlarmLimitRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        // An interface error travels to the caller as a typed error (ThermometerInterface.TryGetError).
        if (request.MilliCelsius is < LowestLimit or > HighestLimit)
            throw Error(ThermometerError.LimitOutOfRange, $"{request.MilliCelsius} m°C is outside {LowestLimit}..{HighestLimit} m°C");
        Volatile.Write(ref _limit, request.MilliCelsius);
        return Task.FromResult(new SetAlarmLimitResponse());
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        int step = 100;
        using var timer = new PeriodicTimer(SamplePeriod);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            int previous = _milliCelsius;
            if (previous + step is > 39_000 or < 36_000)
                step = -step;
            int sample = previous + step;
            Volatile.Write(ref _milliCelsius, sample);
            uint number = Interlocked.Increment(ref _sampleNumber);
            int limit = Volatile.Read(ref _limit);
            if (previous <= limit && sample > limit && EventSink is not null)
            {
                try
                {
                    await PublishLimitExceededAsync(new LimitExceededEvent(sample, number), cancellationToken).ConfigureAwait(false);
                }
                catch (DataLinkException)
                {
                    // The host went away; the next crossing tries again. A device never stops sampling for its host.
                }
            }
        }
    }

    /// <summary>Stops sampling.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sampling.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
