using System.Text.Json;
using Csa.Cli.Simulation;
using Csa.Simulator.Flash;

namespace Csa.Cli.Tests;

/// <summary><c>csa info</c>: one device chosen by address or unique id; bad selections.</summary>
public sealed class InfoTests
{
    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task Info_ByAddress_ShowsThatDevicesIdentityAndVersions()
    {
        CliRun run = await CliRunner.RunAsync("info", "--link", DeviceTestKit.Sim(3), "--device", "0x02");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains(VirtualFleet.UidFor(FlashFamily.Stm32F4, 1).ToString(), run.Output);
        Assert.DoesNotContain(VirtualFleet.UidFor(FlashFamily.Stm32F4, 0).ToString(), run.Output);
        Assert.Contains("receive buffers", run.Output);
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task Info_Json_ByUid_ParsesWithOneDevice()
    {
        string uid = VirtualFleet.UidFor(FlashFamily.Stm32F4, 2).ToString();
        CliRun run = await CliRunner.RunAsync("info", "--json", "--link", DeviceTestKit.Sim(3), "--device", uid.ToLowerInvariant());
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement device = Assert.Single(run.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.Equal(uid, device.GetProperty("uid").GetString());
        Assert.Equal(2, device.GetProperty("position").GetInt32());
        Assert.Equal("1.0.0+0", device.GetProperty("application").GetString());
    }

    [Fact]
    public async Task Info_UnknownDevice_IsExit5()
    {
        CliRun run = await CliRunner.RunAsync("info", "--link", DeviceTestKit.Sim(2), "--device", "0x09");
        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Contains("device 0x09 not found", run.Error);
    }

    [Theory]
    [InlineData("--device", "pump")]
    [InlineData("--device", "0x1FF")]
    public async Task Info_MalformedDevice_IsAUsageError(string option, string value)
    {
        CliRun run = await CliRunner.RunAsync("info", "--link", DeviceTestKit.Sim(), option, value);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Single(DeviceTestKit.Lines(run.Error));
    }

    [Fact]
    public async Task Info_DeviceAndAll_IsAUsageError()
    {
        CliRun run = await CliRunner.RunAsync("info", "--link", DeviceTestKit.Sim(), "--device", "0x01", "--all");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }
}
