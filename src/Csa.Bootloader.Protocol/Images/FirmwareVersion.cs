using System.Globalization;

namespace Csa.Bootloader.Images;

/// <summary>
/// The version of an image: semantic major.minor.patch plus a build number. The pre-bootloader starts the
/// valid bootloader copy with the highest version, so versions are totally ordered: major, then minor, then
/// patch, then build. Downgrade prevention does not use the version but the separate security counter, so a
/// product can ship a lower version that fixes a regression without giving up rollback protection.
/// </summary>
/// <param name="Major">Major version, 0-255.</param>
/// <param name="Minor">Minor version, 0-255.</param>
/// <param name="Patch">Patch version, 0-65535.</param>
/// <param name="Build">Build number, 0-4294967295 (CI build counters grow large).</param>
public readonly record struct FirmwareVersion(byte Major, byte Minor, ushort Patch, uint Build) : IComparable<FirmwareVersion>
{
    /// <summary>The version as one 64-bit number that orders like the version: major in the top byte, build in the low 32 bits.</summary>
    public ulong Ordinal => ((ulong)Major << 56) | ((ulong)Minor << 48) | ((ulong)Patch << 32) | Build;

    /// <inheritdoc />
    public int CompareTo(FirmwareVersion other) => Ordinal.CompareTo(other.Ordinal);

    /// <summary>True when <paramref name="left"/> orders before <paramref name="right"/>.</summary>
    public static bool operator <(FirmwareVersion left, FirmwareVersion right) => left.Ordinal < right.Ordinal;

    /// <summary>True when <paramref name="left"/> orders after <paramref name="right"/>.</summary>
    public static bool operator >(FirmwareVersion left, FirmwareVersion right) => left.Ordinal > right.Ordinal;

    /// <summary>True when <paramref name="left"/> orders before or equal to <paramref name="right"/>.</summary>
    public static bool operator <=(FirmwareVersion left, FirmwareVersion right) => left.Ordinal <= right.Ordinal;

    /// <summary>True when <paramref name="left"/> orders after or equal to <paramref name="right"/>.</summary>
    public static bool operator >=(FirmwareVersion left, FirmwareVersion right) => left.Ordinal >= right.Ordinal;

    /// <summary>The version as <c>major.minor.patch+build</c>, e.g. <c>1.4.2+317</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}+{Build}");

    /// <summary>
    /// Parses <c>major.minor.patch</c> or <c>major.minor.patch+build</c> (build 0 when absent).
    /// </summary>
    /// <exception cref="FormatException">The text is not a version or a part is out of range.</exception>
    public static FirmwareVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out FirmwareVersion version))
            throw new FormatException($"'{text}' is not a firmware version: expected major.minor.patch[+build] with major and minor 0-255, patch 0-65535, build 0-4294967295.");
        return version;
    }

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing.</summary>
    public static bool TryParse(string? text, out FirmwareVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        string core = text.Trim();
        uint build = 0;
        int plus = core.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            if (!uint.TryParse(core.AsSpan(plus + 1), NumberStyles.None, CultureInfo.InvariantCulture, out build))
                return false;
            core = core[..plus];
        }
        string[] parts = core.Split('.');
        if (parts.Length != 3
            || !byte.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out byte major)
            || !byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out byte minor)
            || !ushort.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out ushort patch))
            return false;
        version = new FirmwareVersion(major, minor, patch, build);
        return true;
    }
}
