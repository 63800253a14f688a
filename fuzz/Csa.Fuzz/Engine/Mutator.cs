using System.Buffers.Binary;

namespace Csa.Fuzz.Engine;

/// <summary>
/// libFuzzer-style structure-blind mutations, deterministic for a given <see cref="Random"/> seed: bit flips, byte and
/// integer replacements with boundary values, arithmetic on little-endian fields, inserts, erases, duplicated ranges,
/// splices with other corpus entries and dictionary tokens.
/// </summary>
internal sealed class Mutator(Random random, IReadOnlyList<byte[]> dictionary)
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF, 0x10, 0x20, 0x40];
    private static readonly uint[] InterestingWords = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 96, 176, 129, 64, 1024, 4096];

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus, int maxLength)
    {
        var data = new List<byte>(input);
        int rounds = 1 + random.Next(4);
        for (int i = 0; i < rounds; i++)
            MutateOnce(data, corpus);
        if (data.Count > maxLength)
            data.RemoveRange(maxLength, data.Count - maxLength);
        return [.. data];
    }

    private void MutateOnce(List<byte> data, IReadOnlyList<byte[]> corpus)
    {
        int op = random.Next(dictionary.Count > 0 ? 13 : 12);
        if (data.Count == 0 && op is not (6 or 11 or 12))
            op = 6;
        switch (op)
        {
            case 0: // flip one bit
            {
                int at = random.Next(data.Count);
                data[at] ^= (byte)(1 << random.Next(8));
                break;
            }
            case 1: // a random byte
                data[random.Next(data.Count)] = (byte)random.Next(256);
                break;
            case 2: // a boundary byte
                data[random.Next(data.Count)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                break;
            case 3: // a boundary u16 / u32, little-endian (the protocol's byte order)
            {
                uint value = InterestingWords[random.Next(InterestingWords.Length)];
                int width = random.Next(2) == 0 ? 2 : 4;
                Write(data, random.Next(data.Count), value, width);
                break;
            }
            case 4: // arithmetic on a byte, u16 or u32 field
            {
                int width = 1 << random.Next(3);
                int at = random.Next(data.Count);
                uint value = Read(data, at, width);
                int delta = random.Next(1, 36) * (random.Next(2) == 0 ? 1 : -1);
                Write(data, at, unchecked((uint)(value + delta)), width);
                break;
            }
            case 5: // erase a range
            {
                int at = random.Next(data.Count);
                data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(Math.Min(64, data.Count))));
                break;
            }
            case 6: // insert random bytes
            {
                int at = random.Next(data.Count + 1);
                var bytes = new byte[1 + random.Next(16)];
                random.NextBytes(bytes);
                data.InsertRange(at, bytes);
                break;
            }
            case 7: // duplicate a range in place (repeated records, fields)
            {
                int from = random.Next(data.Count);
                int length = Math.Min(data.Count - from, 1 + random.Next(64));
                data.InsertRange(random.Next(data.Count + 1), data.GetRange(from, length));
                break;
            }
            case 8: // overwrite a range with a copy of another range
            {
                int from = random.Next(data.Count);
                int to = random.Next(data.Count);
                int length = Math.Min(Math.Min(data.Count - from, data.Count - to), 1 + random.Next(32));
                List<byte> copy = data.GetRange(from, length);
                for (int i = 0; i < length; i++)
                    data[to + i] = copy[i];
                break;
            }
            case 9: // truncate
            {
                int keep = random.Next(data.Count);
                data.RemoveRange(keep, data.Count - keep);
                break;
            }
            case 10: // splice: this input's head, another entry's tail
            {
                byte[] other = corpus[random.Next(corpus.Count)];
                if (other.Length == 0)
                    break;
                int cut = random.Next(data.Count + 1);
                data.RemoveRange(cut, data.Count - cut);
                data.AddRange(other.AsSpan(random.Next(other.Length)).ToArray());
                break;
            }
            case 11: // insert a chunk of another entry
            {
                byte[] other = corpus[random.Next(corpus.Count)];
                if (other.Length == 0)
                    break;
                int from = random.Next(other.Length);
                int length = Math.Min(other.Length - from, 1 + random.Next(64));
                data.InsertRange(random.Next(data.Count + 1), other.AsSpan(from, length).ToArray());
                break;
            }
            default: // a dictionary token, inserted or written over
            {
                byte[] token = dictionary[random.Next(dictionary.Count)];
                int at = random.Next(data.Count + 1);
                if (random.Next(2) == 0 || at + token.Length > data.Count)
                    data.InsertRange(at, token);
                else
                    for (int i = 0; i < token.Length; i++)
                        data[at + i] = token[i];
                break;
            }
        }
    }

    private static uint Read(List<byte> data, int at, int width)
    {
        Span<byte> b = stackalloc byte[4];
        for (int i = 0; i < width && at + i < data.Count; i++)
            b[i] = data[at + i];
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void Write(List<byte> data, int at, uint value, int width)
    {
        for (int i = 0; i < width && at + i < data.Count; i++)
            data[at + i] = (byte)(value >> (8 * i));
    }
}
