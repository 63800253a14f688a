using Csa.Bootloader.Protocol;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Memory;

/// <summary>
/// Where the device keeps what in flash: pre-bootloader, two-sector state journal, provisioning data, application
/// data, the two bootloader copies and the application, each a separately erasable set of whole sectors, plus the
/// OTP ranges for the device identity and the security counter floor. The device logic takes every address from
/// here; docs/device-model.md explains each choice.
/// </summary>
public sealed class MemoryMap
{
    /// <summary>Creates a map, checking that the regions are whole sectors, disjoint, and complete.</summary>
    /// <exception cref="ArgumentException">A region kind is missing or repeated, regions overlap, the
    /// pre-bootloader is not at the reset vector, or an OTP range is outside the OTP area.</exception>
    public MemoryMap(string name, FlashGeometry geometry, IEnumerable<MemoryRegion> regions, OtpRegion deviceIdentityOtp, OtpRegion securityCounterOtp)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(deviceIdentityOtp);
        ArgumentNullException.ThrowIfNull(securityCounterOtp);
        Name = name;
        Geometry = geometry;
        Regions = regions.OrderBy(r => r.Address).ToArray();
        foreach (MemoryRegionKind kind in Enum.GetValues<MemoryRegionKind>())
        {
            int count = Regions.Count(r => r.Kind == kind);
            if (count != 1)
                throw new ArgumentException($"The map needs exactly one {kind} region; it has {count}.", nameof(regions));
        }
        for (int i = 1; i < Regions.Count; i++)
            if (Regions[i].FirstSector < Regions[i - 1].FirstSector + Regions[i - 1].SectorCount)
                throw new ArgumentException($"{Regions[i - 1]} overlaps {Regions[i]}.", nameof(regions));
        if (Get(MemoryRegionKind.PreBootloader).Address != geometry.BaseAddress)
            throw new ArgumentException("The pre-bootloader must start at the reset vector (the flash base address).", nameof(regions));
        foreach (OtpRegion otp in new[] { deviceIdentityOtp, securityCounterOtp })
            if (otp.Address < geometry.OtpAddress || otp.EndAddress > geometry.OtpAddress + (ulong)geometry.OtpSize || otp.Size <= 0)
                throw new ArgumentException($"OTP range {otp.Name} is outside the OTP area of {geometry.Name}.", nameof(regions));
        DeviceIdentityOtp = deviceIdentityOtp;
        SecurityCounterOtp = securityCounterOtp;
    }

    /// <summary>
    /// STM32F4 1 MB (one bank): pre-bootloader sector 0; journal sectors 1 and 2; provisioning sector 3;
    /// application data sector 4; bootloader A sector 5; bootloader B sector 6; application sectors 7-11 (640 KB).
    /// </summary>
    public static MemoryMap Stm32F4_1M { get; } = CreateF4_1M();

    /// <summary>
    /// STM32F4 2 MB (two banks): as the 1 MB map up to bootloader A (sector 5, bank 1); application sectors 6-22
    /// (1664 KB); bootloader B sector 23 in bank 2, so each copy writes the other without stalling its own fetch.
    /// </summary>
    public static MemoryMap Stm32F4_2M { get; } = CreateF4_2M();

    /// <summary>
    /// STM32L4 1 MB (two banks of 256 pages): pre-bootloader pages 0-7; journal pages 8 and 9; provisioning
    /// pages 10-11; application data pages 12-15; bootloader A pages 16-79 (bank 1); application pages 80-447
    /// (736 KB); bootloader B pages 448-511 (bank 2).
    /// </summary>
    public static MemoryMap Stm32L4_1M { get; } = CreateL4_1M();

    /// <summary>The maps this library defines.</summary>
    public static IReadOnlyList<MemoryMap> Known => [Stm32F4_1M, Stm32F4_2M, Stm32L4_1M];

    /// <summary>The map's name.</summary>
    public string Name { get; }

    /// <summary>The flash the map is for.</summary>
    public FlashGeometry Geometry { get; }

    /// <summary>All regions, in address order.</summary>
    public IReadOnlyList<MemoryRegion> Regions { get; }

    /// <summary>The pre-bootloader region (at the reset vector).</summary>
    public MemoryRegion PreBootloader => Get(MemoryRegionKind.PreBootloader);

    /// <summary>The first journal sector.</summary>
    public MemoryRegion StateJournalA => Get(MemoryRegionKind.StateJournalA);

    /// <summary>The second journal sector.</summary>
    public MemoryRegion StateJournalB => Get(MemoryRegionKind.StateJournalB);

    /// <summary>Provisioning data (device identity and keys, written in production).</summary>
    public MemoryRegion Provisioning => Get(MemoryRegionKind.Provisioning);

    /// <summary>The application's own persistent data, untouched by updates.</summary>
    public MemoryRegion ApplicationData => Get(MemoryRegionKind.ApplicationData);

    /// <summary>Bootloader copy A.</summary>
    public MemoryRegion BootloaderA => Get(MemoryRegionKind.BootloaderA);

    /// <summary>Bootloader copy B.</summary>
    public MemoryRegion BootloaderB => Get(MemoryRegionKind.BootloaderB);

    /// <summary>The application slot.</summary>
    public MemoryRegion Application => Get(MemoryRegionKind.Application);

    /// <summary>OTP range for the device identity (e.g. the hash of the provisioning data), locked in production.</summary>
    public OtpRegion DeviceIdentityOtp { get; }

    /// <summary>OTP range holding the security counter floor as a thermometer code (<see cref="OtpThermometerCounter"/>).</summary>
    public OtpRegion SecurityCounterOtp { get; }

    /// <summary>The map for <paramref name="geometry"/>, or null when this library defines none.</summary>
    public static MemoryMap? For(FlashGeometry geometry) => Known.FirstOrDefault(m => ReferenceEquals(m.Geometry, geometry));

    /// <summary>The region of <paramref name="kind"/>.</summary>
    public MemoryRegion Get(MemoryRegionKind kind) => Regions.First(r => r.Kind == kind);

    /// <summary>The region the bootloader protocol calls <paramref name="kind"/> (docs/rpc-interfaces.md: pre-bootloader, copy A, copy B, application).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> names no region.</exception>
    public MemoryRegion RegionOf(RegionKind kind) => kind switch
    {
        RegionKind.PreBootloader => PreBootloader,
        RegionKind.BootloaderA => BootloaderA,
        RegionKind.BootloaderB => BootloaderB,
        RegionKind.Application => Application,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a region of the device."),
    };

    /// <summary>The region holding <paramref name="address"/>, or null when no region does.</summary>
    public MemoryRegion? FindRegion(uint address) => Regions.FirstOrDefault(r => r.Contains(address));

    /// <summary>The bootloader copy other than <paramref name="copy"/> (the only one a running bootloader may write).</summary>
    public MemoryRegion OtherBootloader(MemoryRegion copy)
    {
        ArgumentNullException.ThrowIfNull(copy);
        return copy.Kind switch
        {
            MemoryRegionKind.BootloaderA => BootloaderB,
            MemoryRegionKind.BootloaderB => BootloaderA,
            _ => throw new ArgumentException($"{copy.Kind} is not a bootloader copy.", nameof(copy)),
        };
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static MemoryMap CreateF4_1M()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_1M;
        return new MemoryMap("STM32F4 1 MB", g,
        [
            MemoryRegion.FromSectors(MemoryRegionKind.PreBootloader, g, 0, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.StateJournalA, g, 1, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.StateJournalB, g, 2, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.Provisioning, g, 3, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.ApplicationData, g, 4, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.BootloaderA, g, 5, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.BootloaderB, g, 6, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.Application, g, 7, 5),
        ], F4IdentityOtp(g), F4CounterOtp(g));
    }

    private static MemoryMap CreateF4_2M()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_2M;
        return new MemoryMap("STM32F4 2 MB", g,
        [
            MemoryRegion.FromSectors(MemoryRegionKind.PreBootloader, g, 0, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.StateJournalA, g, 1, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.StateJournalB, g, 2, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.Provisioning, g, 3, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.ApplicationData, g, 4, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.BootloaderA, g, 5, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.Application, g, 6, 17),
            MemoryRegion.FromSectors(MemoryRegionKind.BootloaderB, g, 23, 1),
        ], F4IdentityOtp(g), F4CounterOtp(g));
    }

    private static MemoryMap CreateL4_1M()
    {
        FlashGeometry g = FlashGeometry.Stm32L4_1M;
        return new MemoryMap("STM32L4 1 MB", g,
        [
            MemoryRegion.FromSectors(MemoryRegionKind.PreBootloader, g, 0, 8),
            MemoryRegion.FromSectors(MemoryRegionKind.StateJournalA, g, 8, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.StateJournalB, g, 9, 1),
            MemoryRegion.FromSectors(MemoryRegionKind.Provisioning, g, 10, 2),
            MemoryRegion.FromSectors(MemoryRegionKind.ApplicationData, g, 12, 4),
            MemoryRegion.FromSectors(MemoryRegionKind.BootloaderA, g, 16, 64),
            MemoryRegion.FromSectors(MemoryRegionKind.Application, g, 80, 368),
            MemoryRegion.FromSectors(MemoryRegionKind.BootloaderB, g, 448, 64),
        ],
        new OtpRegion("device identity", g.OtpAddress, 512),
        new OtpRegion("security counter", g.OtpAddress + 512, 512));
    }

    // F4 OTP blocks 0-7 (256 bytes) for the identity, blocks 8-15 for the counter: each half lockable on its own.
    private static OtpRegion F4IdentityOtp(FlashGeometry g) => new("device identity", g.OtpAddress, 256);

    private static OtpRegion F4CounterOtp(FlashGeometry g) => new("security counter", g.OtpAddress + 256, 256);
}
