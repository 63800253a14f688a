using System.Data.Common;
using Csa.Records.Sqlite;
using Microsoft.Data.Sqlite;

namespace Csa.Records.Tests;

/// <summary>The store contract on SQLite, and what only the SQLite file does: made on first use, the journal, a newer schema refused.</summary>
public sealed class SqliteRecordStoreTests : RecordStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("csa-records-sqlite-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string NewPath() => Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".sqlite");

    protected override async Task<IRecordStore> NewStoreAsync() => await SqliteRecordStore.OpenAsync(NewPath());

    protected override async Task<DbConnection> RawAsync(IRecordStore store)
    {
        var connection = new SqliteConnection($"Data Source={((SqliteRecordStore)store).Path};Foreign Keys=True;Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    protected override string InsertClaimSql(string uid, int generation, string previousGeneration) =>
        "INSERT INTO identity_claims (claim_id, uid, generation, previous_generation, public_key, production_key_id, serial_number, adopted, station, operator, run_id, claimed_at) " +
        $"VALUES ('{Guid.NewGuid()}', '{uid}', {generation}, {previousGeneration}, X'04{new string('5', 128)}', '0123456789abcdef', {900 + generation}, 0, 'raw', 'raw', '{Guid.NewGuid()}', '2026-01-01T00:00:00.000000Z')";

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task OpenAsync_MakesTheFileAndItsFolder_WithTheSchema_AndRefusesAFileOfANewerSchema()
    {
        string path = Path.Combine(_directory, "line-3", "records.sqlite");
        await using (SqliteRecordStore store = await SqliteRecordStore.OpenAsync(path))
            Assert.True((await store.GetSchemaAsync()).IsCurrent);
        Assert.True(File.Exists(path));

        await using (var raw = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await raw.OpenAsync();
            await using SqliteCommand insert = raw.CreateCommand();
            insert.CommandText = "INSERT INTO csa_schema_version VALUES (2, 'from the future', '2030-01-01T00:00:00.000000Z', 'csa 9')";
            await insert.ExecuteNonQueryAsync();
        }
        RecordsException newer = await Assert.ThrowsAsync<RecordsException>(() => SqliteRecordStore.OpenAsync(path));
        Assert.Equal(RecordsError.SchemaNewer, newer.Error);
        Assert.Contains("version 2", newer.Message, StringComparison.Ordinal);

        string empty = Path.Combine(_directory, "empty.sqlite");
        await File.WriteAllBytesAsync(empty, []);
        RecordsException missing = await Assert.ThrowsAsync<RecordsException>(() => SqliteRecordStore.OpenAsync(empty));
        Assert.Equal(RecordsError.SchemaMissing, missing.Error);
        Assert.Contains("csa records init", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task TheBlockingForms_ForScriptsAndPython_OpenTheFile_AndRecordAnInstall()
    {
        string path = NewPath();
        SqliteRecordStore store = SqliteRecordStore.Open(path);
        var recorder = new StationRecorder(store, RecordKit.Origin);
        InstallEntry row = RecordKit.Install(RecordKit.NewUid());
        recorder.RecordInstall(row);
        Assert.Equal(0, recorder.Forward());
        Assert.Equivalent(row, Assert.Single((await SqliteRecordStore.Open(path).QueryAsync(new RecordQuery())).Installs), strict: true);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Journal_KeepsRowsInOrder_UntilMarkedForwarded_AndStaysQueryable()
    {
        await using SqliteRecordStore journal = await SqliteRecordStore.OpenAsync(NewPath());
        var uid = RecordKit.NewUid();
        var items = new[]
        {
            new JournalItem(RecordKit.Provisioned(uid, RecordKit.NewKey(), 3), null, null),
            new JournalItem(null, RecordKit.Install(uid), null),
            new JournalItem(null, null, RecordKit.Void(uid, Guid.NewGuid())),
        };
        foreach (JournalItem item in items)
            await journal.JournalAsync(item);
        await journal.JournalAsync(items[0]);   // kept once
        IReadOnlyList<JournalItem> pending = await journal.ReadPendingAsync();
        Assert.Equal(items.Select(i => i.RecordId), pending.Select(i => i.RecordId));
        Assert.Equivalent(items[1].Install, pending[1].Install, strict: true);
        Assert.Equivalent(items[2].Void, pending[2].Void, strict: true);

        await journal.MarkForwardedAsync(items[1].RecordId, RecordKit.Now);
        await journal.MarkForwardedAsync(items[1].RecordId, RecordKit.Now);
        Assert.Equal([items[0].RecordId, items[2].RecordId], (await journal.ReadPendingAsync()).Select(i => i.RecordId));
        RecordSet rows = await journal.QueryAsync(new RecordQuery { Uid = uid.ToString() });
        Assert.Single(rows.Provisioning);
        Assert.Single(rows.Installs);
    }
}
