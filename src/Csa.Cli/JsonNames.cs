namespace Csa.Cli;

/// <summary>
/// How enum values appear in --json output: camelCase names (<c>bootloaderA</c>, <c>noValidApplication</c>), flags as an
/// array of such names, the same convention the serializer applies to enum-typed properties (docs/cli.md).
/// </summary>
internal static class JsonNames
{
    /// <summary>The camelCase name of <paramref name="value"/>.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Camel(value.ToString());

    /// <summary>The camelCase names of the flags set in <paramref name="value"/> (empty when none is).</summary>
    public static IReadOnlyList<string> Flags<T>(T value) where T : struct, Enum =>
        Enum.GetValues<T>()
            .Where(flag => Convert.ToUInt64(flag, System.Globalization.CultureInfo.InvariantCulture) != 0 && value.HasFlag(flag))
            .Select(flag => Camel(flag.ToString()))
            .ToArray();

    private static string Camel(string name) => name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
