using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text;
using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;

namespace Csa.Records.Internal;

/// <summary>
/// The records store over ADO.NET, shared by SQLite and PostgreSQL: the same tables, the same statements, the
/// dialect for what differs. Every public operation is one statement or one transaction on its own connection.
/// </summary>
internal sealed class SqlRecordEngine(ISqlDialect dialect)
{
    private const string ProvisioningColumns =
        "record_id, run_id, recorded_at, uid, event, serial_number, certificate, public_key, production_key_id, vendor_id, device_class_id, claim_id, station, operator, error_code, error";

    private const string InstallColumns =
        "record_id, run_id, uid, operation, image_kind, version, security_counter, image_sha256, payload_sha256, version_before, version_after, started_at, ended_at, payload_bytes, bytes_sent, bytes_resumed, result, error_code, error, station, operator";

    private const string ClaimColumns =
        "c.claim_id, c.uid, c.generation, c.public_key, c.production_key_id, c.serial_number, c.adopted, c.station, c.operator, c.run_id, c.claimed_at, " +
        "v.record_id, v.reason, v.station, v.operator, v.run_id, v.voided_at";

    private const int ClaimAttempts = 5;

    private readonly ISqlDialect _dialect = dialect;
    private volatile bool _schemaChecked;

    public string Location => _dialect.Location;

    public ISqlDialect Dialect => _dialect;

