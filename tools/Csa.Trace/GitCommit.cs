using System.Diagnostics;

namespace Csa.Trace;

/// <summary>The commit a working tree is at, as git says ("+dirty" when files differ from it); "unknown" without git.</summary>
internal static class GitCommit
{
    public static string Of(string folder)
    {
        string? head = Git(folder, "rev-parse", "HEAD");
        if (head is null)
            return "unknown (no git repository)";
        string? status = Git(folder, "status", "--porcelain", "--untracked-files=no");
        return status is { Length: > 0 } ? head + "+dirty" : head;
    }

    private static string? Git(string folder, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
            foreach (string a in args)
                start.ArgumentList.Add(a);
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
