using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Records.PostgreSql;
using Csa.Records.Sqlite;

namespace Csa.Records.Tests;

/// <summary>
/// The PostgreSQL server is stopped in the middle of a provisioning batch (from inside the production signer, so the
/// moment is exact: a claim made, its certificate signed, nothing recorded yet): the station keeps the issued
/// certificate and the result in its SQLite journal, waits for the database before the next claim, and forwards the
/// journal when the server is back. Afterwards the database holds every row exactly once and the journal nothing pending.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OutageTests(PostgresServer server) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("csa-outage-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task PostgresStoppedMidBatch_RowsGoToTheJournal_AreForwardedWhenItIsBack_AndNoneIsLostOrDoubled()
    {
        const int Devices = 5;
        string connectionString = await server.CreateDatabaseAsync();
        var store = new PostgreSqlRecordStore(connectionString);
        await store.InitializeAsync();
        await using SqliteRecordStore journal = await SqliteRecordStore.OpenAsync(Path.Combine(_directory, "journal.sqlite"));
        await using var recorder = new StationRecorder(store, RecordKit.Origin, new StationRecorderOptions { Journal = journal, ClaimWait = TimeSpan.FromMinutes(5) });
        using CancellationTokenSource guard = Rig.Guard();

        var stopped = new TaskCompletionSource();
        var signer = new StationRecordsTests.CountingSigner(ProvisioningKit.Signer, count =>
        {
            if (count == 2)
            {
                server.Stop("fast");
                stopped.SetResult();
            }
        });
        // The server comes back once the journal holds the second device's two rows (issued, provisioned): by then the
        // third device's claim is waiting for it.
        Task restart = Task.Run(async () =>
        {
            await stopped.Task.WaitAsync(guard.Token);
            while ((await journal.ReadPendingAsync(guard.Token)).Count < 2)
                await Task.Delay(50, guard.Token);
            await server.StartAsync();
        }, guard.Token);

        await using Rig rig = await Rig.StarAsync(Devices, i => ProvisioningKit.Blank(ProvisioningKit.Profile(50 + i)));
        IReadOnlyList<ProvisioningResult> results = await StationRecordsTests.Station(signer, recorder).ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token);
        await restart;
        Assert.All(results, r => Assert.True(r.Outcome == ProvisioningOutcome.Provisioned && r.RecordingError is null, $"{r.Uid}: {r.Error} {r.RecordingError}"));
        Assert.All(rig.Virtual, v => Assert.Equal(DeviceLifecycle.Provisioned, v.Firmware.Lifecycle));

        Assert.True(recorder.Journaled >= 2, $"journaled {recorder.Journaled}");
        await recorder.ForwardAsync(guard.Token);
        Assert.Empty(await journal.ReadPendingAsync(guard.Token));
        Assert.Equal(recorder.Journaled, recorder.Forwarded);

        RecordSet rows = await store.QueryAsync(new RecordQuery(), guard.Token);
        Assert.Equal(Devices, rows.Claims.Count);
        Assert.Equal(2 * Devices, rows.Provisioning.Count);
        Assert.Equal(rows.Provisioning.Count, rows.Provisioning.Select(r => r.RecordId).Distinct().Count());
        foreach (ProvisioningResult result in results)
        {
            ProvisioningEntry[] mine = rows.Provisioning.Where(r => r.Uid == result.Uid.ToString()).ToArray();
            Assert.Equal([ProvisioningEvent.Issued, ProvisioningEvent.Provisioned], mine.Select(r => r.Event).Order());
            Assert.All(mine, r => Assert.Equal(result.Certificate!.ToArray(), r.Certificate));
        }
        // The rows of the device signed while the server went down are the journaled ones: in the journal's own tables
        // as well (an audit trail of the outage), all marked forwarded.
        RecordSet kept = await journal.QueryAsync(new RecordQuery(), guard.Token);
        Assert.Contains(kept.Provisioning.GroupBy(r => r.Uid), g => g.Select(r => r.Event).Order().SequenceEqual([ProvisioningEvent.Issued, ProvisioningEvent.Provisioned]));
    }
}
