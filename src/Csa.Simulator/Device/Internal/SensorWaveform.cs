namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The demo application's sensor channels: smooth, deterministic functions of the uptime, so a test can compute
/// the value it expects for a given time and the readings still look alive on a dashboard.
/// </summary>
internal static class SensorWaveform
{
    public const int ChannelCount = 4;

    // Baseline, amplitude (milli-units) and period of each channel: a temperature, a pressure, a voltage, a current.
    private static readonly (int Baseline, int Amplitude, double PeriodSeconds)[] Channels =
    [
        (36_600, 400, 60),
        (101_325, 1_500, 300),
        (3_300, 50, 10),
        (120, 30, 5),
    ];

    public static int Read(int channel, TimeSpan uptime)
    {
        (int baseline, int amplitude, double period) = Channels[channel];
        double phase = 2 * Math.PI * (uptime.TotalSeconds % period) / period;
        return baseline + (int)Math.Round(amplitude * Math.Sin(phase));
    }
}
