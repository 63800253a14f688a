using System.Buffers;
using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using System.IO.Pipelines;
using Csa.DataLink.Bus.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.DataLink.Bus;

/// <summary>
/// The link to one device on an I2C or SPI bus, with the host as bus master (docs/transports.md section 7). The data
/// link writes its frames to <see cref="Output"/> as to any byte stream; a loop on a thread of its own
/// hands them to the device as the device's free space allows, and polls the device for the bytes it has queued, at an
/// interval that adapts to the traffic (<see cref="BusLinkOptions"/>), or when its ready line says so. N devices on one
/// bus are N of these links (a star in the network topology); transactions of different links are serialised by the
/// bus driver.
/// </summary>
/// <remarks>
/// The link is not lost when the device stops answering (a power cut): as on a UART, what the host writes meanwhile is
/// lost and the device is found again when it answers. The input completes only when the transport is disposed or the
/// bus device itself fails for good (it was disposed, or the bus adapter vanished).
/// </remarks>
public sealed class BusLinkTransport : ILinkTransport
{
    private static readonly PipeOptions HostPipeOptions = new(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
    private static readonly PipeOptions InputPipeOptions = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

    private readonly BusPort _port;
    private readonly BusLinkOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Pipe _output = new(HostPipeOptions);
    private readonly Pipe _input = new(InputPipeOptions);
    private readonly NotifyingPipeWriter _outputWriter;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReadyLineSubscription? _ready;
    private volatile bool _stopping;
    private volatile bool _answering;
    private int _disposed;

    private BusLinkTransport(BusPort port, string name, BusLinkOptions options)
    {
        options.Validate();
        _port = port;
        _options = options;
        _time = options.TimeProvider;
        _logger = options.Logger ?? NullLogger.Instance;
        Name = options.Name ?? name;
        _outputWriter = new NotifyingPipeWriter(_output.Writer, Name, Wake);
        if (options.Ready is { } ready)
        {
            try
            {
                _ready = new ReadyLineSubscription(ready, Wake);
            }
            catch
            {
                port.Dispose(); // the link owns the bus device from the start
                throw;
            }
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"csa-bus {Name}" };
        _thread.Start();
        BusLog.Opened(_logger, Name, options.Ready is { } line ? $"ready line {line.Pin}" : "polling");
    }

    /// <summary>A link to the device <paramref name="device"/> addresses on its I2C bus. The link owns the device and disposes it.</summary>
    /// <param name="device">From <see cref="I2cDevice.Create"/> (a real bus), or an emulated bus's <c>CreateDevice</c>.</param>
    /// <param name="options">Polling and transfer settings; null takes the defaults.</param>
    /// <returns>The open link; add it to the host node.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static BusLinkTransport ForI2c(I2cDevice device, BusLinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        I2cConnectionSettings settings = device.ConnectionSettings;
        return new BusLinkTransport(new I2cPort(device), $"i2c:/dev/i2c-{settings.BusId}?address=0x{settings.DeviceAddress:X2}", options ?? BusLinkOptions.Default);
    }

    /// <summary>A link to the device behind <paramref name="device"/>'s chip select. The link owns the device and disposes it.</summary>
    /// <param name="device">From <see cref="SpiDevice.Create"/> (a real bus), or an emulated bus's <c>CreateDevice</c>.</param>
    /// <param name="options">Polling and transfer settings; null takes the defaults.</param>
    /// <returns>The open link; add it to the host node.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static BusLinkTransport ForSpi(SpiDevice device, BusLinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        SpiConnectionSettings settings = device.ConnectionSettings;
        return new BusLinkTransport(new SpiPort(device), $"spi:/dev/spidev{settings.BusId}.{settings.ChipSelectLine}?mode={(int)settings.Mode}&speed={settings.ClockFrequency}", options ?? BusLinkOptions.Default);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public PipeReader Input => _input.Reader;

    /// <inheritdoc />
    public PipeWriter Output => _outputWriter;

    /// <summary>What the link did on the bus.</summary>
    public BusLinkCounters Counters { get; } = new();

    /// <summary>True while the device answers (false before its first answer and while it counts as offline).</summary>
    public bool IsDeviceAnswering => _answering;

    /// <summary>Completes when the polling loop has stopped (disposal, or the bus device failed for good).</summary>
    public Task Completion => _stopped.Task;

    private void Wake() => _wake.Release();

    private void Run()
    {
        Exception? fatal = null;
        string reason = "the transport was disposed";
        try
        {
            new PollLoop(this).Run();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            fatal = ex;
            reason = $"the bus device failed: {ex.Message}";
        }
        // Output first, then input (docs/transports.md section 1, rule 3).
        _outputWriter.Close(_stopping ? "the transport was disposed" : reason);
        _output.Reader.Complete();
        _input.Writer.Complete();
        BusLog.Closed(_logger, Name, _stopping ? "disposed" : reason, fatal);
        _stopped.TrySetResult();
    }

