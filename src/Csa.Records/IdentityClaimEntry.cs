namespace Csa.Records;

/// <summary>
/// One row of <c>identity_claims</c> (docs/records.md section 3): unique id <see cref="Uid"/> bound to identity key
/// <see cref="PublicKey"/>, made before the production key signed its certificate. The database keeps at most one
/// claim per unique id that is not voided, and each key in one claim only.
/// </summary>
public sealed record IdentityClaimEntry
{
    /// <summary>The claim's id (made by the station).</summary>
    public required Guid ClaimId { get; init; }

    /// <summary>The unique id, 24 upper-case hex digits.</summary>
    public required string Uid { get; init; }

    /// <summary>0 for the unique id's first claim; n after n voided ones.</summary>
    public required int Generation { get; init; }

    /// <summary>The identity public key (65-byte uncompressed point).</summary>
    public required byte[] PublicKey { get; init; }

    /// <summary>The production key id (16 lower-case hex digits).</summary>
    public required string ProductionKeyId { get; init; }

    /// <summary>The certificate's serial number.</summary>
    public required uint SerialNumber { get; init; }

    /// <summary>True when the claim records a device found already certified (not a certificate issued under it).</summary>
    public required bool Adopted { get; init; }

    /// <summary>The station that claimed it.</summary>
    public required string Station { get; init; }

    /// <summary>The operator.</summary>
    public required string Operator { get; init; }

    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset ClaimedAt { get; init; }

    /// <summary>The void that released it; null while it holds.</summary>
    public ClaimVoidEntry? Void { get; init; }

    /// <summary>The first 8 bytes of SHA-256 over the public key, as 16 hex digits (the id tools print for a key).</summary>
    public string KeyId => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(PublicKey).AsSpan(0, 8)).ToLowerInvariant();
}

/// <summary>
/// One row of <c>claim_voids</c>: a claim released (a correction, never a deletion), by the station that knows its
/// certificate never reached the device, or by an operator (<c>csa records void</c>) with a reason.
/// </summary>
public sealed record ClaimVoidEntry
{
    /// <summary>The void's own id (made by the station; a void forwarded twice from the journal is stored once).</summary>
    public required Guid RecordId { get; init; }

    /// <summary>The claim released; null to release the unique id's current claim (an operator's void).</summary>
    public Guid? ClaimId { get; init; }

    /// <summary>The unique id.</summary>
    public required string Uid { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }

    /// <summary>The station.</summary>
    public required string Station { get; init; }

    /// <summary>The operator.</summary>
    public required string Operator { get; init; }

    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset VoidedAt { get; init; }
}
