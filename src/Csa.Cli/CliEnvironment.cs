namespace Csa.Cli;

/// <summary>
/// The environment variables the tool reads (<c>CSA_LINK</c>, <c>CSA_PROFILE</c>, <c>XDG_CONFIG_HOME</c>,
/// <c>CSA_SERIAL_PORTS</c>, <c>CSA_PROGRESS_INTERVAL</c>), through one place so that a program hosting the tool
/// in-process (its tests, several runs at once) can give one run its own values without changing the process's.
/// </summary>
internal static class CliEnvironment
{
    private static readonly AsyncLocal<IReadOnlyDictionary<string, string?>?> s_overrides = new();

    /// <summary>The variable's value: the override of the current run when it names the variable, else the process's.</summary>
    public static string? Get(string name) =>
        s_overrides.Value is { } overrides && overrides.TryGetValue(name, out string? value) ? value : Environment.GetEnvironmentVariable(name);

    /// <summary>
    /// Gives the code that runs from here (and what it awaits) these values instead of the process's (a null value: the
    /// variable is unset). Dispose to end it.
    /// </summary>
    public static IDisposable Override(IReadOnlyDictionary<string, string?> values)
    {
        IReadOnlyDictionary<string, string?>? before = s_overrides.Value;
        var merged = new Dictionary<string, string?>(before ?? new Dictionary<string, string?>(), StringComparer.Ordinal);
        foreach ((string key, string? value) in values)
            merged[key] = value;
        s_overrides.Value = merged;
        return new Restore(before);
    }

    private sealed class Restore(IReadOnlyDictionary<string, string?>? before) : IDisposable
    {
        public void Dispose() => s_overrides.Value = before;
    }
}
