using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;

namespace Csa.Simulator.Tests;

/// <summary>Factories for flashes with a fixed UID and no timing unless a clock is given.</summary>
internal static class TestFlash
{
    public static readonly byte[] Uid = [0x30, 0x00, 0x2B, 0x00, 0x11, 0x47, 0x33, 0x34, 0x32, 0x38, 0x36, 0x30];

    public static SimulatedFlash Create(
        FlashGeometry geometry,
        ProgramOverwritePolicy policy = ProgramOverwritePolicy.AndLikeSilicon,
        FlashProgramSize programSize = FlashProgramSize.Word,
        bool failBeyondEndurance = false) =>
        new(geometry, new SimulatedFlashOptions
        {
            TimingProfile = FlashTimingProfile.Instant,
            UniqueId = Uid,
            OverwritePolicy = policy,
            ProgramSize = programSize,
            FailBeyondEndurance = failBeyondEndurance,
        });

    public static SimulatedFlash Timed(FlashGeometry geometry, FakeTimeProvider time, FlashTimingProfile profile = FlashTimingProfile.Typical) =>
        new(geometry, new SimulatedFlashOptions { TimeProvider = time, TimingProfile = profile, UniqueId = Uid });

    public static FlashProgrammingException ThrowsFlash(FlashError expected, Action action)
    {
        var e = Assert.Throws<FlashProgrammingException>(action);
        Assert.Equal(expected, e.Error);
        return e;
    }

    public static byte[] Bytes(params byte[] bytes) => bytes;

    public static byte[] Filled(int length, byte value)
    {
        var b = new byte[length];
        b.AsSpan().Fill(value);
        return b;
    }
}
