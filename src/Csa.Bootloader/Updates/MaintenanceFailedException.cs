using Csa.Bootloader.Images;

namespace Csa.Bootloader.Updates;

/// <summary>
/// A <see cref="DeviceMaintenance"/> operation did not end as asked although the device answers: it did not restart
/// into what it was asked to, or its application is still valid after an erase.
/// </summary>
public sealed class MaintenanceFailedException : UpdateException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="device">The device.</param>
    /// <param name="operation">What was being done, in words ("reset", "erasing the application").</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public MaintenanceFailedException(DeviceUid? device, string operation, string message, Exception? innerException = null)
        : base(device, $"Device {device?.ToString() ?? "?"}: {operation} failed: {message}", innerException)
    {
        Operation = operation;
    }

    /// <summary>What was being done.</summary>
    public string Operation { get; }
}
