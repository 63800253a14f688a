using Csa.Simulator.Flash.Internal;

namespace Csa.Simulator.Flash;

// Programming the main flash and the OTP area.
public sealed partial class SimulatedFlash
{
    /// <summary>
    /// Programs <paramref name="data"/> at <paramref name="address"/> (main flash or OTP) and returns at once; the
    /// duration is only added to <see cref="FlashStatistics.BusyTime"/>. One operation for power-cut counting.
    /// </summary>
    /// <exception cref="FlashProgrammingException">
    /// The program breaks a rule of the chip (alignment, size, write protection, OTP lock, L4 PROGERR, the strict
    /// overwrite policy, a read-only or unmapped address, a busy controller); nothing was written.
    /// </exception>
    /// <exception cref="PowerLossException">The device has no power, or a planned cut hit this operation.</exception>
    public void Program(uint address, ReadOnlySpan<byte> data)
    {
        ProgramOperation op;
        CancellationTokenSource? cut;
        string when;
        lock (_gate)
        {
            op = BeginProgram(address, data);
            cut = RunSyncLocked(op, out when);
        }
        ThrowIfCut(cut, when, op);
    }

    /// <summary>Programs <paramref name="data"/> at <paramref name="address"/>; see <see cref="Program(uint, ReadOnlySpan{byte})"/>.</summary>
    public void Program(uint address, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Program(address, data.AsSpan());
    }

