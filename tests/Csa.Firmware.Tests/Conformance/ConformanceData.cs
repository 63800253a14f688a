using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Flash;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>The devices every conformance test runs against: both implementations on both chips.</summary>
public static class ConformanceData
{
    public static TheoryData<DeviceImplementation, FlashFamily> Devices() => new()
    {
        { DeviceImplementation.CSharp, FlashFamily.Stm32F4 },
        { DeviceImplementation.C, FlashFamily.Stm32F4 },
        { DeviceImplementation.CSharp, FlashFamily.Stm32L4 },
        { DeviceImplementation.C, FlashFamily.Stm32L4 },
    };

    /// <summary>The regions an update of <paramref name="target"/> may change, with the journal and the OTP counter floor.</summary>
    internal static string[] Writable(UpdateTarget target, RegionKind otherCopy = RegionKind.BootloaderB) =>
        ["StateJournalA", "StateJournalB", "OTP", target == UpdateTarget.Application ? "Application" : otherCopy.ToString()];

    /// <summary>Collects progress reports, thread-safe.</summary>
    internal sealed class ProgressLog(Action<UpdateProgress>? onReport = null) : IProgress<UpdateProgress>
    {
        private readonly List<UpdateProgress> _reports = [];

        public IReadOnlyList<UpdateProgress> Reports
        {
            get
            {
                lock (_reports)
                    return [.. _reports];
            }
        }

        public void Report(UpdateProgress value)
        {
            lock (_reports)
                _reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
