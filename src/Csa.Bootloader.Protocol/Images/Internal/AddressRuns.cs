namespace Csa.Bootloader.Images.Internal;

/// <summary>
/// The data runs a firmware file places in memory, each tagged with where it came from (a line, a segment), and
/// the one flat image they make: overlap is found in one sweep, gaps read as erased flash (0xFF). The readers turn
/// what this reports into their own typed errors.
/// </summary>
internal sealed class AddressRuns
{
    private readonly List<Run> _runs = [];

    /// <summary>One run of bytes at an address, and where in the file it came from.</summary>
    public readonly record struct Run(uint Address, byte[] Bytes, int Source)
    {
        public ulong End => (ulong)Address + (ulong)Bytes.Length;
    }

    public int Count => _runs.Count;

    public void Add(uint address, byte[] bytes, int source) => _runs.Add(new Run(address, bytes, source));

    /// <summary>The runs by address, file order breaking ties (stable).</summary>
    public Run[] Sorted() => [.. _runs.Select((r, i) => (r, i)).OrderBy(x => x.r.Address).ThenBy(x => x.i).Select(x => x.r)];

    /// <summary>
    /// The first run (by address) that starts inside an earlier one, with the run it overlaps (the one reaching
    /// furthest so far); false when no two runs share a byte.
    /// </summary>
    public static bool TryFindOverlap(Run[] sorted, out Run overlapping, out Run overlapped)
    {
        Run reaching = sorted[0];
        foreach (Run run in sorted.AsSpan(1))
        {
            if (run.Address < reaching.End)
            {
                overlapping = run;
                overlapped = reaching;
                return true;
            }

            if (run.End > reaching.End)
                reaching = run;
        }

        overlapping = overlapped = default;
        return false;
    }

    /// <summary>The bytes from the lowest address to the highest end; the span must have been checked.</summary>
    public static byte[] Flatten(Run[] sorted, ulong span)
    {
        uint start = sorted[0].Address;
        var image = new byte[span];
        image.AsSpan().Fill(0xFF); // gaps read as erased flash
        foreach (Run run in sorted)
            run.Bytes.CopyTo(image, run.Address - start);
        return image;
    }

    /// <summary>
    /// The one flat image of a line-based file (Intel HEX, S-records): runs that share a byte are refused, blamed on
    /// the later line, and so is a span beyond <paramref name="maxSpan"/>, each through the reader's own typed error.
    /// </summary>
    /// <param name="maxSpan">The most bytes an image may span.</param>
    /// <param name="entryPoint">The start address the file gave, if any.</param>
    /// <param name="overlapping">The reader's error for overlapping data: (line, message).</param>
    /// <param name="tooLarge">The reader's error for a span that does not fit: (line, message).</param>
    public LoadedFirmware AssembleLines(int maxSpan, uint? entryPoint, Func<int, string, Exception> overlapping, Func<int, string, Exception> tooLarge)
    {
        Run[] sorted = Sorted();
        if (TryFindOverlap(sorted, out Run later, out Run earlier))
        {
            int laterLine = Math.Max(later.Source, earlier.Source);
            int earlierLine = Math.Min(later.Source, earlier.Source);
            throw overlapping(laterLine, $"the data at 0x{later.Address:X8} overlaps data already written by line {earlierLine}");
        }
        uint start = sorted[0].Address;
        ulong span = End(sorted) - start;
        if (span > (ulong)maxSpan)
            throw tooLarge(sorted[^1].Source, $"the data spans {span} bytes from 0x{start:X8}; at most {maxSpan} fit into an image");
        return new LoadedFirmware(Flatten(sorted, span), start, entryPoint);
    }

    /// <summary>The highest end address over all runs.</summary>
    public static ulong End(Run[] sorted) => sorted.Max(r => r.End);
}
