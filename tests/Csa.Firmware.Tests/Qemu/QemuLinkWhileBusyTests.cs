using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.Firmware.Tests.Support;
using Csa.Simulator.Memory;
using Xunit.Abstractions;

namespace Csa.Firmware.Tests.Qemu;

/// <summary>
/// The bootloader's data link keeps running while the flash is busy (docs/firmware.md "On the chips",
/// device-model.md 6.4.1), on the emulated STM32F405 with the images built with the link in SRAM
/// (<see cref="FirmwareConfiguration.ArmLinkInSram"/>). QEMU does not stall code fetch during an erase, so what it shows
/// is the behaviour, not the placement (that is <c>ChipLinkInSramTests</c>): the board's flash driver sleeps each
/// erase's typical time (1 s per 128 KB sector) and calls the bootloader's busy step meanwhile, as the chips' SRAM wait
/// loops do. A command sent during an erase waits in a receive buffer for the flash; a link-management echo sent right
/// behind it is answered at once, first. Without the busy step the link is served in arrival order after the erase,
/// and the command's answer comes first.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuLinkWhileBusyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3); // QEMU on a busy 2-core machine; never a performance bound

    private static readonly MemoryMap Map = MemoryMap.Stm32F4_1M;

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-INST")]
    public async Task The_emulated_chip_answers_its_link_while_it_erases_ahead_and_holds_its_command_for_the_flash()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        ChipImages chips = await ChipImages.GetAsync(FirmwareConfiguration.ArmLinkInSram);
        await using QemuDevice dut = await QemuDevice.StartAsync(chips, DeviceUid.FromWords(0x0051_0050u, 0x5153_4634u, 0x3230_3231u),
            output, guard.Token, withApplication: false);
        Assert.True(dut.Device.IsInBootloader); // no application: the bootloader stays resident
        using var bootloader = new BootloaderClient(dut.Network.Client, dut.Device.Address);
        FirmwareImage image = await chips.ImageAsync("demo-app-qemu", ImageKind.Application, Map.Application.Address,
            new FirmwareVersion(2, 0, 0, 2), securityCounter: 2, tag: "erased ahead");
        Assert.Equal(0u, (await bootloader.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(),
            image.AuthenticationBlock.ToArray(), [], dut.Token)).ResumeOffset);
        // The eraser starts on the first idle poll after the answer: the application region's first sector, then the
        // trailer's, about 1 s each.
        await Task.Delay(200, dut.Token);

        Task<GetStatusResponse> status = bootloader.GetStatusAsync(dut.Token);
        Task<TimeSpan> echo = dut.Network.Node.PingAsync(dut.Device.Address, dut.Token);
        Task first = await Task.WhenAny(status, echo);

        Assert.Same(echo, first); // answered by the busy step while the command waited for the flash
        Assert.Equal(UpdatePhase.Receiving, BootloaderStatus.FromResponse(await status).Phase); // held, then run once the erase ended
        output.WriteLine($"echo answered in {(await echo).TotalMilliseconds:0} ms while the chip erased; the GetStatus sent before it came after");
        await bootloader.AbortUpdateAsync(dut.Token);
    }

    /// <summary>
    /// A whole application update through the images with the link in SRAM, whose erase-ahead overlaps the transfer:
    /// writes that arrive during an erase wait in the receive buffers and are handed to the Bootloader interface once
    /// it ends (a Write's own program runs the busy step too, holding what arrives behind it). The new application
    /// runs, with its bytes in flash.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-INST")]
    public async Task An_update_whose_writes_arrive_during_erases_is_installed_whole()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        ChipImages chips = await ChipImages.GetAsync(FirmwareConfiguration.ArmLinkInSram);
        await using QemuDevice dut = await QemuDevice.StartAsync(chips, DeviceUid.FromWords(0x0051_0051u, 0x5153_4634u, 0x3230_3231u),
            output, guard.Token);
        var v2 = new FirmwareVersion(2, 0, 0, 2);
        FirmwareImage image = await chips.ImageAsync("demo-app-qemu", ImageKind.Application, Map.Application.Address, v2,
            securityCounter: 2, tag: "application 2.0, link in SRAM");

        UpdateResult result = await dut.Updater.UpdateApplicationAsync(dut.Device, image, null, dut.Token);

        Assert.Equal(v2, result.VersionAfter);
        DeviceInfo now = await dut.Network.FindAsync(dut.Device.Uid, dut.Token);
        Assert.Equal((false, v2), (now.IsInBootloader, now.ApplicationVersion));
        byte[] flash = dut.Board.ReadFlash();
        int start = (int)(Map.Application.Address - Map.Geometry.BaseAddress);
        Assert.Equal(image.Payload.ToArray(), flash[start..(start + image.Payload.Length)]);
        output.WriteLine($"application update with the link in SRAM: {image.Payload.Length} bytes in {result.Duration.TotalSeconds:0.0} s");
    }
}
