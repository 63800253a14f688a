using Csa.Bootloader.Provisioning;
using Csa.Records.Internal;
using Csa.Records.PostgreSql.Internal;
using Npgsql;

namespace Csa.Records.PostgreSql;

/// <summary>
/// The records in one PostgreSQL database (Npgsql), shared by every station of a factory: the UNIQUE constraints of
/// <c>identity_claims</c> decide between stations that claim a unique id or a key at the same moment. A lost connection
/// is <see cref="RecordsError.Unavailable"/>, which <see cref="StationRecorder"/> answers with its local journal.
/// docs/records.md.
/// </summary>
public sealed partial class PostgreSqlRecordStore : IRecordStore
{
    private readonly SqlRecordEngine _engine;

    /// <summary>A store over an Npgsql connection string (keywords: <c>Host=...;Port=...;Database=...;Username=...</c>; the password may come from <c>PGPASSWORD</c> or a pgpass file).</summary>
    public PostgreSqlRecordStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new RecordsException(RecordsError.InvalidLocation, $"not an Npgsql connection string: {e.Message}", e);
        }
        // A fresh connection per operation unless the caller asked for a pool: after the server restarts, a pooled
        // connection would fail once more and send a row to the journal for nothing.
        if (!connectionString.Contains("pooling", StringComparison.OrdinalIgnoreCase))
            builder.Pooling = false;
        if (!connectionString.Contains("timeout", StringComparison.OrdinalIgnoreCase))
            builder.Timeout = 5;
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = "csa";
        Location = $"postgres://{(string.IsNullOrEmpty(builder.Username) ? "" : builder.Username + "@")}{builder.Host}:{builder.Port}/{builder.Database}";
        _engine = new SqlRecordEngine(new PostgreSqlDialect(builder.ConnectionString, Location));
    }

    /// <summary>
    /// A store over a <c>postgres://[user@]host[:port]/database[?sslmode=..&amp;connect_timeout=..&amp;application_name=..&amp;host=/socket/dir]</c> URI
    /// (libpq's form; also <c>postgresql://</c>). The password is not in the URI: it is <paramref name="password"/>, else
    /// <c>PGPASSWORD</c>, else the pgpass file (<c>PGPASSFILE</c> or <c>~/.pgpass</c>), as libpq does.
    /// </summary>
    /// <exception cref="RecordsException"><see cref="RecordsError.InvalidLocation"/>: a malformed URI, or one that holds a password.</exception>
    public static PostgreSqlRecordStore FromUri(string uri, string? password = null) => new(PostgreSqlLocation.ToConnectionString(uri, password));

    /// <inheritdoc />
    public string Location { get; }

    /// <inheritdoc />
    public Task<RecordSchemaStatus> GetSchemaAsync(CancellationToken cancellationToken = default) => _engine.GetSchemaAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<int>> InitializeAsync(CancellationToken cancellationToken = default) => _engine.InitializeAsync(cancellationToken);

    /// <summary>Checks that the database is reachable and holds the current schema (a station calls it before touching a device).</summary>
    /// <exception cref="RecordsException">Unavailable, or the schema is missing, older or newer.</exception>
    public Task CheckAsync(CancellationToken cancellationToken = default) => _engine.EnsureSchemaAsync(cancellationToken);

    /// <inheritdoc />
    public Task<uint> ClaimAsync(IdentityClaim claim, RecordOrigin origin, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        _engine.ClaimAsync(claim, origin, at, cancellationToken);

    /// <inheritdoc />
    public Task<IdentityClaimEntry?> VoidClaimAsync(ClaimVoidEntry entry, CancellationToken cancellationToken = default) => _engine.VoidClaimAsync(entry, cancellationToken);

    /// <inheritdoc />
    public Task AppendAsync(ProvisioningEntry entry, CancellationToken cancellationToken = default) => _engine.AppendAsync(entry, cancellationToken);

    /// <inheritdoc />
    public Task AppendAsync(InstallEntry entry, CancellationToken cancellationToken = default) => _engine.AppendAsync(entry, cancellationToken);

    /// <inheritdoc />
    public Task<RecordSet> QueryAsync(RecordQuery query, CancellationToken cancellationToken = default) => _engine.QueryAsync(query, cancellationToken);

    /// <summary>Nothing to release: every operation opens and closes its own connection.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
