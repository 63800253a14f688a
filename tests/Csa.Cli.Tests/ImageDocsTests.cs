using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Csa.Cli.Tests;

/// <summary>docs/cli.md tells the truth about the image and key commands and the exit codes.</summary>
public sealed class ImageDocsTests
{
    private static string CliMd => File.ReadAllText(ImageTestSupport.RepoFile("docs/cli.md"));

    private static string ImagesAndKeysSection()
    {
        string doc = CliMd;
        int start = doc.IndexOf("\n## Images and keys", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/cli.md has no '## Images and keys' section");
        int end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? doc[start..] : doc[start..end];
    }

    [Theory]
    [InlineData("image", "build")]
    [InlineData("image", "sign")]
    [InlineData("image", "encrypt")]
    [InlineData("image", "inspect")]
    [InlineData("image", "verify")]
    [InlineData("keys", "generate")]
    [InlineData("keys", "show")]
    public void ImagesAndKeysSection_DocumentsEveryOptionOfTheCommand(string group, string name)
    {
        string section = ImagesAndKeysSection();
        Assert.Contains($"### `csa {group} {name}", section);
        RootCommand root = CsaApp.BuildRoot(CliConsole.FromWriters(TextWriter.Null, TextWriter.Null));
        Command command = root.Subcommands.Single(c => c.Name == group).Subcommands.Single(c => c.Name == name);
        foreach (Option option in command.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name != "--help"))
            Assert.True(section.Contains($"`{option.Name}", StringComparison.Ordinal) || section.Contains($" {option.Name} ", StringComparison.Ordinal) || section.Contains($"{option.Name}`", StringComparison.Ordinal),
                $"csa {group} {name} {option.Name} is not documented in docs/cli.md");
    }

    [Fact]
    public void ExitCodeTable_MatchesExitCodes()
    {
        var documented = new Dictionary<string, int>();
        foreach (Match row in Regex.Matches(CliMd, @"^\| (\d+) \| (\w+) \|", RegexOptions.Multiline))
            documented[row.Groups[2].Value] = int.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        FieldInfo[] codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
        Assert.NotEmpty(codes);
        foreach (FieldInfo code in codes)
        {
            Assert.True(documented.TryGetValue(code.Name, out int value), $"exit code {code.Name} is not in the table of docs/cli.md");
            Assert.Equal((int)code.GetValue(null)!, value);
        }
        Assert.Equal(codes.Length, documented.Count);
    }
}