    /// <summary>Runs <paramref name="body"/> on a fresh connection; a lost or refused connection becomes <see cref="RecordsError.Unavailable"/>.</summary>
    public async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            await using DbConnection connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await body(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (RecordsException or OperationCanceledException or OutOfMemoryException) && _dialect.IsUnavailable(e))
        {
            throw new RecordsException(RecordsError.Unavailable, $"the records database {Location} is unreachable: {e.Message}", e);
        }
        catch (Exception e) when (e is DbException && !_dialect.IsUnavailable(e))
        {
            throw new RecordsException(RecordsError.WriteFailed, $"the records database {Location} refused the operation: {e.Message}", e);
        }
    }

    public DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    // ---- schema -------------------------------------------------------------------------------------------------

    public Task<RecordSchemaStatus> GetSchemaAsync(CancellationToken cancellationToken) =>
        RunAsync(async c => new RecordSchemaStatus(await ReadVersionAsync(c, null, cancellationToken).ConfigureAwait(false), RecordSchema.Version), cancellationToken);

    private async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using (DbCommand exists = Command(connection, transaction, _dialect.SchemaTableExistsSql))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                return 0;
        }
        await using DbCommand max = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM csa_schema_version");
        return Convert.ToInt32(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    public Task<IReadOnlyList<int>> InitializeAsync(CancellationToken cancellationToken) => RunAsync<IReadOnlyList<int>>(async connection =>
    {
        await using DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_dialect.MigrationLockSql.Length > 0)
        {
            await using DbCommand lockCommand = Command(connection, transaction, _dialect.MigrationLockSql);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        int version = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (version > RecordSchema.Version)
            throw Newer(version);
        var applied = new List<int>();
        foreach (SqlMigration migration in _dialect.Migrations.Where(m => m.Version > version).OrderBy(m => m.Version))
        {
            foreach (string statement in migration.Statements)
            {
                await using DbCommand command = Command(connection, transaction, statement);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using DbCommand row = Command(connection, transaction,
                "INSERT INTO csa_schema_version (version, description, applied_at, applied_by) VALUES (@version, @description, @at, @by)");
            _dialect.Bind(row, "version", (long)migration.Version, SqlKind.Integer);
            _dialect.Bind(row, "description", migration.Description, SqlKind.Text);
            _dialect.Bind(row, "at", RecordTime.Truncate(DateTimeOffset.UtcNow), SqlKind.Time);
            _dialect.Bind(row, "by", ToolName, SqlKind.Text);
            await row.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _schemaChecked = true;
        return applied;
    }, cancellationToken);

    /// <summary>Refuses to write into a store whose schema is missing, older or newer (checked once per store).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaChecked)
            return;
        RecordSchemaStatus status = await GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        if (status.Version == 0)
            throw new RecordsException(RecordsError.SchemaMissing, $"{Location} holds no records schema: create it with `csa records init` (a one-time step, by a user allowed to create tables)");
        if (status.Version < status.Expected)
            throw new RecordsException(RecordsError.SchemaOutdated, $"{Location} holds records schema version {status.Version}, this tool writes version {status.Expected}: migrate it with `csa records init`");
        if (status.Version > status.Expected)
            throw Newer(status.Version);
        _schemaChecked = true;
    }

    private RecordsException Newer(int version) => new(RecordsError.SchemaNewer,
        $"{Location} holds records schema version {version}, newer than this tool's version {RecordSchema.Version}: update the tool (nothing was written)");

    private static string ToolName => "Csa.Records " + (typeof(SqlRecordEngine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?");

    // ---- claims -------------------------------------------------------------------------------------------------

    public async Task<uint> ClaimAsync(IdentityClaim claim, RecordOrigin origin, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(origin);
        if (claim.PublicKey.Length != 65 || claim.PublicKey[0] != 0x04)
            throw new ArgumentException("The identity public key is a 65-byte uncompressed point.", nameof(claim));
        if (claim.ProductionKeyId.Length != 8)
            throw new ArgumentException("The production key id is 8 bytes.", nameof(claim));
        if (claim.SerialNumber == 0)
            throw new ArgumentException("A certificate's serial number is not zero.", nameof(claim));
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        string uid = claim.Uid.ToString();
        string keyId = Convert.ToHexString(claim.ProductionKeyId).ToLowerInvariant();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await RunAsync(async connection =>
                {
                    // One statement: the generation is the number of voided claims of this unique id, and the UNIQUE
                    // constraints (uid, generation), (public_key), (production_key_id, serial_number) decide between
                    // stations that claim at the same moment; the foreign key (uid, previous_generation) -> claim_voids
                    // lets a new generation exist only after the previous one was voided.
                    await using DbCommand insert = Command(connection, null, $"""
                        INSERT INTO identity_claims (claim_id, uid, generation, previous_generation, public_key, production_key_id, serial_number, adopted, station, operator, run_id, claimed_at)
                        SELECT @claim_id, @uid, voids.n, CASE WHEN voids.n > 0 THEN voids.n - 1 END, @public_key, @key_id, COALESCE(@serial, {_dialect.NextSerialSql}), @adopted, @station, @operator, @run_id, @at
                        FROM (SELECT COUNT(*) AS n FROM claim_voids WHERE uid = @uid) AS voids
                        RETURNING serial_number
                        """);
                    _dialect.Bind(insert, "claim_id", claim.ClaimId, SqlKind.Id);
                    _dialect.Bind(insert, "uid", uid, SqlKind.Text);
                    _dialect.Bind(insert, "public_key", claim.PublicKey, SqlKind.Blob);
                    _dialect.Bind(insert, "key_id", keyId, SqlKind.Text);
                    _dialect.Bind(insert, "serial", claim.SerialNumber is { } s ? (long)s : null, SqlKind.Integer);
                    _dialect.Bind(insert, "adopted", claim.AlreadyCertified ? 1L : 0L, SqlKind.Integer);
                    _dialect.Bind(insert, "station", origin.Station, SqlKind.Text);
                    _dialect.Bind(insert, "operator", origin.Operator, SqlKind.Text);
                    _dialect.Bind(insert, "run_id", origin.RunId, SqlKind.Id);
                    _dialect.Bind(insert, "at", RecordTime.Truncate(at), SqlKind.Time);
                    object? serial = await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    return (uint)Convert.ToInt64(serial, CultureInfo.InvariantCulture);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordsException e) when (e.Error == RecordsError.WriteFailed && e.InnerException is { } inner && _dialect.IsUniqueViolation(inner))
            {
                // The database refused it; read what it holds to say which rule, or to find that the refusal was our own
                // earlier attempt (an answer lost after the commit) or the same pair again (a repeated run).
                IReadOnlyList<IdentityClaimEntry> related = await RelatedClaimsAsync(claim, uid, keyId, cancellationToken).ConfigureAwait(false);
                if (Resolve(claim, uid, keyId, related) is { } serial)
                    return serial;
                if (attempt >= ClaimAttempts)
                    throw new RecordsException(RecordsError.WriteFailed, $"the claim of {uid} kept colliding ({e.InnerException.Message}); nothing was claimed", e);
            }
        }
    }

    /// <summary>The serial number when the refusal was not a conflict (ours already, or the same pair); throws on a conflict; null to try again.</summary>
    private static uint? Resolve(IdentityClaim claim, string uid, string keyId, IReadOnlyList<IdentityClaimEntry> related)
    {
        if (related.FirstOrDefault(c => c.ClaimId == claim.ClaimId) is { } ours)
            return ours.SerialNumber;
        if (related.FirstOrDefault(c => c.Uid == uid && c.Void is null) is { } current)
        {
            if (current.PublicKey.AsSpan().SequenceEqual(claim.PublicKey))
                return current.SerialNumber;
            throw new IdentityConflictException(IdentityConflict.UidBoundToAnotherKey, uid, current,
                $"device {uid} is already bound to another identity key (key id {current.KeyId}, serial {current.SerialNumber}, claimed by station '{current.Station}' " +
                $"({current.Operator}) at {current.ClaimedAt:yyyy-MM-dd HH:mm:ss}Z): a second chip claims its unique id, or the device lost its key; not certified again " +
                $"(if that earlier attempt never reached the device, release it with `csa records void {uid} --reason ...`)");
        }
        if (related.FirstOrDefault(c => c.PublicKey.AsSpan().SequenceEqual(claim.PublicKey)) is { } keyOwner)
        {
            if (keyOwner.Uid != uid)
                throw new IdentityConflictException(IdentityConflict.KeyBoundToAnotherUid, uid, keyOwner,
                    $"the identity key offered by device {uid} (key id {keyOwner.KeyId}) is already bound to device {keyOwner.Uid} (claimed by station '{keyOwner.Station}' at {keyOwner.ClaimedAt:yyyy-MM-dd HH:mm:ss}Z): not certified for a second unique id");
            throw new IdentityConflictException(IdentityConflict.KeyOfVoidedClaim, uid, keyOwner,
                $"the identity key offered by device {uid} (key id {keyOwner.KeyId}) belongs to a claim of it that was voided ({keyOwner.Void!.Reason}): a voided key is not certified again");
        }
        if (claim.SerialNumber is { } serial && related.FirstOrDefault(c => c.ProductionKeyId == keyId && c.SerialNumber == serial) is { } serialOwner)
            throw new IdentityConflictException(IdentityConflict.SerialNumberTaken, uid, serialOwner,
                $"serial number {serial} of production key {keyId} is already on the certificate of device {serialOwner.Uid}: not issued twice");
        return null; // a serial of the sequence clashed with an adopted one, or a void raced the claim: try again
    }

    private Task<IReadOnlyList<IdentityClaimEntry>> RelatedClaimsAsync(IdentityClaim claim, string uid, string keyId, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<IdentityClaimEntry>>(async connection =>
        {
            await using DbCommand select = Command(connection, null,
                $"SELECT {ClaimColumns} FROM identity_claims c LEFT JOIN claim_voids v ON v.claim_id = c.claim_id " +
                "WHERE c.claim_id = @claim_id OR c.uid = @uid OR c.public_key = @public_key OR (c.production_key_id = @key_id AND c.serial_number = @serial) " +
                "ORDER BY c.claimed_at, c.generation");
            _dialect.Bind(select, "claim_id", claim.ClaimId, SqlKind.Id);
            _dialect.Bind(select, "uid", uid, SqlKind.Text);
            _dialect.Bind(select, "public_key", claim.PublicKey, SqlKind.Blob);
            _dialect.Bind(select, "key_id", keyId, SqlKind.Text);
            _dialect.Bind(select, "serial", claim.SerialNumber is { } s ? (long)s : -1L, SqlKind.Integer);
            return await ReadClaimsAsync(select, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<IdentityClaimEntry?> VoidClaimAsync(ClaimVoidEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Reason);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        Guid? voided = await RunAsync<Guid?>(async connection =>
        {
            string which = entry.ClaimId is null ? "c.uid = @uid" : "c.claim_id = @claim_id AND c.uid = @uid";
            await using DbCommand insert = Command(connection, null, $"""
                INSERT INTO claim_voids (claim_id, uid, generation, record_id, reason, station, operator, run_id, voided_at)
                SELECT c.claim_id, c.uid, c.generation, @record_id, @reason, @station, @operator, @run_id, @at
                FROM identity_claims c
                WHERE {which} AND NOT EXISTS (SELECT 1 FROM claim_voids x WHERE x.claim_id = c.claim_id)
                ON CONFLICT DO NOTHING
                RETURNING claim_id
                """);
            if (entry.ClaimId is { } id)
                _dialect.Bind(insert, "claim_id", id, SqlKind.Id);
            _dialect.Bind(insert, "uid", entry.Uid, SqlKind.Text);
            _dialect.Bind(insert, "record_id", entry.RecordId, SqlKind.Id);
            _dialect.Bind(insert, "reason", entry.Reason, SqlKind.Text);
            _dialect.Bind(insert, "station", entry.Station, SqlKind.Text);
            _dialect.Bind(insert, "operator", entry.Operator, SqlKind.Text);
            _dialect.Bind(insert, "run_id", entry.RunId, SqlKind.Id);
            _dialect.Bind(insert, "at", RecordTime.Truncate(entry.VoidedAt), SqlKind.Time);
            await using DbDataReader reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? _dialect.ReadId(reader, 0) : null;
        }, cancellationToken).ConfigureAwait(false);
        if (voided is not { } claimId)
            return null;
        RecordSet found = await QueryAsync(new RecordQuery { Uid = entry.Uid, Kinds = RecordKinds.Claims }, cancellationToken).ConfigureAwait(false);
        return found.Claims.FirstOrDefault(c => c.ClaimId == claimId);
    }

    // ---- rows ---------------------------------------------------------------------------------------------------

    public async Task AppendAsync(ProvisioningEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await RunAsync(async connection =>
        {
            await using DbCommand insert = InsertCommand(connection, null, entry);
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task AppendAsync(InstallEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await RunAsync(async connection =>
        {
            await using DbCommand insert = InsertCommand(connection, null, entry);
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public DbCommand InsertCommand(DbConnection connection, DbTransaction? transaction, ProvisioningEntry e)
    {
        DbCommand c = Command(connection, transaction,
            $"INSERT INTO provisioning_records ({ProvisioningColumns}) VALUES (@record_id, @run_id, @recorded_at, @uid, @event, @serial_number, @certificate, @public_key, " +
            "@production_key_id, @vendor_id, @device_class_id, @claim_id, @station, @operator, @error_code, @error) ON CONFLICT (record_id) DO NOTHING");
        _dialect.Bind(c, "record_id", e.RecordId, SqlKind.Id);
        _dialect.Bind(c, "run_id", e.RunId, SqlKind.Id);
        _dialect.Bind(c, "recorded_at", e.RecordedAt, SqlKind.Time);
        _dialect.Bind(c, "uid", e.Uid, SqlKind.Text);
        _dialect.Bind(c, "event", e.Event.ToString(), SqlKind.Text);
        _dialect.Bind(c, "serial_number", (long?)e.SerialNumber, SqlKind.Integer);
        _dialect.Bind(c, "certificate", e.Certificate, SqlKind.Blob);
        _dialect.Bind(c, "public_key", e.PublicKey, SqlKind.Blob);
        _dialect.Bind(c, "production_key_id", e.ProductionKeyId, SqlKind.Text);
        _dialect.Bind(c, "vendor_id", (long?)e.VendorId, SqlKind.Integer);
        _dialect.Bind(c, "device_class_id", (long?)e.DeviceClassId, SqlKind.Integer);
        _dialect.Bind(c, "claim_id", e.ClaimId, SqlKind.Id);
        _dialect.Bind(c, "station", e.Station, SqlKind.Text);
        _dialect.Bind(c, "operator", e.Operator, SqlKind.Text);
        _dialect.Bind(c, "error_code", e.ErrorCode, SqlKind.Text);
        _dialect.Bind(c, "error", e.Error, SqlKind.Text);
        return c;
    }

    public DbCommand InsertCommand(DbConnection connection, DbTransaction? transaction, InstallEntry e)
    {
        DbCommand c = Command(connection, transaction,
            $"INSERT INTO install_records ({InstallColumns}) VALUES (@record_id, @run_id, @uid, @operation, @image_kind, @version, @security_counter, @image_sha256, " +
            "@payload_sha256, @version_before, @version_after, @started_at, @ended_at, @payload_bytes, @bytes_sent, @bytes_resumed, @result, @error_code, @error, @station, @operator) " +
            "ON CONFLICT (record_id) DO NOTHING");
        _dialect.Bind(c, "record_id", e.RecordId, SqlKind.Id);
        _dialect.Bind(c, "run_id", e.RunId, SqlKind.Id);
        _dialect.Bind(c, "uid", e.Uid, SqlKind.Text);
        _dialect.Bind(c, "operation", e.Operation, SqlKind.Text);
        _dialect.Bind(c, "image_kind", e.ImageKind?.ToString(), SqlKind.Text);
        _dialect.Bind(c, "version", e.Version, SqlKind.Text);
        _dialect.Bind(c, "security_counter", (long?)e.SecurityCounter, SqlKind.Integer);
        _dialect.Bind(c, "image_sha256", e.ImageSha256, SqlKind.Blob);
        _dialect.Bind(c, "payload_sha256", e.PayloadSha256, SqlKind.Blob);
        _dialect.Bind(c, "version_before", e.VersionBefore, SqlKind.Text);
        _dialect.Bind(c, "version_after", e.VersionAfter, SqlKind.Text);
        _dialect.Bind(c, "started_at", e.StartedAt, SqlKind.Time);
        _dialect.Bind(c, "ended_at", e.EndedAt, SqlKind.Time);
        _dialect.Bind(c, "payload_bytes", e.PayloadBytes, SqlKind.Integer);
        _dialect.Bind(c, "bytes_sent", e.BytesSent, SqlKind.Integer);
        _dialect.Bind(c, "bytes_resumed", e.BytesResumed, SqlKind.Integer);
        _dialect.Bind(c, "result", e.Result.ToString(), SqlKind.Text);
        _dialect.Bind(c, "error_code", e.ErrorCode, SqlKind.Text);
        _dialect.Bind(c, "error", e.Error, SqlKind.Text);
        _dialect.Bind(c, "station", e.Station, SqlKind.Text);
        _dialect.Bind(c, "operator", e.Operator, SqlKind.Text);
        return c;
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    public async Task<RecordSet> QueryAsync(RecordQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await RunAsync(async connection =>
        {
            IReadOnlyList<ProvisioningEntry> provisioning = [];
            IReadOnlyList<InstallEntry> installs = [];
            IReadOnlyList<IdentityClaimEntry> claims = [];
            if (query.Kinds.HasFlag(RecordKinds.Provisioning))
            {
                await using DbCommand select = Select(connection, $"SELECT {ProvisioningColumns} FROM provisioning_records", "recorded_at", "uid", "station", query, "recorded_at, record_id");
                provisioning = await ReadAllAsync(select, ReadProvisioning, cancellationToken).ConfigureAwait(false);
            }
            if (query.Kinds.HasFlag(RecordKinds.Installs))
            {
                await using DbCommand select = Select(connection, $"SELECT {InstallColumns} FROM install_records", "started_at", "uid", "station", query, "started_at, record_id");
                installs = await ReadAllAsync(select, ReadInstall, cancellationToken).ConfigureAwait(false);
            }
            if (query.Kinds.HasFlag(RecordKinds.Claims))
            {
                await using DbCommand select = Select(connection, $"SELECT {ClaimColumns} FROM identity_claims c LEFT JOIN claim_voids v ON v.claim_id = c.claim_id",
                    "c.claimed_at", "c.uid", "c.station", query, "c.claimed_at, c.generation");
                claims = await ReadClaimsAsync(select, cancellationToken).ConfigureAwait(false);
            }
            return new RecordSet(provisioning, installs, claims);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A SELECT with only the filters given (an untyped NULL parameter is an error in PostgreSQL, so none is bound).</summary>
    private DbCommand Select(DbConnection connection, string head, string timeColumn, string uidColumn, string stationColumn, RecordQuery query, string order)
    {
        var sql = new StringBuilder(head);
        var where = new List<string>();
        DbCommand command = Command(connection, null, "");
        if (query.Uid is { } uid)
        {
            where.Add($"{uidColumn} = @uid");
            _dialect.Bind(command, "uid", uid.ToUpperInvariant(), SqlKind.Text);
        }
        if (query.SerialNumber is { } serial)
        {
            where.Add($"{uidColumn} IN (SELECT uid FROM identity_claims WHERE serial_number = @serial UNION SELECT uid FROM provisioning_records WHERE serial_number = @serial)");
            _dialect.Bind(command, "serial", (long)serial, SqlKind.Integer);
        }
        if (query.From is { } from)
        {
            where.Add($"{timeColumn} >= @from");
            _dialect.Bind(command, "from", RecordTime.Truncate(from), SqlKind.Time);
        }
        if (query.To is { } to)
        {
            where.Add($"{timeColumn} < @to");
            _dialect.Bind(command, "to", RecordTime.Truncate(to), SqlKind.Time);
        }
        if (query.Station is { } station)
        {
            where.Add($"{stationColumn} = @station");
            _dialect.Bind(command, "station", station, SqlKind.Text);
        }
        if (where.Count > 0)
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        sql.Append(" ORDER BY ").Append(order);
        command.CommandText = sql.ToString();
        return command;
    }

    public static async Task<IReadOnlyList<T>> ReadAllAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(read(reader));
        return rows;
    }

    private Task<IReadOnlyList<IdentityClaimEntry>> ReadClaimsAsync(DbCommand command, CancellationToken cancellationToken) => ReadAllAsync(command, ReadClaim, cancellationToken);

    public ProvisioningEntry ReadProvisioning(DbDataReader r) => new()
    {
        RecordId = _dialect.ReadId(r, 0),
        RunId = _dialect.ReadId(r, 1),
        RecordedAt = _dialect.ReadTime(r, 2),
        Uid = r.GetString(3),
        Event = Enum.Parse<ProvisioningEvent>(r.GetString(4)),
        SerialNumber = UInt(r, 5),
        Certificate = Bytes(r, 6),
        PublicKey = Bytes(r, 7),
        ProductionKeyId = Text(r, 8),
        VendorId = UInt(r, 9),
        DeviceClassId = UInt(r, 10),
        ClaimId = r.IsDBNull(11) ? null : _dialect.ReadId(r, 11),
        Station = r.GetString(12),
        Operator = r.GetString(13),
        ErrorCode = Text(r, 14),
        Error = Text(r, 15),
    };

    public InstallEntry ReadInstall(DbDataReader r) => new()
    {
        RecordId = _dialect.ReadId(r, 0),
        RunId = _dialect.ReadId(r, 1),
        Uid = r.GetString(2),
        Operation = r.GetString(3),
        ImageKind = Text(r, 4) is { } kind ? Enum.Parse<ImageKind>(kind) : null,
        Version = Text(r, 5),
        SecurityCounter = UInt(r, 6),
        ImageSha256 = Bytes(r, 7),
        PayloadSha256 = Bytes(r, 8),
        VersionBefore = Text(r, 9),
        VersionAfter = Text(r, 10),
        StartedAt = _dialect.ReadTime(r, 11),
        EndedAt = _dialect.ReadTime(r, 12),
        PayloadBytes = r.GetInt64(13),
        BytesSent = r.GetInt64(14),
        BytesResumed = r.GetInt64(15),
        Result = Enum.Parse<InstallOutcome>(r.GetString(16)),
        ErrorCode = Text(r, 17),
        Error = Text(r, 18),
        Station = r.GetString(19),
        Operator = r.GetString(20),
    };

    private IdentityClaimEntry ReadClaim(DbDataReader r) => new()
    {
        ClaimId = _dialect.ReadId(r, 0),
        Uid = r.GetString(1),
        Generation = Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture),
        PublicKey = r.GetFieldValue<byte[]>(3),
        ProductionKeyId = r.GetString(4),
        SerialNumber = (uint)r.GetInt64(5),
        Adopted = Convert.ToInt64(r.GetValue(6), CultureInfo.InvariantCulture) != 0,
        Station = r.GetString(7),
        Operator = r.GetString(8),
        RunId = _dialect.ReadId(r, 9),
        ClaimedAt = _dialect.ReadTime(r, 10),
        Void = r.IsDBNull(11) ? null : new ClaimVoidEntry
        {
            RecordId = _dialect.ReadId(r, 11),
            ClaimId = _dialect.ReadId(r, 0),
            Uid = r.GetString(1),
            Reason = r.GetString(12),
            Station = r.GetString(13),
            Operator = r.GetString(14),
            RunId = _dialect.ReadId(r, 15),
            VoidedAt = _dialect.ReadTime(r, 16),
        },
    };

    private static uint? UInt(DbDataReader r, int i) => r.IsDBNull(i) ? null : (uint)Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    private static byte[]? Bytes(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
