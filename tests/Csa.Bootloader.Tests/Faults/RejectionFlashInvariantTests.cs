using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Testing.DeviceKit;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>
/// Every security refusal, sent to the device directly (the updater's local pre-check would stop these images on
/// the host; the device must not rely on it), leaves the flash exactly as it was: the bytes of both bootloader copies
/// and of the application identical, not one erase, not one program. The refusals' error codes are the update
/// workflow tests' business; these check the flash.
/// </summary>
public sealed class RejectionFlashInvariantTests
{
    private static readonly DeviceProfile Device = Profile(55, FlashFamily.Stm32F4);

    public enum Attack
    {
        CrcOnlyOnASignatureDevice,
        UnknownSigningKey,
        TamperedManifest,
        TamperedSignature,
        BoundToAnotherDevice,
        Downgrade,
        WrongDeviceClass,
        WrongRegion,
    }

    [Theory]
    [InlineData(Attack.CrcOnlyOnASignatureDevice, BootloaderError.BadSignature)]
    [InlineData(Attack.UnknownSigningKey, BootloaderError.UnknownKey)]
    [InlineData(Attack.TamperedManifest, BootloaderError.BadSignature)]
    [InlineData(Attack.TamperedSignature, BootloaderError.BadSignature)]
    [InlineData(Attack.BoundToAnotherDevice, BootloaderError.NotBoundToThisDevice)]
    [InlineData(Attack.Downgrade, BootloaderError.SecurityCounterTooLow)]
    [InlineData(Attack.WrongDeviceClass, BootloaderError.WrongTarget)]
    [InlineData(Attack.WrongRegion, BootloaderError.WrongLocation)]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task A_refused_image_leaves_every_region_byte_identical_with_no_erase_and_no_program(Attack attack, BootloaderError expected)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await using Bench bench = await Bench.StartInBootloaderAsync(guard.Token);
        (byte[] manifest, byte[] authentication) = Forge(attack);
        Snapshot before = Snapshot.Take(bench.Device);

        var error = await Assert.ThrowsAsync<RpcErrorException>(() =>
            bench.Bootloader.BeginUpdateAsync(UpdateTarget.Application, manifest, authentication, [], guard.Token));
        Assert.True(BootloaderInterface.TryGetError(error, out BootloaderError code), error.Message);
        Assert.Equal(expected, code);

        before.AssertUnchanged(bench.Device, attack.ToString());
        // Still resident, still the same image, still answering.
        GetStatusResponse status = await bench.Bootloader.GetStatusAsync(guard.Token);
        Assert.Equal(UpdatePhase.Idle, status.Phase);
        Assert.Equal(RegionState.Valid, status.Regions[(int)RegionKind.Application].State);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task A_tampered_payload_is_never_committed_and_leaves_the_running_copy_and_the_application_untouched()
    {
        // The manifest is genuine, so the device accepts it and erases the target (the other copy) before the
        // payload arrives; the check that holds is at FinishUpdate. Written to copy B, the running copy A and the
        // application must not move by a byte, and the device must keep booting copy A.
        using var guard = new CancellationTokenSource(HangGuard);
        await using Bench bench = await Bench.StartInBootloaderAsync(guard.Token);
        FirmwareImage genuine = Image(Device, RegionKind.BootloaderB, V2, 30_000, 2);
        byte[] payload = genuine.Payload.ToArray();
        payload[payload.Length / 2] ^= 0x01;
        byte[] copyA = ReadRegion(bench.Device, RegionKind.BootloaderA);
        byte[] application = ReadRegion(bench.Device, RegionKind.Application);

        BeginUpdateResponse begin = await bench.Bootloader.BeginUpdateAsync(UpdateTarget.OtherBootloader, genuine.ManifestBytes.ToArray(), genuine.AuthenticationBlock.ToArray(), [], guard.Token);
        for (int offset = 0; offset < payload.Length; offset += begin.MaxWriteSize)
            await bench.Bootloader.WriteAsync((uint)offset, payload.AsSpan(offset, Math.Min(begin.MaxWriteSize, payload.Length - offset)).ToArray(), guard.Token);
        var error = await Assert.ThrowsAsync<RpcErrorException>(() => bench.Bootloader.FinishUpdateAsync(guard.Token));
        Assert.True(BootloaderInterface.TryGetError(error, out BootloaderError code));
        Assert.Equal(BootloaderError.PayloadHashMismatch, code);

        Assert.Equal(copyA, ReadRegion(bench.Device, RegionKind.BootloaderA));
        Assert.Equal(application, ReadRegion(bench.Device, RegionKind.Application));
        Assert.NotEqual(RegionState.Valid, bench.Device.Firmware.Inventory[RegionKind.BootloaderB].State);
        AssertNoFlashRuleViolated(bench.Device, "tampered payload");
        await bench.Device.PowerCycleAsync(guard.Token);
        Assert.Equal(RegionKind.BootloaderA, bench.Device.Firmware.LastBoot!.RunningBootloader);
    }

