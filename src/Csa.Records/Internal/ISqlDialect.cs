using System.Data.Common;

namespace Csa.Records.Internal;

/// <summary>How a value is bound and read: the two engines type columns differently (uuid vs TEXT, timestamptz vs TEXT).</summary>
internal enum SqlKind
{
    Text,
    Integer,
    Blob,
    Time,
    Id,
}

/// <summary>One schema step: its version, what it does, and its statements (run in one transaction with the version row).</summary>
internal sealed record SqlMigration(int Version, string Description, IReadOnlyList<string> Statements);

/// <summary>
/// What differs between SQLite and PostgreSQL under the one engine (<see cref="SqlRecordEngine"/>): connections,
/// migrations, the serial-number source, value binding, and how errors are classified.
/// </summary>
internal interface ISqlDialect
{
    /// <summary>For messages, without secrets.</summary>
    string Location { get; }

    /// <summary>Every schema step, in version order.</summary>
    IReadOnlyList<SqlMigration> Migrations { get; }

    /// <summary>Answers 1 when the schema-version table exists, else 0.</summary>
    string SchemaTableExistsSql { get; }

    /// <summary>Run first in the migration transaction, so concurrent initializations migrate once (empty when the engine locks by itself).</summary>
    string MigrationLockSql { get; }

    /// <summary>An SQL expression for the next serial number of production key <c>@key_id</c>.</summary>
    string NextSerialSql { get; }

    /// <summary>Opens a connection, configured.</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Binds a parameter (null included) with the engine's type for <paramref name="kind"/>.</summary>
    void Bind(DbCommand command, string name, object? value, SqlKind kind);

    DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    Guid ReadId(DbDataReader reader, int ordinal);

    /// <summary>True for a UNIQUE or PRIMARY KEY violation.</summary>
    bool IsUniqueViolation(Exception exception);

    /// <summary>True when the database cannot be reached (the station should journal instead).</summary>
    bool IsUnavailable(Exception exception);
}
