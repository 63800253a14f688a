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

    /// <summary>The highest end address over all runs.</summary>
    public static ulong End(Run[] sorted) => sorted.Max(r => r.End);
}
