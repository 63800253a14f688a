using Csa.DataLink;
using Csa.Rpc.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The standard Device interface (device.rpc.json) as the running image serves it: identity from the profile,
/// versions from the firmware, capabilities from the profile's link limits, and the two ways to restart.
/// </summary>
internal sealed class DeviceService : DeviceServerBase
{
    /// <summary>How long EnterBootloader waits after its response before the application resets.</summary>
    public static readonly TimeSpan EnterBootloaderResetDelay = TimeSpan.FromMilliseconds(20);

    private readonly DeviceProfile _profile;
    private readonly ImageKind _runningImage;
    private readonly IDeviceControl _control;
    private readonly byte[] _uid;

    public DeviceService(DeviceProfile profile, ImageKind runningImage, IDeviceControl control)
    {
        _profile = profile;
        _runningImage = runningImage;
        _control = control;
        _uid = profile.Uid.ToArray();
    }

    /// <summary>The features of the running image, from the profile's security options.</summary>
    public static FeatureFlags FeaturesOf(DeviceProfile profile, ImageKind runningImage)
    {
        FeatureFlags features = FeatureFlags.Forwarding;
        if (runningImage != ImageKind.Bootloader)
            return features;
        // The update-related features are the bootloader's: the application only forwards and restarts.
        features |= FeatureFlags.BootloaderUpdate;
        if (profile.Authentication == Csa.Bootloader.Images.ImageAuthentication.EcdsaP256Sha256)
            features |= FeatureFlags.Signatures;
        if (profile.IdentityKey is not null || profile.RequireProvisioning)
            features |= FeatureFlags.Encryption;
        if (profile.DowngradePrevention)
            features |= FeatureFlags.DowngradeProtection;
        // Every bootloader honours a binding (an image bound to other unique ids is refused, NotBoundToThisDevice),
        // so every bootloader advertises it; whether it also refuses unbound images (RequireDeviceBinding) is the
        // product's policy and shows at BeginUpdate, not here.
        features |= FeatureFlags.DeviceBinding;
        if (profile.Multicast)
            features |= FeatureFlags.Multicast;
        return features;
    }

    protected override Task<GetIdentityResponse> GetIdentityAsync(GetIdentityRequest request, Endpoint source, CancellationToken cancellationToken) =>
        Task.FromResult(new GetIdentityResponse(_profile.VendorId, _profile.DeviceClassId, (byte[])_uid.Clone(), _profile.McuDeviceId, _profile.HardwareRevision, _profile.ProductName));

    protected override Task<GetVersionsResponse> GetVersionsAsync(GetVersionsRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        FirmwareVersions versions = _control.ReadVersions();
        return Task.FromResult(new GetVersionsResponse(_runningImage, versions.ActiveBootloader, versions.BootloaderVersion,
            versions.ApplicationVersion, versions.ApplicationValid, versions.SecurityCounter, DataLinkProtocol.Version));
    }

    protected override Task<GetCapabilitiesResponse> GetCapabilitiesAsync(GetCapabilitiesRequest request, Endpoint source, CancellationToken cancellationToken) =>
        Task.FromResult(new GetCapabilitiesResponse(_profile.MaxFrameSize, _profile.ReceiveBuffers, _profile.MaxPacketSize, FeaturesOf(_profile, _runningImage)));

    /// <summary>
    /// The bootloader's rules, answered by the application too: on a chip both images are built for the same product
    /// (the application reads them from the bootloader's configuration), so a host can check an image before it asks the
    /// application to enter the bootloader. The largest payload is the region minus the trailer (device-model.md 5.1).
    /// </summary>
    protected override Task<GetUpdateRulesResponse> GetUpdateRulesAsync(GetUpdateRulesRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        ImageRequirements requirements = ImageRequirements.None;
        if (_profile.RequireDeviceBinding)
            requirements |= ImageRequirements.DeviceBinding;
        if (_profile.RequireEncryption)
            requirements |= ImageRequirements.Encryption;
        MemoryMap map = _profile.MemoryMap;
        return Task.FromResult(new GetUpdateRulesResponse(FeaturesOf(_profile, ImageKind.Bootloader), requirements,
            Slot(map.Application), Slot(map.BootloaderA), Slot(map.BootloaderB)));
    }

    private static ImageSlot Slot(MemoryRegion region) => new(region.Address, ImageTrailer.UsableSize(region));

    protected override async Task<ResetResponse> ResetAsync(ResetRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        if (_control.IsBusy)
            throw Error(DeviceError.Busy, "A flash operation is in progress; reset when it has finished.");
        // The request to stay in the bootloader is persisted before the answer, so an answered Reset(Bootloader)
        // always lands in the bootloader, even if power fails during the delay.
        // A normal reset asks for the application: a request to stay that brought the device here is forgotten.
        if (request.Mode == ResetMode.Bootloader)
            await _control.RequestBootloaderAsync(0, cancellationToken).ConfigureAwait(false);
        else
            await _control.ClearBootloaderRequestAsync(cancellationToken).ConfigureAwait(false);
        _control.ScheduleReset(request.Mode, TimeSpan.FromMilliseconds(request.DelayMilliseconds), source, DeviceInterface.Commands.Reset);
        return new ResetResponse();
    }

    protected override async Task<EnterBootloaderResponse> EnterBootloaderAsync(EnterBootloaderRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        // A bootloader is where the host wants to be already: it answers and keeps waiting.
        if (_runningImage == ImageKind.Bootloader)
            return new EnterBootloaderResponse();
        if (_control.IsBusy)
            throw Error(DeviceError.Busy, "A flash operation is in progress; try again when it has finished.");
        await _control.RequestBootloaderAsync(request.WaitSeconds, cancellationToken).ConfigureAwait(false);
        _control.ScheduleReset(ResetMode.Bootloader, EnterBootloaderResetDelay, source, DeviceInterface.Commands.EnterBootloader);
        return new EnterBootloaderResponse();
    }

    /// <summary>Publishes a Heartbeat; the device's timer calls it.</summary>
    public Task PublishHeartbeatAsync(DeviceState state, TimeSpan uptime, CancellationToken cancellationToken) =>
        PublishHeartbeatAsync(new HeartbeatEvent(state, _runningImage, DeviceClock.ToWireMilliseconds(uptime)), cancellationToken);

    /// <summary>Publishes StateChanged.</summary>
    public Task PublishStateChangedAsync(DeviceState previous, DeviceState current, CancellationToken cancellationToken) =>
        PublishStateChangedAsync(new StateChangedEvent(previous, current), cancellationToken);
}
