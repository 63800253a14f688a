using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Csa.Rpc;

/// <summary>
/// The RPC packet codec (docs/rpc-packets.md): pure and synchronous, no I/O. Parses a whole packet into its
/// header and payload and writes packets into an <see cref="IBufferWriter{T}"/>.
/// </summary>
public static class RpcPacket
{
    /// <summary>The protocol version this codec speaks: the high nibble of byte 0.</summary>
    public const byte ProtocolVersion = 0;

    /// <summary>
    /// The most UTF-8 bytes of message an error packet carries. Longer messages are cut at a character
    /// boundary so a small device never has to buffer a long text.
    /// </summary>
    public const int MaxErrorMessageBytes = 128;

    /// <summary>Size of the error code in front of an error packet's message.</summary>
    public const int ErrorCodeSize = 2;

    // Lenient on purpose: the code is what matters; a device's broken text must not hide it.
    private static readonly UTF8Encoding LenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Parses a whole packet held in one block of memory.</summary>
    /// <param name="packet">The packet bytes.</param>
    /// <param name="header">The header, when the packet is valid.</param>
    /// <param name="payload">Everything after the header, when the packet is valid.</param>
    /// <param name="error">Why the packet is invalid, or <see cref="RpcPacketError.None"/>.</param>
    /// <returns>True when the packet is valid.</returns>
    public static bool TryParse(ReadOnlyMemory<byte> packet, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out RpcPacketError error)
    {
        payload = default;
        if (!RpcPacketHeader.TryRead(packet.Span, out header, out error))
            return false;
        payload = packet[RpcPacketHeader.Size..];
        return CheckKindLayout(header.Kind, payload.Length, out error);
    }

    /// <summary>Parses a whole packet that may span several segments.</summary>
    /// <param name="packet">The packet bytes.</param>
    /// <param name="header">The header, when the packet is valid.</param>
    /// <param name="payload">Everything after the header, when the packet is valid.</param>
    /// <param name="error">Why the packet is invalid, or <see cref="RpcPacketError.None"/>.</param>
    /// <returns>True when the packet is valid.</returns>
    public static bool TryParse(in ReadOnlySequence<byte> packet, out RpcPacketHeader header, out ReadOnlySequence<byte> payload, out RpcPacketError error)
    {
        payload = default;
        Span<byte> headerBytes = stackalloc byte[RpcPacketHeader.Size];
        ReadOnlySpan<byte> first = packet.FirstSpan;
        scoped ReadOnlySpan<byte> source;
        if (first.Length >= RpcPacketHeader.Size)
        {
            source = first;
        }
        else
        {
            int available = (int)Math.Min(packet.Length, RpcPacketHeader.Size);
            packet.Slice(0, available).CopyTo(headerBytes);
            source = headerBytes[..available];
        }
        if (!RpcPacketHeader.TryRead(source, out header, out error))
            return false;
        payload = packet.Slice(RpcPacketHeader.Size);
        return CheckKindLayout(header.Kind, payload.Length, out error);
    }

    /// <summary>Parses a whole packet or throws.</summary>
    /// <exception cref="RpcPacketException">The packet is malformed; <see cref="RpcPacketException.Error"/> says how.</exception>
    public static RpcPacketHeader Parse(in ReadOnlySequence<byte> packet, out ReadOnlySequence<byte> payload)
    {
        if (TryParse(packet, out RpcPacketHeader header, out payload, out RpcPacketError error))
            return header;
        throw new RpcPacketException(error, Describe(error, packet.Length, packet.IsEmpty ? (byte)0 : packet.FirstSpan[0], packet.Length > 1 ? packet.Slice(1, 1).FirstSpan[0] : (byte)0));
    }

