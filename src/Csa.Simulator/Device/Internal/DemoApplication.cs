using Csa.DataLink;
using Csa.Rpc.Device;
using Csa.Simulator.DemoApp;
using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The application stand-in's own interface (demo-app.rpc.json): four simulated sensor channels, an LED, and a
/// Telemetry event once a second through the device's clock. It lives for one powered run of the application;
/// the LED and the counter start over at every boot, as RAM does.
/// </summary>
internal sealed class DemoApplication : DemoAppServerBase, IAsyncDisposable
{
    /// <summary>How often Telemetry is published.</summary>
    public static readonly TimeSpan TelemetryPeriod = TimeSpan.FromSeconds(1);

    private readonly ImageVersion _version;
    private readonly DeviceClock _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _timer;
    private uint _telemetryCounter;
    private int _publishing;
    private int _ledOn;
    private readonly object _marksGate = new();
    private uint _marks;
    private uint _markSum;

    public DemoApplication(ImageVersion version, DeviceClock clock, ILogger logger)
    {
        _version = version;
        _clock = clock;
        _logger = logger;
    }

    public bool LedOn => Volatile.Read(ref _ledOn) != 0;

    public uint TelemetryCounter => Volatile.Read(ref _telemetryCounter);

    /// <summary>Starts the periodic Telemetry; call once the service is registered on a server.</summary>
    public void StartTelemetry() =>
        _timer = _clock.TimeProvider.CreateTimer(static state => ((DemoApplication)state!).OnTelemetryTick(), this, TelemetryPeriod, TelemetryPeriod);

    protected override Task<GetReadingResponse> GetReadingAsync(GetReadingRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        if (request.Channel >= SensorWaveform.ChannelCount)
            throw Error(DemoAppError.NoSuchChannel, $"Channel {request.Channel} does not exist; the device has channels 0..{SensorWaveform.ChannelCount - 1}.");
        TimeSpan uptime = _clock.Uptime;
        return Task.FromResult(new GetReadingResponse(request.Channel, SensorWaveform.Read(request.Channel, uptime), DeviceClock.ToWireMilliseconds(uptime)));
    }

    protected override Task<SetLedResponse> SetLedAsync(SetLedRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        bool previous = Interlocked.Exchange(ref _ledOn, request.On ? 1 : 0) != 0;
        return Task.FromResult(new SetLedResponse(previous));
    }

    protected override Task<GetApplicationInfoResponse> GetApplicationInfoAsync(GetApplicationInfoRequest request, Endpoint source, CancellationToken cancellationToken) =>
        Task.FromResult(new GetApplicationInfoResponse(_version.Major, _version.Minor, _version.Patch, _version.Build, LedOn, TelemetryCounter));

    protected override Task<AddMarkResponse> AddMarkAsync(AddMarkRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        // One lock for the pair: the count and the sum a response reports belong to the same execution.
        lock (_marksGate)
        {
            _marks++;
            _markSum = unchecked(_markSum + request.Value);
            return Task.FromResult(new AddMarkResponse(_marks, _markSum));
        }
    }

    private void OnTelemetryTick()
    {
        // A tick that comes while the previous event is still on its way is skipped, as a firmware's periodic task
        // skips a period when its transmit queue is full.
        if (_stop.IsCancellationRequested || Interlocked.Exchange(ref _publishing, 1) != 0)
            return;
        _ = PublishTelemetryAsync();
    }

    private async Task PublishTelemetryAsync()
    {
        try
        {
            uint counter = Interlocked.Increment(ref _telemetryCounter);
            TimeSpan uptime = _clock.Uptime;
            var telemetry = new TelemetryEvent(counter, SensorWaveform.Read(0, uptime), DeviceClock.ToWireMilliseconds(uptime), LedOn);
            await PublishTelemetryAsync(telemetry, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nobody listening, the link gone or the power going down: telemetry is best effort.
            DeviceLog.TelemetryNotSent(_logger, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _publishing, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is { } timer)
            await timer.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
