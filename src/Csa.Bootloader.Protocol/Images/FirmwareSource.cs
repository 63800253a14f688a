using Csa.Bootloader.Images.Internal;

namespace Csa.Bootloader.Images;

/// <summary>
/// The firmware that goes into an image: its bytes and the flash address they are linked for. Read from a
/// raw binary (address given) or from an Intel HEX, Motorola S-record or ELF file (address taken from the file,
/// gaps filled with 0xFF, the erased state of flash). Files are told apart by content (docs/image-format.md section 7).
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

    /// <summary>True when <see cref="LoadAddress"/> came from the file (HEX, S-record, ELF) rather than from the caller.</summary>
    public bool HasLoadAddressFromFile { get; }

    /// <summary>
    /// The start address the file names, when it names one: Intel HEX record 05 (linear) or 03 (segment, as
    /// CS * 16 + IP), the S7/S8/S9 record's address, or a non-zero ELF e_entry.
    /// </summary>
    public uint? EntryPoint { get; }

    /// <summary>
    /// What a firmware file is by its content: <see cref="FirmwareFileFormat.Elf"/> when it starts with the ELF magic;
    /// for text (after an optional UTF-8 byte order mark and blank lines) <see cref="FirmwareFileFormat.IntelHex"/> when
    /// the first line is ':' and hex digits, <see cref="FirmwareFileFormat.SRecord"/> when it is 'S', a type digit and
    /// hex digits; otherwise <see cref="FirmwareFileFormat.Binary"/>. Never returns <see cref="FirmwareFileFormat.Auto"/>.
    /// </summary>
    public static FirmwareFileFormat DetectFormat(ReadOnlySpan<byte> content)
    {
        if (ElfReader.HasMagic(content))
            return FirmwareFileFormat.Elf;
        ReadOnlySpan<byte> text = content.StartsWith("\uFEFF"u8) ? content[3..] : content;
        int start = 0;
        while (start < text.Length && text[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            start++;
        int end = text[start..].IndexOfAny((byte)'\r', (byte)'\n');
        ReadOnlySpan<byte> line = (end < 0 ? text[start..] : text.Slice(start, end)).TrimEnd(" \t"u8);
        if (line.Length >= 3 && line[0] == (byte)':' && AllHex(line[1..]))
            return FirmwareFileFormat.IntelHex;
        if (line.Length >= 4 && line[0] is (byte)'S' or (byte)'s' && line[1] is >= (byte)'0' and <= (byte)'9' && AllHex(line[2..]))
            return FirmwareFileFormat.SRecord;
        return FirmwareFileFormat.Binary;
    }

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
        return FromFile(IntelHexParser.Parse(text, ImageFormat.MaxPayloadSize));
    }

    /// <summary>
    /// The firmware from the text of a Motorola S-record file (S0 header, S1/S2/S3 data, S5/S6 counts, S7/S8/S9
    /// termination, as <c>objcopy -O srec</c> writes). Checksums and counts are verified, overlapping data is
    /// refused, gaps are filled with 0xFF.
    /// </summary>
    /// <exception cref="SRecordFormatException">The file is malformed; the exception names the line.</exception>
    public static FirmwareSource FromSRecord(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return FromFile(SRecordParser.Parse(text, ImageFormat.MaxPayloadSize));
    }

    /// <summary>
    /// The firmware of an ELF32 little-endian ARM executable: every PT_LOAD segment with bytes in the file, at its
    /// physical (load) address, gaps filled with 0xFF. ELF64, big-endian, non-ARM and non-executable files,
    /// overlapping segments and segments outside the load region are refused.
    /// </summary>
    /// <param name="elf">The whole file.</param>
    /// <param name="loadAddress">
    /// The start of the load region, when known (the target region): a segment below it is refused. Without it
    /// the region starts at the lowest segment. Either way it spans <see cref="ImageFormat.MaxPayloadSize"/> bytes.
    /// </param>
    /// <exception cref="ElfFormatException">What is wrong with the file, and at which file offset.</exception>
    public static FirmwareSource FromElf(ReadOnlySpan<byte> elf, uint? loadAddress = null) =>
        FromFile(ElfReader.Read(elf, loadAddress, ImageFormat.MaxPayloadSize));

    /// <summary>
    /// The firmware from the content of a file in <paramref name="format"/> (by default told by
    /// <see cref="DetectFormat"/>). A raw binary needs <paramref name="loadAddress"/>; for the other formats the file
    /// says where its data goes, and <paramref name="loadAddress"/>, when given, must be where it starts.
    /// </summary>
    /// <exception cref="FirmwareFormatException">A HEX, S-record or ELF file is malformed (the subclass says which).</exception>
    /// <exception cref="ArgumentException">The content is empty; a binary without a load address; the file starts elsewhere than <paramref name="loadAddress"/>.</exception>
    public static FirmwareSource Parse(ReadOnlySpan<byte> content, FirmwareFileFormat format = FirmwareFileFormat.Auto, uint? loadAddress = null)
    {
        if (content.IsEmpty)
            throw new ArgumentException("The firmware file is empty.", nameof(content));
        if (format == FirmwareFileFormat.Auto)
            format = DetectFormat(content);
        FirmwareSource source = format switch
        {
            FirmwareFileFormat.Binary => FromBinary(content, loadAddress ?? throw new ArgumentException(
                "The file is a raw binary, which does not say where it goes: give its load address.", nameof(loadAddress))),
            FirmwareFileFormat.IntelHex => FromIntelHex(Text(content)),
            FirmwareFileFormat.SRecord => FromSRecord(Text(content)),
            FirmwareFileFormat.Elf => FromElf(content, loadAddress),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a firmware file format"),
        };
        if (loadAddress is { } wanted && wanted != source.LoadAddress)
            throw new ArgumentException($"The {format} file's data starts at 0x{source.LoadAddress:X8}, not at the requested 0x{wanted:X8}.", nameof(loadAddress));
        return source;
    }

    /// <summary>
    /// Reads a firmware file and parses it as <see cref="Parse"/> does: the format is told by content, not by the
    /// file name, unless <paramref name="format"/> names it.
    /// </summary>
    /// <exception cref="FirmwareFormatException">A HEX, S-record or ELF file is malformed.</exception>
    /// <exception cref="ArgumentException">A binary file has no load address, or is empty; the file starts elsewhere than <paramref name="loadAddress"/>.</exception>
    public static async Task<FirmwareSource> ReadFileAsync(string path, uint? loadAddress = null, FirmwareFileFormat format = FirmwareFileFormat.Auto, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            return Parse(bytes, format, loadAddress);
        }
        catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
        {
            throw new ArgumentException($"'{path}': {e.Message}", e.ParamName, e);
        }
    }

    private static FirmwareSource FromFile(LoadedFirmware file) => new(file.Data, file.StartAddress, fromFile: true, file.EntryPoint);

    // Some Windows editors save a byte order mark; it is not part of the first record.
    private static string Text(ReadOnlySpan<byte> content) => System.Text.Encoding.UTF8.GetString(content).TrimStart('\uFEFF');

    private static bool AllHex(ReadOnlySpan<byte> digits)
    {
        foreach (byte b in digits)
        {
            if (!char.IsAsciiHexDigit((char)b))
                return false;
        }
        return true;
    }
}