    /// <summary>Writes the 8-byte header.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The header has an undefined kind or reserved flag bits set.</exception>
    public static void WriteHeader(IBufferWriter<byte> output, in RpcPacketHeader header)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!Enum.IsDefined(header.Kind))
            throw new ArgumentOutOfRangeException(nameof(header), $"RPC packet kind 0x{(byte)header.Kind:X2} is not defined.");
        if ((header.Flags & ~RpcPacketFlags.Resend) != 0)
            throw new ArgumentOutOfRangeException(nameof(header), $"RPC packet flags 0x{(byte)header.Flags:X2} set reserved bits.");
        header.WriteTo(output.GetSpan(RpcPacketHeader.Size));
        output.Advance(RpcPacketHeader.Size);
    }

    /// <summary>Writes a whole packet: the header, then <paramref name="payload"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The header is invalid, or an error packet's payload lacks its code.</exception>
    public static void Write(IBufferWriter<byte> output, in RpcPacketHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.Kind == RpcPacketKind.Error && payload.Length < ErrorCodeSize)
            throw new ArgumentOutOfRangeException(nameof(payload), "An error packet's payload starts with a 2-byte error code.");
        WriteHeader(output, header);
        if (!payload.IsEmpty)
        {
            payload.CopyTo(output.GetSpan(payload.Length));
            output.Advance(payload.Length);
        }
    }

    /// <summary>
    /// Writes a whole error packet: the header (its kind must be <see cref="RpcPacketKind.Error"/>), the code, and
    /// <paramref name="message"/> in UTF-8, cut at a character boundary to <see cref="MaxErrorMessageBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The header is not an error header.</exception>
    public static void WriteError(IBufferWriter<byte> output, in RpcPacketHeader header, ushort errorCode, string? message)
    {
        if (header.Kind != RpcPacketKind.Error)
            throw new ArgumentOutOfRangeException(nameof(header), $"An error packet has kind Error, not {header.Kind}.");
        WriteHeader(output, header);
        string text = message ?? string.Empty;
        int byteCount = Utf8PrefixLength(text, MaxErrorMessageBytes, out int charCount);
        Span<byte> span = output.GetSpan(ErrorCodeSize + byteCount);
        BinaryPrimitives.WriteUInt16LittleEndian(span, errorCode);
        Encoding.UTF8.GetBytes(text.AsSpan(0, charCount), span[ErrorCodeSize..]);
        output.Advance(ErrorCodeSize + byteCount);
    }

    /// <summary>Reads an error packet's payload: the code, then the message (invalid UTF-8 becomes U+FFFD).</summary>
    /// <returns>False when the payload is shorter than the code.</returns>
    public static bool TryReadError(ReadOnlySpan<byte> payload, out ushort errorCode, out string message)
    {
        if (payload.Length < ErrorCodeSize)
        {
            errorCode = 0;
            message = string.Empty;
            return false;
        }
        errorCode = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        message = LenientUtf8.GetString(payload[ErrorCodeSize..]);
        return true;
    }

    /// <summary>Says in words why a packet was rejected.</summary>
    internal static string Describe(RpcPacketError error, long length, byte byte0, byte byte1) => error switch
    {
        RpcPacketError.TooShort => $"The RPC packet is {length} byte(s) long; the header alone is {RpcPacketHeader.Size}.",
        RpcPacketError.UnsupportedVersion => $"The RPC packet has protocol version {byte0 >> 4}; only {ProtocolVersion} is supported.",
        RpcPacketError.UnknownKind => $"The RPC packet kind 0x{byte0 & 0x0F:X} is not defined.",
        RpcPacketError.ReservedFlags => $"The RPC packet sets reserved flag bits (flags 0x{byte1:X2}).",
        RpcPacketError.MissingErrorCode => "The RPC error packet is shorter than its 2-byte error code.",
        _ => "The RPC packet is valid.",
    };

    private static bool CheckKindLayout(RpcPacketKind kind, long payloadLength, out RpcPacketError error)
    {
        error = kind == RpcPacketKind.Error && payloadLength < ErrorCodeSize ? RpcPacketError.MissingErrorCode : RpcPacketError.None;
        return error == RpcPacketError.None;
    }

    // The longest prefix of text whose UTF-8 form fits maxBytes without splitting a character (or a surrogate pair).
    private static int Utf8PrefixLength(string text, int maxBytes, out int charCount)
    {
        int bytes = 0;
        int i = 0;
        while (i < text.Length)
        {
            int width;
            int chars = 1;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                width = 4;
                chars = 2;
            }
            else
            {
                width = c < 0x80 ? 1 : c < 0x800 ? 2 : 3; // a lone surrogate encodes as U+FFFD: 3 bytes
            }
            if (bytes + width > maxBytes)
                break;
            bytes += width;
            i += chars;
        }
        charCount = i;
        return bytes;
    }
}
