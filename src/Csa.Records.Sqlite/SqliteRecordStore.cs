using System.Data.Common;
using Csa.Bootloader.Provisioning;
using Csa.Records.Internal;
using Csa.Records.Sqlite.Internal;

namespace Csa.Records.Sqlite;

/// <summary>
/// The records in one SQLite file (Microsoft.Data.Sqlite): the embedded default for one station, nothing to install;
/// and the local journal of a station whose database is PostgreSQL (<see cref="IRecordJournal"/>). WAL mode with full
/// sync: a row is on disk when the call returns. Several processes on one PC may share the file (SQLite's write lock
/// serialises them); uniqueness holds within the file. docs/records.md.
/// </summary>
public sealed partial class SqliteRecordStore : IRecordJournal
{
    private readonly SqlRecordEngine _engine;

    /// <summary>A store over the file at <paramref name="path"/> (created with its directory on first use; run <see cref="InitializeAsync"/> once).</summary>
    public SqliteRecordStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _engine = new SqlRecordEngine(new SqliteDialect(Path));
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Location => _engine.Location;

    /// <summary>
    /// Opens the file, creating it and its schema when it does not exist yet (an SQLite store needs no administrator);
    /// an existing file must hold the current schema (<see cref="RecordsException"/> otherwise).
    /// </summary>
    public static async Task<SqliteRecordStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var store = new SqliteRecordStore(path);
        bool existed = File.Exists(store.Path);
        if (!existed)
        {
            string? directory = System.IO.Path.GetDirectoryName(store.Path);
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        else
            await store._engine.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return store;
    }

    /// <inheritdoc />
    public Task<RecordSchemaStatus> GetSchemaAsync(CancellationToken cancellationToken = default) => _engine.GetSchemaAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<int>> InitializeAsync(CancellationToken cancellationToken = default) => _engine.InitializeAsync(cancellationToken);

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

