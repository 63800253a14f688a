using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;
using Csa.Crypto;

namespace Csa.Records.Tests;

/// <summary>Claims, keys and rows for the store tests.</summary>
internal static class RecordKit
{
    public static readonly byte[] ProductionKeyId = Convert.FromHexString("0123456789abcdef");

    public static readonly RecordOrigin Origin = new("station-A", "alice");

    private static int s_next = Random.Shared.Next(0x1000, 0x7000_0000);

    /// <summary>A unique id no other test uses.</summary>
    public static DeviceUid NewUid() => DeviceUid.FromWords((uint)Interlocked.Increment(ref s_next), 0x3446_5351, 0x3132_3032);

    /// <summary>A fresh identity public key (65-byte point).</summary>
    public static byte[] NewKey() => KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint();

    public static IdentityClaim Claim(DeviceUid uid, byte[] key, uint? serial = null, bool adopted = false) =>
        new(Guid.NewGuid(), uid, key, ProductionKeyId, serial, adopted);

    public static DateTimeOffset Now => RecordTime.Truncate(DateTimeOffset.UtcNow);

    /// <summary>A real certificate (signed by a throwaway production key) for <paramref name="uid"/> and <paramref name="key"/>.</summary>
    public static DeviceCertificate Certificate(DeviceUid uid, byte[] key, uint serial)
    {
        EcP256PrivateKey production = KeyGenerator.Generate(KeyRole.Production);
        DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(uid, 0x00C5A000, 1, serial, DateTimeOffset.UtcNow, production.PublicKey.KeyId.Span, key.AsSpan(1));
        byte[] signature = new PemProductionSigner(production).SignDigestAsync(unsigned.ComputeSignedDigest()).GetAwaiter().GetResult();
        return unsigned.WithSignature(signature);
    }

    public static ProvisioningEntry Provisioned(DeviceUid uid, byte[] key, uint serial, string station = "station-A") =>
        ProvisioningEntry.FromResult(new ProvisioningResult(uid, new Csa.DataLink.NodeAddress(1), ProvisioningOutcome.Provisioned, Certificate(uid, key, serial), null, null, TimeSpan.FromSeconds(1)),
            Origin with { Station = station }, Now);

    public static ProvisioningEntry Failed(DeviceUid uid, string station = "station-A") =>
        ProvisioningEntry.FromResult(new ProvisioningResult(uid, new Csa.DataLink.NodeAddress(1), ProvisioningOutcome.Failed, null, "device refused",
            new ProvisioningException(uid, ProvisioningFailure.DeviceRefused, "device refused") { DeviceError = Csa.Bootloader.Protocol.ProvisioningError.AlreadyProvisioned }, TimeSpan.Zero),
            Origin with { Station = station }, Now);

    public static InstallEntry Install(DeviceUid uid, bool succeeded = true) => new()
    {
        RecordId = Guid.NewGuid(),
        RunId = Origin.RunId,
        Uid = uid.ToString(),
        Operation = "install",
        ImageKind = ImageKind.Application,
        Version = "2.1.0+7",
        SecurityCounter = 3,
        ImageSha256 = SHA256.HashData([1, 2, 3]),
        PayloadSha256 = SHA256.HashData([4, 5, 6]),
        VersionBefore = "1.0.0+0",
        VersionAfter = succeeded ? "2.1.0+7" : null,
        StartedAt = Now.AddSeconds(-3),
        EndedAt = Now,
        PayloadBytes = 65536,
        BytesSent = 65536,
        BytesResumed = 0,
        Result = succeeded ? InstallOutcome.Succeeded : InstallOutcome.Failed,
        ErrorCode = succeeded ? null : "Rejected:SecurityCounterTooLow",
        Error = succeeded ? null : "refused: security counter",
        Station = Origin.Station,
        Operator = Origin.Operator,
    };

    public static ClaimVoidEntry Void(DeviceUid uid, Guid? claimId, string reason = "never reached the device") => new()
    {
        RecordId = Guid.NewGuid(),
        ClaimId = claimId,
        Uid = uid.ToString(),
        Reason = reason,
        Station = Origin.Station,
        Operator = Origin.Operator,
        RunId = Origin.RunId,
        VoidedAt = Now,
    };
}
