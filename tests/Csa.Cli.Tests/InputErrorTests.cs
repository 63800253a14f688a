using System.Buffers.Binary;
using Csa.DataLink;
using Csa.Simulator.Flash;

namespace Csa.Cli.Tests;

/// <summary>
/// Inputs that used to end in a raw .NET message or exit 1 (issue 13 items 10 and 11): a CRC-valid flash state file
/// with an impossible field, a NUL in a sim: link, a serial port that does not exist or is not a tty.
/// </summary>
public sealed class InputErrorTests
{
    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task AStateFileWithAnEraseCounterAboveIntMax_IsInvalidInputNotExit1()
    {
        string directory = DeviceTestKit.NewDirectory();
        try
        {
            string link = $"sim:?state={Uri.EscapeDataString(directory)}&timing=instant";
            CliRun first = await CliRunner.RunAsync("info", "--link", link);
            Assert.True(first.ExitCode == 0, first.ToString());

            // Sector 0's erase counter := 0x80000000, and the CRC recomputed: the file is consistent but impossible.
            string flashFile = Path.Combine(directory, "device-0.flash");
            byte[] image = File.ReadAllBytes(flashFile);
            FlashGeometry g = FlashGeometry.FindByName(System.Text.Encoding.ASCII.GetString(image, 14, BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(12))))!;
            int cycles = 14 + g.Name.Length + 4 + g.Size + 4 + g.OtpSize + FlashGeometry.UniqueIdSize + 4 + ((g.Sectors.Count + 7) / 8);
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(cycles), 0x80000000);
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), Crc32Mpeg2.Compute(image.AsSpan(0, image.Length - 4)));
            File.WriteAllBytes(flashFile, image);

            CliRun run = await CliRunner.RunAsync("info", "--link", link);
            Assert.True(run.ExitCode == ExitCodes.InvalidInput, run.ToString());
            string line = Assert.Single(DeviceTestKit.Lines(run.Error));
            Assert.Contains("erase counter of sector 0", line);
            Assert.Contains(flashFile, line);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [Trait("Requirement", "REQ-TOPO")]
    [InlineData("sim:?state=%00")]
    [InlineData("sim:?state=/tmp/a%00b")]
    [InlineData("sim:?key=k%00.pem")]
    [InlineData("sim:?trust=a.pem,b%00.pem")]
    public async Task ANulCharacterInASimLink_IsAUsageErrorThatSaysSo(string link)
    {
        CliRun run = await CliRunner.RunAsync("info", "--link", link);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        string line = Assert.Single(DeviceTestKit.Lines(run.Error));
        Assert.Contains("NUL character (%00)", line);
        Assert.DoesNotContain("Parameter", line);
        Assert.DoesNotContain("Null character in path", line);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task ASerialPortThatDoesNotExist_IsUnreachableAndSaysItDoesNotExist()
    {
        if (OperatingSystem.IsWindows())
            return;
        CliRun run = await CliRunner.RunAsync("info", "--link", "serial:/dev/ttyUSB7-csa-missing");
        Assert.True(run.ExitCode == ExitCodes.Unreachable, run.ToString());
        string line = Assert.Single(DeviceTestKit.Lines(run.Error));
        Assert.Contains("/dev/ttyUSB7-csa-missing does not exist", line);
        Assert.DoesNotContain("denied", line);
        Assert.DoesNotContain("in use", line);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task ASerialLinkToAFileThatIsNotATty_IsAUsageError()
    {
        if (OperatingSystem.IsWindows())
            return;
        string file = Path.GetTempFileName();
        try
        {
            CliRun run = await CliRunner.RunAsync("info", "--link", $"serial:{file}");
            Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
            Assert.Contains("not a terminal device (tty)", Assert.Single(DeviceTestKit.Lines(run.Error)));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
