using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Crypto;
using Csa.Records.PostgreSql;
using Csa.Records.Sqlite;
using Csa.Simulator.Firmware;

namespace Csa.Records.Tests;

/// <summary>
/// A <see cref="ProvisioningStation"/> with a <see cref="StationRecorder"/> against virtual devices (docs/records.md
/// section 4): the claim comes before the signature, the issued certificate is durable before the device receives it,
/// a refused or unrecordable device stays blank and is never signed for, and a claim whose certificate never left the
/// station is released.
/// </summary>
public sealed class StationRecordsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("csa-station-records-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    internal static ProvisioningStation Station(IProductionSigner signer, IProvisioningRecorder recorder) =>
        new(signer, EcdsaP256SignatureVerifier.Instance, new ProvisioningStationOptions
        {
            VendorId = 0x00C5A000,
            DeviceClassId = 1,
            Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
            InstallAllowance = TimeSpan.FromMilliseconds(500),
            Recorder = recorder,
        });

    /// <summary>The production key behind a counter.</summary>
    internal sealed class CountingSigner(IProductionSigner inner, Action<int>? onSignature = null) : IProductionSigner
    {
        private int _signatures;

        public int Signatures => Volatile.Read(ref _signatures);

        public ReadOnlyMemory<byte> PublicKey => inner.PublicKey;

        public ReadOnlyMemory<byte> KeyId => inner.KeyId;

        public async Task<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
        {
            byte[] signature = await inner.SignDigestAsync(sha256Digest, cancellationToken);
            int count = Interlocked.Increment(ref _signatures);
            onSignature?.Invoke(count);
            return signature;
        }
    }

    /// <summary>A store that checks, when the issued certificate arrives, that the device does not hold it yet; or fails that write.</summary>
    private sealed class WatchingStore(IRecordStore inner, Func<ProvisioningEntry, Task>? onIssued) : IRecordStore
    {
        public string Location => inner.Location;

        public Task<RecordSchemaStatus> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

        public Task<IReadOnlyList<int>> InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

        public Task<uint> ClaimAsync(IdentityClaim claim, RecordOrigin origin, DateTimeOffset at, CancellationToken cancellationToken = default) =>
            inner.ClaimAsync(claim, origin, at, cancellationToken);

        public Task<IdentityClaimEntry?> VoidClaimAsync(ClaimVoidEntry entry, CancellationToken cancellationToken = default) => inner.VoidClaimAsync(entry, cancellationToken);

        public async Task AppendAsync(ProvisioningEntry entry, CancellationToken cancellationToken = default)
        {
            if (entry.Event == ProvisioningEvent.Issued && onIssued is not null)
                await onIssued(entry);
            await inner.AppendAsync(entry, cancellationToken);
        }

        public Task AppendAsync(InstallEntry entry, CancellationToken cancellationToken = default) => inner.AppendAsync(entry, cancellationToken);

        public Task<RecordSet> QueryAsync(RecordQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task EveryCertificate_IsRecordedBeforeTheDeviceStoresIt_ThenTheResult_WithTheClaimsSerialNumber()
    {
        await using SqliteRecordStore sqlite = await SqliteRecordStore.OpenAsync(Path.Combine(_directory, "records.sqlite"));
        await using Rig rig = await Rig.StarAsync(3, i => ProvisioningKit.Blank(ProvisioningKit.Profile(10 + i)));
        int checkedBlank = 0;
        var store = new WatchingStore(sqlite, entry =>
        {
            VirtualDeviceLifecycle(rig, entry.Uid, DeviceLifecycle.Blank);
            Interlocked.Increment(ref checkedBlank);
            return Task.CompletedTask;
        });
        await using var recorder = new StationRecorder(store, RecordKit.Origin);
        using CancellationTokenSource guard = Rig.Guard();
        IReadOnlyList<ProvisioningResult> results = await Station(ProvisioningKit.Signer, recorder).ProvisionAllAsync(rig.Network, rig.Devices, 3, null, guard.Token);
        Assert.All(results, r => Assert.True(r.Outcome == ProvisioningOutcome.Provisioned && r.RecordingError is null, $"{r.Uid}: {r.Error}"));
        Assert.Equal(3, checkedBlank);

        RecordSet rows = await sqlite.QueryAsync(new RecordQuery());
        Assert.Equal(3, rows.Claims.Count);
        foreach (ProvisioningResult result in results)
        {
            ProvisioningEntry[] mine = rows.Provisioning.Where(r => r.Uid == result.Uid.ToString()).ToArray();
            Assert.Equal([ProvisioningEvent.Issued, ProvisioningEvent.Provisioned], mine.Select(r => r.Event));
            Assert.All(mine, r => Assert.Equal(result.Certificate!.ToArray(), r.Certificate));
            IdentityClaimEntry claim = rows.Claims.Single(c => c.Uid == result.Uid.ToString());
            Assert.Equal(claim.SerialNumber, result.Certificate!.SerialNumber);
            Assert.Equal(claim.ClaimId, mine[0].ClaimId);
            Assert.Equal(result.Certificate.GetUncompressedPublicKey(), claim.PublicKey);
        }

        // A repeated run finds them provisioned: the claims are confirmed, not duplicated, and the outcome is recorded.
        IReadOnlyList<ProvisioningResult> again = await Station(ProvisioningKit.Signer, recorder).ProvisionAllAsync(rig.Network, rig.Devices, 3, null, guard.Token);
        Assert.All(again, r => Assert.Equal(ProvisioningOutcome.AlreadyProvisioned, r.Outcome));
        RecordSet after = await sqlite.QueryAsync(new RecordQuery());
        Assert.Equal(3, after.Claims.Count);
        Assert.Equal(3, after.Provisioning.Count(r => r.Event == ProvisioningEvent.AlreadyProvisioned));
    }

    private static void VirtualDeviceLifecycle(Rig rig, string uid, DeviceLifecycle expected)
    {
        var device = rig.Virtual.Single(v => v.Profile.Uid.ToString() == uid);
        Assert.Equal(expected, device.Firmware.Lifecycle);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task ASecondChipClaimingACertifiedUid_IsRefusedByTheRecords_BeforeAnythingIsSigned_AndStaysBlank()
    {
        await using SqliteRecordStore store = await SqliteRecordStore.OpenAsync(Path.Combine(_directory, "records.sqlite"));
        await using var recorder = new StationRecorder(store, RecordKit.Origin);
        var signer = new CountingSigner(ProvisioningKit.Signer);
        using CancellationTokenSource guard = Rig.Guard();
        await using (Rig genuine = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(ProvisioningKit.Profile(20))))
            Assert.Equal(ProvisioningOutcome.Provisioned, (await Station(signer, recorder).ProvisionAsync(genuine.Network, genuine.Devices[0], guard.Token)).Outcome);

        await using Rig clone = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(ProvisioningKit.Profile(20)));
        ProvisioningException refused = await Assert.ThrowsAsync<ProvisioningException>(() => Station(signer, recorder).ProvisionAsync(clone.Network, clone.Devices[0], guard.Token));
        Assert.Equal(ProvisioningFailure.NotAuthorized, refused.Reason);
        Assert.IsType<IdentityConflictException>(refused.InnerException);
        Assert.Contains("already bound to another identity key", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, signer.Signatures);
        Assert.Equal(DeviceLifecycle.Blank, clone.Virtual[0].Firmware.Lifecycle);
        RecordSet rows = await store.QueryAsync(new RecordQuery());
        Assert.Single(rows.Claims);
        Assert.Equal("NotAuthorized", rows.Provisioning.Last().ErrorCode);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task AnIssuedCertificateThatCannotBeRecorded_IsNeverSent_TheClaimIsReleased_AndTheNextRunSucceeds()
    {
        await using SqliteRecordStore sqlite = await SqliteRecordStore.OpenAsync(Path.Combine(_directory, "records.sqlite"));
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(ProvisioningKit.Profile(30)));
        var broken = new WatchingStore(sqlite, _ => throw new RecordsException(RecordsError.WriteFailed, "disk full"));
        await using var recorder = new StationRecorder(broken, RecordKit.Origin);
        using CancellationTokenSource guard = Rig.Guard();
        ProvisioningResult failed = (await Station(ProvisioningKit.Signer, recorder).ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token))[0];
        Assert.Equal(ProvisioningOutcome.Failed, failed.Outcome);
        Assert.Equal(ProvisioningFailure.RecordingFailed, Assert.IsType<ProvisioningException>(failed.Exception).Reason);
        Assert.Contains("disk full", failed.Error, StringComparison.Ordinal);
        Assert.Equal(DeviceLifecycle.Blank, rig.Virtual[0].Firmware.Lifecycle);
        IdentityClaimEntry released = Assert.Single((await sqlite.QueryAsync(new RecordQuery { Kinds = RecordKinds.Claims })).Claims);
        Assert.Contains("not sent to the device", released.Void!.Reason, StringComparison.Ordinal);

        // The device makes a new key next time: generation 1 of its unique id, not refused because of the released claim.
        await using var working = new StationRecorder(sqlite, RecordKit.Origin);
        Assert.Equal(ProvisioningOutcome.Provisioned, (await Station(ProvisioningKit.Signer, working).ProvisionAsync(rig.Network, rig.Devices[0], guard.Token)).Outcome);
        Assert.Equal([0, 1], (await sqlite.QueryAsync(new RecordQuery { Kinds = RecordKinds.Claims })).Claims.Select(c => c.Generation));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task ADatabaseThatNeverAnswers_LeavesTheDeviceBlank_AndNothingSigned()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = PostgreSqlRecordStoreTests.PortWithNothingOnIt(), Database = "nowhere", Username = "csa" };
        var store = new PostgreSqlRecordStore(builder.ConnectionString);
        await using SqliteRecordStore journal = await SqliteRecordStore.OpenAsync(Path.Combine(_directory, "journal.sqlite"));
        await using var recorder = new StationRecorder(store, RecordKit.Origin, new StationRecorderOptions { Journal = journal, ClaimWait = TimeSpan.FromMilliseconds(300) });
        var signer = new CountingSigner(ProvisioningKit.Signer);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(ProvisioningKit.Profile(31)));
        using CancellationTokenSource guard = Rig.Guard();
        ProvisioningResult row = (await Station(signer, recorder).ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token))[0];
        Assert.Equal(ProvisioningFailure.RecordingFailed, Assert.IsType<ProvisioningException>(row.Exception).Reason);
        Assert.Contains("unreachable", row.Error, StringComparison.Ordinal);
        Assert.Equal(0, signer.Signatures);
        Assert.Equal(DeviceLifecycle.Blank, rig.Virtual[0].Firmware.Lifecycle);
        // The failure row itself is not lost: it waits in the journal.
        JournalItem pending = Assert.Single(await journal.ReadPendingAsync());
        Assert.Equal(ProvisioningEvent.Failed, pending.Provisioning!.Event);
        Assert.Equal("RecordingFailed", pending.Provisioning.ErrorCode);
    }
}
