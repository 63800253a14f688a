using System.Buffers.Binary;
using System.Globalization;

namespace Csa.Bootloader.Images;

/// <summary>
/// A microcontroller's 96-bit unique device ID (0x1FFF7A10 on STM32F4, 0x1FFF7590 on STM32L4), as its 12
/// bytes in the order they sit in memory (lowest address first). Images bound to devices (REQ-DEVICE-BOUND)
/// and per-device wrapped keys name devices by this value.
/// </summary>
public readonly struct DeviceUid : IEquatable<DeviceUid>
{
    /// <summary>The length of a unique ID in bytes.</summary>
    public const int Length = 12;

    // Three little-endian words, exactly as the chip exposes them at UID base, +4, +8.
    private readonly uint _word0;
    private readonly uint _word1;
    private readonly uint _word2;

    private DeviceUid(uint word0, uint word1, uint word2)
    {
        _word0 = word0;
        _word1 = word1;
        _word2 = word2;
    }

    /// <summary>Creates a UID from its 12 bytes in memory order.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not exactly 12 bytes.</exception>
    public static DeviceUid FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"A device unique ID is exactly {Length} bytes, not {bytes.Length}.", nameof(bytes));
        return new DeviceUid(
            BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));
    }

    /// <summary>Creates a UID from its 12 bytes in memory order (the form Python and scripts pass).</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not exactly 12 bytes.</exception>
    public static DeviceUid FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return FromBytes(bytes.AsSpan());
    }

    /// <summary>Creates a UID from the three 32-bit words read at UID base, base + 4 and base + 8.</summary>
    public static DeviceUid FromWords(uint word0, uint word1, uint word2) => new(word0, word1, word2);

    /// <summary>Parses 24 hex digits (the bytes in memory order; spaces, '-' and ':' between bytes are allowed).</summary>
    /// <exception cref="FormatException">The text is not 12 bytes of hex.</exception>
    public static DeviceUid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string digits = text.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Replace(":", "", StringComparison.Ordinal);
        if (digits.Length != 2 * Length)
            throw new FormatException($"'{text}' is not a device unique ID: expected {2 * Length} hex digits.");
        Span<byte> bytes = stackalloc byte[Length];
        for (int i = 0; i < Length; i++)
        {
            if (!byte.TryParse(digits.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
                throw new FormatException($"'{text}' is not a device unique ID: '{digits.Substring(2 * i, 2)}' is not a hex byte.");
        }
        return FromBytes(bytes);
    }

    /// <summary>Writes the 12 bytes in memory order into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Length)
            throw new ArgumentException($"The destination needs {Length} bytes.", nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, _word0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], _word1);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], _word2);
    }

    /// <summary>The 12 bytes in memory order.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>The 24 upper-case hex digits of the bytes in memory order.</summary>
    public override string ToString() => Convert.ToHexString(ToArray());

    /// <inheritdoc />
    public bool Equals(DeviceUid other) => _word0 == other._word0 && _word1 == other._word1 && _word2 == other._word2;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DeviceUid other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_word0, _word1, _word2);

    /// <summary>True when both UIDs are the same 96 bits.</summary>
    public static bool operator ==(DeviceUid left, DeviceUid right) => left.Equals(right);

    /// <summary>True when the UIDs differ.</summary>
    public static bool operator !=(DeviceUid left, DeviceUid right) => !left.Equals(right);
}
