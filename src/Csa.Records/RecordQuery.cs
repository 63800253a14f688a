namespace Csa.Records;

/// <summary>Which tables a query reads.</summary>
[Flags]
public enum RecordKinds
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary><c>provisioning_records</c>.</summary>
    Provisioning = 1,

    /// <summary><c>install_records</c>.</summary>
    Installs = 2,

    /// <summary><c>identity_claims</c> (with their voids).</summary>
    Claims = 4,

    /// <summary>All of them.</summary>
    All = Provisioning | Installs | Claims,
}

/// <summary>
/// A records query: every filter given must hold (AND). <see cref="SerialNumber"/> finds the unique ids whose claims or
/// certificates carry it and then every row of those devices (the device history record of one serial number).
/// </summary>
public sealed record RecordQuery
{
    /// <summary>Only this device (24 hex digits).</summary>
    public string? Uid { get; init; }

    /// <summary>Only the devices with a certificate of this serial number.</summary>
    public uint? SerialNumber { get; init; }

    /// <summary>Only rows at or after this time (recorded, started or claimed).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only rows before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only rows written by this station.</summary>
    public string? Station { get; init; }

    /// <summary>Which tables. Default all.</summary>
    public RecordKinds Kinds { get; init; } = RecordKinds.All;
}

/// <summary>What a query found, oldest first in each list.</summary>
/// <param name="Provisioning">Provisioning rows.</param>
/// <param name="Installs">Install and update rows.</param>
/// <param name="Claims">Identity claims, each with its void if it has one.</param>
public sealed record RecordSet(IReadOnlyList<ProvisioningEntry> Provisioning, IReadOnlyList<InstallEntry> Installs, IReadOnlyList<IdentityClaimEntry> Claims);
