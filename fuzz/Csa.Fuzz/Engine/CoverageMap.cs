namespace Csa.Fuzz.Engine;

/// <summary>
/// Edge coverage in process, when the Csa assemblies were instrumented by SharpFuzz (<c>csa-fuzz instrument</c>): the
/// instrumented code counts each branch edge in <c>SharpFuzz.Common.Trace.SharedMem</c> (AFL's 64 KiB map); this
/// class points that map at its own buffer, clears it before an input and reports whether the input hit an edge (or
/// an edge count bucket) never seen before. Without instrumentation the map stays empty and only the targets'
/// outcome codes guide the engine.
/// </summary>
internal sealed unsafe class CoverageMap : IDisposable
{
    private const int MapSize = 1 << 16;

    // One map for the process: instrumented code writes to it from the first instrumented call on (a target's
    // constructor included), so it must exist before any target does; it lives as long as the process.
    private static readonly byte* ProcessMap = Install();
    private readonly byte* _map;
    private readonly byte[] _seen = new byte[MapSize];

    public CoverageMap()
    {
        _map = ProcessMap;
        SharpFuzz.Common.Trace.SharedMem = _map;
    }

    /// <summary>Points the instrumentation at the process map; call before any instrumented code runs.</summary>
    public static void EnsureInstalled() => SharpFuzz.Common.Trace.SharedMem = ProcessMap;

    private static byte* Install()
    {
        var map = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(MapSize);
        SharpFuzz.Common.Trace.SharedMem = map;
        return map;
    }

    /// <summary>Map entries ever hit.</summary>
    public int Edges { get; private set; }

    public void Reset()
    {
        new Span<byte>(_map, MapSize).Clear();
        SharpFuzz.Common.Trace.PrevLocation = 0;
    }

    /// <summary>True when the last input reached an edge, or a hit-count bucket of an edge, not seen before.</summary>
    public bool Merge()
    {
        bool news = false;
        var map = new ReadOnlySpan<byte>(_map, MapSize);
        int at = 0;
        while (true)
        {
            int next = map[at..].IndexOfAnyExcept((byte)0);
            if (next < 0)
                break;
            at += next;
            byte bucket = Bucket(map[at]);
            if ((_seen[at] & bucket) == 0)
            {
                if (_seen[at] == 0)
                    Edges++;
                _seen[at] |= bucket;
                news = true;
            }
            at++;
            if (at >= MapSize)
                break;
        }
        return news;
    }

    /// <summary>AFL's hit-count classes: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+.</summary>
    private static byte Bucket(byte count) => count switch
    {
        1 => 1,
        2 => 2,
        3 => 4,
        <= 7 => 8,
        <= 15 => 16,
        <= 31 => 32,
        <= 127 => 64,
        _ => 128,
    };

    public void Dispose()
    {
        // The map stays: instrumented code may still run (another target, a finaliser).
    }
}
