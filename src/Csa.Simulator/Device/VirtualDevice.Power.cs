using Csa.DataLink;
using Csa.Rpc.Device;
using Csa.Simulator.Device.Internal;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Device;

// Power: on, off (clean and abrupt), cycles and resets, and waiting for a state.
public sealed partial class VirtualDevice
{
    private readonly List<StateWaiter> _waiters = [];

    /// <summary>True while the device has its supply (a reset keeps it; a power cut, a power-off or a cycle take it). Under the power lock.</summary>
    private bool _supplied;

    /// <summary>
    /// Powers the device on: the firmware boots (pre-bootloader, start-up checks), then a new data link node over
    /// the plugged-in wires and an RPC server start serving the running image's interfaces. The node starts
    /// unassigned (see the remarks of <see cref="VirtualDevice"/>). Does nothing when the device is on.
    /// </summary>
    /// <returns>The state the device booted into.</returns>
    public async Task<VirtualDeviceState> PowerOnAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _power.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsPoweredLocked)
                return State;
            return await PowerUpLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>
    /// Powers the device off cleanly: the commands still executing are cancelled and awaited, the node closes, the
    /// flash is saved (when a file is set). The assigned address is lost. Does nothing when the device is off.
    /// </summary>
    public async Task PowerOffAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _power.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsPoweredLocked)
                await PowerDownLockedAsync(abrupt: false, keepAddress: false, "powered off").ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>
    /// Cuts the power at once, as pulling the plug: nothing more is transmitted (a frame on its way is cut off), a
    /// flash operation in progress is torn (<see cref="SimulatedFlash.CutPower"/>), the commands executing are
    /// cancelled and never answered. The flash is saved as it was left. Does nothing when the device is off.
    /// </summary>
    public Task CutPowerAsync() => CutPowerOfAsync(only: null);

    /// <summary>Cuts the power as <see cref="CutPowerAsync"/> does; with <paramref name="only"/>, only while that run is the one powered.</summary>
    private async Task CutPowerOfAsync(PoweredRun? only)
    {
        ThrowIfDisposed();
        // Silence before taking the lock: a clean power-down in progress must not get to send another byte either.
        (only ?? Volatile.Read(ref _run))?.Silence();
        await _power.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsPoweredLocked && (only is null || ReferenceEquals(_run, only)))
                await PowerDownLockedAsync(abrupt: true, keepAddress: false, "power cut").ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>Switches the power off cleanly and on again; the device boots afresh and comes back unassigned.</summary>
    /// <returns>The state the device booted into.</returns>
    public async Task<VirtualDeviceState> PowerCycleAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _power.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsPoweredLocked)
                await PowerDownLockedAsync(abrupt: false, keepAddress: false, "power cycle").ConfigureAwait(false);
            return await PowerUpLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>
    /// Resets the device as its reset pin does: it restarts and keeps its node address. With
    /// <see cref="ResetMode.Bootloader"/> an enter-bootloader request is persisted first, so it stays in the
    /// bootloader; <see cref="ResetMode.Normal"/> leaves a persisted request alone (a pin reset does not touch flash).
    /// A device that is off is powered on.
    /// </summary>
    /// <returns>The state the device booted into.</returns>
    public async Task<VirtualDeviceState> ResetAsync(ResetMode mode = ResetMode.Normal, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown reset mode.");
        await _power.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (mode == ResetMode.Bootloader)
            {
                Flash.PowerOn(); // a device that is off gets its supply first; a powered flash is unaffected
                await _firmware.RequestBootloaderAsync(0, cancellationToken).ConfigureAwait(false);
            }
            return await ResetLockedAsync(mode, expectedRun: null).ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>Completes when <see cref="State"/> is <paramref name="state"/> (at once if it is already).</summary>
    /// <exception cref="ObjectDisposedException">The device was disposed while waiting.</exception>
    public Task WaitForStateAsync(VirtualDeviceState state, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(state))
            throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown device state.");
        var waiter = new StateWaiter(state, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            if (_state == state)
                return Task.CompletedTask;
            ThrowIfDisposed();
            _waiters.Add(waiter);
        }
        return waiter.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Saves the flash to <see cref="FlashFilePath"/> now (it is saved at every power-down anyway).</summary>
    /// <exception cref="InvalidOperationException">The device has no flash file.</exception>
    public Task SaveFlashAsync(CancellationToken cancellationToken = default)
    {
        string path = _options.FlashFilePath ?? throw new InvalidOperationException($"{Name} keeps its flash in memory; set VirtualDeviceOptions.FlashFilePath to persist it.");
        return FlashImageFile.SaveAsync(Flash, path, cancellationToken);
    }

    private async Task<VirtualDeviceState> ResetLockedAsync(ResetMode mode, PoweredRun? expectedRun)
    {
        // A reset scheduled by a run that has since been powered down belongs to nobody.
        if (expectedRun is not null && !ReferenceEquals(_run, expectedRun))
            return State;
        DeviceLog.Resetting(_logger, Name, mode);
        if (IsPoweredLocked)
            await PowerDownLockedAsync(abrupt: false, keepAddress: true, $"reset ({mode})").ConfigureAwait(false);
        return await PowerUpLockedAsync().ConfigureAwait(false);
    }

    /// <summary>True while the device has power (running an image, or bricked). Call under the power lock.</summary>
    private bool IsPoweredLocked => State != VirtualDeviceState.Off;

    private async Task<VirtualDeviceState> PowerUpLockedAsync()
    {
        _supplied = true;
        Flash.PowerOn();
        FirmwareStart start = _firmware.Boot();
        // The start-up checks' CPU time on the chip (DeviceProfile.CpuTiming): nothing answers or forwards meanwhile.
        if (start.CpuTime > TimeSpan.Zero)
            await Task.Delay(start.CpuTime, _options.TimeProvider).ConfigureAwait(false);
        NodeAddress address = _retainedAddress ?? NodeAddress.Unassigned;
        _retainedAddress = null;
        if (start.State == VirtualDeviceState.Bricked)
        {
            // No firmware runs: no node, no forwarding; the wires stay plugged in and what arrives is lost.
            DeviceLog.PoweredOn(_logger, Name, start.State, start.Reason);
            SetState(start.State, start.Reason);
            return start.State;
        }
        var control = new DeviceControl(this);
        PoweredRun run = null!;
        run = new(Name, Profile, _options, start.State, address, _firmware, control,
            () => _firmware.ReadVersions().ApplicationVersion, () => OnFlashPowerLost(run));
        try
        {
            foreach ((DeviceWire wire, LinkRole role) in PluggedWires())
                run.Connect(wire, role);
            run.Start();
        }
        catch
        {
            run.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        Volatile.Write(ref _run, run);
        DeviceLog.PoweredOn(_logger, Name, start.State, start.Reason);
        SetState(start.State, start.Reason);
        if (start.State == VirtualDeviceState.Bootloader && _firmware.RequestedStayDeadline is { } deadline)
            control.WatchRequestedStay(run, deadline);
        return start.State;
    }

    /// <summary>
    /// The flash lost power under <paramref name="run"/> (a planned cut fired, seen by a command or the background
    /// eraser): the rest of the device follows. Only that run goes down: one cut can be seen by several of its parts,
    /// and a report that comes late (a loaded machine) must not cut the run the supply has powered on since.
    /// </summary>
    private void OnFlashPowerLost(PoweredRun run) => _ = Task.Run(async () =>
    {
        try
        {
            await CutPowerOfAsync(run).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: off anyway.
        }
    });

    private async Task PowerDownLockedAsync(bool abrupt, bool keepAddress, string how)
    {
        PoweredRun? run = _run;
        NodeAddress? address = run?.Node.LocalAddress;
        _retainedAddress = keepAddress && address is { IsDevice: true } kept ? kept : null;
        if (abrupt)
        {
            run?.Silence();
            Flash.CutPower();
        }
        // Commands in progress stop waiting for their flash operations (those land, as the controller cannot abort).
        _firmware.Halt();
        Volatile.Write(ref _run, null);
        if (run is not null)
            await run.DisposeAsync().ConfigureAwait(false);
        if (!keepAddress)
        {
            // The supply goes (a reset keeps it): what the device powers on the host's side goes with it.
            _supplied = false;
            await DropSupplyPoweredWiresLockedAsync().ConfigureAwait(false);
        }
        DeviceLog.PoweredOff(_logger, Name, how);
        await SaveFlashIfConfiguredAsync().ConfigureAwait(false);
        SetState(VirtualDeviceState.Off, how);
    }

    private async Task SaveFlashIfConfiguredAsync()
    {
        if (_options.FlashFilePath is not { } path)
            return;
        try
        {
            await FlashImageFile.SaveAsync(Flash, path).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A device that cannot write its file still powers down; the next save tries again.
            DeviceLog.FlashSaveFailed(_logger, Name, path, ex.Message);
        }
    }

    /// <summary>The Device interface's handle on the device: versions, busy state and detached resets.</summary>
    private sealed class DeviceControl(VirtualDevice device) : IDeviceControl
    {
        /// <summary>How long a restart waits for its command's answer to be handed to the link.</summary>
        private static readonly TimeSpan AnswerTransmitLimit = TimeSpan.FromSeconds(1);

        private PoweredRun? _scheduledBy;

        public bool IsBusy => device._firmware.IsBusy;

        public FirmwareVersions ReadVersions() => device._firmware.ReadVersions();

        public Task RequestBootloaderAsync(ushort waitSeconds, CancellationToken cancellationToken) =>
            device._firmware.RequestBootloaderAsync(waitSeconds, cancellationToken);

        public Task ClearBootloaderRequestAsync(CancellationToken cancellationToken) =>
            device._firmware.ClearBootloaderRequestAsync(cancellationToken);

        /// <summary>
        /// When a requested stay in the bootloader has a wait time and no host sends an update command for that long
        /// (status reads do not count), the bootloader forgets the request and restarts, so the application runs again.
        /// </summary>
        public void WatchRequestedStay(PoweredRun run, DateTimeOffset deadline)
        {
            TimeProvider time = device._options.TimeProvider;
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        TimeSpan wait = deadline - time.GetUtcNow();
                        if (wait > TimeSpan.Zero)
                            await Task.Delay(wait, time, run.Stopping).ConfigureAwait(false);
                        if (run.Stopping.IsCancellationRequested || device._firmware.RequestedStayDeadline is not { } now)
                            return; // Powered down, or the stay ended otherwise (an application update completed).
                        if (now > time.GetUtcNow())
                        {
                            deadline = now; // an update command moved it
                            continue;
                        }
                        if (await device._firmware.TryEndRequestedStayAsync(run.Stopping).ConfigureAwait(false))
                            break;
                    }
                    ScheduleReset(ResetMode.Normal, TimeSpan.Zero);
                }
                catch (OperationCanceledException) when (run.Stopping.IsCancellationRequested)
                {
                    // The device powered down first.
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    DeviceLog.ResetFailed(device._logger, device.Name, ex.Message);
                }
            });
        }

        public void ScheduleReset(ResetMode mode, TimeSpan delay, Endpoint? requester = null, ushort commandId = 0)
        {
            PoweredRun? run = Volatile.Read(ref device._run);
            if (run is null || Interlocked.CompareExchange(ref _scheduledBy, run, null) is not null)
                return; // A reset is on its way already.
            Task answered = requester is { } to ? run.AnswerSentAsync(to, DeviceInterface.Id, commandId) : Task.CompletedTask;
            _ = Task.Run(async () =>
            {
                try
                {
                    // The answer first (the UART's transmission-complete), bounded: a link that cannot take it does
                    // not keep the device from restarting.
                    try
                    {
                        long started = device._options.TimeProvider.GetTimestamp();
                        await answered.WaitAsync(AnswerTransmitLimit, device._options.TimeProvider).ConfigureAwait(false);
                        // On a bus the answer waits in the slave's outbound queue (RAM) until the master reads it.
                        TimeSpan left = AnswerTransmitLimit - device._options.TimeProvider.GetElapsedTime(started);
                        await run.TransmittedAsync(CancellationToken.None).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, device._options.TimeProvider).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        DeviceLog.ResetWithoutAnswer(device._logger, device.Name, mode);
                    }
                    if (delay > TimeSpan.Zero)
                        await Task.Delay(delay, device._options.TimeProvider).ConfigureAwait(false);
                    await device._power.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        if (Volatile.Read(ref device._disposed) == 0)
                            await device.ResetLockedAsync(mode, run).ConfigureAwait(false);
                    }
                    finally
                    {
                        device._power.Release();
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    DeviceLog.ResetFailed(device._logger, device.Name, ex.Message);
                }
            });
        }
    }
}