    /// <summary>
    /// Programs <paramref name="data"/> at <paramref name="address"/> and completes after the operation's duration
    /// on the configured <see cref="TimeProvider"/>; the banks stay busy meanwhile and the data lands at the end.
    /// Cancelling only stops the wait: the controller cannot abort, so the program still lands.
    /// </summary>
    /// <exception cref="FlashProgrammingException">As <see cref="Program(uint, ReadOnlySpan{byte})"/>.</exception>
    /// <exception cref="PowerLossException">The device has no power, or the power was cut before the end.</exception>
    public async Task ProgramAsync(uint address, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(() => BeginProgram(address, data.Span), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Programs <paramref name="data"/>; see <see cref="ProgramAsync(uint, ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public Task ProgramAsync(uint address, byte[] data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ProgramAsync(address, data.AsMemory(), cancellationToken);
    }

    // Under the lock: every check the controller does before it writes a single cell.
    private ProgramOperation BeginProgram(uint address, ReadOnlySpan<byte> data)
    {
        EnsureReady();
        int unit = ProgramUnitSize;
        if (data.IsEmpty)
            throw Error(FlashError.ProgrammingSequence, address, "Nothing to program: the data is empty.");
        if (address % unit != 0)
            throw Error(FlashError.Alignment, address,
                $"0x{address:X8} is not aligned to the {unit}-byte program unit of {Geometry.Name}{ParallelismNote}.");
        if (data.Length % unit != 0)
            throw Error(FlashError.ProgramSize, address,
                $"{data.Length} bytes is not a whole number of {unit}-byte program units{ParallelismNote}.");

        FlashArea area = ResolveProgramArea(address, data.Length, out IReadOnlyList<int> banks);
        Span<byte> cells = area.Data.AsSpan(area.Offset, data.Length);
        for (int u = 0; u < data.Length; u += unit)
        {
            ReadOnlySpan<byte> now = cells.Slice(u, unit), wanted = data.Slice(u, unit);
            bool erased = !now.ContainsAnyExcept(FlashGeometry.ErasedValue);
            if (erased)
                continue;
            uint at = address + (uint)u;
            // RM0351: a main-flash double word that is not erased takes only all zeros; an OTP double word with a
            // single 0 bit cannot be written at all, not even with zeros.
            if (Geometry.Family == FlashFamily.Stm32L4 && area.IsOtp)
                throw Error(FlashError.ProgramOverNonErased, at,
                    $"PROGERR: the OTP double word at 0x{at:X8} is already written ({Hex(now)}); OTP double words are written once.");
            if (Geometry.Family == FlashFamily.Stm32L4 && wanted.ContainsAnyExcept((byte)0))
                throw Error(FlashError.ProgramOverNonErased, at,
                    $"PROGERR: the double word at 0x{at:X8} is not erased ({Hex(now)}); it can only be programmed to all zeros.");
            bool setsBit = false;
            for (int i = 0; i < unit; i++)
                setsBit |= (~now[i] & wanted[i]) != 0;
            if (setsBit)
                _stats = _stats with { BitSetAttempts = _stats.BitSetAttempts + 1 };
            if (Options.OverwritePolicy == ProgramOverwritePolicy.RejectAnyReprogram
                || (setsBit && Options.OverwritePolicy == ProgramOverwritePolicy.RejectBitSet))
                throw Error(FlashError.ProgramOverNonErased, at,
                    $"0x{at:X8} holds {Hex(now)}; programming {Hex(wanted)} over it {(setsBit ? "needs bits to go 0 -> 1, which only an erase does" : "reprograms a non-erased location")} (policy {Options.OverwritePolicy}).");
            _stats = _stats with { ReprogrammedUnits = _stats.ReprogrammedUnits + 1 };
        }

        string what = area.IsOtp ? "OTP program" : "program";
        return new ProgramOperation($"{what} of {data.Length} bytes at 0x{address:X8}",
            _timing.Program(data.Length / unit, Options.TimingProfile), banks, area, data.ToArray(), unit, _store.HasEcc);
    }

    private string ParallelismNote =>
        Geometry.Family == FlashFamily.Stm32F4 ? $" (parallelism {Options.ProgramSize}: PGPERR/PGAERR)" : " (double words only: SIZERR/PGAERR)";

    private FlashArea ResolveProgramArea(uint address, int length, out IReadOnlyList<int> banks)
    {
        if (Geometry.ContainsRange(address, length))
        {
            IReadOnlyList<FlashSector> sectors = Geometry.GetSectorsInRange(address, length);
            foreach (FlashSector sector in sectors)
                if (_store.OptionBytes.IsWriteProtected(sector.Index))
                    throw Error(FlashError.WriteProtected, Math.Max(address, sector.Address),
                        $"WRPERR: {Geometry.SectorTerm} {sector.Index} (0x{sector.Address:X8}) is write protected.");
            banks = sectors.Select(s => s.Bank).Distinct().ToArray();
            return new FlashArea(_store.Main, _store.MainEccBroken, (int)(address - Geometry.BaseAddress), IsOtp: false);
        }
        if (address >= Geometry.OtpAddress && (ulong)address + (ulong)length <= Geometry.OtpAddress + (ulong)Geometry.OtpSize)
        {
            int offset = (int)(address - Geometry.OtpAddress);
            int dataEnd = Geometry.OtpBlockSize * Geometry.OtpBlockCount;
            for (int block = 0; block < Geometry.OtpBlockCount; block++)
            {
                int start = block * Geometry.OtpBlockSize;
                bool touches = offset < start + Geometry.OtpBlockSize && offset + length > start && start < dataEnd;
                if (touches && _store.Otp[dataEnd + block] == 0x00)
                    throw Error(FlashError.OtpLocked, Geometry.OtpAddress + (uint)start,
                        $"OTP block {block} (0x{Geometry.OtpAddress + (uint)start:X8}) is locked: its lock byte is 0x00.");
            }
            banks = [0];
            return new FlashArea(_store.Otp, _store.OtpEccBroken, offset, IsOtp: true);
        }
        if (Overlaps(address, length, Geometry.UniqueIdAddress, FlashGeometry.UniqueIdSize)
            || Overlaps(address, length, Geometry.FlashSizeRegisterAddress, 2))
            throw Error(FlashError.ReadOnlyArea, address,
                $"0x{address:X8}+{length} is read-only system memory (unique device ID / flash size register).");
        throw Error(FlashError.AddressOutOfRange, address,
            $"0x{address:X8}+{length} is neither inside the main flash (0x{Geometry.BaseAddress:X8}-0x{Geometry.EndAddress - 1:X8}) nor inside the OTP area (0x{Geometry.OtpAddress:X8}-0x{Geometry.OtpAddress + Geometry.OtpSize - 1:X8}).");
    }

    private static bool Overlaps(uint address, int length, uint start, int size) =>
        address < (ulong)start + (ulong)size && (ulong)address + (ulong)length > start;

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
