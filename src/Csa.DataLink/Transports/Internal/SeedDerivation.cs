namespace Csa.DataLink.Transports.Internal;

/// <summary>Derives independent, reproducible seeds for the emulated link's random streams from one user seed.</summary>
internal static class SeedDerivation
{
    /// <summary>SplitMix64 finaliser of (seed, stream): stable across runtimes and platforms, unlike <see cref="HashCode"/>.</summary>
    public static int Derive(int seed, int stream)
    {
        unchecked
        {
            ulong z = ((ulong)(uint)seed << 8 | (uint)stream) + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & 0x7FFF_FFFF);
        }
    }
}
