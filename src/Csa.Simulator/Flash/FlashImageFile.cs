using System.Buffers.Binary;
using System.Text;
using Csa.DataLink;
using Csa.Simulator.Flash.Internal;

namespace Csa.Simulator.Flash;

/// <summary>
/// Saves and loads the persistent state of a <see cref="SimulatedFlash"/> (main array, OTP, unique ID, option
/// bytes, wear counters, L4 ECC-broken double words) so a simulated device survives a process restart.
/// </summary>
/// <remarks>
/// Format version 1, little-endian: "CSAFLASH" magic (8 bytes), version u16, family u8, RDP level u8, geometry
/// name length u16 + UTF-8 name, main size u32 + main bytes, OTP size u32 + OTP bytes, 12 unique ID bytes,
/// sector count u32, WRP bitmap (one bit per sector, LSB first), erase cycles (u32 per sector), ECC-broken bitmaps
/// of the main array and of the OTP (one bit per double word, LSB first), then the CRC-32/MPEG-2 of everything
/// before it (u32). Statistics are not persisted. Saving writes a temporary file beside the target, flushes it to
/// disk and renames it over the target, so a crash leaves the old file or the new one, never half of one.
/// </remarks>
public static class FlashImageFile
{
    /// <summary>The current format version.</summary>
    public const ushort FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "CSAFLASH"u8;

