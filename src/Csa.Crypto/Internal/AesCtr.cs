using System.Buffers.Binary;
using System.Numerics;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Csa.Crypto.Internal;

/// <summary>
/// AES in counter mode (NIST SP 800-38A §6.5), seekable to any byte offset. Keystream block i is
/// AES_K(T + i mod 2^128), where T is the 16-byte initial counter block read as a big-endian 128-bit integer:
/// the whole block is the counter, so it carries across all 16 bytes and wraps to zero after 2^128 - 1.
/// </summary>
internal static class AesCtr
{
    public const int BlockSize = 16;

    // Keystream is made this many blocks at a time: large enough to amortise the call overhead, small enough for the stack.
    private const int BatchBlocks = 32;

    /// <summary>
    /// XORs <paramref name="input"/> with the keystream starting at byte <paramref name="offset"/> of the stream
    /// into <paramref name="output"/>. Encryption and decryption are the same operation. The offset need not be a
    /// multiple of 16.
    /// </summary>
    public static void Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> initialCounter, long offset, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException($"An AES key is 16, 24 or 32 bytes, not {key.Length}.", nameof(key));
        }

        if (initialCounter.Length != BlockSize)
        {
            throw new ArgumentException($"The initial counter block is {BlockSize} bytes, not {initialCounter.Length}.", nameof(initialCounter));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (output.Length < input.Length)
        {
            throw new ArgumentException("The output is shorter than the input.", nameof(output));
        }

        if (input.IsEmpty)
        {
            return;
        }

        // AesUtilities picks the AES-NI engine where the CPU has it, the table-free software engine elsewhere.
        IBlockCipher aes = AesUtilities.CreateEngine();
        aes.Init(true, new KeyParameter(key));

        UInt128 counter = BinaryPrimitives.ReadUInt128BigEndian(initialCounter) + (UInt128)(ulong)(offset / BlockSize);
        int skip = (int)(offset % BlockSize);

        Span<byte> counterBlocks = stackalloc byte[BatchBlocks * BlockSize];
        Span<byte> keystream = stackalloc byte[BatchBlocks * BlockSize];
        try
        {
            int done = 0;
            while (done < input.Length)
            {
                int wanted = Math.Min(input.Length - done + skip, keystream.Length);
                int blocks = (wanted + BlockSize - 1) / BlockSize;
                for (int i = 0; i < blocks; i++)
                {
                    BinaryPrimitives.WriteUInt128BigEndian(counterBlocks.Slice(i * BlockSize, BlockSize), counter);
                    counter++; // UInt128 arithmetic is unchecked: wraps modulo 2^128 as specified.
                    aes.ProcessBlock(counterBlocks.Slice(i * BlockSize, BlockSize), keystream.Slice(i * BlockSize, BlockSize));
                }

                int take = Math.Min((blocks * BlockSize) - skip, input.Length - done);
                Xor(input.Slice(done, take), keystream.Slice(skip, take), output.Slice(done, take));
                done += take;
                skip = 0;
            }
        }
        finally
        {
            keystream.Clear();
        }
    }

    /// <summary>output = a XOR b.</summary>
    public static void Xor(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<byte>.Count;
            for (; i <= a.Length - width; i += width)
            {
                (new Vector<byte>(a[i..]) ^ new Vector<byte>(b[i..])).CopyTo(output[i..]);
            }
        }

        for (; i < a.Length; i++)
        {
            output[i] = (byte)(a[i] ^ b[i]);
        }
    }
}
