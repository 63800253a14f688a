using System.Device.Gpio;

namespace Csa.DataLink.Bus.Emulation;

/// <summary>
/// The ready lines of an emulated bus's board: open-drain, active-low lines with pull-ups. A line is low while any
/// slave wired to it has bytes queued (<see cref="BusSlave.IsReadyAsserted"/>), high otherwise. The master reads them
/// through a <see cref="GpioController"/> over <see cref="CreateDriver"/>, as it reads a real board's lines.
/// </summary>
public sealed class EmulatedReadyLines
{
    /// <summary>The number of lines (pins 0..63).</summary>
    public const int PinCount = 64;

    private readonly object _gate = new();
    private readonly List<BusSlave>[] _wired = Enumerable.Range(0, PinCount).Select(_ => new List<BusSlave>()).ToArray();
    private readonly PinValue[] _levels = Enumerable.Repeat(PinValue.High, PinCount).ToArray();
    private readonly List<Driver> _drivers = [];

    /// <summary>Wires <paramref name="slave"/>'s ready output to line <paramref name="pin"/> (several slaves may share a line).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such line.</exception>
    public void Wire(BusSlave slave, int pin)
    {
        ArgumentNullException.ThrowIfNull(slave);
        CheckPin(pin);
        lock (_gate)
            _wired[pin].Add(slave);
        slave.ReadyChanged += (_, _) => Update(pin);
        Update(pin);
    }

    /// <summary>The line's level now.</summary>
    public PinValue Read(int pin)
    {
        CheckPin(pin);
        lock (_gate)
            return _levels[pin];
    }

    /// <summary>A GPIO driver over these lines, for a <see cref="GpioController"/> (each controller gets its own driver; the lines are shared).</summary>
    public GpioDriver CreateDriver()
    {
        var driver = new Driver(this);
        lock (_gate)
            _drivers.Add(driver);
        return driver;
    }

    private void Update(int pin)
    {
        PinValue level;
        Driver[] drivers;
        lock (_gate)
        {
            level = _wired[pin].Any(s => s.IsReadyAsserted) ? PinValue.Low : PinValue.High;
            if (level == _levels[pin])
                return;
            _levels[pin] = level;
            drivers = [.. _drivers];
        }
        foreach (Driver driver in drivers)
            driver.Changed(pin, level);
    }

    private void Forget(Driver driver)
    {
        lock (_gate)
            _drivers.Remove(driver);
    }

    private static void CheckPin(int pin)
    {
        if (pin is < 0 or >= PinCount)
            throw new ArgumentOutOfRangeException(nameof(pin), pin, $"The emulated board has ready lines 0..{PinCount - 1}.");
    }

    /// <summary>The master's view of the lines: inputs only (the slaves drive them).</summary>
    private sealed class Driver(EmulatedReadyLines lines) : GpioDriver
    {
        private readonly object _gate = new();
        private readonly Dictionary<int, List<(PinEventTypes Types, PinChangeEventHandler Handler)>> _callbacks = [];
        private readonly Dictionary<int, PinMode> _modes = [];

        protected override int PinCount => EmulatedReadyLines.PinCount;

        protected override void OpenPin(int pinNumber)
        {
            CheckPin(pinNumber);
            lock (_gate)
                _modes[pinNumber] = PinMode.Input;
        }

        protected override void ClosePin(int pinNumber)
        {
            lock (_gate)
            {
                _modes.Remove(pinNumber);
                _callbacks.Remove(pinNumber);
            }
        }

        protected override void SetPinMode(int pinNumber, PinMode mode)
        {
            if (!IsPinModeSupported(pinNumber, mode))
                throw new InvalidOperationException($"Ready line {pinNumber} is an input: the slaves drive it.");
            lock (_gate)
                _modes[pinNumber] = mode;
        }

        protected override PinMode GetPinMode(int pinNumber)
        {
            lock (_gate)
                return _modes.TryGetValue(pinNumber, out PinMode mode) ? mode : PinMode.Input;
        }

        protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => mode is PinMode.Input or PinMode.InputPullUp;

        protected override PinValue Read(int pinNumber) => lines.Read(pinNumber);

        protected override void Write(int pinNumber, PinValue value) =>
            throw new InvalidOperationException($"Ready line {pinNumber} is an input: the slaves drive it.");

        protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken)
        {
            var seen = new TaskCompletionSource<PinEventTypes>(TaskCreationOptions.RunContinuationsAsynchronously);
            PinChangeEventHandler handler = (_, e) => seen.TrySetResult(e.ChangeType);
            AddCallbackForPinValueChangedEvent(pinNumber, eventTypes, handler);
            try
            {
                seen.Task.Wait(cancellationToken);
                return new WaitForEventResult { EventTypes = seen.Task.Result, TimedOut = false };
            }
            catch (OperationCanceledException)
            {
                return new WaitForEventResult { EventTypes = PinEventTypes.None, TimedOut = true };
            }
            finally
            {
                RemoveCallbackForPinValueChangedEvent(pinNumber, handler);
            }
        }

        protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
        {
            CheckPin(pinNumber);
            lock (_gate)
            {
                if (!_callbacks.TryGetValue(pinNumber, out var list))
                    _callbacks[pinNumber] = list = [];
                list.Add((eventTypes, callback));
            }
        }

        protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
        {
            lock (_gate)
            {
                if (_callbacks.TryGetValue(pinNumber, out var list))
                    list.RemoveAll(c => c.Handler == callback);
            }
        }

        public void Changed(int pin, PinValue level)
        {
            PinEventTypes type = level == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
            (PinEventTypes Types, PinChangeEventHandler Handler)[] handlers;
            lock (_gate)
            {
                if (!_callbacks.TryGetValue(pin, out var list))
                    return;
                handlers = [.. list];
            }
            foreach ((PinEventTypes types, PinChangeEventHandler handler) in handlers)
            {
                if ((types & type) != 0)
                    handler(this, new PinValueChangedEventArgs(type, pin));
            }
        }

        protected override void Dispose(bool disposing)
        {
            lines.Forget(this);
            base.Dispose(disposing);
        }
    }
}