    /// <summary>Saves <paramref name="flash"/>'s persistent state to <paramref name="path"/>, atomically.</summary>
    public static void Save(SimulatedFlash flash, string path)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] image = Serialize(flash.SnapshotStore());
        string fullPath = System.IO.Path.GetFullPath(path);
        string temporary = fullPath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(image);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, fullPath, overwrite: true);
    }

    /// <summary>Saves asynchronously; see <see cref="Save"/>.</summary>
    public static async Task SaveAsync(SimulatedFlash flash, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] image = Serialize(flash.SnapshotStore());
        string fullPath = System.IO.Path.GetFullPath(path);
        string temporary = fullPath + ".tmp";
        var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(image, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, fullPath, overwrite: true);
    }

    /// <summary>
    /// Loads a flash from <paramref name="path"/>. The geometry comes from the file; pass
    /// <paramref name="expectedGeometry"/> to insist on one. The options give the clock, timing and policies (their
    /// unique ID is ignored: the file's wins).
    /// </summary>
    /// <exception cref="FlashImageFileException">The file is truncated, not a flash image, of another version,
    /// corrupt, of an unknown geometry or of another geometry than expected.</exception>
    public static SimulatedFlash Load(string path, SimulatedFlashOptions? options = null, FlashGeometry? expectedGeometry = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] image = File.ReadAllBytes(path);
        FlashStore store = Deserialize(image, path, expectedGeometry);
        return new SimulatedFlash(store.Geometry, options ?? new SimulatedFlashOptions(), store);
    }

    internal static byte[] Serialize(FlashStore store)
    {
        FlashGeometry g = store.Geometry;
        byte[] name = Encoding.UTF8.GetBytes(g.Name);
        int sectors = g.Sectors.Count;
        var image = new byte[ImageLength(g, name.Length)];
        var w = new SpanWriter(image);
        w.Bytes(Magic);
        w.UInt16(FormatVersion);
        w.Byte((byte)g.Family);
        w.Byte((byte)store.OptionBytes.ReadOutProtection);
        w.UInt16((ushort)name.Length);
        w.Bytes(name);
        w.UInt32((uint)store.Main.Length);
        w.Bytes(store.Main);
        w.UInt32((uint)store.Otp.Length);
        w.Bytes(store.Otp);
        w.Bytes(store.UniqueId);
        w.UInt32((uint)sectors);
        w.Bitmap(Enumerable.Range(0, sectors).Select(store.OptionBytes.IsWriteProtected).ToArray());
        foreach (int cycles in store.EraseCycles)
            w.UInt32((uint)cycles);
        w.Bitmap(store.MainEccBroken);
        w.Bitmap(store.OtpEccBroken);
        w.UInt32(Crc32Mpeg2.Compute(image.AsSpan(0, w.Position)));
        return image;
    }

    internal static FlashStore Deserialize(byte[] image, string path, FlashGeometry? expectedGeometry)
    {
        const int fixedHeader = 8 + 2 + 1 + 1 + 2;
        if (image.Length < Magic.Length || !image.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Fail(image.Length < Magic.Length ? FlashImageFileError.Truncated : FlashImageFileError.NotAFlashImage,
                "the file does not start with the CSAFLASH magic");
        if (image.Length < fixedHeader + 4)
            throw Fail(FlashImageFileError.Truncated, $"the file is {image.Length} bytes, shorter than the header");
        var r = new SpanReader(image, path);
        r.Skip(Magic.Length);
        ushort version = r.UInt16();
        if (version != FormatVersion)
            throw Fail(FlashImageFileError.UnsupportedVersion, $"format version {version}; this library reads version {FormatVersion}");
        byte family = r.Byte();
        byte rdp = r.Byte();
        int nameLength = r.UInt16();
        if (image.Length < fixedHeader + nameLength + 4)
            throw Fail(FlashImageFileError.Truncated, "the file ends inside its geometry name");
        string name;
        try
        {
            name = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(r.Bytes(nameLength));
        }
        catch (DecoderFallbackException)
        {
            throw Fail(FlashImageFileError.UnknownGeometry, "the geometry name is not UTF-8 text");
        }
        FlashGeometry geometry = FlashGeometry.FindByName(name)
            ?? throw Fail(FlashImageFileError.UnknownGeometry, $"unknown flash geometry '{name}'");
        if (expectedGeometry is not null && !ReferenceEquals(expectedGeometry, geometry))
            throw Fail(FlashImageFileError.GeometryMismatch, $"the file holds a {geometry.Name} flash, not a {expectedGeometry.Name}");
        int expectedLength = ImageLength(geometry, nameLength);
        if (image.Length < expectedLength)
            throw Fail(FlashImageFileError.Truncated, $"the file is {image.Length} bytes; a {geometry.Name} image is {expectedLength}");
        if (image.Length > expectedLength)
            throw Fail(FlashImageFileError.Corrupt, $"the file is {image.Length} bytes; a {geometry.Name} image is {expectedLength}");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(image.Length - 4));
        if (Crc32Mpeg2.Compute(image.AsSpan(0, image.Length - 4)) != storedCrc)
            throw Fail(FlashImageFileError.Corrupt, "the CRC does not match the content (the file was damaged)");
        if (family != (byte)geometry.Family)
            throw Fail(FlashImageFileError.Corrupt, $"the family byte {family} contradicts the {geometry.Name} geometry");
        if (rdp > (byte)ReadOutProtectionLevel.Level2)
            throw Fail(FlashImageFileError.Corrupt, $"the read-out protection byte is {rdp}; levels are 0, 1 and 2");

        byte[] uniqueId;
        var main = r.Sized(geometry.Size, "main flash");
        var otp = r.Sized(geometry.OtpSize, "OTP");
        uniqueId = r.Bytes(FlashGeometry.UniqueIdSize).ToArray();
        var store = new FlashStore(geometry, uniqueId);
        main.CopyTo(store.Main);
        otp.CopyTo(store.Otp);
        if (r.UInt32() != geometry.Sectors.Count)
            throw Fail(FlashImageFileError.Corrupt, "the sector count contradicts the geometry");
        bool[] wrp = r.Bitmap(geometry.Sectors.Count, "write protection");
        for (int i = 0; i < store.EraseCycles.Length; i++)
        {
            // The counter is an int in memory; a CRC-valid file can still hold any u32 (edited, or written by other code).
            uint cycles = r.UInt32();
            if (cycles > int.MaxValue)
                throw Fail(FlashImageFileError.Corrupt, $"the erase counter of sector {i} is {cycles}, above the largest count a flash records ({int.MaxValue})");
            store.EraseCycles[i] = (int)cycles;
        }
        r.Bitmap(store.MainEccBroken.Length, "main ECC").CopyTo(store.MainEccBroken, 0);
        r.Bitmap(store.OtpEccBroken.Length, "OTP ECC").CopyTo(store.OtpEccBroken, 0);
        if (!store.HasEcc && (store.MainEccBroken.Contains(true) || store.OtpEccBroken.Contains(true)))
            throw Fail(FlashImageFileError.Corrupt, $"the file marks double words ECC-broken, but a {geometry.Name} flash has no ECC");
        if (r.Position != image.Length - 4)
            throw Fail(FlashImageFileError.Corrupt, $"{image.Length - 4 - r.Position} unexpected bytes before the CRC");
        store.OptionBytes = FlashOptionBytes.Factory.WithReadOutProtection((ReadOutProtectionLevel)rdp)
            .WithOnlyWriteProtection(Enumerable.Range(0, wrp.Length).Where(i => wrp[i]));
        return store;

        FlashImageFileException Fail(FlashImageFileError error, string message) => new(error, path, message);
    }

    private static int ImageLength(FlashGeometry g, int nameLength)
    {
        int sectors = g.Sectors.Count;
        return 8 + 2 + 1 + 1 + 2 + nameLength + 4 + g.Size + 4 + g.OtpSize + FlashGeometry.UniqueIdSize
            + 4 + BitmapBytes(sectors) + (4 * sectors) + BitmapBytes(g.Size / 8) + BitmapBytes(g.OtpSize / 8) + 4;
    }

    private static int BitmapBytes(int bits) => (bits + 7) / 8;

    private ref struct SpanWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Byte(byte value) => _buffer[Position++] = value;

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], value);
            Position += 2;
        }

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer[Position..], value);
            Position += 4;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_buffer[Position..]);
            Position += value.Length;
        }

        public void Bitmap(bool[] bits)
        {
            Span<byte> target = _buffer.Slice(Position, BitmapBytes(bits.Length));
            target.Clear();
            for (int i = 0; i < bits.Length; i++)
                if (bits[i])
                    target[i / 8] |= (byte)(1 << (i % 8));
            Position += target.Length;
        }
    }

    private ref struct SpanReader(byte[] buffer, string path)
    {
        private readonly byte[] _buffer = buffer;
        private readonly string _path = path;

        public int Position { get; private set; }

        public void Skip(int count) => Take(count);

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ReadOnlySpan<byte> Bytes(int count) => Take(count);

        public ReadOnlySpan<byte> Sized(int expected, string what)
        {
            uint size = UInt32();
            if (size != expected)
                throw new FlashImageFileException(FlashImageFileError.Corrupt, _path, $"the {what} section is {size} bytes; the geometry needs {expected}");
            return Take(expected);
        }

        public bool[] Bitmap(int bits, string what)
        {
            ReadOnlySpan<byte> bytes = Take(BitmapBytes(bits));
            var result = new bool[bits];
            for (int i = 0; i < bits; i++)
                result[i] = (bytes[i / 8] & (1 << (i % 8))) != 0;

            // The bits past the last one in the final byte are written as 0; anything else is not this format.
            if (bits % 8 != 0 && (bytes[^1] >> (bits % 8)) != 0)
                throw new FlashImageFileException(FlashImageFileError.Corrupt, _path, $"the {what} bitmap sets bits past its {bits} entries");
            return result;
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            // The CRC (last 4 bytes) is never content.
            if (count < 0 || Position + count > _buffer.Length - 4)
                throw new FlashImageFileException(FlashImageFileError.Truncated, _path, "the file ends inside its content");
            ReadOnlySpan<byte> span = _buffer.AsSpan(Position, count);
            Position += count;
            return span;
        }
    }
}
