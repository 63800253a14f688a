namespace Csa.DataLink.Internal;

/// <summary>
/// Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): removes every 0x00 from a frame so 0x00 can
/// delimit frames. Canonical form: a block of 254 non-zero bytes gets code 0xFF and no implied zero; nothing is
/// emitted after a final 0xFF block. Span-based, allocation-free.
/// </summary>
internal static class Cobs
{
    /// <summary>The longest encoding of <paramref name="length"/> bytes: one code byte per started 254-byte block (at least one).</summary>
    public static int MaxEncodedLength(int length) => length + Math.Max(1, (length + 253) / 254);

    /// <summary>The shortest input that can encode to <paramref name="decodedLength"/> bytes is never shorter than this.</summary>
    public static int MinEncodedLength(int decodedLength) => decodedLength + 1;

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/> (without delimiter); returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var encoder = new Encoder(destination);
        encoder.Write(source);
        return encoder.Finish();
    }

    /// <summary>
    /// Decodes one delimiter-free COBS block sequence. <paramref name="source"/> must not contain 0x00 (the caller
    /// splits at delimiters). Never writes past <paramref name="destination"/>.
    /// </summary>
    public static CobsStatus Decode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        int read = 0;
        while (read < source.Length)
        {
            int code = source[read++];
            if (code == 0)
                return CobsStatus.Invalid;
            int run = code - 1;
            if (run > source.Length - read)
                return CobsStatus.Invalid; // the block promises more bytes than arrived: truncated or a lost delimiter
            if (run > destination.Length - written)
                return CobsStatus.Overflow;
            source.Slice(read, run).CopyTo(destination[written..]);
            read += run;
            written += run;
            if (code != 0xFF && read < source.Length)
            {
                if (written == destination.Length)
                    return CobsStatus.Overflow;
                destination[written++] = 0;
            }
        }
        return CobsStatus.Done;
    }

    /// <summary>
    /// Streams several spans into one COBS encoding, so a frame is encoded straight from header, payload and CRC
    /// without first being copied together.
    /// </summary>
    public ref struct Encoder
    {
        private readonly Span<byte> _destination;
        private int _codePosition;
        private int _position;
        private int _code;
        private bool _justClosedFullBlock;

        public Encoder(Span<byte> destination)
        {
            _destination = destination;
            _codePosition = 0;
            _position = 1;
            _code = 1;
            _justClosedFullBlock = false;
        }

        public void Write(scoped ReadOnlySpan<byte> source)
        {
            while (!source.IsEmpty)
            {
                int take = Math.Min(0xFF - _code, source.Length);
                ReadOnlySpan<byte> chunk = source[..take];
                int zero = chunk.IndexOf((byte)0);
                _justClosedFullBlock = false;
                if (zero >= 0)
                {
                    chunk[..zero].CopyTo(_destination[_position..]);
                    _position += zero;
                    _destination[_codePosition] = (byte)(_code + zero);
                    _codePosition = _position++;
                    _code = 1;
                    source = source[(zero + 1)..];
                }
                else
                {
                    chunk.CopyTo(_destination[_position..]);
                    _position += take;
                    _code += take;
                    source = source[take..];
                    if (_code == 0xFF)
                    {
                        _destination[_codePosition] = 0xFF;
                        _codePosition = _position++;
                        _code = 1;
                        _justClosedFullBlock = true;
                    }
                }
            }
        }

        /// <summary>Writes the last code byte; returns the total encoded length.</summary>
        public int Finish()
        {
            // After a full 254-byte block nothing follows: the code slot reserved for a next block is dropped.
            if (_justClosedFullBlock)
                return _position - 1;
            _destination[_codePosition] = (byte)_code;
            return _position;
        }
    }
}

/// <summary>The outcome of <see cref="Cobs.Decode"/>.</summary>
internal enum CobsStatus
{
    /// <summary>The whole input was decoded.</summary>
    Done,

    /// <summary>A code byte points past the end of the input (or is zero).</summary>
    Invalid,

    /// <summary>The decoded data does not fit the destination.</summary>
    Overflow,
}
