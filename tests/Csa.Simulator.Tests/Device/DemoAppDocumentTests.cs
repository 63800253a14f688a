using Csa.Simulator.Tests.Support;
using System.Buffers;
using System.Text.RegularExpressions;
using Csa.Rpc;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Device.Internal;

namespace Csa.Simulator.Tests.Device;

/// <summary>docs/device-model.md section 7.5 must stay true: the demo interface's golden payloads and its waveform.</summary>
public sealed partial class DemoAppDocumentTests
{
    private static byte[] Golden(string name) => DeviceModelDocument.Golden(name);

    private static byte[] Encode<T>(T message) where T : IRpcMessage<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new RpcWriter(buffer);
        message.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public void The_first_Telemetry_event_matches_the_documented_payload()
    {
        TimeSpan uptime = TimeSpan.FromSeconds(1);
        var telemetry = new TelemetryEvent(1, SensorWaveform.Read(0, uptime), DeviceClock.ToWireMilliseconds(uptime), false);
        Assert.Equal(Golden("demo-telemetry-1s"), Encode(telemetry));
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public void A_GetReading_response_matches_the_documented_payload()
    {
        TimeSpan uptime = TimeSpan.FromMilliseconds(2500);
        var response = new GetReadingResponse(2, SensorWaveform.Read(2, uptime), DeviceClock.ToWireMilliseconds(uptime));
        Assert.Equal(Golden("demo-reading-ch2-2500ms"), Encode(response));
    }

    [Theory]
    [Trait("Requirement", "REQ-RPC")]
    [InlineData(0, 36600, 400, 60)]
    [InlineData(1, 101325, 1500, 300)]
    [InlineData(2, 3300, 50, 10)]
    [InlineData(3, 120, 30, 5)]
    public void Each_channel_follows_the_documented_waveform(int channel, int baseline, int amplitude, int periodSeconds)
    {
        Assert.Matches($@"\| {channel} \| {baseline} \| {amplitude} \| {periodSeconds} s \|", DeviceModelDocument.Value);
        Assert.Equal(baseline, SensorWaveform.Read(channel, TimeSpan.Zero));
        Assert.Equal(baseline + amplitude, SensorWaveform.Read(channel, TimeSpan.FromSeconds(periodSeconds / 4.0)));
        Assert.Equal(baseline - amplitude, SensorWaveform.Read(channel, TimeSpan.FromSeconds(periodSeconds * 3 / 4.0)));
        Assert.Equal(SensorWaveform.Read(channel, TimeSpan.FromSeconds(1.5)), SensorWaveform.Read(channel, TimeSpan.FromSeconds(1.5 + periodSeconds)));
    }
}
