using System.Data.Common;
using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;

namespace Csa.Records.Tests;

/// <summary>
/// What every records store must do (docs/records.md sections 2-3), run against SQLite and against PostgreSQL: the
/// schema and its version, rows that read back equal, append-only enforced by the database, identity uniqueness by
/// constraints (also against raw SQL that skips the library), voids as corrections, and the queries.
/// </summary>
public abstract class RecordStoreContract
{
    /// <summary>A new, empty store with the schema created.</summary>
    protected abstract Task<IRecordStore> NewStoreAsync();

    /// <summary>A raw connection to the same database (to try what the library never does).</summary>
    protected abstract Task<DbConnection> RawAsync(IRecordStore store);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Schema_IsVersion1_AndInitializingAgainChangesNothing()
    {
        await using IRecordStore store = await NewStoreAsync();
        Assert.Equal(new RecordSchemaStatus(1, 1), await store.GetSchemaAsync());
        Assert.Empty(await store.InitializeAsync());
        Assert.Equal(1, RecordSchema.Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Rows_ReadBackEqual_AndARowAppendedTwiceIsStoredOnce()
    {
        await using IRecordStore store = await NewStoreAsync();
        DeviceUid uid = RecordKit.NewUid();
        ProvisioningEntry provisioned = RecordKit.Provisioned(uid, RecordKit.NewKey(), 17);
        ProvisioningEntry failed = RecordKit.Failed(uid);
        InstallEntry install = RecordKit.Install(uid);
        InstallEntry refused = RecordKit.Install(uid, succeeded: false) with { ImageKind = null, Version = null, SecurityCounter = null, ImageSha256 = null, PayloadSha256 = null, VersionBefore = null };
        foreach (ProvisioningEntry row in new[] { provisioned, failed, provisioned })
            await store.AppendAsync(row);
        foreach (InstallEntry row in new[] { install, refused, install })
            await store.AppendAsync(row);

        RecordSet found = await store.QueryAsync(new RecordQuery { Uid = uid.ToString() });
        Assert.Equal(2, found.Provisioning.Count);
        AssertEqual(provisioned, found.Provisioning.Single(r => r.RecordId == provisioned.RecordId));
        AssertEqual(failed, found.Provisioning.Single(r => r.RecordId == failed.RecordId));
        Assert.Equal("DeviceRefused:AlreadyProvisioned", failed.ErrorCode);
        Assert.Equal(2, found.Installs.Count);
        Assert.Equivalent(install, found.Installs.Single(r => r.RecordId == install.RecordId), strict: true);
        Assert.Equivalent(refused, found.Installs.Single(r => r.RecordId == refused.RecordId), strict: true);
    }

    private static void AssertEqual(ProvisioningEntry expected, ProvisioningEntry actual) => Assert.Equivalent(expected, actual, strict: true);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task UpdateAndDelete_AreRefusedByTheDatabaseItself_OnEveryTable()
    {
        await using IRecordStore store = await NewStoreAsync();
        DeviceUid uid = RecordKit.NewUid();
        byte[] key = RecordKit.NewKey();
        IdentityClaim claim = RecordKit.Claim(uid, key);
        await store.ClaimAsync(claim, RecordKit.Origin, RecordKit.Now);
        await store.VoidClaimAsync(RecordKit.Void(uid, claim.ClaimId));
        await store.AppendAsync(RecordKit.Provisioned(uid, RecordKit.NewKey(), 5));
        await store.AppendAsync(RecordKit.Install(uid));
        await using DbConnection raw = await RawAsync(store);
        foreach (string sql in new[]
        {
            "UPDATE provisioning_records SET station = 'forged'",
            "DELETE FROM provisioning_records",
            "UPDATE install_records SET result = 'Succeeded'",
            "DELETE FROM install_records",
            "UPDATE identity_claims SET station = 'forged'",
            "DELETE FROM identity_claims",
            "DELETE FROM claim_voids",
            "UPDATE csa_schema_version SET version = 2",
        })
        {
            await using DbCommand command = raw.CreateCommand();
            command.CommandText = sql;
            DbException refused = await Assert.ThrowsAnyAsync<DbException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refused.Message, StringComparison.Ordinal);
        }
        RecordSet after = await store.QueryAsync(new RecordQuery { Uid = uid.ToString() });
        Assert.Single(after.Provisioning);
        Assert.Equal("station-A", after.Claims.Single().Station);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Claims_RefuseAUidWithAnotherKey_AndAKeyForAnotherUid_AllowTheSamePairAgain()
    {
        await using IRecordStore store = await NewStoreAsync();
        DeviceUid a = RecordKit.NewUid(), b = RecordKit.NewUid();
        byte[] keyA = RecordKit.NewKey(), keyB = RecordKit.NewKey();
        uint serial = await store.ClaimAsync(RecordKit.Claim(a, keyA), RecordKit.Origin, RecordKit.Now);
        Assert.NotEqual(0u, serial);

        // The same pair again (a repeated run): the recorded serial number.
        Assert.Equal(serial, await store.ClaimAsync(RecordKit.Claim(a, keyA), RecordKit.Origin with { Station = "station-B" }, RecordKit.Now));

        IdentityConflictException second = await Assert.ThrowsAsync<IdentityConflictException>(() =>
            store.ClaimAsync(RecordKit.Claim(a, keyB), RecordKit.Origin with { Station = "station-B" }, RecordKit.Now));
        Assert.Equal(IdentityConflict.UidBoundToAnotherKey, second.Conflict);
        Assert.Equal("station-A", second.Existing!.Station);
        Assert.Contains(a.ToString(), second.Message, StringComparison.Ordinal);

        IdentityConflictException stolen = await Assert.ThrowsAsync<IdentityConflictException>(() => store.ClaimAsync(RecordKit.Claim(b, keyA), RecordKit.Origin, RecordKit.Now));
        Assert.Equal(IdentityConflict.KeyBoundToAnotherUid, stolen.Conflict);
        Assert.Equal(a.ToString(), stolen.Existing!.Uid);

        // Serial numbers come from the store, one per claim, and a serial the station asks for is not issued twice.
        uint serialB = await store.ClaimAsync(RecordKit.Claim(b, keyB), RecordKit.Origin, RecordKit.Now);
        Assert.NotEqual(serial, serialB);
        IdentityConflictException taken = await Assert.ThrowsAsync<IdentityConflictException>(() =>
            store.ClaimAsync(RecordKit.Claim(RecordKit.NewUid(), RecordKit.NewKey(), serial: serialB), RecordKit.Origin, RecordKit.Now));
        Assert.Equal(IdentityConflict.SerialNumberTaken, taken.Conflict);

        RecordSet claims = await store.QueryAsync(new RecordQuery { Kinds = RecordKinds.Claims });
        Assert.Equal(2, claims.Claims.Count);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task AClaimSentAgainAfterALostAnswer_IsTheSameClaim()
    {
        await using IRecordStore store = await NewStoreAsync();
        IdentityClaim claim = RecordKit.Claim(RecordKit.NewUid(), RecordKit.NewKey());
        uint first = await store.ClaimAsync(claim, RecordKit.Origin, RecordKit.Now);
        Assert.Equal(first, await store.ClaimAsync(claim, RecordKit.Origin, RecordKit.Now));
        Assert.Single((await store.QueryAsync(new RecordQuery { Kinds = RecordKinds.Claims })).Claims);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task AVoidedClaim_LetsTheUidBeClaimedWithANewKey_ButNeverWithTheVoidedKey()
    {
        await using IRecordStore store = await NewStoreAsync();
        DeviceUid uid = RecordKit.NewUid();
        byte[] first = RecordKit.NewKey(), second = RecordKit.NewKey();
        IdentityClaim claim = RecordKit.Claim(uid, first);
        await store.ClaimAsync(claim, RecordKit.Origin, RecordKit.Now);
        Assert.Null(await store.VoidClaimAsync(RecordKit.Void(uid, Guid.NewGuid())));   // no such claim
        IdentityClaimEntry? voided = await store.VoidClaimAsync(RecordKit.Void(uid, claim.ClaimId, "signer failed"));
        Assert.Equal(claim.ClaimId, voided!.ClaimId);
        Assert.Equal("signer failed", voided.Void!.Reason);
        Assert.Null(await store.VoidClaimAsync(RecordKit.Void(uid, claim.ClaimId)));     // voided once only

        await store.ClaimAsync(RecordKit.Claim(uid, second), RecordKit.Origin, RecordKit.Now);
        IdentityConflictException again = await Assert.ThrowsAsync<IdentityConflictException>(() => store.ClaimAsync(RecordKit.Claim(uid, first), RecordKit.Origin, RecordKit.Now));
        Assert.Equal(IdentityConflict.UidBoundToAnotherKey, again.Conflict);

        // The operator's void (by unique id) releases the current one, generation 1.
        IdentityClaimEntry? current = await store.VoidClaimAsync(RecordKit.Void(uid, null, "board repaired, key store replaced"));
        Assert.Equal(1, current!.Generation);
        IdentityConflictException reused = await Assert.ThrowsAsync<IdentityConflictException>(() => store.ClaimAsync(RecordKit.Claim(uid, first), RecordKit.Origin, RecordKit.Now));
        Assert.Equal(IdentityConflict.KeyOfVoidedClaim, reused.Conflict);
        RecordSet history = await store.QueryAsync(new RecordQuery { Uid = uid.ToString(), Kinds = RecordKinds.Claims });
        Assert.Equal([0, 1], history.Claims.Select(c => c.Generation));
        Assert.All(history.Claims, c => Assert.NotNull(c.Void));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task RawSqlThatSkipsTheLibrary_CannotBindAUidTwice_NorSkipAVoid()
    {
        await using IRecordStore store = await NewStoreAsync();
        DeviceUid uid = RecordKit.NewUid();
        IdentityClaim claim = RecordKit.Claim(uid, RecordKit.NewKey());
        await store.ClaimAsync(claim, RecordKit.Origin, RecordKit.Now);
        await using DbConnection raw = await RawAsync(store);
        // Generation 0 again with another key, and generation 1 while generation 0 holds: both refused by constraints.
        foreach ((int generation, string previous) in new[] { (0, "NULL"), (1, "0") })
        {
            await using DbCommand command = raw.CreateCommand();
            command.CommandText = InsertClaimSql(uid.ToString(), generation, previous);
            await Assert.ThrowsAnyAsync<DbException>(() => command.ExecuteNonQueryAsync());
        }
        Assert.Single((await store.QueryAsync(new RecordQuery { Kinds = RecordKinds.Claims })).Claims);
    }

    /// <summary>An INSERT of a claim with a fresh key, written as a hand-made tool would.</summary>
    protected abstract string InsertClaimSql(string uid, int generation, string previousGeneration);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Queries_ByUidSerialTimeAndStation()
    {
        await using IRecordStore store = await NewStoreAsync();
        DeviceUid a = RecordKit.NewUid(), b = RecordKit.NewUid();
        byte[] keyA = RecordKit.NewKey();
        uint serialA = await store.ClaimAsync(RecordKit.Claim(a, keyA), RecordKit.Origin, RecordKit.Now);
        await store.AppendAsync(RecordKit.Provisioned(a, keyA, serialA, station: "line-1"));
        await store.AppendAsync(RecordKit.Install(a));
        await store.AppendAsync(RecordKit.Provisioned(b, RecordKit.NewKey(), serialA + 1000, station: "line-2"));
        DateTimeOffset later = RecordKit.Now.AddHours(1);
        await store.AppendAsync(RecordKit.Failed(b, station: "line-2") with { RecordedAt = later });

        RecordSet bySerial = await store.QueryAsync(new RecordQuery { SerialNumber = serialA });
        Assert.All(bySerial.Provisioning, r => Assert.Equal(a.ToString(), r.Uid));
        Assert.Single(bySerial.Provisioning);
        Assert.Single(bySerial.Installs);
        Assert.Single(bySerial.Claims);

        RecordSet byStation = await store.QueryAsync(new RecordQuery { Station = "line-2", Kinds = RecordKinds.Provisioning });
        Assert.Equal(2, byStation.Provisioning.Count);
        RecordSet byTime = await store.QueryAsync(new RecordQuery { From = later.AddMinutes(-1), Kinds = RecordKinds.Provisioning });
        Assert.Equal(ProvisioningEvent.Failed, Assert.Single(byTime.Provisioning).Event);
        RecordSet before = await store.QueryAsync(new RecordQuery { To = later, Uid = b.ToString().ToLowerInvariant() });
        Assert.Equal(ProvisioningEvent.Provisioned, Assert.Single(before.Provisioning).Event);
        Assert.Empty(before.Installs);
    }
}
