using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Csa.Simulator.Tests.Support;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;

namespace Csa.Simulator.Tests.Device;

/// <summary>
/// The virtual device's bootloader takes its commands in the order they arrive, as a bootloader's command loop does
/// (docs/device-model.md section 8, "command order"): the host sends FinishUpdate right behind the last Write, and
/// GetMissingBlocks behind the last write to a group (docs/updates.md sections 3.1 and 10a), and each must find every
/// write before it done. The RPC server runs each command on a task of its own, so without the order a question that
/// arrived a millisecond after a write could run first.
/// </summary>
public sealed class CommandOrderTests
{
    private const int Chunk = 992; // a multiple of 16; each write is a packet of several 256-byte frames

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-INST")]
    public async Task A_question_and_a_finish_sent_behind_the_last_writes_find_every_write_done()
    {
        // Enough receive buffers for every write, the question and the finish of one update at once: the host's RPC
        // client hands them to the link in the order they were asked, without waiting for answers.
        DeviceProfile basic = Profile();
        var profile = new DeviceProfile
        {
            MemoryMap = basic.MemoryMap,
            Uid = basic.Uid,
            Authentication = basic.Authentication,
            ProductName = basic.ProductName,
            FlashTiming = FlashTimingProfile.Instant,
            MaxFrameSize = 256,
            ReceiveBuffers = 16,
            MaxPacketSize = 1088,
        };
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false });
        Provision(device, withApplication: false);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("order");
        device.AttachUpstream(deviceEnd);
        await device.PowerOnAsync();
        TestHost host = TestHost.Create();
        await using (device)
        await using (host)
        {
            host.Add(hostEnd);
            NodeAddress address = Assert.Single(await host.EnumerateAsync()).Address;
            using var client = new BootloaderClient(host.Client, address);
            MemoryMap map = device.Profile.MemoryMap;
            // Several updates, each with a new version: every one must see its last writes before the question and the
            // finish that follow them without waiting.
            for (ushort build = 1; build <= 8; build++)
            {
                FirmwareImage image = Image(map, ImageKind.Application, new FirmwareVersion(3, 0, 0, build));
                BeginUpdateResponse begin = await client.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(),
                    image.AuthenticationBlock.ToArray(), []).WaitAsync(HangGuard);
                Assert.Equal(0u, begin.ResumeOffset);

                var writes = new List<Task<WriteResponse>>();
                for (int offset = 0; offset < image.Payload.Length; offset += Chunk)
                    writes.Add(client.WriteAsync((uint)offset, image.Payload.Slice(offset, Math.Min(Chunk, image.Payload.Length - offset)).ToArray()));
                Task<GetMissingBlocksResponse> question = client.GetMissingBlocksAsync(0, Chunk);
                Task<FinishUpdateResponse> finish = client.FinishUpdateAsync();

                GetMissingBlocksResponse missing = await question.WaitAsync(HangGuard);
                Assert.Equal((uint)image.Payload.Length, missing.BytesCommitted);
                Assert.All(missing.Missing, bits => Assert.Equal(0, bits));
                FinishUpdateResponse finished = await finish.WaitAsync(HangGuard);
                Assert.Equal(image.Manifest.PayloadSha256.ToArray(), finished.PayloadSha256);
                await Task.WhenAll(writes).WaitAsync(HangGuard);
            }
        }
    }
}
