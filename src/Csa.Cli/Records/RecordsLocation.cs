using Csa.Records;
using Csa.Records.PostgreSql;
using Csa.Records.Sqlite;

namespace Csa.Cli.Records;

/// <summary>
/// Where a command's records go, from <c>--records</c> or <c>CSA_RECORDS</c>: <c>sqlite:PATH</c>,
/// <c>postgres://[user@]host[:port]/database[?...]</c>, or <c>profile:FILE</c> (docs/records.md section 6). A password
/// never comes from the command line: <c>PGPASSWORD</c>, a pgpass file, or the profile file (readable by its owner only).
/// </summary>
internal sealed record RecordsLocation
{
    /// <summary>The environment variable that gives the records location when <c>--records</c> is absent.</summary>
    public const string Variable = "CSA_RECORDS";

    /// <summary>The environment variable that gives the journal file when neither <c>--records-journal</c> nor the profile does.</summary>
    public const string JournalVariable = "CSA_RECORDS_JOURNAL";

    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The SQLite file, or the PostgreSQL URI / connection string.</summary>
    public required string Target { get; init; }

    /// <summary>The password from a profile file; null otherwise.</summary>
    public string? Password { get; init; }

    /// <summary>The journal file a profile names.</summary>
    public string? Journal { get; init; }

    /// <summary>The station name a profile names.</summary>
    public string? Station { get; init; }

    /// <summary>The operator a profile names.</summary>
    public string? Operator { get; init; }

    public bool IsPostgres => Kind == "postgres";

    /// <summary>The location given, else <c>CSA_RECORDS</c>; null when neither.</summary>
    public static RecordsLocation? Resolve(string? given)
    {
        string? text = string.IsNullOrWhiteSpace(given) ? Environment.GetEnvironmentVariable(Variable) : given;
        return string.IsNullOrWhiteSpace(text) ? null : Parse(text.Trim(), fromProfile: false);
    }

    private static RecordsLocation Parse(string text, bool fromProfile)
    {
        if (text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            string path = text["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
                path = path[2..];
            return path.Length == 0
                ? throw CliException.Usage($"records location '{text}': the SQLite file is missing (sqlite:PATH)")
                : new RecordsLocation { Kind = "sqlite", Target = path };
        }
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            // Checked now (a password in it is refused) so that nothing is touched before the mistake is reported.
            Convert(() => PostgreSqlLocation.ToConnectionString(text, "-"));
            return new RecordsLocation { Kind = "postgres", Target = text };
        }
        if (text.StartsWith("profile:", StringComparison.OrdinalIgnoreCase) && !fromProfile)
            return ReadProfile(text["profile:".Length..]);
        throw CliException.Usage($"records location '{Shorten(text)}': expected sqlite:PATH, postgres://[user@]host[:port]/database or profile:FILE");
    }

    /// <summary>
    /// A profile file: <c>name = value</c> lines, <c>#</c> comments. <c>records</c> (required: <c>sqlite:PATH</c>,
    /// <c>postgres://...</c> or an Npgsql connection string <c>Host=...;Database=...;Username=...</c>), <c>password</c>,
    /// <c>journal</c>, <c>station</c>, <c>operator</c>. On Unix the file must not be readable by group or others when it
    /// holds a password.
    /// </summary>
    private static RecordsLocation ReadProfile(string path)
    {
        if (!File.Exists(path))
            throw CliException.File($"records profile not found: {Path.GetFullPath(path)}");
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string[] lines = File.ReadAllLines(path);
        string[] known = ["records", "password", "journal", "station", "operator"];
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            string name = equals > 0 ? line[..equals].Trim() : "";
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw CliException.Invalid($"records profile {path}, line {i + 1}: expected 'name = value' with name one of {string.Join(", ", known)}");
            if (!values.TryAdd(name, line[(equals + 1)..].Trim()))
                throw CliException.Invalid($"records profile {path}, line {i + 1}: '{name}' is given twice");
        }
        if (!values.TryGetValue("records", out string? records) || records.Length == 0)
            throw CliException.Invalid($"records profile {path} has no 'records = ...' line");
        if (values.ContainsKey("password") && !OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw CliException.File($"records profile {path} holds a password and is readable by others: chmod 600 {path}");
        RecordsLocation location = records.Contains('=', StringComparison.Ordinal) && !records.Contains("://", StringComparison.Ordinal)
            ? new RecordsLocation { Kind = "postgres", Target = records }
            : Parse(records, fromProfile: true);
        return location with
        {
            Password = values.GetValueOrDefault("password"),
            Journal = values.GetValueOrDefault("journal"),
            Station = values.GetValueOrDefault("station"),
            Operator = values.GetValueOrDefault("operator"),
        };
    }

    /// <summary>The store, not yet checked (a PostgreSQL store is not contacted until used).</summary>
    public IRecordStore CreateStore()
    {
        if (!IsPostgres)
            return new SqliteRecordStore(Target);
        return Convert<IRecordStore>(() => Target.Contains("://", StringComparison.Ordinal)
            ? PostgreSqlRecordStore.FromUri(Target, Password)
            : new PostgreSqlRecordStore(Password is null ? Target : Target.TrimEnd(';') + ";Password=" + Password));
    }

    /// <summary>The journal file: the option, else the profile's, else <c>CSA_RECORDS_JOURNAL</c>, else the user's data folder.</summary>
    public string JournalPath(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
            return given;
        if (!string.IsNullOrWhiteSpace(Journal))
            return Journal;
        if (Environment.GetEnvironmentVariable(JournalVariable) is { Length: > 0 } fromEnvironment)
            return fromEnvironment;
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "csa", "records-journal.sqlite");
    }

    /// <summary>Maps the records library's errors to the tool's exit codes.</summary>
    public static T Convert<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (RecordsException e)
        {
            throw ToCli(e);
        }
    }

    public static CliException ToCli(RecordsException e) => new(e.Error switch
    {
        RecordsError.Unavailable => ExitCodes.Unreachable,
        RecordsError.InvalidLocation => ExitCodes.Usage,
        RecordsError.IdentityConflict => ExitCodes.AuthenticationFailed,
        _ => ExitCodes.FileError,
    }, e.Message, e);

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;
}
