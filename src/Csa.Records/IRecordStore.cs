using Csa.Bootloader.Provisioning;

namespace Csa.Records;

/// <summary>The schema a store holds, against the one this library writes.</summary>
/// <param name="Version">The database's schema version; 0 when it has none.</param>
/// <param name="Expected">The version this library reads and writes (<see cref="RecordSchema.Version"/>).</param>
public sealed record RecordSchemaStatus(int Version, int Expected)
{
    /// <summary>True when the store can be used as it is.</summary>
    public bool IsCurrent => Version == Expected;
}

/// <summary>
/// A production records store (docs/records.md): <c>Csa.Records.Sqlite.SqliteRecordStore</c> (a file next to one
/// station) or <c>Csa.Records.PostgreSql.PostgreSqlRecordStore</c> (one database for a factory). Every table is
/// append-only (the database refuses UPDATE and DELETE); each method is one atomic statement or transaction. A store is
/// safe to use from many threads; each call opens its own connection.
/// </summary>
public interface IRecordStore : IAsyncDisposable
{
    /// <summary>Where the records are, without secrets (for messages): <c>sqlite:/path</c>, <c>postgres://user@host:port/db</c>.</summary>
    string Location { get; }

    /// <summary>Reads the schema version.</summary>
    /// <exception cref="RecordsException">Unavailable.</exception>
    Task<RecordSchemaStatus> GetSchemaAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the schema or migrates it to <see cref="RecordSchema.Version"/>, each step in one transaction (several
    /// stations starting at once migrate once). Returns the versions applied (empty when it was current).
    /// </summary>
    /// <exception cref="RecordsException">Unavailable, or the schema is newer than this library.</exception>
    Task<IReadOnlyList<int>> InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds <paramref name="claim"/>'s unique id to its identity key in one INSERT that the database's UNIQUE
    /// constraints decide: at most one claim per unique id that is not voided, each key in one claim only. The same
    /// pair again, or the same claim id again (a retry after a lost answer), returns the recorded serial number.
    /// </summary>
    /// <returns>The serial number of the claim: the claim's own, or the next one of this production key.</returns>
    /// <exception cref="IdentityConflictException">The database refused it.</exception>
    /// <exception cref="RecordsException">Unavailable (the claim may or may not be stored: repeat it with the same claim id).</exception>
    Task<uint> ClaimAsync(IdentityClaim claim, RecordOrigin origin, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases a claim: the one <see cref="ClaimVoidEntry.ClaimId"/> names, else the unique id's current claim. Returns
    /// the claim released, or null when there was none to release (never stored, or already voided).
    /// </summary>
    Task<IdentityClaimEntry?> VoidClaimAsync(ClaimVoidEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Appends a provisioning row (a row whose id is already stored is not stored again).</summary>
    Task AppendAsync(ProvisioningEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Appends an install row (a row whose id is already stored is not stored again).</summary>
    Task AppendAsync(InstallEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Reads the rows <paramref name="query"/> selects, oldest first.</summary>
    Task<RecordSet> QueryAsync(RecordQuery query, CancellationToken cancellationToken = default);
}

/// <summary>One row waiting in a journal to be forwarded: exactly one of the three is set.</summary>
/// <param name="Provisioning">A provisioning row.</param>
/// <param name="Install">An install row.</param>
/// <param name="Void">A claim to release.</param>
public sealed record JournalItem(ProvisioningEntry? Provisioning, InstallEntry? Install, ClaimVoidEntry? Void)
{
    /// <summary>The row's id.</summary>
    public Guid RecordId => Provisioning?.RecordId ?? Install?.RecordId ?? Void!.RecordId;
}

/// <summary>
/// A local store that keeps rows a station could not write to its database (a lost connection), durably, until they are
/// forwarded (<see cref="StationRecorder.ForwardAsync"/>). The SQLite store is one. Forwarding marks rows with an
/// insert of their id, never by changing them, so the journal is append-only too.
/// </summary>
public interface IRecordJournal : IRecordStore
{
    /// <summary>
    /// Keeps a row for forwarding, durably (committed to disk before it returns): a provisioning or install row is
    /// stored in the journal's own tables too, so it can be queried there; a claim release is kept aside (the claim lives
    /// in the database, not here).
    /// </summary>
    Task JournalAsync(JournalItem item, CancellationToken cancellationToken = default);

    /// <summary>The rows not forwarded yet, in the order they were journaled.</summary>
    Task<IReadOnlyList<JournalItem>> ReadPendingAsync(CancellationToken cancellationToken = default);

    /// <summary>Marks a row forwarded (it is kept; the journal stays an audit trail of the outage).</summary>
    Task MarkForwardedAsync(Guid recordId, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>The records schema this library reads and writes.</summary>
public static class RecordSchema
{
    /// <summary>
    /// The schema version: 1 (docs/records.md section 3). A store at an older version is migrated by
    /// <see cref="IRecordStore.InitializeAsync"/>; a newer one is refused.
    /// </summary>
    public const int Version = 1;
}
