using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>The two implementations of the device side that one update suite holds to the same assertions.</summary>
public enum DeviceImplementation
{
    /// <summary>The C# virtual device (<c>Csa.Simulator.Device.VirtualDevice</c>).</summary>
    CSharp,

    /// <summary>The C device (<c>firmware/</c>: the csa-device process on its flash file).</summary>
    C,
}

/// <summary>A planned power cut: before flash operation <paramref name="Operation"/> (counted from the device's start, from 0), or inside it at <paramref name="Fraction"/>.</summary>
internal sealed record CutPoint(long Operation, double? Fraction = null)
{
    public override string ToString() => Fraction is { } f ? $"inside operation {Operation} at {f:0.##}" : $"before operation {Operation}";
}

/// <summary>The flash as a chip-off analysis reads it: the main array and the OTP area.</summary>
internal sealed record FlashSnapshot(MemoryMap Map, byte[] Main, byte[] Otp)
{
    public byte[] Region(MemoryRegion region) => Main[(int)(region.Address - Map.Geometry.BaseAddress)..(int)(region.Address - Map.Geometry.BaseAddress + region.Size)];

    /// <summary>
    /// The regions that differ from <paramref name="other"/>, by name (OTP as "OTP"): what a refused or a completed
    /// update changed.
    /// </summary>
    public IReadOnlyList<string> DifferingRegions(FlashSnapshot other)
    {
        var names = new List<string>();
        foreach (MemoryRegion region in Map.Regions)
        {
            if (!Region(region).AsSpan().SequenceEqual(other.Region(region)))
                names.Add(region.Kind.ToString());
        }
        if (!Otp.AsSpan().SequenceEqual(other.Otp))
            names.Add("OTP");
        return names;
    }

    public static FlashSnapshot Of(SimulatedFlash flash, MemoryMap map) =>
        new(map, flash.ReadRaw(flash.Geometry.BaseAddress, (int)flash.Geometry.Size), flash.ReadRaw(flash.Geometry.OtpAddress, (int)flash.Geometry.OtpSize));
}

/// <summary>
/// One device under test, powered and running from its factory state: a link the host opens (again, after a fault),
/// power it can lose and get back, and its flash byte for byte. The suite talks to it only over its link.
/// </summary>
internal interface IDeviceUnderTest : IAsyncDisposable
{
    DeviceImplementation Implementation { get; }

    ConformanceProduct Product { get; }

    /// <summary>The host's way to the device; opening it again replaces the cable (or reconnects the socket).</summary>
    NetworkLink Link { get; }

    /// <summary>Opens the device's upstream wire as <see cref="Link"/> does (replacing the cable), for a host of the test's own.</summary>
    Task<Csa.DataLink.ILinkTransport> OpenTransportAsync(CancellationToken cancellationToken);

    /// <summary>Cuts the power now (tearing a flash operation in progress); it comes back after 50 ms, as after a planned cut.</summary>
    Task CutPowerAsync();

    /// <summary>Power cuts the device has had (planned, or <see cref="CutPowerAsync"/>).</summary>
    int PowerCuts { get; }

    /// <summary>The flash now, as its cells hold it.</summary>
    FlashSnapshot Snapshot();

    /// <summary>Flash operations (programs and erases) since the device started.</summary>
    Task<long> FlashOperationsAsync();

    /// <summary>What the device said about itself (the C device's standard error; the C# device's state changes).</summary>
    string Log { get; }

    /// <summary>
    /// What an invasive attack on the chip's key storage reads out (decapping, fault injection; the attacker model of
    /// REQ-KEY-EXPOSURE): its identity private key, or null. Nothing in the firmware does this.
    /// </summary>
    EcP256PrivateKey? ExtractIdentityKey();

    /// <summary>A read-out of the whole flash with a programmer (OTP, option bytes, unique id), as a flash image file.</summary>
    Task SaveFlashAsync(string path);
}

/// <summary>Starts devices under test of either implementation from the same product and factory images.</summary>
internal static class DevicesUnderTest
{
    public static Task<IDeviceUnderTest> StartAsync(DeviceImplementation implementation, ConformanceProduct product, FactoryImages factory, CutPoint? cut = null) =>
        implementation == DeviceImplementation.CSharp
            ? VirtualDeviceUnderTest.StartAsync(product, factory, cut)
            : CDeviceUnderTest.StartAsync(product, factory, cut);

    /// <summary>
    /// The device's flash operations once they stop changing: erase-ahead erases the update's sectors in the background
    /// while the line is idle, so a test that wants to see that a command writes nothing waits for it to finish first.
    /// </summary>
    public static async Task<long> QuietFlashAsync(IDeviceUnderTest dut, CancellationToken cancellationToken)
    {
        long last = await dut.FlashOperationsAsync();
        while (true)
        {
            await Task.Delay(200, cancellationToken);
            long now = await dut.FlashOperationsAsync();
            if (now == last)
                return now;
            last = now;
        }
    }

    /// <summary>
    /// A chip that runs a flash image file someone saved (a clone: another chip with the copied flash and its unique id),
    /// with a key storage of its own that is empty or holds <paramref name="keyInStorage"/>.
    /// </summary>
    public static Task<IDeviceUnderTest> StartFromFlashAsync(DeviceImplementation implementation, ConformanceProduct product, string flashFile, EcP256PrivateKey? keyInStorage) =>
        implementation == DeviceImplementation.CSharp
            ? VirtualDeviceUnderTest.StartFromFlashAsync(product, flashFile, keyInStorage)
            : CDeviceUnderTest.StartFromFlashAsync(product, flashFile, keyInStorage);
}

/// <summary>What the production programmer writes: bootloader copy A and (optionally) the application.</summary>
internal sealed record FactoryImages(FirmwareImage BootloaderA, FirmwareImage? Application);
