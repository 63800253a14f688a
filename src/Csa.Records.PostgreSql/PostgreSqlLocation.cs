using System.Globalization;
using Npgsql;

namespace Csa.Records.PostgreSql;

/// <summary>Turns libpq's <c>postgres://</c> URI into an Npgsql connection string (Npgsql reads keywords only).</summary>
public static class PostgreSqlLocation
{
    /// <summary>
    /// The connection string of <paramref name="uri"/>: <c>postgres://[user@]host[:port]/database[?params]</c>, params
    /// <c>sslmode</c> (disable, allow, prefer, require, verify-ca, verify-full), <c>connect_timeout</c> (seconds),
    /// <c>application_name</c>, <c>host</c> (a Unix socket directory), <c>options</c> (e.g. <c>-c search_path=csa</c>).
    /// A password in the URI is refused: it would sit in the shell history and the process list.
    /// </summary>
    /// <exception cref="RecordsException"><see cref="RecordsError.InvalidLocation"/>, saying what is wrong.</exception>
    public static string ToConnectionString(string uri, string? password = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) || parsed.Scheme is not ("postgres" or "postgresql"))
            throw Invalid(uri, "expected postgres://[user@]host[:port]/database");
        if (parsed.UserInfo.Contains(':', StringComparison.Ordinal))
            throw Invalid(Redact(uri), "a password does not go on the command line or in the URI: give it in PGPASSWORD, a pgpass file (~/.pgpass, PGPASSFILE) or a records profile file");
        string database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
            throw Invalid(uri, "the database name is missing (postgres://host/DATABASE)");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host.Length > 0 ? parsed.Host : "localhost",
            Port = parsed.IsDefaultPort || parsed.Port < 0 ? 5432 : parsed.Port,
            Database = database,
        };
        if (parsed.UserInfo.Length > 0)
            builder.Username = Uri.UnescapeDataString(parsed.UserInfo);
        foreach (string pair in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw Invalid(uri, $"'{pair}' is not name=value");
            string name = Uri.UnescapeDataString(pair[..equals]).ToLowerInvariant();
            string value = Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            switch (name)
            {
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw Invalid(uri, $"sslmode '{value}' (disable, allow, prefer, require, verify-ca or verify-full)"),
                    };
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds is > 0 and <= 1024
                        ? seconds
                        : throw Invalid(uri, $"connect_timeout '{value}' is not 1..1024 seconds");
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "host":
                    builder.Host = value;
                    break;
                case "options":
                    builder.Options = value;
                    break;
                case "password":
                    throw Invalid(Redact(uri[..uri.IndexOf('?', StringComparison.Ordinal)]) + "?...", "a password does not go on the command line or in the URI: give it in PGPASSWORD, a pgpass file or a records profile file");
                default:
                    throw Invalid(uri, $"unknown parameter '{name}' (known: sslmode, connect_timeout, application_name, host, options)");
            }
        }
        // libpq's order: the caller's (a profile file), then PGPASSWORD, then the pgpass file (Npgsql reads PGPASSFILE / ~/.pgpass).
        password ??= Environment.GetEnvironmentVariable("PGPASSWORD");
        if (!string.IsNullOrEmpty(password))
            builder.Password = password;
        return builder.ConnectionString;
    }

    private static RecordsException Invalid(string uri, string problem) => new(RecordsError.InvalidLocation, $"bad records location '{uri}': {problem}");

    private static string Redact(string uri)
    {
        int at = uri.IndexOf('@', StringComparison.Ordinal);
        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        if (at < 0 || scheme < 0 || at < scheme)
            return "postgres://***";
        string user = uri[(scheme + 3)..at];
        int colon = user.IndexOf(':', StringComparison.Ordinal);
        return uri[..(scheme + 3)] + (colon >= 0 ? user[..colon] + ":***" : user) + uri[at..];
    }
}
