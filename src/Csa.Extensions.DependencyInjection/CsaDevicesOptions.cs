namespace Csa.Extensions.DependencyInjection;

/// <summary>
/// The links <see cref="CsaDevices"/> opens, bound from the configuration section given to
/// <c>AddCsaDevices</c> (its <c>Links</c> array). The SDK's own settings bind beside it: <c>Network</c> to
/// <see cref="Csa.Bootloader.Updates.DeviceNetworkOptions"/>, <c>Updates</c> to <see cref="Csa.Bootloader.Updates.UpdateOptions"/>.
/// </summary>
public sealed class CsaDevicesOptions
{
    /// <summary>The link URIs (<c>serial:/dev/ttyUSB0?baud=115200</c>, <c>tcp://10.0.0.7:5000</c>, <c>sim:chain?devices=3</c>), at least one.</summary>
    public IList<string> Links { get; } = new List<string>();
}
