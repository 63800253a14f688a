using System.Buffers;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Simulator;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// The firmware tests' product on top of the shared recipe (<see cref="DeviceKit"/>): one chip's unique id (the strict
/// test flash's), a counter-0 factory, strict flash, and a host-side update routine.
/// </summary>
internal static class Kit
{
    public static readonly EcP256PrivateKey SigningKey = DeviceKit.SigningKey;
    public static readonly EcP256PrivateKey OtherSigningKey = DeviceKit.UntrustedSigningKey;
    public static readonly EcP256PrivateKey IdentityKey = DeviceKit.IdentityKey(900);
    public static readonly EcP256PrivateKey OtherIdentityKey = DeviceKit.IdentityKey(901);
    public static readonly DeviceUid Uid = DeviceUid.FromBytes(TestFlash.Uid);
    public static readonly DeviceUid OtherUid = DeviceUid.FromWords(1, 2, 3);

    public static DeviceProfile Profile(FlashFamily family, bool requireEncryption = false, bool requireBinding = false, bool downgradePrevention = true, bool eraseAhead = true) => new()
    {
        MemoryMap = family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
        Uid = Uid,
        TrustedSigningKeys = [SigningKey.PublicKey],
        IdentityKey = IdentityKey,
        RequireEncryption = requireEncryption,
        RequireDeviceBinding = requireBinding,
        DowngradePrevention = downgradePrevention,
        FlashTiming = FlashTimingProfile.Instant,
        EraseAhead = eraseAhead,
    };

    /// <summary>A blank flash that refuses any program over non-erased cells: every flash violation fails the test.</summary>
    public static SimulatedFlash StrictFlash(DeviceProfile profile) =>
        TestFlash.Create(profile.MemoryMap.Geometry, ProgramOverwritePolicy.RejectAnyReprogram,
            profile.MemoryMap.Geometry.Family == FlashFamily.Stm32F4 ? FlashProgramSize.Word : FlashProgramSize.DoubleWord);

    /// <summary>
    /// An image for <paramref name="region"/> of <paramref name="profile"/> (<see cref="DeviceKit.Image"/>; counter 0 and
    /// 6000 bytes unless told otherwise), signed with the trusted key whatever the profile checks unless
    /// <paramref name="signer"/> says otherwise. Encrypted for <see cref="Uid"/> and <see cref="IdentityKey"/> unless a
    /// recipient is given; <paramref name="seed"/> picks another payload.
    /// </summary>
    public static FirmwareImage Image(
        DeviceProfile profile, RegionKind region, FirmwareVersion version, int size = 6000, uint counter = 0,
        bool encrypt = false, int seed = 1, Action<ImageSettings>? tweak = null, IImageSigner? signer = null, uint? loadAddress = null,
        EcP256PublicKey? recipientKey = null, DeviceUid? recipient = null) =>
        DeviceKit.Image(profile, region, version, size, counter, encrypt: encrypt, signer: signer ?? DeviceKit.Signer, loadAddress: loadAddress, tweak: tweak,
            recipient: encrypt ? recipient ?? Uid : null, recipientKey: encrypt ? recipientKey ?? IdentityKey.PublicKey : null,
            variant: seed == 1 ? null : $"seed {seed}");

    /// <summary>The image with one payload byte flipped (the manifest and signature untouched).</summary>
    public static FirmwareImage WithTamperedPayload(FirmwareImage image) => DeviceKit.WithTamperedPayload(image);

    public static FirmwareVersion V(byte major, byte minor = 0, ushort patch = 0) => new(major, minor, patch, 0);

    /// <summary>A device with pre-bootloader, copy A (1.0) and an application (1.0), counter 0, booted.</summary>
    public static (DeviceFirmware Firmware, SimulatedFlash Flash) FactoryDevice(DeviceProfile profile, bool withApplication = true)
    {
        SimulatedFlash flash = StrictFlash(profile);
        var factory = new FactoryFirmware
        {
            BootloaderVersion = V(1),
            BootloaderSize = 6000,
            BootloaderSecurityCounter = 0,
            ApplicationVersion = V(1),
            ApplicationSize = withApplication ? 6000 : null,
            ApplicationSecurityCounter = 0,
        };
        DeviceKit.Factory.ProgramAsync(profile, flash, factory).GetAwaiter().GetResult();
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        firmware.Boot();
        return (firmware, flash);
    }

    public static BootloaderClient Client(DeviceFirmware firmware, Endpoint? host = null) => new(new LoopbackInvoker(firmware.Bootloader, host), new NodeAddress(0x10));

    public static byte[] WrappedKey(FirmwareImage image, DeviceUid? uid = null) => DeviceKit.WrappedKey(image, uid ?? Uid);

    public static Task<BeginUpdateResponse> BeginAsync(BootloaderClient client, UpdateTarget target, FirmwareImage image) =>
        client.BeginUpdateAsync(target, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), WrappedKey(image));

    /// <summary>
    /// What a host does: BeginUpdate (new or resume), writes from the resume offset in chunks, FinishUpdate; when the
    /// device answers Incomplete (it had to erase a sector again: a unit torn by a power cut next to committed bytes,
    /// or its trailer slots used up), the same again from where the device says, a few times at most.
    /// </summary>
    public static async Task<FinishUpdateResponse> UpdateAsync(BootloaderClient client, UpdateTarget target, FirmwareImage image, int chunk = 4096)
    {
        for (int attempt = 1; ; attempt++)
        {
            BeginUpdateResponse begin = await BeginAsync(client, target, image);
            int size = Math.Min(chunk, begin.MaxWriteSize);
            for (int offset = (int)begin.ResumeOffset; offset < image.Payload.Length; offset += size)
                await client.WriteAsync((uint)offset, image.Payload.Slice(offset, Math.Min(size, image.Payload.Length - offset)).ToArray());
            try
            {
                return await client.FinishUpdateAsync();
            }
            catch (RpcErrorException e) when (attempt < 3 && BootloaderInterface.TryGetError(e, out BootloaderError error) && error == BootloaderError.Incomplete)
            {
            }
        }
    }

    public static async Task<BootloaderError> ErrorOf(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcErrorException>(call);
        Assert.True(BootloaderInterface.TryGetError(e, out BootloaderError error), e.Message);
        return error;
    }
}

/// <summary>An <see cref="IRpcInvoker"/> that serves the generated client with the service in process, through the real encode/dispatch/decode path.</summary>
internal sealed class LoopbackInvoker(IRpcService service, Endpoint? host = null) : IRpcInvoker
{
    private readonly Endpoint _host = host ?? new(NodeAddress.Host, WellKnownPorts.Rpc);

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(NodeAddress device, ushort interfaceId, ushort commandId, TRequest request, RpcCallOptions? options, CancellationToken cancellationToken)
        where TRequest : IRpcMessage<TRequest>
        where TResponse : IRpcMessage<TResponse>
    {
        var requestBuffer = new ArrayBufferWriter<byte>();
        var writer = new RpcWriter(requestBuffer);
        request.Write(ref writer);
        var response = new ArrayBufferWriter<byte>();
        await service.DispatchAsync(new RpcServerCall(_host, commandId, requestBuffer.WrittenMemory.ToArray(), response), cancellationToken);
        var reader = new RpcReader(response.WrittenSpan);
        return TResponse.Read(ref reader);
    }

    public IDisposable SubscribeEvent<TEvent>(NodeAddress device, ushort interfaceId, ushort eventId, Action<NodeAddress, TEvent> handler)
        where TEvent : IRpcMessage<TEvent> => new Nothing();

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