    /// <inheritdoc />
    public async Task JournalAsync(JournalItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        await _engine.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await _engine.RunAsync(async connection =>
        {
            // The row and its place in the queue in one transaction: both or neither.
            await using DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            string kind;
            DbCommand insert;
            if (item.Provisioning is { } p)
                (kind, insert) = ("provisioning", _engine.InsertCommand(connection, transaction, p));
            else if (item.Install is { } i)
                (kind, insert) = ("install", _engine.InsertCommand(connection, transaction, i));
            else
                (kind, insert) = ("void", VoidInsert(connection, transaction, item.Void!));
            await using (insert)
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using DbCommand queue = _engine.Command(connection, transaction,
                "INSERT INTO journal_items (record_id, kind, journaled_at) VALUES (@record_id, @kind, @at) ON CONFLICT (record_id) DO NOTHING");
            _engine.Dialect.Bind(queue, "record_id", item.RecordId, SqlKind.Id);
            _engine.Dialect.Bind(queue, "kind", kind, SqlKind.Text);
            _engine.Dialect.Bind(queue, "at", RecordTime.Truncate(DateTimeOffset.UtcNow), SqlKind.Time);
            await queue.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private DbCommand VoidInsert(DbConnection connection, DbTransaction transaction, ClaimVoidEntry v)
    {
        DbCommand insert = _engine.Command(connection, transaction,
            "INSERT INTO journal_voids (record_id, claim_id, uid, reason, station, operator, run_id, voided_at) " +
            "VALUES (@record_id, @claim_id, @uid, @reason, @station, @operator, @run_id, @at) ON CONFLICT (record_id) DO NOTHING");
        ISqlDialect d = _engine.Dialect;
        d.Bind(insert, "record_id", v.RecordId, SqlKind.Id);
        d.Bind(insert, "claim_id", v.ClaimId, SqlKind.Id);
        d.Bind(insert, "uid", v.Uid, SqlKind.Text);
        d.Bind(insert, "reason", v.Reason, SqlKind.Text);
        d.Bind(insert, "station", v.Station, SqlKind.Text);
        d.Bind(insert, "operator", v.Operator, SqlKind.Text);
        d.Bind(insert, "run_id", v.RunId, SqlKind.Id);
        d.Bind(insert, "at", v.VoidedAt, SqlKind.Time);
        return insert;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JournalItem>> ReadPendingAsync(CancellationToken cancellationToken = default)
    {
        await _engine.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await _engine.RunAsync<IReadOnlyList<JournalItem>>(async connection =>
        {
            ISqlDialect d = _engine.Dialect;
            const string Pending = "FROM journal_items j WHERE NOT EXISTS (SELECT 1 FROM journal_forwarded f WHERE f.record_id = j.record_id)";
            await using DbCommand order = _engine.Command(connection, null, $"SELECT j.record_id {Pending} ORDER BY j.seq");
            IReadOnlyList<Guid> ids = await SqlRecordEngine.ReadAllAsync(order, r => d.ReadId(r, 0), cancellationToken).ConfigureAwait(false);

            var rows = new Dictionary<Guid, JournalItem>();
            await using (DbCommand select = _engine.Command(connection, null,
                "SELECT record_id, run_id, recorded_at, uid, event, serial_number, certificate, public_key, production_key_id, vendor_id, device_class_id, claim_id, station, operator, error_code, error " +
                $"FROM provisioning_records WHERE record_id IN (SELECT j.record_id {Pending})"))
            {
                foreach (ProvisioningEntry p in await SqlRecordEngine.ReadAllAsync(select, _engine.ReadProvisioning, cancellationToken).ConfigureAwait(false))
                    rows[p.RecordId] = new JournalItem(p, null, null);
            }
            await using (DbCommand select = _engine.Command(connection, null,
                "SELECT record_id, run_id, uid, operation, image_kind, version, security_counter, image_sha256, payload_sha256, version_before, version_after, started_at, ended_at, " +
                $"payload_bytes, bytes_sent, bytes_resumed, result, error_code, error, station, operator FROM install_records WHERE record_id IN (SELECT j.record_id {Pending})"))
            {
                foreach (InstallEntry i in await SqlRecordEngine.ReadAllAsync(select, _engine.ReadInstall, cancellationToken).ConfigureAwait(false))
                    rows[i.RecordId] = new JournalItem(null, i, null);
            }
            await using (DbCommand select = _engine.Command(connection, null,
                $"SELECT record_id, claim_id, uid, reason, station, operator, run_id, voided_at FROM journal_voids WHERE record_id IN (SELECT j.record_id {Pending})"))
            {
                foreach (ClaimVoidEntry v in await SqlRecordEngine.ReadAllAsync(select, r => new ClaimVoidEntry
                {
                    RecordId = d.ReadId(r, 0),
                    ClaimId = r.IsDBNull(1) ? null : d.ReadId(r, 1),
                    Uid = r.GetString(2),
                    Reason = r.GetString(3),
                    Station = r.GetString(4),
                    Operator = r.GetString(5),
                    RunId = d.ReadId(r, 6),
                    VoidedAt = d.ReadTime(r, 7),
                }, cancellationToken).ConfigureAwait(false))
                    rows[v.RecordId] = new JournalItem(null, null, v);
            }
            return ids.Where(rows.ContainsKey).Select(id => rows[id]).ToArray();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task MarkForwardedAsync(Guid recordId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await _engine.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await _engine.RunAsync(async connection =>
        {
            await using DbCommand mark = _engine.Command(connection, null,
                "INSERT INTO journal_forwarded (record_id, forwarded_at) VALUES (@record_id, @at) ON CONFLICT (record_id) DO NOTHING");
            _engine.Dialect.Bind(mark, "record_id", recordId, SqlKind.Id);
            _engine.Dialect.Bind(mark, "at", RecordTime.Truncate(at), SqlKind.Time);
            return await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Nothing to release: every operation opens and closes its own connection.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
