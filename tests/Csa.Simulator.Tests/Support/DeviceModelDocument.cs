using System.Text.RegularExpressions;

namespace Csa.Simulator.Tests.Support;

/// <summary>docs/device-model.md as the tests read it: the text, and its golden hex vectors by name.</summary>
internal static class DeviceModelDocument
{
    private static readonly Lazy<string> Text = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return File.ReadAllText(Path.Combine(dir.FullName, "docs", "device-model.md"));
        throw new FileNotFoundException("Csa.sln not found above the test directory.");
    });

    /// <summary>The whole document.</summary>
    public static string Value => Text.Value;

    /// <summary>The bytes of the vector marked <c>&lt;!-- golden:name --&gt;</c> followed by a text block of hex.</summary>
    public static byte[] Golden(string name)
    {
        Match m = Regex.Match(Text.Value, $@"<!-- golden:{name} -->\s*```text\s*(?<hex>[0-9A-F \r\n]+)```");
        Assert.True(m.Success, $"golden vector {name} not found");
        return Convert.FromHexString(Regex.Replace(m.Groups["hex"].Value, @"\s", ""));
    }
}