    /// <summary>Stops polling, completes both pipes, releases the ready line and disposes the bus device.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping = true;
        Wake();
        await _stopped.Task.ConfigureAwait(false);
        _ready?.Dispose();
        _port.Dispose();
        // _wake stays undisposed: a flush or a ready-line edge racing the disposal may still release it (harmlessly).
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The master's side of the exchange rules, run on the link's thread.</summary>
    private sealed class PollLoop(BusLinkTransport link)
    {
        private readonly BusLinkOptions _options = link._options;
        private readonly TimeProvider _time = link._time;
        private byte[] _buffer = new byte[BusFraming.HeaderLength + link._options.MaxTransfer];
        private byte[] _stream = new byte[link._options.MaxTransfer];
        private int _credit = -1;          // stream bytes the device can take; -1 = unknown until a header says
        private int _knownWaiting;         // offered bytes the device still holds (from its last header)
        private bool _more;                // the last header said more is queued than offered
        private long _lastTraffic;         // when a stream byte last moved
        private long _nextPoll;            // when the timer wants the next poll
        private int _emptyStreak;          // empty polls since the link went idle (the back-off exponent)
        private long _failingSince = -1;   // first failure of the current run of failures
        private bool _offline;

        public void Run()
        {
            _lastTraffic = _time.GetTimestamp() - _time.TimestampFrequency * 3600;
            _nextPoll = _time.GetTimestamp();
            PipeReader output = link._output.Reader;
            while (!link._stopping)
            {
                bool haveOutput = output.TryRead(out ReadResult pending);
                ReadOnlySequence<byte> bytes = haveOutput ? pending.Buffer : ReadOnlySequence<byte>.Empty;
                if (_offline && !bytes.IsEmpty)
                {
                    link.Counters.DiscardedOffline(bytes.Length);
                    output.AdvanceTo(bytes.End);
                    continue;
                }
                long now = _time.GetTimestamp();
                int write = _credit > 0 ? (int)Math.Min(Math.Min(bytes.Length, _credit), _options.MaxTransfer) : 0;
                bool needCredit = !bytes.IsEmpty && _credit <= 0;
                bool readyActive = link._ready?.IsActive() == true;
                bool due = _knownWaiting > 0 || _more || needCredit || readyActive || now >= _nextPoll;
                if (write == 0 && !due)
                {
                    if (haveOutput)
                        output.AdvanceTo(bytes.Start);
                    WaitUntil(_nextPoll);
                    continue;
                }
                // I2C: after a write, poll only when something calls for it; SPI polls with every transfer anyway.
                bool busy = now - _lastTraffic < Ticks(_options.IdleAfter);
                int read = ReadPositions(busy);
                bytes.Slice(0, write).CopyTo(_stream);
                (ExchangeOutcome outcome, SlaveHeader header, int clocked, bool taken) =
                    link._port.Exchange(_stream.AsSpan(0, write), due || link._port.IsFullDuplex, read, _buffer, link.Counters);
                if (haveOutput)
                    output.AdvanceTo(taken ? bytes.GetPosition(write) : bytes.Start);
                now = _time.GetTimestamp();
                if (taken && write > 0)
                {
                    link.Counters.Written(write);
                    _lastTraffic = now;
                    if (_credit > 0)
                        _credit -= write;
                }
                switch (outcome)
                {
                    case ExchangeOutcome.Answered:
                        Answered(header, clocked, write, now);
                        break;
                    case ExchangeOutcome.Failed or ExchangeOutcome.InvalidHeader:
                        Failed(outcome, clocked, write, now);
                        break;
                }
                _nextPoll = now + Ticks(Interval(now));
            }
        }

        private int ReadPositions(bool busy)
        {
            int want = _knownWaiting > 0 ? _knownWaiting + (_more ? _options.MaxTransfer : 0)
                : _more ? _options.MaxTransfer
                : busy && link._ready is null ? _options.ReadAhead : 0;
            return Math.Min(want, _options.MaxTransfer);
        }

