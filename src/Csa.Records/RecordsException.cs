namespace Csa.Records;

/// <summary>What went wrong with a records store.</summary>
public enum RecordsError
{
    /// <summary>The database cannot be reached (refused or lost connection, server shutting down, timeout). A station falls back to its local journal.</summary>
    Unavailable,

    /// <summary>The database has no records schema yet: run <c>csa records init</c> (<see cref="IRecordStore.InitializeAsync"/>).</summary>
    SchemaMissing,

    /// <summary>The database's schema is older than this library's: run <c>csa records init</c> to migrate it.</summary>
    SchemaOutdated,

    /// <summary>The database's schema is newer than this library knows: update the tool; nothing is written meanwhile.</summary>
    SchemaNewer,

    /// <summary>A device identity conflicts with one already recorded (<see cref="IdentityConflictException"/>).</summary>
    IdentityConflict,

    /// <summary>The records location (a <c>sqlite:</c> or <c>postgres://</c> URI, a profile file) is malformed or not allowed (a password on the command line).</summary>
    InvalidLocation,

    /// <summary>The store refused a write for another reason (the message says which); nothing of it was stored.</summary>
    WriteFailed,
}

/// <summary>A records store failed; <see cref="Error"/> says how, the message says what to do.</summary>
public class RecordsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecordsException(RecordsError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What kind of failure.</summary>
    public RecordsError Error { get; }
}

/// <summary>Which uniqueness rule a claim broke.</summary>
public enum IdentityConflict
{
    /// <summary>The unique id is bound to another identity key (a second chip claims it, or the device lost its key).</summary>
    UidBoundToAnotherKey,

    /// <summary>The identity key is bound to another unique id (one key offered under two ids).</summary>
    KeyBoundToAnotherUid,

    /// <summary>The identity key belongs to a claim of this unique id that was voided; a voided key is never certified again.</summary>
    KeyOfVoidedClaim,

    /// <summary>The serial number the station asked for is already on another certificate of this production key.</summary>
    SerialNumberTaken,
}

/// <summary>
/// The database refused a claim because of its uniqueness constraints: <see cref="Conflict"/> says which, and
/// <see cref="Existing"/> is the claim already recorded (station, operator, time).
/// </summary>
public sealed class IdentityConflictException : RecordsException
{
    /// <summary>Creates the exception.</summary>
    public IdentityConflictException(IdentityConflict conflict, string uid, IdentityClaimEntry? existing, string message, Exception? innerException = null)
        : base(RecordsError.IdentityConflict, message, innerException)
    {
        Conflict = conflict;
        Uid = uid;
        Existing = existing;
    }

    /// <summary>The rule broken.</summary>
    public IdentityConflict Conflict { get; }

    /// <summary>The unique id that was claimed (24 hex digits).</summary>
    public string Uid { get; }

    /// <summary>The recorded claim this one contradicts; null for a serial-number clash.</summary>
    public IdentityClaimEntry? Existing { get; }
}
