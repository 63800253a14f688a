using System.Diagnostics;

namespace Csa.Python.Tests;

/// <summary>
/// Finds the CPython 3.11 shared library that pythonnet embeds: <c>PYTHONNET_PYDLL</c> when set (what .ci/run exports),
/// else what the machine's <c>python3.11</c> / <c>python3</c> report through <c>sysconfig</c> (a pyenv build keeps it
/// under its own prefix), else the Debian and usual Unix library folders.
/// </summary>
internal static class LibPythonLocator
{
    public const string EnvironmentVariable = "PYTHONNET_PYDLL";

    private static readonly string[] s_interpreters = ["python3.11", "python3"];

    // Prints LIBDIR and the shared library's names; nothing when the interpreter is not 3.11.
    private const string SysconfigProbe =
        "import sys, sysconfig\n" +
        "if sys.version_info[:2] == (3, 11):\n" +
        "    v = sysconfig.get_config_var\n" +
        "    print(v('LIBDIR') or '')\n" +
        "    print(v('LDLIBRARY') or '')\n" +
        "    print(v('INSTSONAME') or '')\n";

    /// <summary>Where Debian (and other Unix systems) put the library.</summary>
    public static readonly IReadOnlyList<string> WellKnownFolders =
    [
        "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
    ];

    private static readonly string[] s_fileNames = ["libpython3.11.so", "libpython3.11.so.1.0"];

    /// <summary>The library's path.</summary>
    /// <exception cref="InvalidOperationException">No CPython 3.11 shared library anywhere looked; the message lists where.</exception>
    public static string Find() =>
        Find(Environment.GetEnvironmentVariable(EnvironmentVariable), s_interpreters, WellKnownFolders);

    /// <summary>The search itself, with its inputs given (so tests can run it on folders they make).</summary>
    /// <param name="fromEnvironment">The value of <c>PYTHONNET_PYDLL</c>, or null.</param>
    /// <param name="interpreters">Interpreters to ask through <c>sysconfig</c>, in order.</param>
    /// <param name="folders">Folders to look in last, in order.</param>
    public static string Find(string? fromEnvironment, IEnumerable<string> interpreters, IEnumerable<string> folders)
    {
        var tried = new List<string>();
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (File.Exists(fromEnvironment))
                return fromEnvironment;
            throw new InvalidOperationException($"{EnvironmentVariable}={fromEnvironment} names no file. Point it at libpython3.11.so, or unset it to search.");
        }
        tried.Add($"${EnvironmentVariable} (not set)");

        foreach (string interpreter in interpreters)
        {
            string? found = AskInterpreter(interpreter, tried);
            if (found is not null)
                return found;
        }

        foreach (string folder in folders)
        {
            foreach (string name in s_fileNames)
            {
                string candidate = Path.Combine(folder, name);
                if (File.Exists(candidate))
                    return candidate;
                tried.Add(candidate);
            }
        }

        throw new InvalidOperationException(
            "The Python tests need CPython 3.11's shared library (libpython3.11.so) and found none. " +
            "Install it (Debian: apt-get install libpython3.11) or set PYTHONNET_PYDLL to its path; .ci/run does both. Looked at: " +
            string.Join("; ", tried));
    }

    private static string? AskInterpreter(string interpreter, List<string> tried)
    {
        string[] lines;
        try
        {
            var start = new ProcessStartInfo(interpreter, ["-c", SysconfigProbe])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process process = Process.Start(start) ?? throw new InvalidOperationException("not started");
            // Drain stderr alongside stdout, so a chatty interpreter (a pyenv shim's complaint) cannot block on a full pipe.
            Task<string> errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                tried.Add($"{interpreter} (did not answer)");
                return null;
            }
            errors.Wait(TimeSpan.FromSeconds(5));
            lines = output.Split('\n', StringSplitOptions.TrimEntries);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            tried.Add($"{interpreter} (not on PATH)");
            return null;
        }
        if (lines.Length < 3 || lines[0].Length == 0)
        {
            tried.Add($"{interpreter} (not CPython 3.11)");
            return null;
        }
        foreach (string name in lines.Skip(1).Where(n => n.EndsWith(".so", StringComparison.Ordinal) || n.Contains(".so.", StringComparison.Ordinal)))
        {
            string candidate = Path.Combine(lines[0], name);
            if (File.Exists(candidate))
                return candidate;
            tried.Add(candidate);
        }
        tried.Add($"{interpreter} (3.11 without a shared library in {lines[0]})");
        return null;
    }
}
