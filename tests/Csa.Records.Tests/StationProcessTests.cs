using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Cli.Simulation;
using Csa.Crypto;
using Csa.Records.PostgreSql;
using Csa.Records.Sqlite;
using Csa.Simulator.Flash;
using Npgsql;

namespace Csa.Records.Tests;

/// <summary>
/// Station processes against one PostgreSQL database (docs/records.md section 7): the built <c>csa provision</c> in
/// separate processes, each with its own <c>sim:</c> devices. Several provision at once, two of them given the same unique
/// ids (each chip makes its own key, as a counterfeit or a mix-up would); and a station whose database is stopped in
/// the middle of its batch.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StationProcessTests(PostgresServer server, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly EcP256PrivateKey s_production = KeyGenerator.Generate(KeyRole.Production);
    private readonly string _directory = Directory.CreateTempSubdirectory("csa-stations-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (string Private, string Public) ProductionKeyFiles()
    {
        string privatePath = Path.Combine(_directory, "production.pem"), publicPath = Path.Combine(_directory, "production.pub.pem");
        if (!File.Exists(privatePath))
        {
            s_production.Save(privatePath);
            s_production.PublicKey.Save(publicPath);
        }
        return (privatePath, publicPath);
    }

    private StationProcess Station(string name, string uri, int first, int devices, string timing, params string[] more)
    {
        (string privateKey, string publicKey) = ProductionKeyFiles();
        string state = Path.Combine(_directory, name);
        return StationProcess.Start(name, server.Password,
        [
            "provision", "--link", $"sim:chain?devices={devices}&first={first}&production={publicKey}&timing={timing}&state={state}",
            "--production-key", privateKey, "--vendor", "0x00C5A000", "--device-class", "1",
            "--records", uri, "--records-journal", Path.Combine(_directory, name + "-journal.sqlite"),
            "--station", name, "--operator", "op-" + name, "--json", .. more,
        ]);
    }

    private bool Certified(string station, int position) =>
        File.Exists(Path.Combine(_directory, station, $"device-{position}.identity.keystore.certified"));

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task FourStationProcesses_AtOnce_TwoGivenTheSameUids_EachUidIsCertifiedExactlyOnce_AndTheLosersStayBlank()
    {
        string connectionString = await server.CreateDatabaseAsync();
        var store = new PostgreSqlRecordStore(connectionString);
        await store.InitializeAsync();
        string uri = server.Uri(connectionString);
        Assert.DoesNotContain(server.Password, uri, StringComparison.Ordinal);

        // A and B simulate the same four boards (numbers 0-3: the same unique ids, each chip its own key); C and D others.
        StationProcess[] stations =
        [
            Station("A", uri, 0, 4, "instant", "--parallel", "4"),
            Station("B", uri, 0, 4, "instant", "--parallel", "4"),
            Station("C", uri, 4, 4, "instant", "--parallel", "2"),
            Station("D", uri, 8, 4, "instant", "--parallel", "2"),
        ];
        try
        {
            await Task.WhenAll(stations.Select(s => s.WaitAsync()));
            Assert.True(stations[2].ExitCode == 0, stations[2].ToString());
            Assert.True(stations[3].ExitCode == 0, stations[3].ToString());
            foreach (StationProcess contested in stations[..2])
                Assert.True(contested.ExitCode is 0 or 8, contested.ToString());

            // Per contested unique id: exactly one station provisioned it; the other got NotAuthorized naming the winner.
            DeviceUid[] contestedUids = Enumerable.Range(0, 4).Select(i => VirtualFleet.UidFor(FlashFamily.Stm32F4, i)).ToArray();
            for (int i = 0; i < 4; i++)
            {
                string uid = contestedUids[i].ToString();
                JsonElement a = Row(stations[0], uid), b = Row(stations[1], uid);
                string[] outcomes = [a.GetProperty("outcome").GetString()!, b.GetProperty("outcome").GetString()!];
                Assert.True(outcomes.Count(o => o == "Provisioned") == 1, $"{uid}: {string.Join(", ", outcomes)}\n{stations[0]}\n{stations[1]}");
                JsonElement loser = outcomes[0] == "Provisioned" ? b : a;
                string winner = outcomes[0] == "Provisioned" ? "A" : "B";
                Assert.Equal("Failed", loser.GetProperty("outcome").GetString());
                Assert.Contains($"station '{winner}'", loser.GetProperty("error").GetString(), StringComparison.Ordinal);
                Assert.Contains("already bound to another identity key", loser.GetProperty("error").GetString(), StringComparison.Ordinal);
                // The loser's chip holds no certificate: it stays blank; the winner's is certified.
                output.WriteLine($"{uid}: won by station {winner}; the other: {loser.GetProperty("error").GetString()}");
                Assert.Equal(winner == "A", Certified("A", i));
                Assert.Equal(winner == "B", Certified("B", i));
            }

            RecordSet rows = await store.QueryAsync(new RecordQuery());
            Assert.Equal(12, rows.Claims.Count);
            Assert.Equal(12, rows.Claims.Select(c => c.Uid).Distinct().Count());
            Assert.Equal(12, rows.Claims.Select(c => c.SerialNumber).Distinct().Count());
            Assert.All(rows.Claims, c => Assert.Null(c.Void));
            // Nothing half-written: every claim has its certificate issued and its device provisioned; the losers have a
            // Failed row and no issued certificate at all.
            Assert.Equal(12, rows.Provisioning.Count(r => r.Event == ProvisioningEvent.Issued));
            Assert.Equal(12, rows.Provisioning.Count(r => r.Event == ProvisioningEvent.Provisioned));
            ProvisioningEntry[] refused = rows.Provisioning.Where(r => r.Event == ProvisioningEvent.Failed).ToArray();
            Assert.Equal(4, refused.Length);
            Assert.All(refused, r => Assert.Equal("NotAuthorized", r.ErrorCode));
            foreach (IdentityClaimEntry claim in rows.Claims)
            {
                ProvisioningEntry issued = rows.Provisioning.Single(r => r.Event == ProvisioningEvent.Issued && r.Uid == claim.Uid);
                Assert.Equal(claim.Station, issued.Station);
                Assert.Equal(claim.SerialNumber, issued.SerialNumber);
                Assert.Equal(claim.PublicKey, issued.PublicKey);
                Assert.Equal("op-" + claim.Station, issued.Operator);
            }
            Assert.All(stations, s => Assert.Equal(0, s.Json().GetProperty("records").GetProperty("journaled").GetInt32()));
        }
        finally
        {
            foreach (StationProcess station in stations)
                await station.DisposeAsync();
        }
    }

    private static JsonElement Row(StationProcess station, string uid) =>
        station.Json().GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("uid").GetString() == uid);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task AStationProcess_WhoseDatabaseIsStoppedMidBatch_JournalsLocally_ForwardsWhenItIsBack_AndLosesNothing()
    {
        const int Devices = 5;
        string connectionString = await server.CreateDatabaseAsync();
        var store = new PostgreSqlRecordStore(connectionString);
        await store.InitializeAsync();
        string journalPath = Path.Combine(_directory, "E-journal.sqlite");

        // Worst-case flash timing: storing a certificate erases a 16 KB sector (800 ms), so a device sits between its
        // "issued" row and its result long enough for the database to be stopped right there.
        await using StationProcess station = Station("E", server.Uri(connectionString), 20, Devices, "worst", "--parallel", "1", "--records-wait", "5m");
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        // Stop the database while a device sits between its "issued" row and its result. Stopping a server takes
        // longer than the device's 800 ms under load, so the station is frozen (SIGSTOP) the moment the window is
        // seen, the database stopped, and the station thawed: it finds the database gone when it writes the result,
        // as it would had the server crashed right then. Only the few milliseconds between seeing the window and the
        // freeze can miss it; a missed window (the result got there first: nothing reaches the journal) is given 30 s
        // and the next device is tried.
        bool journaledRow = false;
        for (int target = 2; !journaledRow; target++)
        {
            Assert.True(target <= Devices, "no device's result went to the journal in any window: " + station);
            target = await WaitForIssuedWithoutResultAsync(connectionString, station, target, guard.Token);
            station.Freeze();
            try
            {
                server.Stop("immediate");
            }
            finally
            {
                station.Thaw();
            }
            try
            {
                // The station keeps working into its journal; the server returns once the journal holds a row.
                using var window = CancellationTokenSource.CreateLinkedTokenSource(guard.Token);
                window.CancelAfter(TimeSpan.FromSeconds(30));
                while (!window.IsCancellationRequested && !journaledRow)
                {
                    if (File.Exists(journalPath))
                    {
                        await using var journal = new SqliteRecordStore(journalPath);
                        journaledRow = (await journal.ReadPendingAsync(guard.Token)).Count > 0;
                    }
                    if (!journaledRow)
                        await Task.Delay(50, guard.Token);
                }
            }
            finally
            {
                await server.StartAsync();
            }
        }

        await station.WaitAsync();
        Assert.True(station.ExitCode == 0, station.ToString());
        JsonElement records = station.Json().GetProperty("records");
        int journaled = records.GetProperty("journaled").GetInt32();
        Assert.True(journaled >= 1, station.ToString());
        output.WriteLine($"journaled {journaled}, forwarded {records.GetProperty("forwarded").GetInt32()}, pending {records.GetProperty("pending").GetInt32()}; stderr: {station.Error}");
        Assert.Equal(journaled, records.GetProperty("forwarded").GetInt32());
        Assert.Equal(0, records.GetProperty("pending").GetInt32());
        Assert.Contains("went to the journal", station.Error, StringComparison.Ordinal);

        RecordSet rows = await store.QueryAsync(new RecordQuery());
        Assert.Equal(Devices, rows.Claims.Count);
        Assert.Equal(Devices, rows.Provisioning.Count(r => r.Event == ProvisioningEvent.Issued));
        Assert.Equal(Devices, rows.Provisioning.Count(r => r.Event == ProvisioningEvent.Provisioned));
        Assert.Equal(rows.Provisioning.Count, rows.Provisioning.Select(r => r.RecordId).Distinct().Count());
        for (int i = 0; i < Devices; i++)
            Assert.True(Certified("E", i));
        await using var kept = new SqliteRecordStore(journalPath);
        Assert.Empty(await kept.ReadPendingAsync());
        Assert.Equal(journaled, (await kept.QueryAsync(new RecordQuery())).Provisioning.Count);
    }

    /// <summary>Waits until device number <paramref name="target"/> (or a later one) has its "issued" row and no result yet; returns its number.</summary>
    private static async Task<int> WaitForIssuedWithoutResultAsync(string connectionString, StationProcess station, int target, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        while (true)
        {
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE event = 'Issued') - count(*) FILTER (WHERE event <> 'Issued'), count(*) FILTER (WHERE event = 'Issued') FROM provisioning_records", connection);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (reader.GetInt64(0) == 1 && reader.GetInt64(1) >= target)
                return (int)reader.GetInt64(1);
            Assert.False(station.Output.Length > 0, "the station ended before the database could be stopped: " + station);
            await Task.Delay(20, cancellationToken);
        }
    }
}
