namespace Csa.Python.Tests;

/// <summary>
/// How the Python tests find libpython3.11: a missing library must fail them with a message that says what to do and
/// where it looked, never skip them.
/// </summary>
public sealed class LibPythonLocatorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("csa-libpython-").FullName;

    [Fact]
    [Trait("Category", "Python")]
    public void EnvironmentVariable_NamingNoFile_FailsWithTheVariableInTheMessage()
    {
        string missing = Path.Combine(_folder, "libpython3.11.so");

        var error = Assert.Throws<InvalidOperationException>(() => LibPythonLocator.Find(missing, [], []));

        Assert.Contains($"PYTHONNET_PYDLL={missing} names no file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Python")]
    public void EnvironmentVariable_NamingAFile_WinsOverEverythingElse()
    {
        string library = Touch("custom", "libpython3.11.so.1.0");
        string other = Touch("folder", "libpython3.11.so");

        Assert.Equal(library, LibPythonLocator.Find(library, ["python3"], [Path.GetDirectoryName(other)!]));
    }

    [Fact]
    [Trait("Category", "Python")]
    public void NoInterpreter_FindsTheLibraryInTheFolders_UnversionedNameFirst()
    {
        string versioned = Touch("lib", "libpython3.11.so.1.0");
        string unversioned = Touch("lib", "libpython3.11.so");

        Assert.Equal(unversioned, LibPythonLocator.Find(null, ["csa-no-such-python"], [Path.Combine(_folder, "empty"), Path.GetDirectoryName(versioned)!]));
    }

    [Fact]
    [Trait("Category", "Python")]
    public void NothingAnywhere_FailsSayingHowToInstallIt_AndWhereItLooked()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;

        var error = Assert.Throws<InvalidOperationException>(() => LibPythonLocator.Find(null, ["csa-no-such-python"], [empty]));

        Assert.Contains("apt-get install libpython3.11", error.Message, StringComparison.Ordinal);
        Assert.Contains("PYTHONNET_PYDLL", error.Message, StringComparison.Ordinal);
        Assert.Contains("csa-no-such-python (not on PATH)", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(empty, "libpython3.11.so.1.0"), error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Touch(string folder, string name)
    {
        string path = Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, folder)).FullName, name);
        File.WriteAllBytes(path, []);
        return path;
    }
}
