using Csa.Bootloader.Images;
using Csa.Records.PostgreSql;

namespace Csa.Records.Tests;

/// <summary>
/// Claims from many connections at the same moment (a barrier releases them together): PostgreSQL's UNIQUE
/// constraints let exactly one win per unique id and per key, whichever commits first; the others get a typed conflict
/// that names the winner. No read-then-write in between could make two win.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConcurrentClaimTests(PostgresServer server)
{
    private const int Devices = 24;
    private const int Stations = 4;

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task StationsClaimingTheSameUidsWithTheirOwnKeys_AtTheSameMoment_ExactlyOneWinsEachUid()
    {
        string connectionString = await server.CreateDatabaseAsync();
        await new PostgreSqlRecordStore(connectionString).InitializeAsync();
        DeviceUid[] uids = Enumerable.Range(0, Devices).Select(_ => RecordKit.NewUid()).ToArray();
        var outcomes = new List<(DeviceUid Uid, int Station, uint? Serial, IdentityConflictException? Conflict)>();
        foreach (DeviceUid uid in uids)
        {
            using var barrier = new Barrier(Stations);
            var attempts = Enumerable.Range(0, Stations).Select(station => Task.Run(async () =>
            {
                // Each station its own store object and connection, as separate processes would have.
                var store = new PostgreSqlRecordStore(connectionString);
                byte[] key = RecordKit.NewKey();
                barrier.SignalAndWait();
                try
                {
                    return (uid, station, (uint?)await store.ClaimAsync(RecordKit.Claim(uid, key), RecordKit.Origin with { Station = $"station-{station}" }, RecordKit.Now),
                        (IdentityConflictException?)null);
                }
                catch (IdentityConflictException e)
                {
                    return (uid, station, null, e);
                }
            })).ToArray();
            outcomes.AddRange(await Task.WhenAll(attempts));
        }

        foreach (var perUid in outcomes.GroupBy(o => o.Uid))
        {
            Assert.Single(perUid, o => o.Serial is not null);
            var winner = perUid.Single(o => o.Serial is not null);
            Assert.All(perUid.Where(o => o.Serial is null), o =>
            {
                Assert.Equal(IdentityConflict.UidBoundToAnotherKey, o.Conflict!.Conflict);
                Assert.Equal($"station-{winner.Station}", o.Conflict.Existing!.Station);
            });
        }
        RecordSet claims = await new PostgreSqlRecordStore(connectionString).QueryAsync(new RecordQuery { Kinds = RecordKinds.Claims });
        Assert.Equal(Devices, claims.Claims.Count);
        Assert.Equal(Devices, claims.Claims.Select(c => c.SerialNumber).Distinct().Count());
        Assert.All(claims.Claims, c => Assert.Equal(0, c.Generation));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task OneKeyOfferedUnderManyUids_AtTheSameMoment_IsBoundToExactlyOne()
    {
        string connectionString = await server.CreateDatabaseAsync();
        await new PostgreSqlRecordStore(connectionString).InitializeAsync();
        for (int round = 0; round < 8; round++)
        {
            byte[] key = RecordKit.NewKey();
            using var barrier = new Barrier(Stations);
            Exception?[] results = await Task.WhenAll(Enumerable.Range(0, Stations).Select(station => Task.Run(async () =>
            {
                var store = new PostgreSqlRecordStore(connectionString);
                DeviceUid uid = RecordKit.NewUid();
                barrier.SignalAndWait();
                try
                {
                    await store.ClaimAsync(RecordKit.Claim(uid, key), RecordKit.Origin, RecordKit.Now);
                    return (Exception?)null;
                }
                catch (IdentityConflictException e)
                {
                    return e;
                }
            })));
            Assert.Single(results, r => r is null);
            Assert.All(results.OfType<IdentityConflictException>(), e => Assert.Equal(IdentityConflict.KeyBoundToAnotherUid, e.Conflict));
        }
    }
}
