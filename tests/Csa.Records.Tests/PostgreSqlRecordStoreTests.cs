using System.Data.Common;
using Csa.Records.PostgreSql;
using Npgsql;

namespace Csa.Records.Tests;

/// <summary>The store contract on PostgreSQL (a server of the tests' own, <see cref="PostgresServer"/>), and its connection rules.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlRecordStoreTests(PostgresServer server) : RecordStoreContract
{
    private readonly Dictionary<IRecordStore, string> _connections = [];

    protected override async Task<IRecordStore> NewStoreAsync()
    {
        string connectionString = await server.CreateDatabaseAsync();
        var store = new PostgreSqlRecordStore(connectionString);
        Assert.Equal([1], await store.InitializeAsync());
        _connections[store] = connectionString;
        return store;
    }

    protected override async Task<DbConnection> RawAsync(IRecordStore store)
    {
        var connection = new NpgsqlConnection(_connections[store]);
        await connection.OpenAsync();
        return connection;
    }

    protected override string InsertClaimSql(string uid, int generation, string previousGeneration) =>
        "INSERT INTO identity_claims (claim_id, uid, generation, previous_generation, public_key, production_key_id, serial_number, adopted, station, operator, run_id, claimed_at) " +
        $"VALUES ('{Guid.NewGuid()}', '{uid}', {generation}, {previousGeneration}, '\\x04{new string('5', 128)}', '0123456789abcdef', {900 + generation}, 0, 'raw', 'raw', '{Guid.NewGuid()}', now())";

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task AStoreWithoutSchema_RefusesToWrite_AndSaysToRunInit_AndStationsInitializingAtOnceMigrateOnce()
    {
        string connectionString = await server.CreateDatabaseAsync();
        var store = new PostgreSqlRecordStore(connectionString);
        RecordsException missing = await Assert.ThrowsAsync<RecordsException>(() => store.AppendAsync(RecordKit.Install(RecordKit.NewUid())));
        Assert.Equal(RecordsError.SchemaMissing, missing.Error);
        Assert.Contains("csa records init", missing.Message, StringComparison.Ordinal);

        IReadOnlyList<int>[] applied = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => new PostgreSqlRecordStore(connectionString).InitializeAsync()));
        Assert.Equal(1, applied.Count(a => a.SequenceEqual([1])));
        Assert.Equal(3, applied.Count(a => a.Count == 0));
        await store.CheckAsync();
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task AStoppedPort_IsUnavailable_NotAnotherError()
    {
        var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString("postgres")) { Port = PortWithNothingOnIt() };
        var store = new PostgreSqlRecordStore(builder.ConnectionString);
        RecordsException e = await Assert.ThrowsAsync<RecordsException>(() => store.AppendAsync(RecordKit.Install(RecordKit.NewUid())));
        Assert.Equal(RecordsError.Unavailable, e.Error);
        Assert.Contains($":{builder.Port}/postgres", e.Message, StringComparison.Ordinal);
    }

    internal static int PortWithNothingOnIt()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [InlineData("postgres://csa:secret@db.factory/production")]
    [InlineData("postgres://csa@db.factory/production?password=secret")]
    public void APasswordInTheUri_IsRefused_AndNotRepeated(string uri)
    {
        RecordsException e = Assert.Throws<RecordsException>(() => PostgreSqlLocation.ToConnectionString(uri));
        Assert.Equal(RecordsError.InvalidLocation, e.Error);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
        Assert.Contains("PGPASSWORD", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public void AUri_BecomesTheConnectionString_WithThePasswordFromTheEnvironment()
    {
        string text = PostgreSqlLocation.ToConnectionString("postgresql://station@db.factory:6543/prod%20records?sslmode=require&connect_timeout=7&application_name=line-3", "from-profile");
        var built = new NpgsqlConnectionStringBuilder(text);
        Assert.Equal(("db.factory", 6543, "prod records", "station", "from-profile", SslMode.Require, 7, "line-3"),
            (built.Host, built.Port, built.Database, built.Username, built.Password, built.SslMode, built.Timeout, built.ApplicationName));
        RecordsException e = Assert.Throws<RecordsException>(() => PostgreSqlLocation.ToConnectionString("postgres://db/prod?sslmod=require"));
        Assert.Contains("unknown parameter 'sslmod'", e.Message, StringComparison.Ordinal);
    }
}
