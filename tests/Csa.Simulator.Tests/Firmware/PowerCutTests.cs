using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Xunit.Abstractions;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// The power is cut before (and in the middle of) every flash operation of an update; after power-on the device
/// must still boot a valid bootloader, and the host's retry (BeginUpdate, writes from the resume offset, finish)
/// must end with the new image installed. Every flash is strict: a program over non-erased cells fails the test.
/// </summary>
public class PowerCutTests(ITestOutputHelper output)
{
    public enum Kind
    {
        OtherBootloader,
        Application,
        EncryptedApplication,
    }

    // JournalRecords: records appended before the update, so that its own appends move the journal to its other page
    // (a journal erase among the cut points).
    public sealed record Scenario(FlashFamily Family, Kind Kind, int Size, int JournalRecords = 1)
    {
        public override string ToString() => $"{Family} {Kind} {Size} bytes" + (JournalRecords > 1 ? $", journal rolls over" : "");
    }

    public static TheoryData<Scenario> Scenarios() => new()
    {
        new(FlashFamily.Stm32F4, Kind.OtherBootloader, 30_000),
        new(FlashFamily.Stm32L4, Kind.OtherBootloader, 40_000),
        new(FlashFamily.Stm32F4, Kind.Application, 140_000),
        new(FlashFamily.Stm32L4, Kind.Application, 37_000),
        new(FlashFamily.Stm32L4, Kind.EncryptedApplication, 21_000),
        new(FlashFamily.Stm32L4, Kind.OtherBootloader, 20_000, JournalRecords: 23),
    };