    private static (byte[] Manifest, byte[] Authentication) Forge(Attack attack)
    {
        const int size = 8_000;
        FirmwareImage genuine = Image(Device, RegionKind.Application, V2, size, 2);
        byte[] manifest = genuine.ManifestBytes.ToArray();
        byte[] authentication = genuine.AuthenticationBlock.ToArray();
        switch (attack)
        {
            case Attack.CrcOnlyOnASignatureDevice:
                return Parts(Image(Device, RegionKind.Application, V2, size, 2, signer: Crc32ImageAuthenticator.Instance, variant: "crc"));
            case Attack.UnknownSigningKey:
                return Parts(Image(Device, RegionKind.Application, V2, size, 2, signer: new EcdsaP256Signer(UntrustedSigningKey), variant: "unknown key"));
            case Attack.TamperedManifest:
                manifest[40] ^= 0x01; // the payload SHA-256 (docs/image-format.md): what an attacker swapping the payload must change
                return (manifest, authentication);
            case Attack.TamperedSignature:
                authentication[10] ^= 0x01;
                return (manifest, authentication);
            case Attack.BoundToAnotherDevice:
                return Parts(Image(Device, RegionKind.Application, V2, size, 2, tweak: s => s.BoundDevices.Add(UidOf(99)), variant: "bound"));
            case Attack.Downgrade:
                return Parts(Image(Device, RegionKind.Application, V2, size, 0, variant: "downgrade"));
            case Attack.WrongDeviceClass:
                return Parts(Image(Device, RegionKind.Application, V2, size, 2, tweak: s => s.DeviceClassId = 99, variant: "class"));
            case Attack.WrongRegion:
                return Parts(Image(Device, RegionKind.Application, V2, size, 2, loadAddress: Device.MemoryMap.BootloaderB.Address, variant: "region"));
            default:
                throw new ArgumentOutOfRangeException(nameof(attack));
        }

        static (byte[], byte[]) Parts(FirmwareImage image) => (image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray());
    }

    /// <summary>The bytes of the three image regions and the flash counters, before an attack.</summary>
    private sealed record Snapshot(byte[] CopyA, byte[] CopyB, byte[] Application, FlashStatistics Stats)
    {
        public static Snapshot Take(VirtualDevice device) => new(
            ReadRegion(device, RegionKind.BootloaderA), ReadRegion(device, RegionKind.BootloaderB), ReadRegion(device, RegionKind.Application), device.Flash.Statistics);

        public void AssertUnchanged(VirtualDevice device, string context)
        {
            FlashStatistics now = device.Flash.Statistics;
            Assert.True(now.SectorErases == Stats.SectorErases, $"{context}: {now.SectorErases - Stats.SectorErases} sector erases");
            Assert.True(now.ProgramOperations == Stats.ProgramOperations, $"{context}: {now.ProgramOperations - Stats.ProgramOperations} programs");
            Assert.True(ReadRegion(device, RegionKind.BootloaderA).AsSpan().SequenceEqual(CopyA), $"{context}: copy A changed");
            Assert.True(ReadRegion(device, RegionKind.BootloaderB).AsSpan().SequenceEqual(CopyB), $"{context}: copy B changed");
            Assert.True(ReadRegion(device, RegionKind.Application).AsSpan().SequenceEqual(Application), $"{context}: the application changed");
        }
    }

    /// <summary>A factory device on an in-memory wire, asked into its bootloader.</summary>
    private sealed class Bench : IAsyncDisposable
    {
        private Bench(VirtualDevice device, HostSession host, BootloaderClient bootloader)
        {
            Device = device;
            Host = host;
            Bootloader = bootloader;
        }

        public VirtualDevice Device { get; }

        public HostSession Host { get; }

        public BootloaderClient Bootloader { get; }

        public static async Task<Bench> StartInBootloaderAsync(CancellationToken cancellationToken)
        {
            VirtualDevice device = Device(RejectionFlashInvariantTests.Device, firmware: FreshBothCopies);
            (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("reject");
            device.AttachUpstream(deviceEnd);
            await device.ResetAsync(Csa.Rpc.Device.ResetMode.Bootloader, cancellationToken);
            HostSession host = HostSession.Create();
            NodeLink link = host.Connect(hostEnd);
            NodeAddress address = (await host.EnumerateAsync(link, cancellationToken: cancellationToken))[0].Address;
            return new Bench(device, host, new BootloaderClient(host.Rpc, address));
        }

        public async ValueTask DisposeAsync()
        {
            Bootloader.Dispose();
            await Host.DisposeAsync();
            await Device.DisposeAsync();
        }
    }
}
