using Csa.Simulator.Flash.Internal;

namespace Csa.Simulator.Flash;

// Option bytes (read-out and write protection) and the OTP lock bytes.
public sealed partial class SimulatedFlash
{
    /// <summary>
    /// Programs the option bytes (read-out protection, write-protected sectors). Going from level 1 back to level 0
    /// mass-erases the main flash; level 2 is final. One operation for power-cut counting; an interrupted option
    /// byte program leaves the old option bytes.
    /// </summary>
    /// <exception cref="FlashProgrammingException">
    /// <see cref="FlashError.OptionBytesLocked"/> at level 2, <see cref="FlashError.InvalidOptionBytes"/> when the
    /// chip cannot represent <paramref name="optionBytes"/>, <see cref="FlashError.Busy"/>.
    /// </exception>
    /// <exception cref="PowerLossException">The device has no power, or a planned cut hit this operation.</exception>
    public void ProgramOptionBytes(FlashOptionBytes optionBytes)
    {
        OptionBytesOperation op;
        CancellationTokenSource? cut;
        string when;
        lock (_gate)
        {
            op = BeginOptionBytes(optionBytes);
            cut = RunSyncLocked(op, out when);
        }
        ThrowIfCut(cut, when, op);
    }

    /// <summary>Programs the option bytes; see <see cref="ProgramOptionBytes"/>. Takes the mass-erase time when it regresses RDP.</summary>
    public async Task ProgramOptionBytesAsync(FlashOptionBytes optionBytes, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(() => BeginOptionBytes(optionBytes), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether OTP block <paramref name="block"/> is locked (its lock byte reads 0x00). F4 only.</summary>
    /// <exception cref="NotSupportedException">The family has no OTP lock bytes (L4).</exception>
    public bool IsOtpBlockLocked(int block)
    {
        CheckOtpBlock(block);
        lock (_gate)
            return _store.Otp[(Geometry.OtpBlockSize * Geometry.OtpBlockCount) + block] == 0x00;
    }

    /// <summary>
    /// Locks OTP block <paramref name="block"/> for good by programming its lock byte to 0x00 (with the other lock
    /// bytes of the same program unit written as 0xFF, which leaves them as they are). One program operation.
    /// </summary>
    /// <exception cref="NotSupportedException">The family has no OTP lock bytes (L4).</exception>
    public void LockOtpBlock(int block)
    {
        CheckOtpBlock(block);
        int unit = ProgramUnitSize;
        uint lockByte = Geometry.OtpLockAddress + (uint)block;
        uint start = lockByte - (lockByte % (uint)unit);
        var data = new byte[unit];
        data.AsSpan().Fill(FlashGeometry.ErasedValue);
        data[lockByte - start] = 0x00;
        Program(start, data);
    }

    private void CheckOtpBlock(int block)
    {
        if (Geometry.OtpBlockCount == 0)
            throw new NotSupportedException($"{Geometry.Name} has no OTP lock bytes: its OTP double words are simply programmed once.");
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(block, Geometry.OtpBlockCount);
    }

    private OptionBytesOperation BeginOptionBytes(FlashOptionBytes optionBytes)
    {
        ArgumentNullException.ThrowIfNull(optionBytes);
        EnsureReady();
        FlashOptionBytes current = _store.OptionBytes;
        if (current.ReadOutProtection == ReadOutProtectionLevel.Level2)
            throw Error(FlashError.OptionBytesLocked, 0, "Read-out protection level 2 is permanent: the option bytes cannot be changed.");
        if (optionBytes.Validate(Geometry) is { } problem)
            throw Error(FlashError.InvalidOptionBytes, 0, $"Invalid option bytes: {problem}.");
        bool regression = current.ReadOutProtection == ReadOutProtectionLevel.Level1
            && optionBytes.ReadOutProtection == ReadOutProtectionLevel.Level0;
        TimeSpan duration = regression ? _timing.MassErase(Geometry.Banks.Count, Options.TimingProfile) : TimeSpan.Zero;
        return new OptionBytesOperation($"option byte program ({optionBytes})", duration,
            regression ? Geometry.Banks.Select(b => b.Index).ToArray() : [], _store, optionBytes, regression);
    }
}