    /// <summary>Before every operation of every scenario (milliseconds a cut point on the device model).</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_cut_before_every_operation_never_bricks_and_the_retry_completes(Scenario scenario)
    {
        using var rig = new Rig(scenario);
        long operations = await rig.CountOperationsAsync();
        int[] cuts = [.. Enumerable.Range(0, (int)operations)];
        foreach (int i in cuts)
            await rig.CutAndRecoverAsync(PowerCutPlan.BeforeOperation(i));
        output.WriteLine($"{scenario}: {operations} operations, {cuts.Length} cut points before an operation");
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_cut_in_the_middle_of_every_operation_never_bricks_and_the_retry_completes(Scenario scenario)
    {
        using var rig = new Rig(scenario);
        long operations = await rig.CountOperationsAsync();
        TornEraseStyle[] styles = Enum.GetValues<TornEraseStyle>();
        int covered = 0;
        for (int i = 0; i < operations; i++)
        {
            await rig.CutAndRecoverAsync(PowerCutPlan.DuringOperationAt(i, seed: i, styles[i % styles.Length]));
            covered++;
        }
        output.WriteLine($"{scenario}: {operations} operations, {covered} torn cut points");
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Exhaustive_every_cut_point_every_tear_style(Scenario scenario)
    {
        using var rig = new Rig(scenario);
        long operations = await rig.CountOperationsAsync();
        int covered = 0;
        for (int i = 0; i < operations; i++)
        {
            await rig.CutAndRecoverAsync(PowerCutPlan.BeforeOperation(i));
            covered++;
            foreach (TornEraseStyle style in Enum.GetValues<TornEraseStyle>())
                foreach (double fraction in new[] { 0.1, 0.5, 0.9 })
                {
                    await rig.CutAndRecoverAsync(PowerCutPlan.DuringOperationAt(i, seed: i * 31 + (int)(fraction * 10), style, fraction));
                    covered++;
                }
        }
        output.WriteLine($"{scenario}: {operations} operations, {covered} cut points");
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Two_cuts_in_a_row_during_the_retry_still_recover()
    {
        using var rig = new Rig(new Scenario(FlashFamily.Stm32F4, Kind.OtherBootloader, 30_000));
        long operations = await rig.CountOperationsAsync();
        for (int first = 1; first < operations; first += 4)
            await rig.CutAndRecoverAsync(PowerCutPlan.DuringOperationAt(first, seed: first), PowerCutPlan.DuringOperationAt(2, seed: first + 1));
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_reset_mid_transfer_resumes_from_bytes_committed_without_reprogramming(FlashFamily family)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 300_000);
        BootloaderClient client = Client(firmware);
        await BeginAsync(client, UpdateTarget.Application, image);
        for (int offset = 0; offset < 200_000; offset += 4096)
            await client.WriteAsync((uint)offset, image.Payload.Slice(offset, 4096).ToArray());

        Assert.Equal(StayReason.UpdateInProgress, firmware.Boot().StayReason); // a reset: RAM is gone
        GetStatusResponse status = await client.GetStatusAsync();
        Assert.Equal(UpdatePhase.Receiving, status.Phase);
        Assert.Equal(SHA256.HashData(image.ManifestBytes.Span), status.ManifestDigest);
        // The last checkpoint: the device persists its watermark every CheckpointInterval bytes (4 KiB for 4 buffers of
        // 1 KiB frames), anywhere inside a sector (an F4 128 KB sector used to cost all of it).
        uint expected = 200_704u / (uint)firmware.Bootloader.CheckpointInterval * (uint)firmware.Bootloader.CheckpointInterval;
        Assert.Equal(expected, status.BytesCommitted);
        Assert.Equal(BootloaderError.NoUpdateInProgress, await ErrorOf(() => client.WriteAsync(expected, new byte[16])));
        long programs = flash.Statistics.ProgramOperations;
        BeginUpdateResponse resume = await BeginAsync(client, UpdateTarget.Application, image);
        Assert.Equal(expected, resume.ResumeOffset);
        Assert.Equal(programs, flash.Statistics.ProgramOperations); // resuming erases and programs nothing
        await client.WriteAsync(0, image.Payload[..4096].ToArray()); // below the watermark: compared, not programmed
        Assert.Equal(programs, flash.Statistics.ProgramOperations);
        for (int offset = (int)resume.ResumeOffset; offset < image.Payload.Length; offset += 4096)
            await client.WriteAsync((uint)offset, image.Payload.Slice(offset, Math.Min(4096, image.Payload.Length - offset)).ToArray());
        await client.FinishUpdateAsync();
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Repeated_cuts_of_the_commit_marker_use_up_the_trailer_slots_then_the_sector_is_rewritten()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        FirmwareImage image = Image(profile, RegionKind.BootloaderB, V(1, 1), size: 20_000);
        await UploadWithoutFinishAsync(Client(firmware), image);
        for (int attempt = 0; attempt < 7; attempt++)
        {
            flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(1, seed: attempt, fraction: 0.5)); // the commit marker (the slot body is operation 0)
            await Assert.ThrowsAsync<PowerLossException>(() => Client(firmware).FinishUpdateAsync());
            flash.PowerOn();
            firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
            Assert.Equal(RegionKind.BootloaderA, firmware.Boot().RunningBootloader);
            Assert.Equal(20_000u, (await BeginAsync(Client(firmware), UpdateTarget.OtherBootloader, image)).ResumeOffset);
        }
        // Seven torn slots: the trailer's sector (here the whole copy) must be erased, so the payload is sent again.
        Assert.Equal(BootloaderError.Incomplete, await ErrorOf(() => Client(firmware).FinishUpdateAsync()));
        Assert.Equal(0u, (await Client(firmware).GetStatusAsync()).BytesCommitted);
        await UpdateAsync(Client(firmware), UpdateTarget.OtherBootloader, image);
        Assert.Equal(RegionKind.BootloaderB, firmware.Boot().RunningBootloader);
    }

    private static async Task UploadWithoutFinishAsync(BootloaderClient client, FirmwareImage image)
    {
        await BeginAsync(client, UpdateTarget.OtherBootloader, image);
        for (int offset = 0; offset < image.Payload.Length; offset += 4096)
            await client.WriteAsync((uint)offset, image.Payload.Slice(offset, Math.Min(4096, image.Payload.Length - offset)).ToArray());
    }

    /// <summary>One scenario's factory device, image and host retry.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly Scenario _scenario;
        private readonly DeviceProfile _profile;
        private readonly SimulatedFlash _factory;
        private readonly FirmwareImage _image;
        private readonly FirmwareImage _imageForA;

        public Rig(Scenario scenario)
        {
            _scenario = scenario;
            bool encrypted = scenario.Kind == Kind.EncryptedApplication;
            _profile = Profile(scenario.Family, requireEncryption: encrypted);
            _factory = StrictFlash(_profile);
            FactoryProgrammer.Program(_profile, _factory, Image(_profile, RegionKind.BootloaderA, V(1), counter: 1),
                application: Image(_profile, RegionKind.Application, V(1), counter: 1, encrypt: encrypted));
            var firmware = new DeviceFirmware(_profile, _factory, TimeProvider.System);
            firmware.Boot();
            for (int i = 0; i < scenario.JournalRecords; i++)
                firmware.RequestBootloaderAsync((ushort)i, CancellationToken.None).GetAwaiter().GetResult();
            _image = scenario.Kind == Kind.OtherBootloader
                ? Image(_profile, RegionKind.BootloaderB, V(1, 1), size: scenario.Size, counter: 2)
                : Image(_profile, RegionKind.Application, V(2), size: scenario.Size, counter: 2, encrypt: encrypted);
            _imageForA = Image(_profile, RegionKind.BootloaderA, V(1, 1), size: scenario.Size, counter: 2);
        }

        private UpdateTarget Target => _scenario.Kind == Kind.OtherBootloader ? UpdateTarget.OtherBootloader : UpdateTarget.Application;

        public async Task<long> CountOperationsAsync()
        {
            SimulatedFlash flash = _factory.Clone();
            var firmware = new DeviceFirmware(_profile, flash, TimeProvider.System);
            firmware.Boot();
            long before = flash.Statistics.OperationCount;
            await UpdateAsync(Client(firmware), Target, _image);
            AssertInstalled(firmware);
            return flash.Statistics.OperationCount - before;
        }

        public async Task CutAndRecoverAsync(PowerCutPlan cut, PowerCutPlan? secondCut = null)
        {
            SimulatedFlash flash = _factory.Clone();
            var firmware = new DeviceFirmware(_profile, flash, TimeProvider.System);
            Assert.False(firmware.Boot().StartApplication);
            flash.ArmPowerCut(cut);
            await Assert.ThrowsAsync<PowerLossException>(() => UpdateAsync(Client(firmware), Target, _image));

            flash.PowerOn();
            firmware = new DeviceFirmware(_profile, flash, TimeProvider.System);
            AssertBoots(firmware.Boot(), cut);
            if (secondCut is not null)
            {
                flash.ArmPowerCut(secondCut);
                try
                {
                    await RetryAsync(firmware);
                }
                catch (PowerLossException)
                {
                }
                flash.DisarmPowerCut();
                flash.PowerOn();
                firmware = new DeviceFirmware(_profile, flash, TimeProvider.System);
                AssertBoots(firmware.Boot(), cut);
            }
            await RetryAsync(firmware);
            AssertInstalled(firmware);
        }

        private void AssertBoots(BootDecision decision, PowerCutPlan cut)
        {
            Assert.False(decision.IsBricked, $"bricked after {cut}");
            if (_scenario.Kind != Kind.OtherBootloader)
                Assert.Equal(RegionKind.BootloaderA, decision.RunningBootloader);
            Assert.False(decision.StartApplication && decision.ApplicationVersion != V(2), $"the old application started while the host waits, after {cut}");
        }

        // The host after a power cut: read the status; if the new bootloader already runs, it is done; otherwise
        // offer the image for the region that is now the other copy (or the application) and send from the resume offset.
        private async Task RetryAsync(DeviceFirmware firmware)
        {
            if (firmware.LastBoot!.StartApplication)
                return; // the cut hit the last steps (journal, counter) after the new application was committed
            BootloaderClient client = Client(firmware);
            GetStatusResponse status = await client.GetStatusAsync();
            if (_scenario.Kind == Kind.OtherBootloader)
            {
                RegionStatus running = status.Regions[(int)status.RunningCopy];
                if (running.VersionMinor == 1)
                    return;
                await UpdateAsync(client, UpdateTarget.OtherBootloader, status.RunningCopy == RegionKind.BootloaderA ? _image : _imageForA);
                return;
            }
            await UpdateAsync(client, UpdateTarget.Application, _image);
        }

        private void AssertInstalled(DeviceFirmware firmware)
        {
            BootDecision decision = firmware.Boot();
            Assert.False(decision.IsBricked);
            if (_scenario.Kind == Kind.OtherBootloader)
            {
                Assert.Equal(V(1, 1), firmware.Inventory[decision.RunningBootloader!.Value].Version);
                Assert.Equal(StayReason.Requested, decision.StayReason); // a bootloader update keeps the request: the host usually updates the application next
            }
            else
            {
                Assert.True(decision.StartApplication, $"{decision}; {firmware.Inventory}");
                Assert.Equal(V(2), decision.ApplicationVersion);
            }
            Assert.True(firmware.Inventory.DeviceSecurityCounter >= 2);
        }

        public void Dispose()
        {
        }
    }
}
