using System.Collections.ObjectModel;

namespace Csa.Simulator.Flash;

/// <summary>
/// The layout of one part's flash: banks, sectors (pages), the program unit, the one-time-programmable area, the
/// unique device ID and the flash size register. Immutable; the known parts are static properties.
/// </summary>
public sealed class FlashGeometry
{
    /// <summary>The value every byte of erased flash reads as.</summary>
    public const byte ErasedValue = 0xFF;

    /// <summary>The size of the unique device ID in bytes (96 bits).</summary>
    public const int UniqueIdSize = 12;

    private static readonly Lazy<FlashGeometry> F4With512K = new(() => CreateF4("STM32F4-512K", 8, banks: 1));
    private static readonly Lazy<FlashGeometry> F4With1M = new(() => CreateF4("STM32F4-1M", 12, banks: 1));
    private static readonly Lazy<FlashGeometry> F4With2M = new(() => CreateF4("STM32F4-2M", 12, banks: 2));
    private static readonly Lazy<FlashGeometry> L4With256K = new(() => CreateL4("STM32L4-256K", 64));
    private static readonly Lazy<FlashGeometry> L4With512K = new(() => CreateL4("STM32L4-512K", 128));
    private static readonly Lazy<FlashGeometry> L4With1M = new(() => CreateL4("STM32L4-1M", 256));

    private FlashGeometry(
        string name, FlashFamily family, uint baseAddress, IReadOnlyList<FlashBank> banks, IReadOnlyList<FlashSector> sectors,
        uint otpAddress, int otpSize, int otpBlockSize, uint uniqueIdAddress, uint flashSizeRegisterAddress)
    {
        Name = name;
        Family = family;
        BaseAddress = baseAddress;
        Banks = banks;
        Sectors = sectors;
        Size = sectors.Sum(s => s.Size);
        OtpAddress = otpAddress;
        OtpSize = otpSize;
        OtpBlockSize = otpBlockSize;
        UniqueIdAddress = uniqueIdAddress;
        FlashSizeRegisterAddress = flashSizeRegisterAddress;
    }

    /// <summary>STM32F401xE / F411xE: 512 KB, one bank, sectors 0-3 16 KB, 4 64 KB, 5-7 128 KB.</summary>
    public static FlashGeometry Stm32F4_512K => F4With512K.Value;

    /// <summary>STM32F405/F407 (1 MB): one bank, sectors 0-3 16 KB at 0x08000000, 4 64 KB at 0x08010000, 5-11 128 KB.</summary>
    public static FlashGeometry Stm32F4_1M => F4With1M.Value;

    /// <summary>STM32F42x/F43x (2 MB): two banks; sectors 12-23 repeat the 1 MB layout from 0x08100000.</summary>
    public static FlashGeometry Stm32F4_2M => F4With2M.Value;

    /// <summary>STM32L476xC (256 KB): two banks of 64 pages of 2 KB; bank 2 at 0x08020000.</summary>
    public static FlashGeometry Stm32L4_256K => L4With256K.Value;

    /// <summary>STM32L476xE (512 KB): two banks of 128 pages of 2 KB; bank 2 at 0x08040000.</summary>
    public static FlashGeometry Stm32L4_512K => L4With512K.Value;

    /// <summary>STM32L476xG (1 MB): two banks of 256 pages of 2 KB; bank 2 at 0x08080000.</summary>
    public static FlashGeometry Stm32L4_1M => L4With1M.Value;

    /// <summary>Every geometry this library knows, by <see cref="Name"/>.</summary>
    public static IReadOnlyList<FlashGeometry> Known =>
        [Stm32F4_512K, Stm32F4_1M, Stm32F4_2M, Stm32L4_256K, Stm32L4_512K, Stm32L4_1M];

    /// <summary>The part's name, e.g. "STM32F4-1M"; it identifies the geometry in flash image files.</summary>
    public string Name { get; }

    /// <summary>The controller family whose programming rules apply.</summary>
    public FlashFamily Family { get; }

