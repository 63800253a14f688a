using System.Data.Common;
using System.Net.Sockets;
using Csa.Records.Internal;
using Npgsql;
using NpgsqlTypes;

namespace Csa.Records.PostgreSql.Internal;

/// <summary>PostgreSQL under the shared engine: uuid, timestamptz, bytea; serial numbers from a sequence; lost connections classified.</summary>
internal sealed class PostgreSqlDialect(string connectionString, string location) : ISqlDialect
{
    public string Location { get; } = location;

    public IReadOnlyList<SqlMigration> Migrations => PostgreSqlSchema.Migrations;

    public string SchemaTableExistsSql => "SELECT CASE WHEN to_regclass('csa_schema_version') IS NULL THEN 0 ELSE 1 END";

    // Stations that run `csa records init` at the same moment migrate one after the other (the lock ends with the transaction).
    public string MigrationLockSql => "SELECT pg_advisory_xact_lock(1129529682)";

    public string NextSerialSql => "nextval('csa_certificate_serial')";

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
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
        var parameter = new NpgsqlParameter(name, kind switch
        {
            SqlKind.Text => NpgsqlDbType.Text,
            SqlKind.Integer => NpgsqlDbType.Bigint,
            SqlKind.Blob => NpgsqlDbType.Bytea,
            SqlKind.Time => NpgsqlDbType.TimestampTz,
            SqlKind.Id => NpgsqlDbType.Uuid,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        })
        {
            Value = value ?? DBNull.Value,
        };
        command.Parameters.Add(parameter);
    }

    public DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public Guid ReadId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

    public bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>
    /// Connection failures (refused, reset, timed out), the server shutting down or starting up, too many connections:
    /// the statement did not run, or its commit's answer was lost (so rows are keyed by ids the station makes).
    /// </summary>
    public bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal)
            || p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                or PostgresErrorCodes.TooManyConnections,
        NpgsqlException n => n.IsTransient || n.InnerException is IOException or SocketException or TimeoutException,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };
}
