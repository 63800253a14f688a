using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// The CPU's time for the bootloader's cryptography (DeviceProfile.CpuTiming, docs/device-model.md section 1.4), on a
/// fake clock: without it the CPU takes no time; with the F4's estimate the start-up checks and BeginUpdate cost what
/// the chip's signature checks and hashes cost, and nothing answers before that time has passed. Device time only.
/// </summary>
public sealed class CpuTimingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static DeviceProfile WithCpu(CpuTiming? cpu)
    {
        DeviceProfile basic = Profile(FlashFamily.Stm32F4);
        return new DeviceProfile
        {
            MemoryMap = basic.MemoryMap,
            Uid = basic.Uid,
            TrustedSigningKeys = basic.TrustedSigningKeys,
            IdentityKey = basic.IdentityKey,
            FlashTiming = FlashTimingProfile.Instant,
            CpuTiming = cpu,
        };
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public void The_start_up_checks_cost_a_signature_and_a_hash_for_every_image_they_check_and_nothing_without_a_cpu_timing()
    {
        foreach (CpuTiming? cpu in new[] { null, CpuTiming.Stm32F4 })
        {
            DeviceProfile profile = WithCpu(cpu);
            SimulatedFlash flash = StrictFlash(profile);
            FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1), size: 30_000),
                application: Image(profile, RegionKind.Application, V(1), size: 100_000));
            var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
            firmware.Boot();
            // Copy A and the application hold images (copy B is empty): two signatures, 130 000 bytes hashed.
            TimeSpan expected = cpu is null ? TimeSpan.Zero : (2 * cpu.SignatureVerification) + cpu.Hash(130_000);
            Assert.Equal(expected, firmware.BootCpuTime());
        }
        Assert.Equal(TimeSpan.FromMilliseconds(100), CpuTiming.Stm32F4.SignatureVerification);
        Assert.Equal(TimeSpan.FromSeconds(0.5), CpuTiming.Stm32F4.Hash(1024 * 1024));
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task BeginUpdate_answers_only_after_the_chips_signature_check_has_taken_its_time()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        DeviceProfile profile = WithCpu(CpuTiming.Stm32F4);
        SimulatedFlash flash = TestFlash.Timed(profile.MemoryMap.Geometry, clock, FlashTimingProfile.Instant);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)), application: Image(profile, RegionKind.Application, V(1)));
        var firmware = new DeviceFirmware(profile, flash, clock);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None).WaitAsync(HangGuard);
        Assert.False(firmware.Boot().StartApplication);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 20_000, counter: 1);

        // The device's clock moves in 5 ms steps until the answer is there: however fast or slow the machine, the answer
        // cannot come before the check's 100 ms of device time.
        DateTimeOffset asked = clock.GetUtcNow();
        Task<BeginUpdateResponse> begin = BeginAsync(Client(firmware), UpdateTarget.Application, image);
        using (var guard = new CancellationTokenSource(HangGuard))
        {
            while (!begin.IsCompleted)
            {
                clock.Advance(TimeSpan.FromMilliseconds(5));
                await Task.Delay(1, guard.Token);
            }
        }
        BeginUpdateResponse answer = await begin;
        Assert.Equal(0u, answer.ResumeOffset);
        Assert.True(clock.GetUtcNow() - asked >= CpuTiming.Stm32F4.SignatureVerification,
            $"BeginUpdate answered after {(clock.GetUtcNow() - asked).TotalMilliseconds} ms of device time");
    }
}
