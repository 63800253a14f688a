using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Microsoft.Extensions.Logging;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>Events, pipelined writes and logging of the bootloader service.</summary>
public class ServiceBehaviourTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Phase_changes_are_published_as_events()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile, withApplication: false);
        var sink = new RecordingSink();
        firmware.Bootloader.EventSink = sink;
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 5000);
        await UpdateAsync(Client(firmware), UpdateTarget.Application, image);
        await BeginAsync(Client(firmware), UpdateTarget.Application, Image(profile, RegionKind.Application, V(3), size: 5000));
        await Client(firmware).AbortUpdateAsync();
        Assert.Equal(
            [(UpdatePhase.Receiving, 0u), (UpdatePhase.Complete, 5000u), (UpdatePhase.Receiving, 0u), (UpdatePhase.Idle, 0u)],
            sink.Events.Select(e => (e.Phase, e.BytesCommitted)).ToArray());
        Assert.All(sink.Events, e => Assert.Equal(UpdateTarget.Application, e.Target));
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Pipelined_writes_from_several_tasks_install_the_image()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, _) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 100_000);
        await BeginAsync(client, UpdateTarget.Application, image);
        var offsets = Enumerable.Range(0, (image.Payload.Length + 4095) / 4096).Select(i => i * 4096).ToArray();
        await Parallel.ForEachAsync(offsets, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (offset, ct) =>
        {
            byte[] data = image.Payload.Slice(offset, Math.Min(4096, image.Payload.Length - offset)).ToArray();
            await client.WriteAsync((uint)offset, data, ct);
            await client.WriteAsync((uint)offset, data, ct); // a duplicate, as a host retry after a lost answer
        });
        await client.FinishUpdateAsync();
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_second_host_cannot_replace_the_update_in_progress_but_may_resume_it_or_abort_it()
    {
        // Without erase-ahead: the erase count below must only move by what the commands do.
        DeviceProfile profile = Profile(FlashFamily.Stm32L4, eraseAhead: false);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        BootloaderClient first = Client(firmware, new Csa.DataLink.Endpoint(Csa.DataLink.NodeAddress.Host, 5));
        BootloaderClient second = Client(firmware, new Csa.DataLink.Endpoint(new Csa.DataLink.NodeAddress(0x21), 5));
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 9000);
        await BeginAsync(first, UpdateTarget.Application, image);
        await first.WriteAsync(0, image.Payload[..4096].ToArray());
        long erases = flash.Statistics.SectorErases;

        Assert.Equal(BootloaderError.Busy, await ErrorOf(() => BeginAsync(second, UpdateTarget.Application, Image(profile, RegionKind.Application, V(3)))));
        Assert.Equal(erases, flash.Statistics.SectorErases);
        Assert.Equal(4096u, (await BeginAsync(second, UpdateTarget.Application, image)).ResumeOffset); // the same image: resumed
        await second.AbortUpdateAsync();
        await UpdateAsync(first, UpdateTarget.Application, Image(profile, RegionKind.Application, V(3)));
        Assert.Equal(V(3), firmware.Boot().ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Decisions_are_logged_when_a_logger_is_given()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)));
        var logger = new ListLogger();
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System) { Logger = logger };
        firmware.Boot();
        await ErrorOf(() => BeginAsync(Client(firmware), UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderA, V(2))));
        await UpdateAsync(Client(firmware), UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderB, V(2)));
        Assert.Contains(logger.Lines, l => l.StartsWith("Boot: BootloaderA stays resident (NoValidApplication)", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("BeginUpdate refused (WrongLocation)", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Image committed in BootloaderB (trailer slot 0)", StringComparison.Ordinal));
    }

    private sealed class RecordingSink : IRpcEventSink
    {
        public List<UpdatePhaseChangedEvent> Events { get; } = new();

        public Task PublishAsync<TEvent>(ushort interfaceId, ushort eventId, TEvent payload, CancellationToken cancellationToken)
            where TEvent : IRpcMessage<TEvent>
        {
            Assert.Equal(BootloaderInterface.Id, interfaceId);
            Assert.Equal(BootloaderInterface.Events.UpdatePhaseChanged, eventId);
            Events.Add(Assert.IsType<UpdatePhaseChangedEvent>(payload));
            return Task.CompletedTask;
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
                Lines.Add(formatter(state, exception));
        }
    }
}

/// <summary>A checksum-only product (no asymmetric cryptography): CRC-32 authenticated images.</summary>
public class ChecksumProductTests
{
    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_crc_product_installs_crc_images_and_refuses_signed_ones()
    {
        var profile = new DeviceProfile
        {
            MemoryMap = Csa.Simulator.Memory.MemoryMap.Stm32L4_1M,
            Uid = Uid,
            Authentication = ImageAuthentication.Crc32,
            DowngradePrevention = false,
            MaxPacketSize = 1024 + 64,
        };
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1), signer: Crc32ImageAuthenticator.Instance));
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        Assert.Equal(RegionKind.BootloaderA, firmware.Boot().RunningBootloader);
        BootloaderClient client = Client(firmware);
        Assert.Equal(1024, (await client.GetStatusAsync()).MaxWriteSize);
        Assert.Equal(BootloaderError.BadSignature, await ErrorOf(() => BeginAsync(client, UpdateTarget.Application, Image(profile, RegionKind.Application, V(2)))));
        await UpdateAsync(client, UpdateTarget.Application, Image(profile, RegionKind.Application, V(2), size: 9000, signer: Crc32ImageAuthenticator.Instance));
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }
}
