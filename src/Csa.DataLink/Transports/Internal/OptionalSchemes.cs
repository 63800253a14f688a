using System.Runtime.CompilerServices;

namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// Schemes that live in optional packages, so that this core stays free of their dependencies (docs/transports.md
/// section 7.8): <c>i2c:</c> and <c>spi:</c> come with Csa.DataLink.Bus (System.Device.Gpio), <c>sim:</c> with Csa.Simulator. A URI with such a scheme
/// loads the package when the application ships it (its registration type's static constructor registers the schemes),
/// so <c>DeviceNetwork.ConnectUrisAsync(["i2c:/dev/i2c-1?address=0x42"])</c> works without a call to register first.
/// </summary>
internal static class OptionalSchemes
{
    private const string BusRegistration = "Csa.DataLink.Bus.BusLinkSchemes, Csa.DataLink.Bus";

    /// <summary>The simulator's <c>sim:</c> scheme: virtual devices in this process (Csa.Simulator).</summary>
    private const string SimulatorRegistration = "Csa.Simulator.Hosting.SimulatorScheme, Csa.Simulator";

    public static string? PackageOf(string scheme) => scheme.ToLowerInvariant() switch
    {
        "i2c" or "spi" => "Csa.DataLink.Bus",
        "sim" => "Csa.Simulator",
        _ => null,
    };

    /// <summary>Loads the package that owns <paramref name="scheme"/>; false when there is none or it is not there.</summary>
    public static bool TryLoad(string scheme)
    {
        string? package = PackageOf(scheme);
        if (package is null)
            return false;
        Type? registration;
        try
        {
            registration = Type.GetType(package == "Csa.Simulator" ? SimulatorRegistration : BusRegistration, throwOnError: false);
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException)
        {
            return false;
        }
        if (registration is null)
            return false;
        RuntimeHelpers.RunClassConstructor(registration.TypeHandle);
        return true;
    }
}
