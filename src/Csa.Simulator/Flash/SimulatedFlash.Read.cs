namespace Csa.Simulator.Flash;

// Reading: what the CPU sees (ECC checked), what a debugger sees (read-out protection), and raw diagnostics.
public sealed partial class SimulatedFlash
{
    /// <summary>
    /// Reads <paramref name="destination"/>.Length bytes at <paramref name="address"/> as the CPU does: main
    /// flash, OTP (lock bytes included), the unique device ID or the flash size register; one area per call.
    /// </summary>
    /// <exception cref="FlashProgrammingException">
    /// The range is not inside one readable area (<see cref="FlashError.AddressOutOfRange"/>), or on L4 it covers a
    /// double word whose ECC an interrupted program or erase left inconsistent (<see cref="FlashError.EccDoubleError"/>).
    /// </exception>
    /// <exception cref="PowerLossException">The device has no power.</exception>
    public void Read(uint address, Span<byte> destination)
    {
        lock (_gate)
        {
            EnsurePowered();
            ReadLocked(address, destination, checkEcc: true);
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="address"/>; see <see cref="Read(uint, Span{byte})"/>.</summary>
    public byte[] ReadBytes(uint address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = new byte[length];
        Read(address, buffer);
        return buffer;
    }

    /// <summary>Reads the little-endian 32-bit word at <paramref name="address"/>; see <see cref="Read(uint, Span{byte})"/>.</summary>
    public uint ReadUInt32(uint address)
    {
        Span<byte> word = stackalloc byte[4];
        Read(address, word);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(word);
    }

    /// <summary>
    /// Reads as a debugger (SWD/JTAG) or the ROM bootloader would: refused for the main flash and the OTP at
    /// read-out protection level 1 (the unique ID stays readable), refused for everything at level 2 (the debug port
    /// is disabled).
    /// </summary>
    /// <exception cref="FlashProgrammingException"><see cref="FlashError.ReadProtected"/>, or as <see cref="Read(uint, Span{byte})"/>.</exception>
    /// <exception cref="PowerLossException">The device has no power.</exception>
    public void ReadThroughDebugPort(uint address, Span<byte> destination)
    {
        lock (_gate)
        {
            EnsurePowered();
            ReadOutProtectionLevel level = _store.OptionBytes.ReadOutProtection;
            if (level == ReadOutProtectionLevel.Level2)
                throw Error(FlashError.ReadProtected, address, "Read-out protection level 2: the debug port is disabled.");
            if (level == ReadOutProtectionLevel.Level1
                && (Overlaps(address, destination.Length, Geometry.BaseAddress, Geometry.Size)
                    || Overlaps(address, destination.Length, Geometry.OtpAddress, Geometry.OtpSize)))
                throw Error(FlashError.ReadProtected, address, "Read-out protection level 1: the main flash and the OTP cannot be read through the debug port.");
            ReadLocked(address, destination, checkEcc: true);
        }
    }

    /// <summary>
    /// Reads the raw cells, ignoring power, ECC and protection: what a chip-off analysis would see. For tests and
    /// diagnostics; device logic must use <see cref="Read(uint, Span{byte})"/>.
    /// </summary>
    /// <exception cref="FlashProgrammingException">The range is not inside one readable area.</exception>
    public byte[] ReadRaw(uint address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = new byte[length];
        lock (_gate)
            ReadLocked(address, buffer, checkEcc: false);
        return buffer;
    }

    /// <summary>
    /// Whether the double word holding <paramref name="address"/> has inconsistent ECC (L4 only; always false on
    /// F4). A diagnostic: reading it with <see cref="Read(uint, Span{byte})"/> raises <see cref="FlashError.EccDoubleError"/>.
    /// </summary>
    public bool IsEccBroken(uint address)
    {
        lock (_gate)
        {
            if (Geometry.ContainsRange(address, 1))
                return _store.MainEccBroken[(address - Geometry.BaseAddress) / 8];
            if (address >= Geometry.OtpAddress && address < Geometry.OtpAddress + Geometry.OtpSize)
                return _store.OtpEccBroken[(address - Geometry.OtpAddress) / 8];
            return false;
        }
    }

    private void ReadLocked(uint address, Span<byte> destination, bool checkEcc)
    {
        int length = destination.Length;
        if (Geometry.ContainsRange(address, length))
        {
            int offset = (int)(address - Geometry.BaseAddress);
            if (checkEcc)
                CheckEcc(_store.MainEccBroken, offset, length, Geometry.BaseAddress);
            _store.Main.AsSpan(offset, length).CopyTo(destination);
            return;
        }
        if (Within(address, length, Geometry.OtpAddress, Geometry.OtpSize))
        {
            int offset = (int)(address - Geometry.OtpAddress);
            if (checkEcc)
                CheckEcc(_store.OtpEccBroken, offset, length, Geometry.OtpAddress);
            _store.Otp.AsSpan(offset, length).CopyTo(destination);
            return;
        }
        if (Within(address, length, Geometry.UniqueIdAddress, FlashGeometry.UniqueIdSize))
        {
            _store.UniqueId.AsSpan((int)(address - Geometry.UniqueIdAddress), length).CopyTo(destination);
            return;
        }
        if (Within(address, length, Geometry.FlashSizeRegisterAddress, 2))
        {
            Span<byte> register = stackalloc byte[2];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(register, (ushort)(Geometry.Size / 1024));
            register.Slice((int)(address - Geometry.FlashSizeRegisterAddress), length).CopyTo(destination);
            return;
        }
        throw Error(FlashError.AddressOutOfRange, address,
            $"0x{address:X8}+{length} is not inside one readable area of {Geometry.Name} (main flash, OTP, unique ID, flash size register).");
    }

    private void CheckEcc(bool[] broken, int offset, int length, uint areaBase)
    {
        if (!_store.HasEcc || length == 0)
            return;
        for (int dw = offset / 8; dw <= (offset + length - 1) / 8; dw++)
            if (broken[dw])
                throw Error(FlashError.EccDoubleError, areaBase + (uint)(dw * 8),
                    $"ECCD: the double word at 0x{areaBase + (uint)(dw * 8):X8} has a double ECC error (an interrupted program or erase).");
    }

    private static bool Within(uint address, int length, uint start, int size) =>
        address >= start && (ulong)address + (ulong)length <= (ulong)start + (ulong)size;
}
