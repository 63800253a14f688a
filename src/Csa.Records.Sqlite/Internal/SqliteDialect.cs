using System.Data.Common;
using System.Globalization;
using Csa.Records.Internal;
using Microsoft.Data.Sqlite;

namespace Csa.Records.Sqlite.Internal;

/// <summary>SQLite under the shared engine: TEXT ids and times, WAL with full sync (a commit is on disk when it returns).</summary>
internal sealed class SqliteDialect(string path) : ISqlDialect
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        ForeignKeys = true,
        // A fresh connection per operation: no file handle outlives it (the file can be copied, moved, deleted).
        Pooling = false,
        // Waits this long for another process's write lock (several csa processes on one station share the file).
        DefaultTimeout = 30,
    }.ToString();

    public string Location { get; } = "sqlite:" + path;

    public IReadOnlyList<SqlMigration> Migrations => SqliteSchema.Migrations;

    public string SchemaTableExistsSql => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'csa_schema_version'";

    // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default transaction) already takes the one write lock.
    public string MigrationLockSql => "";

    // Under the write lock a transaction holds, MAX + 1 cannot race; the UNIQUE constraint stands behind it anyway.
    public string NextSerialSql => "(SELECT COALESCE(MAX(serial_number), 0) + 1 FROM identity_claims WHERE production_key_id = @key_id)";

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using SqliteCommand pragmas = connection.CreateCommand();
            // WAL keeps readers off the writer's back; synchronous=FULL syncs the log at every commit, so a committed
            // record survives a power cut of the station PC.
            pragmas.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Bind(DbCommand command, string name, object? value, SqlKind kind)
    {
        var parameter = (SqliteParameter)command.CreateParameter();
        parameter.ParameterName = "@" + name;
        (parameter.SqliteType, parameter.Value) = kind switch
        {
            SqlKind.Text => (SqliteType.Text, value ?? DBNull.Value),
            SqlKind.Integer => (SqliteType.Integer, value ?? DBNull.Value),
            SqlKind.Blob => (SqliteType.Blob, value ?? DBNull.Value),
            SqlKind.Time => (SqliteType.Text, value is DateTimeOffset t ? t.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) : DBNull.Value),
            SqlKind.Id => (SqliteType.Text, value is Guid g ? g.ToString("D") : DBNull.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        command.Parameters.Add(parameter);
    }

    public DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public Guid ReadId(DbDataReader reader, int ordinal) => Guid.ParseExact(reader.GetString(ordinal), "D");

    // SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
    public bool IsUniqueViolation(Exception exception) => exception is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 };

    // A local file is never "unreachable" in the sense of a lost connection: every failure is reported as it is.
    public bool IsUnavailable(Exception exception) => false;
}
