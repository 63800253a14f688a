using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>GetMissingBlocks (docs/device-model.md section 6.4.2): the holes a transfer to a group left, as a bitmap of the host's blocks.</summary>
public sealed class MissingBlocksTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task The_bitmap_names_exactly_the_blocks_that_lack_a_unit_and_follows_the_writes(FlashFamily family)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, _) = FactoryDevice(profile);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        firmware.Boot();
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 10_000, counter: 2);
        await BeginAsync(client, UpdateTarget.Application, image).WaitAsync(HangGuard);
        const int block = 992;
        int blocks = (image.Payload.Length + block - 1) / block; // 11, the last one 80 bytes
        Assert.Equal(11, blocks);

        // Every block but 0, 3 and the last; and block 5 only half.
        foreach (int b in Enumerable.Range(0, blocks).Except([0, 3, blocks - 1]))
        {
            int length = b == 5 ? block / 2 : Math.Min(block, image.Payload.Length - b * block);
            await client.WriteAsync((uint)(b * block), image.Payload.Slice(b * block, length).ToArray()).WaitAsync(HangGuard);
        }
        GetMissingBlocksResponse missing = await client.GetMissingBlocksAsync(0, block).WaitAsync(HangGuard);
        Assert.Equal(0u, missing.BytesCommitted);
        Assert.Equal(blocks, missing.BlockCount);
        Assert.Equal([0, 3, 5, 10], Set(missing));
        Assert.All(missing.Missing.Skip(2), b => Assert.Equal(0, b));

        // From an offset: block i of the answer is the host's block 3 + i.
        GetMissingBlocksResponse later = await client.GetMissingBlocksAsync(3 * block, block).WaitAsync(HangGuard);
        Assert.Equal(blocks - 3, later.BlockCount);
        Assert.Equal([0, 2, 7], Set(later));

        foreach (int b in new[] { 0, 3, 5, 10 })
            await client.WriteAsync((uint)(b * block), image.Payload.Slice(b * block, Math.Min(block, image.Payload.Length - b * block)).ToArray()).WaitAsync(HangGuard);
        GetMissingBlocksResponse none = await client.GetMissingBlocksAsync(0, block).WaitAsync(HangGuard);
        Assert.Empty(Set(none));
        Assert.Equal((uint)image.Payload.Length, none.BytesCommitted);
        await client.FinishUpdateAsync().WaitAsync(HangGuard);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task Bad_questions_get_typed_errors_and_a_large_payload_is_asked_in_pieces_of_512_blocks()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        firmware.Boot();
        BootloaderClient client = Client(firmware);
        Assert.Equal(BootloaderError.NoUpdateInProgress, await ErrorOf(() => client.GetMissingBlocksAsync(0, 992)));

        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 40_000, counter: 2);
        await BeginAsync(client, UpdateTarget.Application, image).WaitAsync(HangGuard);
        Assert.Equal(BootloaderError.Misaligned, await ErrorOf(() => client.GetMissingBlocksAsync(0, 100)));
        Assert.Equal(BootloaderError.Misaligned, await ErrorOf(() => client.GetMissingBlocksAsync(0, 0)));
        Assert.Equal(BootloaderError.Misaligned, await ErrorOf(() => client.GetMissingBlocksAsync(8, 992)));
        Assert.Equal(BootloaderError.OutOfRange, await ErrorOf(() => client.GetMissingBlocksAsync(40_000, 16)));

        GetMissingBlocksResponse first = await client.GetMissingBlocksAsync(0, 16).WaitAsync(HangGuard); // 2500 blocks of 16 bytes
        Assert.Equal(512, first.BlockCount);
        Assert.All(first.Missing, b => Assert.Equal(0xFF, b));
        GetMissingBlocksResponse tail = await client.GetMissingBlocksAsync(4 * 512 * 16, 16).WaitAsync(HangGuard);
        Assert.Equal(2500 - 4 * 512, tail.BlockCount);
    }

    private static int[] Set(GetMissingBlocksResponse answer) =>
        Enumerable.Range(0, answer.BlockCount).Where(i => (answer.Missing[i / 8] & (1 << (i % 8))) != 0).ToArray();
}
