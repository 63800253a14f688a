namespace Csa.Bootloader.Updates.Internal;

/// <summary>One device's turn in a <see cref="DeviceBatch"/>: the device, its place in the list, and when its turn began.</summary>
/// <param name="Device">The device.</param>
/// <param name="Index">Its index in the list the batch was given.</param>
/// <param name="Started">When it got its slot (its own time starts there, not while it waited for one), on the batch's clock.</param>
internal readonly record struct DeviceTurn(DeviceInfo Device, int Index, long Started);

/// <summary>
/// The one way many-devices-at-once workflows run (production install, updates of many devices, the provisioning
/// station): at most a number of devices at once, one row per device in the order given, and one device's failure (or
/// cancellation) a row of its own that never stops the others.
/// </summary>
internal static class DeviceBatch
{
    /// <summary>Checks the arguments and returns the devices as an array, in the order given.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="devices"/> or one of them is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxParallel"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A device is listed twice (two runs on one device would fight).</exception>
    public static DeviceInfo[] Validate(IEnumerable<DeviceInfo> devices, int maxParallel, string devicesParameter, string maxParallelParameter)
    {
        ArgumentNullException.ThrowIfNull(devices, devicesParameter);
        if (maxParallel < 1)
            throw new ArgumentOutOfRangeException(maxParallelParameter, maxParallel, "At least one device at a time.");
        DeviceInfo[] list = devices.ToArray();
        foreach (DeviceInfo device in list)
            ArgumentNullException.ThrowIfNull(device, devicesParameter);
        if (list.Select(d => d.Uid).Distinct().Count() != list.Length)
            throw new ArgumentException("A device is listed twice.", devicesParameter);
        return list;
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every device, at most <paramref name="maxParallel"/> at once, and returns the
    /// rows in the order of <paramref name="devices"/>. A device whose work throws (or that is cancelled while waiting
    /// for its slot) gets the row <paramref name="failed"/> makes of the exception; <paramref name="finished"/> then sees
    /// every row as soon as its device is done and its slot is free (to record it while the others go on).
    /// </summary>
    /// <param name="devices">The devices, checked by <see cref="Validate"/>.</param>
    /// <param name="maxParallel">At most this many turns at once.</param>
    /// <param name="time">The clock of <see cref="DeviceTurn.Started"/> and of the elapsed time handed to <paramref name="failed"/>.</param>
    /// <param name="work">One device's work, with the batch's token.</param>
    /// <param name="failed">The row of a device whose work threw, with the time since its turn began (or since it began waiting).</param>
    /// <param name="cancellationToken">Stops the waits for a slot; the work gets it too.</param>
    /// <param name="finished">Sees each row (and may replace it); null for none.</param>
    /// <param name="takesSlot">Whether a device waits for a slot; null: every device does. A device that does not runs at once, beside the others.</param>
    public static async Task<TRow[]> RunAsync<TRow>(
        IReadOnlyList<DeviceInfo> devices,
        int maxParallel,
        TimeProvider time,
        Func<DeviceTurn, CancellationToken, Task<TRow>> work,
        Func<DeviceTurn, Exception, TimeSpan, TRow> failed,
        CancellationToken cancellationToken,
        Func<DeviceTurn, TRow, Task<TRow>>? finished = null,
        Func<DeviceTurn, bool>? takesSlot = null)
    {
        using var slots = new SemaphoreSlim(maxParallel, maxParallel);
        return await Task.WhenAll(devices.Select(async (device, index) =>
        {
            var turn = new DeviceTurn(device, index, time.GetTimestamp());
            TRow row;
            try
            {
                bool slot = takesSlot?.Invoke(turn) ?? true;
                if (slot)
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    turn = turn with { Started = time.GetTimestamp() };
                    row = await work(turn, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (slot)
                        slots.Release();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                row = failed(turn, ex, time.GetElapsedTime(turn.Started));
            }
            return finished is null ? row : await finished(turn, row).ConfigureAwait(false);
        })).ConfigureAwait(false);
    }
}
