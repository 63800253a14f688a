namespace Csa.Cli;

/// <summary>
/// The tool's exit codes (documented in docs/cli.md; scripts rely on them, so they never change meaning).
/// </summary>
internal static class ExitCodes
{
    /// <summary>Everything asked was done.</summary>
    public const int Success = 0;

    /// <summary>The work ran but did not end as asked (e.g. a device did not end on its new version). </summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or malformed argument.</summary>
    public const int Usage = 2;

    /// <summary>An input file is missing or unreadable, or an output file cannot be written.</summary>
    public const int FileError = 3;

    /// <summary>An input's content is invalid: a damaged or malformed image, key, HEX file or interface file.</summary>
    public const int InvalidInput = 4;

    /// <summary>A device or link could not be reached (connect failed, no answer, link lost).</summary>
    public const int Unreachable = 5;

    /// <summary>The device (or the host's pre-check) refused the image: wrong target, signature, version, binding.</summary>
    public const int Rejected = 6;

    /// <summary>An image failed verification (signature, CRC, payload hash) in <c>csa image verify</c>.</summary>
    public const int VerificationFailed = 7;

    /// <summary>A device failed authentication or provisioning (unknown, cloned, wrong lifecycle).</summary>
    public const int AuthenticationFailed = 8;

    /// <summary>Interrupted (Ctrl+C or SIGTERM); devices are left as the cancellation rules of docs/updates.md say.</summary>
    public const int Cancelled = 130;

    /// <summary>The name of <paramref name="code"/> as JSON documents spell it (camelCase), e.g. <c>invalidInput</c>.</summary>
    public static string NameOf(int code) => code switch
    {
        Success => "success",
        Failed => "failed",
        Usage => "usage",
        FileError => "fileError",
        InvalidInput => "invalidInput",
        Unreachable => "unreachable",
        Rejected => "rejected",
        VerificationFailed => "verificationFailed",
        AuthenticationFailed => "authenticationFailed",
        Cancelled => "cancelled",
        _ => "failed",
    };
}
