using System.Runtime.Versioning;

namespace Csa.Cli.Ports;

/// <summary>
/// The part of the Windows registry the port catalog reads, under <c>HKEY_LOCAL_MACHINE</c>: key paths with
/// backslashes (<c>HARDWARE\DEVICEMAP\SERIALCOMM</c>). Behind an interface so the reading of it is tested on any machine
/// over a tree built like Windows' own (as the sysfs reading is over a fake sysfs).
/// </summary>
internal interface IRegistryTree
{
    /// <summary>The names of the subkeys of <paramref name="key"/>; empty when the key does not exist.</summary>
    IReadOnlyList<string> SubKeyNames(string key);

    /// <summary>The names of the values of <paramref name="key"/>; empty when the key does not exist.</summary>
    IReadOnlyList<string> ValueNames(string key);

    /// <summary>The value <paramref name="name"/> of <paramref name="key"/>, or null.</summary>
    object? Value(string key, string name);
}

/// <summary>The machine's own registry (Windows only).</summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsRegistryTree : IRegistryTree
{
    public IReadOnlyList<string> SubKeyNames(string key)
    {
        using Microsoft.Win32.RegistryKey? opened = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(key);
        return opened?.GetSubKeyNames() ?? [];
    }

    public IReadOnlyList<string> ValueNames(string key)
    {
        using Microsoft.Win32.RegistryKey? opened = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(key);
        return opened?.GetValueNames() ?? [];
    }

    public object? Value(string key, string name)
    {
        using Microsoft.Win32.RegistryKey? opened = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(key);
        return opened?.GetValue(name);
    }
}