        private void Answered(SlaveHeader header, int clocked, int written, long now)
        {
            if (_failingSince >= 0 || _offline)
            {
                if (_offline)
                    BusLog.BackOnline(link._logger, link.Name);
                _failingSince = -1;
                _offline = false;
            }
            link._answering = true;
            if ((header.Flags & SlaveFlags.Reset) != 0)
            {
                link.Counters.DeviceReset();
                BusLog.DeviceRestarted(link._logger, link.Name);
            }
            if ((header.Flags & SlaveFlags.Overflow) != 0)
            {
                link.Counters.Overflow();
                BusLog.Overflow(link._logger, link.Name);
            }
            // The header was prepared before this transaction's own stream bytes arrived on SPI; on I2C after every earlier transaction.
            _credit = Math.Max(0, header.Free - (link._port.IsFullDuplex ? written : 0));
            int got = Math.Min(header.Available, clocked);
            if (got > 0)
            {
                link._input.Writer.Write(_buffer.AsSpan(BusFraming.HeaderLength, got));
                ValueTask<FlushResult> flush = link._input.Writer.FlushAsync();
                if (!flush.IsCompletedSuccessfully)
                    flush.AsTask().GetAwaiter().GetResult();
                link.Counters.Read(got);
                _lastTraffic = now;
            }
            _knownWaiting = header.Available - got;
            _more = (header.Flags & SlaveFlags.More) != 0;
            // Filler: data-area positions that carried no stream byte (on SPI a position carries one each way; an I2C write is a transaction of its own).
            link.Counters.Filler(clocked - (link._port.IsFullDuplex ? Math.Max(got, written) : got));
            bool empty = got == 0 && written == 0;
            link.Counters.Poll(empty);
            _emptyStreak = empty ? _emptyStreak + 1 : 0;
        }

        private void Failed(ExchangeOutcome outcome, int clocked, int written, long now)
        {
            if (outcome == ExchangeOutcome.InvalidHeader)
            {
                link.Counters.InvalidHeader();
                link.Counters.Poll(empty: true);
                link.Counters.Filler(clocked);
            }
            _credit = -1;
            _knownWaiting = 0;
            _more = false;
            if (_failingSince < 0)
                _failingSince = now;
            if (!_offline && now - _failingSince >= Ticks(_options.OfflineAfter))
            {
                _offline = true;
                link._answering = false;
                link.Counters.WentOffline();
                BusLog.Offline(link._logger, link.Name, (long)_time.GetElapsedTime(_failingSince, now).TotalMilliseconds, link.Counters.Failures, link.Counters.InvalidHeaders);
            }
        }

        private TimeSpan Interval(long now)
        {
            if (_offline)
                return _options.IdlePollInterval;
            if (_failingSince >= 0)
                return _options.BusyPollInterval;
            if (link._ready is not null)
                return _options.ReadyLineCheckInterval;
            if (now - _lastTraffic < Ticks(_options.IdleAfter))
                return _options.BusyPollInterval;
            double backOff = _options.BusyPollInterval.TotalMilliseconds * Math.Pow(2, Math.Min(_emptyStreak, 20));
            return TimeSpan.FromMilliseconds(Math.Clamp(backOff, Math.Max(1, _options.BusyPollInterval.TotalMilliseconds), _options.IdlePollInterval.TotalMilliseconds));
        }

        private void WaitUntil(long deadline)
        {
            TimeSpan wait = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (wait <= TimeSpan.Zero)
                return;
            using ITimer timer = _time.CreateTimer(static s => ((SemaphoreSlim)s!).Release(), link._wake, wait, Timeout.InfiniteTimeSpan);
            link._wake.Wait();
        }

        private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>The link's hold on its ready line: the pin opened as an input (shared with other links on the same line), edges wake the loop.</summary>
    private sealed class ReadyLineSubscription : IDisposable
    {
        private static readonly object s_gate = new();
        private static readonly Dictionary<(GpioController, int), int> s_users = [];
        private readonly ReadyLine _line;
        private readonly PinChangeEventHandler _handler;

        public ReadyLineSubscription(ReadyLine line, Action wake)
        {
            _line = line;
            _handler = (_, _) => wake();
            lock (s_gate)
            {
                s_users.TryGetValue((line.Controller, line.Pin), out int users);
                if (users == 0 && !line.Controller.IsPinOpen(line.Pin))
                    line.Controller.OpenPin(line.Pin, PinMode.Input);
                s_users[(line.Controller, line.Pin)] = users + 1;
            }
            line.Controller.RegisterCallbackForPinValueChangedEvent(line.Pin, PinEventTypes.Rising | PinEventTypes.Falling, _handler);
        }

        public bool IsActive() => _line.Controller.Read(_line.Pin) == _line.ActiveLevel;

        public void Dispose()
        {
            _line.Controller.UnregisterCallbackForPinValueChangedEvent(_line.Pin, _handler);
            lock (s_gate)
            {
                int users = s_users[(_line.Controller, _line.Pin)] - 1;
                if (users == 0)
                {
                    s_users.Remove((_line.Controller, _line.Pin));
                    if (_line.Controller.IsPinOpen(_line.Pin))
                        _line.Controller.ClosePin(_line.Pin);
                    if (_line.OwnsController)
                        _line.Controller.Dispose();
                }
                else
                {
                    s_users[(_line.Controller, _line.Pin)] = users;
                }
            }
        }
    }
}
