using System.CommandLine;
using Csa.Records;
using Csa.Records.PostgreSql;
using Csa.Records.Sqlite;

namespace Csa.Cli.Records;

/// <summary>
/// The records of one station command: the store (checked before any device is touched), the journal for a PostgreSQL
/// store, and the <see cref="StationRecorder"/> over them. Disposing forwards what the journal holds and says, on
/// standard error, what went to the journal and what still waits there.
/// </summary>
internal sealed class RecordsSession : IAsyncDisposable
{
    private readonly CommandContext _context;
    private readonly List<string> _failures = [];

    private RecordsSession(CommandContext context, IRecordStore store, SqliteRecordStore? journal, StationRecorder recorder)
    {
        _context = context;
        Store = store;
        Journal = journal;
        Recorder = recorder;
    }

    public IRecordStore Store { get; }

    public SqliteRecordStore? Journal { get; }

    public StationRecorder Recorder { get; }

    public RecordOrigin Origin => Recorder.Origin;

    /// <summary>Rows that could be stored nowhere (each a line for standard error); the command exits 3 when there are any.</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>
    /// Opens the records the command line asks for (null when none): a new SQLite file gets its schema; a PostgreSQL
    /// database must answer and hold the current schema, else nothing is done (exit 5 or 3).
    /// </summary>
    public static async Task<RecordsSession?> OpenAsync(CommandContext context, RecordsOptions options, CancellationToken cancellationToken)
    {
        ParseResult parse = context.ParseResult;
        RecordsLocation? location = options.ReadLocation(parse);
        if (location is null)
            return null;
        TimeSpan wait = options.ReadWait(parse);
        var origin = RecordOrigin.ForThisProcess(parse.GetValue(options.Station) ?? location.Station, parse.GetValue(options.Operator) ?? location.Operator);
        try
        {
            IRecordStore store;
            SqliteRecordStore? journal = null;
            if (location.IsPostgres)
            {
                var postgres = (PostgreSqlRecordStore)location.CreateStore();
                await postgres.CheckAsync(cancellationToken).ConfigureAwait(false);
                store = postgres;
                journal = await SqliteRecordStore.OpenAsync(location.JournalPath(parse.GetValue(options.Journal)), cancellationToken).ConfigureAwait(false);
            }
            else
                store = await SqliteRecordStore.OpenAsync(location.Target, cancellationToken).ConfigureAwait(false);
            var recorder = new StationRecorder(store, origin, new StationRecorderOptions { Journal = journal, ClaimWait = wait });
            var session = new RecordsSession(context, store, journal, recorder);
            // Rows an earlier run left in the journal go first; one the database refuses stays there (for
            // `csa records forward` to report) and does not stop this station.
            try
            {
                await recorder.ForwardAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RecordsException e)
            {
                context.Warn($"records: the journal {journal?.Location} could not be forwarded: {e.Message}");
            }
            return session;
        }
        catch (RecordsException e)
        {
            throw RecordsLocation.ToCli(e);
        }
    }

    /// <summary>Stores an install or update row; one that can be stored nowhere is kept as a failure line.</summary>
    public async Task RecordInstallAsync(InstallEntry entry)
    {
        try
        {
            await Recorder.RecordInstallAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RecordsException or IOException or UnauthorizedAccessException)
        {
            lock (_failures)
                _failures.Add($"device {entry.Uid}: the {entry.Operation} record could not be stored: {e.Message}");
        }
    }

    public void AddFailure(string line)
    {
        lock (_failures)
            _failures.Add(line);
    }

    /// <summary>What the JSON documents say about the records.</summary>
    public async Task<object> SummaryAsync() => new
    {
        location = Store.Location,
        station = Origin.Station,
        @operator = Origin.Operator,
        runId = Origin.RunId,
        journal = Journal?.Location,
        journaled = Recorder.Journaled,
        forwarded = Recorder.Forwarded,
        pending = await PendingQuietlyAsync().ConfigureAwait(false),
        failures = Failures,
    };

    private async Task<int> PendingQuietlyAsync()
    {
        try
        {
            await Recorder.ForwardAsync().ConfigureAwait(false);
            return await Recorder.PendingAsync().ConfigureAwait(false);
        }
        catch (RecordsException)
        {
            return -1;
        }
    }

    /// <summary>The exit code after the device work: 3 when a row could be stored nowhere, else <paramref name="code"/>.</summary>
    public int AdjustExitCode(int code)
    {
        foreach (string line in Failures)
            _context.Console.Error.WriteLine($"csa: error: records: {line}");
        return Failures.Count > 0 && code == ExitCodes.Success ? ExitCodes.FileError : code;
    }

    public async ValueTask DisposeAsync()
    {
        int pending = await PendingQuietlyAsync().ConfigureAwait(false);
        await Recorder.DisposeAsync().ConfigureAwait(false);
        if (Recorder.Journaled > 0 || pending != 0)
            _context.Warn($"records: {Recorder.Journaled} row(s) went to the journal {Journal?.Location} while {Store.Location} was unreachable; " +
                $"{Recorder.Forwarded} forwarded, {(pending < 0 ? "an unknown number" : pending.ToString(System.Globalization.CultureInfo.InvariantCulture))} still waiting" +
                (pending != 0 ? " (they are forwarded by the next command, or by `csa records forward`)" : ""));
        await Store.DisposeAsync().ConfigureAwait(false);
        if (Journal is not null)
            await Journal.DisposeAsync().ConfigureAwait(false);
    }
}
