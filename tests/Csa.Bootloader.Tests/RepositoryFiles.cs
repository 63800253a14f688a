namespace Csa.Bootloader.Tests;

/// <summary>
/// The repository's own files that the tests check against (docs/, the interface files under src/), found above the
/// test output directory by the solution file.
/// </summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return dir.FullName;
        }
        throw new FileNotFoundException("Csa.sln not found above the test output directory " + AppContext.BaseDirectory);
    });

    /// <summary>The repository's root directory.</summary>
    public static string Root => RootDirectory.Value;

    /// <summary>The path of docs/<paramref name="document"/>.</summary>
    public static string Doc(string document) => Path.Combine(Root, "docs", document);
}
