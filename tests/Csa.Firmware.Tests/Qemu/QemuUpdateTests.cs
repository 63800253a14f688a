using System.Diagnostics;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Firmware.Tests.Support;
using BootloaderSlot = Csa.Rpc.Device.BootloaderSlot;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Memory;
using Xunit.Abstractions;

namespace Csa.Firmware.Tests.Qemu;

/// <summary>
/// The cross-compiled firmware on an emulated Cortex-M4: QEMU's netduinoplus2 (an STM32F405) runs the pre-bootloader,
/// bootloader copy A and the demo application built for it (firmware/chips, board "qemu"), factory-programmed into its
/// flash, and the host SDK (<see cref="DeviceNetwork"/>, <see cref="FirmwareUpdater"/>) updates it over its USART1:
/// the application, the application again through a power cut mid-transfer, and the bootloader through the other copy.
/// Every restart of the chip is a new QEMU process (<see cref="QemuBoard"/>). The images are the real ones (about
/// 30 KB each), small enough for QEMU's emulated line (5-20 kB/s from the host).
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuUpdateTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3); // QEMU on a busy 2-core machine; never a performance bound

    private static readonly FirmwareVersion V1 = new(1, 0, 0, 1);
    private static readonly FirmwareVersion V2 = new(2, 0, 0, 2);
    private static readonly MemoryMap Map = MemoryMap.Stm32F4_1M;

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_emulated_STM32F405_takes_a_new_application_restarts_and_runs_it()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        ChipImages chips = await ChipImages.GetAsync();
        await using QemuDevice dut = await QemuDevice.StartAsync(chips, Uid(1), output, guard.Token);
        DeviceInfo before = dut.Device;
        Assert.False(before.IsInBootloader);
        Assert.Equal((V1, V1, BootloaderSlot.A), (before.ApplicationVersion, before.BootloaderVersion, before.ActiveBootloader));
        Assert.Equal((ChipImages.VendorId, ChipImages.DeviceClassId, (ushort)0x413), (before.VendorId, before.DeviceClassId, before.McuDeviceId));
        FirmwareImage image = await chips.ImageAsync("demo-app-qemu", ImageKind.Application, Map.Application.Address, V2, securityCounter: 2, tag: "application 2.0");
        var clock = Stopwatch.StartNew();

        UpdateResult result = await dut.Updater.UpdateApplicationAsync(before, image, null, dut.Token);

        clock.Stop();
        Assert.Equal((V1, V2, RegionKind.BootloaderA), (result.VersionBefore, result.VersionAfter, result.RunningBootloader));
        Assert.Equal(image.Payload.Length, result.BytesSent);
        // The new application answers, over its own interface too: it is the code that runs, not only a version number.
        DeviceInfo now = await dut.Network.FindAsync(before.Uid, dut.Token);
        Assert.False(now.IsInBootloader);
        Assert.Equal((V2, 2u), (now.ApplicationVersion, now.SecurityCounter));
        using (var demo = new DemoAppClient(dut.Network.Client, now.Address))
            Assert.Equal(2, (await demo.GetReadingAsync(2, dut.Token)).Channel);
        // Its bytes are in the chip's flash, from the application region's start.
        byte[] flash = dut.Board.ReadFlash();
        Assert.Equal(image.Payload.ToArray(), Region(flash, Map.Application)[..image.Payload.Length]);
        // The chip restarted twice: into the bootloader (EnterBootloader), into the new application (FinishUpdate).
        Assert.True(dut.Board.Resets >= 2, $"resets {dut.Board.Resets}");
        Assert.Equal(0, dut.Board.PowerCuts);
        output.WriteLine($"application update on QEMU: {image.Payload.Length} bytes in {clock.Elapsed.TotalSeconds:0.0} s " +
                         $"({image.Payload.Length / clock.Elapsed.TotalSeconds / 1024:0.0} KiB/s for the whole call), {dut.Board.Starts} QEMU starts");
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_power_cut_mid_transfer_on_the_emulated_chip_is_resumed_and_the_new_application_runs()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        ChipImages chips = await ChipImages.GetAsync();
        await using QemuDevice dut = await QemuDevice.StartAsync(chips, Uid(2), output, guard.Token);
        FirmwareImage image = await chips.ImageAsync("demo-app-qemu", ImageKind.Application, Map.Application.Address, V2, securityCounter: 2, tag: "application 2.0, cut");
        long cutAt = image.Payload.Length / 2;
        int cut = 0;
        var progress = new Progress(p =>
        {
            // Inside the updater's write loop: the transfer is in progress. QEMU is killed wherever the firmware is.
            if (p.Stage == UpdateStage.Transferring && p.BytesDone >= cutAt && Interlocked.Exchange(ref cut, 1) == 0)
                dut.Board.CutPowerAsync(guard.Token).GetAwaiter().GetResult();
        });

        UpdateResult result = await dut.Updater.UpdateApplicationAsync(dut.Device, image, progress, dut.Token);

        Assert.Equal(1, dut.Board.PowerCuts);
        Assert.True(result.ResumeCount >= 1, $"resumes {result.ResumeCount}");
        // The resume went on from what the chip had committed before the cut, not from the start.
        Assert.True(result.BytesResumed > 0, $"resumed from {result.BytesResumed}");
        Assert.True(result.BytesSent < image.Payload.Length + cutAt, $"sent {result.BytesSent} of {image.Payload.Length}");
        DeviceInfo now = await dut.Network.FindAsync(dut.Device.Uid, dut.Token);
        Assert.Equal((false, V2), (now.IsInBootloader, now.ApplicationVersion));
        Assert.Equal(image.Payload.ToArray(), Region(dut.Board.ReadFlash(), Map.Application)[..image.Payload.Length]);
        output.WriteLine($"power cut at {cutAt} of {image.Payload.Length} bytes: resumed {result.ResumeCount}x from {result.BytesResumed}, " +
                         $"{result.BytesSent} bytes sent, {result.Duration.TotalSeconds:0.0} s");
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task The_bootloader_of_the_emulated_chip_is_updated_through_the_other_copy()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        ChipImages chips = await ChipImages.GetAsync();
        await using QemuDevice dut = await QemuDevice.StartAsync(chips, Uid(3), output, guard.Token);
        byte[] before = dut.Board.ReadFlash();
        FirmwareImage image = await chips.ImageAsync("bootloader-b-qemu", ImageKind.Bootloader, Map.BootloaderB.Address, V2, securityCounter: 2);

        UpdateResult result = await dut.Updater.UpdateBootloaderAsync(dut.Device, image, false, null, dut.Token);

        Assert.Equal((V2, RegionKind.BootloaderB), (result.VersionAfter, result.RunningBootloader));
        // The pre-bootloader started copy B (the valid copy with the highest version), and B started the application.
        DeviceInfo now = await dut.Network.FindAsync(dut.Device.Uid, dut.Token);
        Assert.Equal((BootloaderSlot.B, V2, V1, false), (now.ActiveBootloader, now.BootloaderVersion, now.ApplicationVersion, now.IsInBootloader));
        // Copy A, which ran the update, never wrote itself; copy B holds the new image.
        byte[] after = dut.Board.ReadFlash();
        Assert.Equal(Region(before, Map.BootloaderA), Region(after, Map.BootloaderA));
        Assert.Equal(image.Payload.ToArray(), Region(after, Map.BootloaderB)[..image.Payload.Length]);
        Assert.Equal(Region(before, Map.PreBootloader), Region(after, Map.PreBootloader));
        output.WriteLine($"bootloader update on QEMU: {image.Payload.Length} bytes in {result.Duration.TotalSeconds:0.0} s, {dut.Board.Starts} QEMU starts");
    }

    private static DeviceUid Uid(uint n) => DeviceUid.FromWords(0x0051_0040u + n, 0x5153_4634u, 0x3230_3231u);

    private static byte[] Region(byte[] flash, MemoryRegion region) =>
        flash[(int)(region.Address - Map.Geometry.BaseAddress)..(int)(region.Address - Map.Geometry.BaseAddress + region.Size)];

    private sealed class Progress(Action<UpdateProgress> onReport) : IProgress<UpdateProgress>
    {
        public void Report(UpdateProgress value) => onReport(value);
    }
}

