using System.CommandLine;

namespace Csa.Cli;

/// <summary>Options every command takes (declared once on the root, recursive).</summary>
internal static class GlobalOptions
{
    /// <summary>Machine-readable output: one JSON document on standard output, no tables or progress bars.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write one JSON document to standard output instead of tables and progress bars",
        Recursive = true,
    };

    /// <summary>Logs from the SDK (data link, RPC, updates) on standard error, and stack traces with errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log what the SDK does to standard error, and print stack traces with errors",
        Recursive = true,
    };
}
