using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>Application and bootloader updates through the generated client, without power cuts.</summary>
public class UpdateFlowTests
{
    [Theory]
    [InlineData(FlashFamily.Stm32F4, false, 200_000)]
    [InlineData(FlashFamily.Stm32F4, true, 200_000)]
    [InlineData(FlashFamily.Stm32L4, false, 70_001)]
    [InlineData(FlashFamily.Stm32L4, true, 70_001)]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task An_application_update_installs_the_new_version(FlashFamily family, bool encrypted, int size)
    {
        DeviceProfile profile = Profile(family, requireEncryption: encrypted);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)),
            application: Image(profile, RegionKind.Application, V(1), encrypt: encrypted));
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        Assert.True(firmware.Boot().StartApplication);
        await firmware.RequestBootloaderAsync(30, CancellationToken.None);
        Assert.Equal(StayReason.Requested, firmware.Boot().StayReason);
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: size, counter: 4, encrypt: encrypted);

        FinishUpdateResponse finish = await UpdateAsync(client, UpdateTarget.Application, image);

        byte[] plaintext = encrypted ? Decrypt(image) : image.Payload.ToArray();
        Assert.Equal(SHA256.HashData(plaintext), finish.PayloadSha256);
        GetStatusResponse status = await client.GetStatusAsync();
        Assert.Equal(UpdatePhase.Complete, status.Phase);
        Assert.Equal((uint)size, status.BytesCommitted);
        Assert.Equal(4u, status.DeviceSecurityCounter);
        Assert.Equal(BootloaderService.WriteAlignment, status.WriteAlignment);
        Assert.Equal(4096, status.MaxWriteSize);
        GetRegionHashResponse hash = await client.GetRegionHashAsync(RegionKind.Application, 0, (uint)size);
        Assert.Equal(SHA256.HashData(plaintext), hash.Sha256);
        if (encrypted)
            Assert.NotEqual(image.Payload.Slice(0, 64).ToArray(), flash.ReadBytes(profile.MemoryMap.Application.Address, 64)); // stored as plaintext, sent as ciphertext
        // Finishing again answers the same.
        Assert.Equal(finish.PayloadSha256, (await client.FinishUpdateAsync()).PayloadSha256);

        BootDecision decision = firmware.Boot();
        Assert.True(decision.StartApplication);
        Assert.Equal(V(2), decision.ApplicationVersion);
        Assert.Equal(4, firmware.Inventory.OtpSecurityCounterFloor);
        Assert.False(firmware.Inventory.BootloaderRequested);
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task A_bootloader_update_writes_only_the_other_copy_and_the_newer_copy_runs_next(FlashFamily family)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        Assert.Equal(RegionKind.BootloaderA, firmware.LastBoot!.RunningBootloader);
        int[] before = flash.Geometry.Sectors.Select(s => flash.GetEraseCycles(s.Index)).ToArray();
        BootloaderClient client = Client(firmware);

        FinishUpdateResponse finish = await UpdateAsync(client, UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderB, V(1, 1), size: 40_000, counter: 1));

        var touched = flash.Geometry.Sectors.Where(s => flash.GetEraseCycles(s.Index) != before[s.Index]).ToArray();
        Assert.All(touched, s => Assert.True(profile.MemoryMap.BootloaderB.Contains(s.Address) || profile.MemoryMap.StateJournalA.Contains(s.Address) || profile.MemoryMap.StateJournalB.Contains(s.Address), $"{s} erased"));
        Assert.Contains(touched, s => profile.MemoryMap.BootloaderB.Contains(s.Address));
        BootDecision decision = firmware.Boot();
        Assert.Equal(RegionKind.BootloaderB, decision.RunningBootloader);
        Assert.Equal(StayReason.NoValidApplication, decision.StayReason);
        // After the reset the new copy answers a repeated FinishUpdate from its journal and trailer.
        Assert.Equal(finish.PayloadSha256, (await Client(firmware).FinishUpdateAsync()).PayloadSha256);
        Assert.Equal(UpdatePhase.Complete, (await Client(firmware).GetStatusAsync()).Phase);

        // Now copy B runs: the other copy is A, and an image linked for A goes there.
        await UpdateAsync(Client(firmware), UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderA, V(1, 2), counter: 1));
        Assert.Equal(RegionKind.BootloaderA, firmware.Boot().RunningBootloader);
        Assert.Equal(V(1, 1), firmware.Inventory[RegionKind.BootloaderB].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task On_the_dual_bank_F4_copy_B_in_bank_2_and_an_application_across_the_banks_install()
    {
        DeviceProfile profile = new()
        {
            MemoryMap = Csa.Simulator.Memory.MemoryMap.Stm32F4_2M, Uid = Uid, TrustedSigningKeys = [SigningKey.PublicKey],
            IdentityKey = IdentityKey, FlashTiming = FlashTimingProfile.Instant,
        };
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        await UpdateAsync(Client(firmware), UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderB, V(1, 5), size: 50_000));
        Assert.Equal(RegionKind.BootloaderB, firmware.Boot().RunningBootloader);
        int size = 1_100_000; // from bank 1 into bank 2
        Assert.True(profile.MemoryMap.Application.Address + (uint)size > flash.Geometry.Banks[1].Address);
        await UpdateAsync(Client(firmware), UpdateTarget.Application, Image(profile, RegionKind.Application, V(7), size: size, encrypt: true));
        BootDecision decision = firmware.Boot();
        Assert.True(decision.StartApplication);
        Assert.Equal(V(7), decision.ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Duplicate_writes_are_acknowledged_without_programming_and_conflicting_ones_refused()
    {
        // Without erase-ahead: the erase count below must only move by what the writes do.
        DeviceProfile profile = Profile(FlashFamily.Stm32L4, eraseAhead: false);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 10_000);
        await BeginAsync(client, UpdateTarget.Application, image);
        byte[] chunk = image.Payload.Slice(4096, 4096).ToArray();
        WriteResponse first = await client.WriteAsync(4096, chunk);
        Assert.Equal(0u, first.BytesCommitted); // a gap before it
        long programs = flash.Statistics.ProgramOperations;
        long erases = flash.Statistics.SectorErases;

        await client.WriteAsync(4096, chunk);
        await client.WriteAsync(4096 + 1024, chunk[1024..2048]);

        Assert.Equal(programs, flash.Statistics.ProgramOperations);
        Assert.Equal(erases, flash.Statistics.SectorErases);
        Assert.Equal(256 + 64, firmware.Bootloader.DuplicateBlocks);
        byte[] other = (byte[])chunk.Clone();
        other[5] ^= 1;
        Assert.Equal(BootloaderError.WriteConflict, await ErrorOf(() => client.WriteAsync(4096, other)));
        Assert.Equal(programs, flash.Statistics.ProgramOperations);

        // A write overlapping written and unwritten blocks programs only the new ones.
        WriteResponse overlap = await client.WriteAsync(3072, image.Payload.Slice(3072, 2048).ToArray());
        Assert.Equal(programs + 1, flash.Statistics.ProgramOperations);
        Assert.Equal(0u, overlap.BytesCommitted);
        Assert.Equal(8192u, (await client.WriteAsync(0, image.Payload[..3072].ToArray())).BytesCommitted);
        await client.WriteAsync(8192, image.Payload[8192..].ToArray());
        await client.FinishUpdateAsync();
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_write_resent_after_an_encrypted_image_was_committed_is_still_acknowledged()
    {
        // Found by the randomised hosts: the content key was dropped at the commit, so a late duplicate no longer
        // decrypted to what flash holds and was refused as a conflict.
        DeviceProfile profile = Profile(FlashFamily.Stm32L4, requireEncryption: true);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 3000, encrypt: true);
        await UpdateAsync(client, UpdateTarget.Application, image);
        long programs = flash.Statistics.ProgramOperations;
        WriteResponse late = await client.WriteAsync(1024, image.Payload.Slice(1024, 1024).ToArray());
        Assert.Equal(3000u, late.BytesCommitted);
        Assert.Equal(programs, flash.Statistics.ProgramOperations);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Out_of_order_writes_install_the_image()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(3), size: 150_003);
        await BeginAsync(client, UpdateTarget.Application, image);
        int[] offsets = Enumerable.Range(0, (image.Payload.Length + 1023) / 1024).Select(i => i * 1024).ToArray();
        new Random(7).Shuffle(offsets);
        foreach (int offset in offsets)
            await client.WriteAsync((uint)offset, image.Payload.Slice(offset, Math.Min(1024, image.Payload.Length - offset)).ToArray());
        await client.FinishUpdateAsync();
        Assert.Equal(V(3), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Writes_are_checked_for_range_alignment_and_an_update_in_progress()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        Assert.Equal(BootloaderError.NoUpdateInProgress, await ErrorOf(() => client.WriteAsync(0, new byte[16])));
        Assert.Equal(BootloaderError.NoUpdateInProgress, await ErrorOf(() => client.FinishUpdateAsync()));
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 1000);
        await BeginAsync(client, UpdateTarget.Application, image);
        Assert.Equal(BootloaderError.Misaligned, await ErrorOf(() => client.WriteAsync(8, new byte[16])));
        Assert.Equal(BootloaderError.Misaligned, await ErrorOf(() => client.WriteAsync(0, new byte[20])));
        Assert.Equal(BootloaderError.OutOfRange, await ErrorOf(() => client.WriteAsync(992, new byte[16])));
        Assert.Equal(BootloaderError.OutOfRange, await ErrorOf(() => client.WriteAsync(0, [])));
        Assert.Equal(BootloaderError.Incomplete, await ErrorOf(() => client.FinishUpdateAsync()));
        await client.WriteAsync(992, image.Payload[992..].ToArray()); // the short last write is allowed
        await client.WriteAsync(0, image.Payload[..992].ToArray());
        Assert.Equal(BootloaderError.OutOfRange, await ErrorOf(() => client.GetRegionHashAsync(RegionKind.Application, (uint)profile.MemoryMap.Application.Size - 8, 16)));
        await client.FinishUpdateAsync();
        await client.AbortUpdateAsync();
        Assert.Equal(UpdatePhase.Idle, (await client.GetStatusAsync()).Phase);
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task A_payload_that_does_not_match_the_manifest_is_never_marked_valid()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 5000);
        await BeginAsync(client, UpdateTarget.Application, image);
        byte[] tampered = image.Payload.ToArray();
        tampered[4000] ^= 0x80;
        await client.WriteAsync(0, tampered[..4096]);
        await client.WriteAsync(4096, tampered[4096..]);
        Assert.Equal(BootloaderError.PayloadHashMismatch, await ErrorOf(() => client.FinishUpdateAsync()));
        Assert.Equal(0u, (await client.GetStatusAsync()).BytesCommitted);
        Assert.Equal(StayReason.UpdateInProgress, firmware.Boot().StayReason);
        // The host sends the right bytes: the device erases what it wrote and installs them.
        await UpdateAsync(Client(firmware), UpdateTarget.Application, image);
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_request_to_enter_the_bootloader_persists_until_an_application_update_or_a_clear()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile);
        Assert.True(firmware.LastBoot!.StartApplication);
        Assert.Equal(BootloaderError.NotAllowed, await ErrorOf(() => Client(firmware).GetStatusAsync())); // the application runs
        await firmware.RequestBootloaderAsync(10, CancellationToken.None);
        Assert.Equal(StayReason.Requested, firmware.Boot().StayReason);
        Assert.NotNull(firmware.RequestedStayDeadline);
        DateTimeOffset deadline = firmware.RequestedStayDeadline!.Value;
        GetStatusResponse status = await Client(firmware).GetStatusAsync();
        Assert.Equal(StayReason.Requested, status.StayReason);
        Assert.Equal(deadline, firmware.RequestedStayDeadline); // reading the status does not move the wait
        Assert.Equal(StayReason.Requested, firmware.Boot().StayReason);
        await firmware.ClearBootloaderRequestAsync(CancellationToken.None);
        Assert.True(firmware.Boot().StartApplication);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Aborting_leaves_the_application_invalid_and_the_bootloader_resident()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        firmware.Boot();
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 9000);
        await BeginAsync(client, UpdateTarget.Application, image);
        await client.WriteAsync(0, image.Payload[..4096].ToArray());
        await client.AbortUpdateAsync();
        await client.AbortUpdateAsync();
        GetStatusResponse status = await client.GetStatusAsync();
        Assert.Equal(UpdatePhase.Idle, status.Phase);
        Assert.Equal(RegionState.Invalid, status.Regions[(int)RegionKind.Application].State);
        Assert.Equal(StayReason.NoValidApplication, firmware.Boot().StayReason);
    }

    private static byte[] Decrypt(FirmwareImage image)
    {
        var d = new Csa.Crypto.AesCtrEciesPayloadDecryptor(IdentityKey);
        Assert.True(d.TryUnwrapKey(WrappedKey(image), SHA256.HashData(image.ManifestBytes.Span), out byte[] key));
        var plain = new byte[image.Payload.Length];
        d.Decrypt(key, image.Manifest.Nonce.Span, 0, image.Payload.Span, plain);
        return plain;
    }
}
