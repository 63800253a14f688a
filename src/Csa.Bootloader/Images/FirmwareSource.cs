using Csa.Bootloader.Images.Internal;

namespace Csa.Bootloader.Images;

/// <summary>
/// The firmware that goes into an image: its bytes and the flash address they are linked for. Read from a
/// raw binary (address given) or from an Intel HEX file (address taken from the file, gaps filled with 0xFF,
/// the erased state of flash).
/// </summary>
public sealed class FirmwareSource
{
    private readonly byte[] _data;

    private FirmwareSource(byte[] data, uint loadAddress, bool fromFile, uint? entryPoint)
    {
        _data = data;
        LoadAddress = loadAddress;
        HasLoadAddressFromFile = fromFile;
        EntryPoint = entryPoint;
    }

    /// <summary>The firmware bytes, contiguous from <see cref="LoadAddress"/>.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>The address of the first byte.</summary>
    public uint LoadAddress { get; }

    /// <summary>True when <see cref="LoadAddress"/> came from the file (Intel HEX) rather than from the caller.</summary>
    public bool HasLoadAddressFromFile { get; }

    /// <summary>The start address from an Intel HEX record 05 (linear) or 03 (segment, as CS * 16 + IP), when the file has one.</summary>
    public uint? EntryPoint { get; }

    /// <summary>The firmware from a raw binary linked for <paramref name="loadAddress"/>. The bytes are copied.</summary>
    /// <exception cref="ArgumentException">The binary is empty or runs past the 32-bit address space.</exception>
    public static FirmwareSource FromBinary(byte[] data, uint loadAddress)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromBinary(data.AsSpan(), loadAddress);
    }

    /// <summary>The firmware from a raw binary linked for <paramref name="loadAddress"/>. The bytes are copied.</summary>
    /// <exception cref="ArgumentException">The binary is empty or runs past the 32-bit address space.</exception>
    public static FirmwareSource FromBinary(ReadOnlySpan<byte> data, uint loadAddress)
    {
        if (data.IsEmpty)
            throw new ArgumentException("The firmware binary is empty.", nameof(data));
        if ((ulong)loadAddress + (ulong)data.Length > 0x1_0000_0000UL)
            throw new ArgumentException($"{data.Length} bytes at 0x{loadAddress:X8} run past the end of the 32-bit address space.", nameof(data));
        return new FirmwareSource(data.ToArray(), loadAddress, fromFile: false, entryPoint: null);
    }

    /// <summary>
    /// The firmware from the text of an Intel HEX file (record types 00-05, as STM32 toolchains emit).
    /// Checksums are verified, overlapping data is refused, gaps are filled with 0xFF.
    /// </summary>
    /// <exception cref="IntelHexFormatException">The file is malformed; the exception names the line.</exception>
    public static FirmwareSource FromIntelHex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        IntelHexImage hex = IntelHexParser.Parse(text, ImageFormat.MaxPayloadSize);
        return new FirmwareSource(hex.Data, hex.StartAddress, fromFile: true, hex.EntryPoint);
    }

    /// <summary>
    /// Reads a firmware file: Intel HEX when the name ends in .hex or .ihex (the address comes from the file),
    /// otherwise a raw binary at <paramref name="loadAddress"/>, which is then required.
    /// </summary>
    /// <exception cref="IntelHexFormatException">A HEX file is malformed.</exception>
    /// <exception cref="ArgumentException">A binary file has no load address, or is empty.</exception>
    public static async Task<FirmwareSource> ReadFileAsync(string path, uint? loadAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        string ext = Path.GetExtension(path);
        if (ext.Equals(".hex", StringComparison.OrdinalIgnoreCase) || ext.Equals(".ihex", StringComparison.OrdinalIgnoreCase))
        {
            string text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            FirmwareSource hex = FromIntelHex(text);
            if (loadAddress is { } wanted && wanted != hex.LoadAddress)
                throw new ArgumentException($"'{path}' starts at 0x{hex.LoadAddress:X8}, not at the requested 0x{wanted:X8}.", nameof(loadAddress));
            return hex;
        }
        if (loadAddress is null)
            throw new ArgumentException($"'{path}' is a raw binary, which does not say where it goes: give its load address.", nameof(loadAddress));
        byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return FromBinary(bytes, loadAddress.Value);
    }
}
