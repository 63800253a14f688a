namespace Csa.Cli.Simulation;

/// <summary>
/// Where a simulation keeps what must outlive one process: each device's flash file, the development signing key, and
/// each device's identity key (so images encrypted for a device still decrypt after a restart). Two layouts: a state
/// directory (<c>sim:?state=DIR</c>, <c>csa sim --state DIR</c>) and files beside one flash file (<c>csa sim --flash FILE</c>).
/// </summary>
internal sealed class SimulationStore
{
    private readonly Func<int, string> _flash;
    private readonly Func<int, string> _identity;

    private SimulationStore(string description, Func<int, string> flash, string signingKey, Func<int, string> identity, bool persistFlash = true)
    {
        Description = description;
        PersistFlash = persistFlash;
        _flash = flash;
        SigningKeyPath = signingKey;
        _identity = identity;
    }

    /// <summary>False when only the keys are kept (flash in memory): <c>csa sim</c> without --state or --flash.</summary>
    public bool PersistFlash { get; }

    /// <summary>What to print: the directory or the flash file.</summary>
    public string Description { get; }

    /// <summary>The development signing key (private, PEM); its public half is beside it as <c>.pub.pem</c>.</summary>
    public string SigningKeyPath { get; }

    /// <summary>Flash file of device <paramref name="index"/>.</summary>
    public string FlashPath(int index) => _flash(index);

    /// <summary>Identity key (private, PEM) of device <paramref name="index"/>.</summary>
    public string IdentityKeyPath(int index) => _identity(index);

    /// <summary>Public identity key of device <paramref name="index"/> (what an image is encrypted for).</summary>
    public string IdentityPublicKeyPath(int index) => Path.ChangeExtension(_identity(index), ".pub.pem");

    /// <summary>Everything in <paramref name="directory"/>: <c>device-N.flash</c>, <c>signing-key.pem</c>, <c>device-N.identity.pem</c>.</summary>
    public static SimulationStore InDirectory(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
            throw CliException.Usage("the simulation state directory is empty");
        string full = FullPath(directory, "the simulation state directory");
        return new SimulationStore(full,
            i => Path.Combine(full, $"device-{i}.flash"),
            Path.Combine(full, "signing-key.pem"),
            i => Path.Combine(full, $"device-{i}.identity.pem"));
    }

    /// <summary>Keys only, in <paramref name="directory"/>; the flash stays in memory.</summary>
    public static SimulationStore KeysOnly(string directory)
    {
        SimulationStore files = InDirectory(directory);
        return new SimulationStore(files.Description, files._flash, files.SigningKeyPath, files._identity, persistFlash: false);
    }

    /// <summary>Device 0 in <paramref name="flashFile"/>, device N in <c>FILE.N</c>; keys beside it (<c>FILE.signing-key.pem</c>, <c>FILE.identity-N.pem</c>).</summary>
    public static SimulationStore BesideFlashFile(string flashFile)
    {
        if (string.IsNullOrWhiteSpace(flashFile))
            throw CliException.Usage("the flash file path is empty");
        string full = FullPath(flashFile, "the flash file");
        return new SimulationStore(full,
            i => i == 0 ? full : $"{full}.{i}",
            $"{full}.signing-key.pem",
            i => $"{full}.identity-{i}.pem");
    }

    /// <summary>The absolute form of a path the user gave, or a usage error saying why it is no path.</summary>
    internal static string FullPath(string path, string what)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
            throw CliException.Usage($"{what} '{path.Replace('\0', '?')}' holds a NUL character (%00), which no path may contain");
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliException(ExitCodes.Usage, $"{what} '{path}' is not a usable path: {e.Message}", e);
        }
    }

    /// <summary>Creates the directory the files go into, or fails with a file error when its parent is missing.</summary>
    public void EnsureDirectory()
    {
        string? directory = Path.GetDirectoryName(FlashPath(0));
        if (directory is null || Directory.Exists(directory))
            return;
        string? parent = Path.GetDirectoryName(directory);
        if (parent is not null && !Directory.Exists(parent))
            throw CliException.File($"cannot create the simulation state directory {directory}: {parent} does not exist");
        Directory.CreateDirectory(directory);
    }
}