/// <summary>
/// A factory-programmed emulated STM32F405 and the host SDK connected to it: bootloader copy A 1.0 and the demo
/// application 1.0 (both the qemu board's builds, signed with the development key), discovered over its USART1.
/// </summary>
internal sealed class QemuDevice : IAsyncDisposable
{
    private readonly CancellationTokenSource _token;
    private readonly ITestOutputHelper _output;

    private QemuDevice(QemuBoard board, DeviceNetwork network, FirmwareUpdater updater, DeviceInfo device, ITestOutputHelper output, CancellationToken testToken)
    {
        _token = CancellationTokenSource.CreateLinkedTokenSource(testToken, board.Failed);
        _output = output;
        Board = board;
        Network = network;
        Updater = updater;
        Device = device;
    }

    public QemuBoard Board { get; }

    public DeviceNetwork Network { get; }

    public FirmwareUpdater Updater { get; }

    /// <summary>The device as discovered after power-on.</summary>
    public DeviceInfo Device { get; }

    /// <summary>The test's guard, also cancelled when the board stops for good (a halt or a fault: the log says which).</summary>
    public CancellationToken Token => _token.Token;

    /// <summary>
    /// Programs and powers on a board and discovers it. What QEMU's console and the harness said goes to
    /// <paramref name="output"/> when the device is disposed, so a failed test shows whether the firmware halted,
    /// faulted or restarted. Without the application (<paramref name="withApplication"/> false) the bootloader stays resident.
    /// </summary>
    public static async Task<QemuDevice> StartAsync(ChipImages chips, DeviceUid uid, ITestOutputHelper output, CancellationToken cancellationToken, bool withApplication = true)
    {
        string folder = Directory.CreateTempSubdirectory("csa-qemu-").FullName;
        FirmwareImage bootloader = await chips.ImageAsync("bootloader-a-qemu", ImageKind.Bootloader, MemoryMap.Stm32F4_1M.BootloaderA.Address, new FirmwareVersion(1, 0, 0, 1));
        FirmwareImage application = await chips.ImageAsync("demo-app-qemu", ImageKind.Application, MemoryMap.Stm32F4_1M.Application.Address, new FirmwareVersion(1, 0, 0, 1));
        chips.WriteFactoryFlash(folder, uid, bootloader, null, withApplication ? application : null);
        QemuBoard board = QemuBoard.PowerOn(folder);
        DeviceNetwork? network = null;
        try
        {
            await board.WaitForLinkOpenAsync(1, cancellationToken);
            network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(board.HostLink)], new DeviceNetworkOptions(), cancellationToken);
            // The bootloader opens the link first and may hand over to the application a moment later, which opens it
            // again: a question that reached the chip in between is lost, and discovery asks again.
            IReadOnlyList<DeviceInfo> found;
            while ((found = await network.DiscoverAsync(cancellationToken)).Count == 0)
                await Task.Delay(100, cancellationToken);
            DeviceInfo device = Assert.Single(found);
            Assert.Equal(uid, device.Uid);
            var options = new UpdateOptions { Retry = new() { Timeout = TimeSpan.FromSeconds(5) } };
            options = options with { TrustedVerifiers = [.. options.TrustedVerifiers, new EcdsaP256Verifier(chips.Signer.PublicKey)] };
            return new QemuDevice(board, network, new FirmwareUpdater(network, options), device, output, cancellationToken);
        }
        catch (Exception e)
        {
            if (network is not null)
                await network.DisposeAsync();
            await board.DisposeAsync();
            throw new InvalidOperationException($"the emulated board did not come up: {e.Message}\n{board.Log}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Network.DisposeAsync();
        await Board.DisposeAsync();
        _token.Dispose();
        _output.WriteLine($"QEMU console and harness ({Board.Starts} starts, {Board.Resets} resets, {Board.PowerCuts} power cuts):");
        _output.WriteLine(Board.Log);
        try
        {
            Directory.Delete(Board.Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
