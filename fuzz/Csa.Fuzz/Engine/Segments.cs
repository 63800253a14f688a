using System.Buffers;

namespace Csa.Fuzz.Engine;

/// <summary>Builds multi-segment sequences, so the codecs' segment-crossing paths are fuzzed too.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> data, int chunk)
    {
        if (chunk <= 0 || data.Length <= chunk)
            return new ReadOnlySequence<byte>(data);
        var first = new Segment(data[..chunk], 0);
        Segment last = first;
        for (int at = chunk; at < data.Length; at += chunk)
            last = last.Append(data[at..Math.Min(data.Length, at + chunk)]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>Text helpers shared by the text targets.</summary>
internal static class TextLines
{
    /// <summary>Lines as the parsers count them (string.EnumerateLines: CR, LF, CR LF, FF, NEL, LS, PS end a line).</summary>
    public static int Count(string text)
    {
        int lines = 0;
        foreach (ReadOnlySpan<char> _ in text.AsSpan().EnumerateLines())
            lines++;
        return lines;
    }
}
