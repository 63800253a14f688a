using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Csa.Records.Tests;

/// <summary>
/// A PostgreSQL server of the tests' own: Debian's <c>postgresql</c> binaries (<c>initdb</c>, <c>pg_ctl</c>), a data
/// directory in a temporary folder, a free port on 127.0.0.1, password authentication (scram-sha-256) for user
/// <c>csa</c>. The server refuses to run as root, so as root every server command runs as the <c>postgres</c> user
/// (<c>runuser -u postgres --</c>), which owns the folder. When the binaries or that user are missing, creating the fixture
/// throws with what to install: the tests fail, they do not pass by skipping. docs/records.md section 7.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    // As root the server runs as postgres, which must reach the folder: /tmp, whatever TMPDIR says (it may be under /root).
    private readonly string _root = Environment.IsPrivilegedProcess
        ? Directory.CreateDirectory(Path.Combine("/tmp", "csa-pg-" + Guid.NewGuid().ToString("N")[..12])).FullName
        : Directory.CreateTempSubdirectory("csa-pg-").FullName;
    private string _bin = "";
    private bool _asPostgresUser;

    public string Password { get; } = "csa-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    public const string User = "csa";

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string Log => File.Exists(Path.Combine(_root, "server.log")) ? File.ReadAllText(Path.Combine(_root, "server.log")) : "";

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        _asPostgresUser = Environment.IsPrivilegedProcess;
        if (_asPostgresUser)
        {
            if (Run("id", ["-u", "postgres"], throwOnFailure: false).Code != 0)
                throw new InvalidOperationException("PostgreSQL refuses to run as root and there is no 'postgres' user to run it as: install Debian's postgresql package (it makes the user) or run the tests as an ordinary user.");
            Run("chown", ["postgres:postgres", _root]);
        }
        string pwfile = Path.Combine(_root, "pwfile");
        await File.WriteAllTextAsync(pwfile, Password + "\n");
        if (_asPostgresUser)
            Run("chown", ["postgres:postgres", pwfile]);
        Server("initdb", ["-D", DataDirectory, "-U", User, "--pwfile", pwfile, "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"]);
        Port = FreePort();
        await StartAsync();
    }

    /// <summary>Starts the server (again) on its port and waits until it accepts connections.</summary>
    public Task StartAsync()
    {
        Server("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "120",
            "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"]);
        return Task.CompletedTask;
    }

    /// <summary>Stops the server: <c>fast</c> ends every session at once (what a lost database looks like to a station).</summary>
    public void Stop(string mode = "fast") => Server("pg_ctl", ["-D", DataDirectory, "-w", "-t", "120", "-m", mode, "stop"]);

    public bool IsRunning => Server("pg_ctl", ["-D", DataDirectory, "status"], throwOnFailure: false).Code == 0;

    /// <summary>A new empty database; its Npgsql connection string (with the password: the tests' own server).</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "records")
    {
        string name = prefix + "_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return ConnectionString(name);
    }

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Database = database, Username = User, Password = Password, Pooling = false }.ConnectionString;

    /// <summary>The URI a station is given (no password: that comes from PGPASSWORD).</summary>
    public string Uri(string connectionString) => $"postgres://{User}@127.0.0.1:{Port}/{new NpgsqlConnectionStringBuilder(connectionString).Database}";

    public Task DisposeAsync()
    {
        try
        {
            if (IsRunning)
                Stop("immediate");
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
        return Task.CompletedTask;
    }

    private static string FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("CSA_PG_BIN") is { Length: > 0 } configured)
            candidates.Add(configured);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string initdb = Path.Combine(dir, "initdb");
            if (File.Exists(initdb))
                candidates.Add(Path.GetDirectoryName(new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb)!);
        }
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : 0).Select(d => Path.Combine(d, "bin")));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) not found in CSA_PG_BIN, on PATH or under /usr/lib/postgresql/*/bin: " +
                "install Debian's postgresql package (`apt-get install -y --no-install-recommends postgresql`; .ci/run does) or set CSA_PG_BIN to their folder.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private (int Code, string Output) Server(string tool, string[] args, bool throwOnFailure = true) =>
        _asPostgresUser
            ? Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args], throwOnFailure)
            : Run(Path.Combine(_bin, tool), args, throwOnFailure);

    private (int Code, string Output) Run(string file, string[] args, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _root };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        output.Append(stdout.Result).Append(stderr.Result);
        if (throwOnFailure && process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed (exit {process.ExitCode}): {output}\n{Log}");
        return (process.ExitCode, output.ToString());
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