    /// <summary>The first address of the main flash (0x08000000).</summary>
    public uint BaseAddress { get; }

    /// <summary>The size of the main flash in bytes.</summary>
    public int Size { get; }

    /// <summary>The first address after the main flash.</summary>
    public uint EndAddress => BaseAddress + (uint)Size;

    /// <summary>The banks, in address order.</summary>
    public IReadOnlyList<FlashBank> Banks { get; }

    /// <summary>The sectors (F4) or pages (L4), in address order; <c>Sectors[i].Index == i</c>.</summary>
    public IReadOnlyList<FlashSector> Sectors { get; }

    /// <summary>"sector" on F4, "page" on L4: the chip's own word for an erase unit, used in messages.</summary>
    public string SectorTerm => Family == FlashFamily.Stm32F4 ? "sector" : "page";

    /// <summary>The smallest unit one program access writes (F4: 1 byte at x8; L4: 8 bytes).</summary>
    public int MinimumProgramUnit => Family == FlashFamily.Stm32F4 ? 1 : 8;

    /// <summary>
    /// The first address of the one-time-programmable area (F4 0x1FFF7800: 512 data bytes in 16 blocks of 32,
    /// then 16 lock bytes at 0x1FFF7A00; L4 0x1FFF7000: 1 KB).
    /// </summary>
    public uint OtpAddress { get; }

    /// <summary>The size of the OTP area in bytes, lock bytes included (F4 528, L4 1024).</summary>
    public int OtpSize { get; }

    /// <summary>The size of one lockable OTP block (F4 32 bytes); 0 when the OTP has no lock bytes (L4).</summary>
    public int OtpBlockSize { get; }

    /// <summary>How many lockable OTP blocks exist (F4 16, L4 0).</summary>
    public int OtpBlockCount => OtpBlockSize == 0 ? 0 : 16;

    /// <summary>The address of the first OTP lock byte (F4 0x1FFF7A00); 0 when there are none.</summary>
    public uint OtpLockAddress => OtpBlockSize == 0 ? 0 : OtpAddress + (uint)(OtpBlockSize * OtpBlockCount);

    /// <summary>The address of the 96-bit unique device ID (F4 0x1FFF7A10, L4 0x1FFF7590); read-only.</summary>
    public uint UniqueIdAddress { get; }

    /// <summary>The address of the 16-bit flash size register in KB (F4 0x1FFF7A22, L4 0x1FFF75E0); read-only.</summary>
    public uint FlashSizeRegisterAddress { get; }

    /// <summary>The erase endurance the datasheet guarantees per sector (10 000 cycles on both families).</summary>
    public int EnduranceCycles => 10_000;

    /// <summary>Looks a geometry up by <see cref="Name"/>; null when unknown.</summary>
    public static FlashGeometry? FindByName(string name) =>
        Known.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether the whole range [<paramref name="address"/>, +<paramref name="length"/>) lies in the main flash.</summary>
    public bool ContainsRange(uint address, long length) =>
        length >= 0 && address >= BaseAddress && (ulong)address + (ulong)length <= EndAddress;

    /// <summary>The sector holding <paramref name="address"/>.</summary>
    /// <exception cref="FlashProgrammingException">The address is outside the main flash.</exception>
    public FlashSector GetSectorAt(uint address) =>
        TryGetSectorAt(address, out FlashSector? sector)
            ? sector
            : throw new FlashProgrammingException(FlashError.AddressOutOfRange, address,
                $"0x{address:X8} is outside the {Name} main flash (0x{BaseAddress:X8}-0x{EndAddress - 1:X8}).");

