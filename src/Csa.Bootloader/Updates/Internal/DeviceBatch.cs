namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// The argument rules every many-devices-at-once workflow shares (production install, provisioning station): a
/// positive degree of parallelism, no null device, no device listed twice (two runs on one device would fight).
/// </summary>
internal static class DeviceBatch
{
    /// <summary>Checks the arguments and returns the devices as an array, in the order given.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="devices"/> or one of them is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxParallel"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A device is listed twice.</exception>
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
}
