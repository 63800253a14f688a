using System.Text.RegularExpressions;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>Reads the golden hex blocks of docs/security.md section 10 (<c>&lt;!-- golden:NAME --&gt;</c> then a fenced block).</summary>
internal static partial class SecurityDoc
{
    public static byte[] Golden(string name)
    {
        string text = File.ReadAllText(Path());
        Match m = Regex.Match(text, "<!-- golden:" + Regex.Escape(name) + " -->\\s*```[a-z]*\\n(?<hex>[^`]*)```");
        if (!m.Success)
            throw new InvalidOperationException($"docs/security.md has no golden block '{name}'.");
        string hex = string.Concat(m.Groups["hex"].Value.Split('\n').Where(l => !l.TrimStart().StartsWith('#')))
            .Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal);
        return Convert.FromHexString(hex);
    }

    private static string Path() => RepositoryFiles.Doc("security.md");
}