    /// <summary>Finds the sector holding <paramref name="address"/>.</summary>
    public bool TryGetSectorAt(uint address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FlashSector? sector)
    {
        sector = null;
        if (address < BaseAddress || address >= EndAddress)
            return false;
        // Binary search: sector addresses ascend.
        int lo = 0, hi = Sectors.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            FlashSector s = Sectors[mid];
            if (address < s.Address) hi = mid - 1;
            else if (address >= s.EndAddress) lo = mid + 1;
            else { sector = s; return true; }
        }
        return false;
    }

    /// <summary>The sectors that the range [<paramref name="address"/>, +<paramref name="length"/>) touches.</summary>
    /// <exception cref="FlashProgrammingException">The range is not entirely inside the main flash.</exception>
    public IReadOnlyList<FlashSector> GetSectorsInRange(uint address, int length)
    {
        if (length <= 0)
            return [];
        if (!ContainsRange(address, length))
            throw new FlashProgrammingException(FlashError.AddressOutOfRange, address,
                $"0x{address:X8}+{length} is outside the {Name} main flash (0x{BaseAddress:X8}-0x{EndAddress - 1:X8}).");
        int first = GetSectorAt(address).Index, last = GetSectorAt(address + (uint)length - 1).Index;
        return Sectors.Skip(first).Take(last - first + 1).ToArray();
    }

    /// <summary>The bank holding <paramref name="address"/>, or null outside the main flash.</summary>
    public FlashBank? GetBankAt(uint address) => Banks.FirstOrDefault(b => address >= b.Address && address < b.EndAddress);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Size / 1024} KB, {Sectors.Count} {SectorTerm}s, {Banks.Count} bank(s))";

    // RM0090 table 5/6: per 1 MB bank, 4 x 16 KB, 1 x 64 KB, 7 x 128 KB; sectorsPerBank trims smaller parts.
    private static FlashGeometry CreateF4(string name, int sectorsPerBank, int banks)
    {
        const uint baseAddress = 0x0800_0000;
        int[] bankLayout = [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128];
        var sectors = new List<FlashSector>();
        var bankList = new List<FlashBank>();
        uint address = baseAddress;
        for (int bank = 0; bank < banks; bank++)
        {
            uint bankStart = address;
            int first = sectors.Count;
            for (int i = 0; i < sectorsPerBank; i++)
            {
                int size = bankLayout[i] * 1024;
                sectors.Add(new FlashSector(sectors.Count, bank, i, address, size));
                address += (uint)size;
            }
            bankList.Add(new FlashBank(bank, bankStart, (int)(address - bankStart), first, sectorsPerBank));
        }
        return new FlashGeometry(name, FlashFamily.Stm32F4, baseAddress, new ReadOnlyCollection<FlashBank>(bankList),
            new ReadOnlyCollection<FlashSector>(sectors), otpAddress: 0x1FFF_7800, otpSize: 512 + 16, otpBlockSize: 32,
            uniqueIdAddress: 0x1FFF_7A10, flashSizeRegisterAddress: 0x1FFF_7A22);
    }

    // RM0351: two banks of equal size, 2 KB pages, bank 2 right after bank 1; PNB restarts at 0 in bank 2.
    private static FlashGeometry CreateL4(string name, int pagesPerBank)
    {
        const uint baseAddress = 0x0800_0000;
        const int pageSize = 2048;
        var sectors = new List<FlashSector>();
        var bankList = new List<FlashBank>();
        for (int bank = 0; bank < 2; bank++)
        {
            uint bankStart = baseAddress + (uint)(bank * pagesPerBank * pageSize);
            bankList.Add(new FlashBank(bank, bankStart, pagesPerBank * pageSize, sectors.Count, pagesPerBank));
            for (int page = 0; page < pagesPerBank; page++)
                sectors.Add(new FlashSector(sectors.Count, bank, page, bankStart + (uint)(page * pageSize), pageSize));
        }
        return new FlashGeometry(name, FlashFamily.Stm32L4, baseAddress, new ReadOnlyCollection<FlashBank>(bankList),
            new ReadOnlyCollection<FlashSector>(sectors), otpAddress: 0x1FFF_7000, otpSize: 1024, otpBlockSize: 0,
            uniqueIdAddress: 0x1FFF_7590, flashSizeRegisterAddress: 0x1FFF_75E0);
    }
}
