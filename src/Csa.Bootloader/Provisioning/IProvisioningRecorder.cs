using Csa.Bootloader.Images;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// What a station asks its records store to reserve before the production key signs a certificate: this unique id
/// bound to this identity key. Csa.Records implements <see cref="IProvisioningRecorder"/> over SQLite and PostgreSQL,
/// where the database itself refuses a unique id bound to another key and a key bound to another unique id.
/// </summary>
/// <param name="ClaimId">Made by the station, once per attempt: a claim sent again after a lost answer is recognised as the same one.</param>
/// <param name="Uid">The unique id the device reported.</param>
/// <param name="PublicKey">The identity public key the device proved it holds (65-byte uncompressed point).</param>
/// <param name="ProductionKeyId">The 8-byte id of the production key that will sign.</param>
/// <param name="SerialNumber">
/// The serial number the certificate will carry when the station already knows it (a device found provisioned, or
/// <see cref="ProvisioningStationOptions.SerialNumbers"/>); null lets the store assign one.
/// </param>
/// <param name="AlreadyCertified">
/// True when the device was found provisioned with this production key's certificate (a repeated run): the pair is
/// confirmed, not newly reserved, and nothing will be signed.
/// </param>
public sealed record IdentityClaim(Guid ClaimId, DeviceUid Uid, byte[] PublicKey, byte[] ProductionKeyId, uint? SerialNumber, bool AlreadyCertified);

/// <summary>
/// The records store of a production station (<see cref="ProvisioningStationOptions.Recorder"/>), asked at fixed points
/// of <see cref="ProvisioningStation"/>'s run, in this order (docs/records.md section 4):
/// <see cref="ClaimAsync"/> before the production key signs (a refusal means nothing is signed), then
/// <see cref="RecordIssuedAsync"/> after signing and before the certificate is sent to the device (a failure means the
/// certificate is never sent: no device holds a certificate whose record is not durable), then
/// <see cref="RecordResultAsync"/> for every device's outcome. <see cref="ReleaseAsync"/> gives a claim back when the
/// station knows the certificate never left it. Methods other than <see cref="ClaimAsync"/>'s refusal throw only when
/// the record could not be stored anywhere durable.
/// </summary>
public interface IProvisioningRecorder
{
    /// <summary>Reserves <paramref name="claim"/>'s pair, atomically against every other station sharing the store.</summary>
    /// <returns>The serial number the certificate carries (the claim's own, or one the store assigned).</returns>
    /// <exception cref="ProvisioningException">Refused (<see cref="ProvisioningFailure.NotAuthorized"/>): the unique id is bound to another key, or the key to another unique id; the message names the earlier claim.</exception>
    Task<uint> ClaimAsync(IdentityClaim claim, CancellationToken cancellationToken);

    /// <summary>Stores the certificate issued under <paramref name="claim"/> durably, before the device receives it.</summary>
    Task RecordIssuedAsync(IdentityClaim claim, DeviceCertificate certificate, CancellationToken cancellationToken);

    /// <summary>Gives <paramref name="claim"/> back: the certificate was never sent to the device (the signer failed, the record could not be stored, the run was cancelled first).</summary>
    Task ReleaseAsync(IdentityClaim claim, string reason, CancellationToken cancellationToken);

    /// <summary>Stores one device's outcome (every outcome: provisioned, already provisioned, failed, cancelled).</summary>
    Task RecordResultAsync(ProvisioningResult result, CancellationToken cancellationToken);
}
