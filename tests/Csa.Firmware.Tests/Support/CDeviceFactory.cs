using System.Globalization;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Firmware.Tests.Conformance;
using Csa.Simulator.Flash;

namespace Csa.Firmware.Tests.Support;

/// <summary>
/// The command-line part that makes a csa-device a factory-fresh chip: instant flash, the suite's trusted key, and
/// bootloader copy A 1.0 plus an application of the version a test wants, written to a temporary folder.
/// </summary>
internal static class CDeviceFactory
{
    public static string[] Arguments(FlashFamily family, FirmwareVersion? applicationVersion = null)
    {
        var product = new ConformanceProduct(family, 90);
        FirmwareVersion version = applicationVersion ?? ConformanceKit.V1;
        string directory = Directory.CreateTempSubdirectory("csa-c-factory-").FullName;
        string bootloader = Path.Combine(directory, "bootloader.csai"), application = Path.Combine(directory, "application.csai");
        File.WriteAllBytes(bootloader, ConformanceKit.Image(product, RegionKind.BootloaderA, ConformanceKit.V1, size: 12_000).ToArray());
        File.WriteAllBytes(application, ConformanceKit.Image(product, RegionKind.Application, version, size: 20_000).ToArray());
        return
        [
            "--family", family == FlashFamily.Stm32F4 ? "f4" : "l4",
            "--flash-timing", "instant",
            "--trust", ConformanceKit.PublicKeyFile,
            "--factory-bootloader", bootloader,
            "--factory-application", application,
        ];
    }

    public static string Hex(uint value) => value.ToString("X", CultureInfo.InvariantCulture);
}
