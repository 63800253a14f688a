using System.CommandLine;
using System.Globalization;
using System.Text;
using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;
using Csa.Cli.Records;
using Csa.Records;
using Csa.Records.Sqlite;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa records init|query|forward|void</c>: the production records (docs/records.md): create or migrate the schema,
/// read the device history (table, JSON, CSV and the record-file formats as exports), forward a station's journal, and
/// release an identity claim with a reason (a correction row, never a deletion).
/// </summary>
internal static class RecordsCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("records", "Production records in SQLite or PostgreSQL: create the schema, query the device history, forward a journal, void a claim");
        command.Subcommands.Add(Init(console));
        command.Subcommands.Add(Query(console));
        command.Subcommands.Add(Forward(console));
        command.Subcommands.Add(Void(console));
        return command;
    }

    private static RecordsLocation Require(RecordsOptions options, ParseResult parse) =>
        options.ReadLocation(parse) ?? throw CliException.Usage($"no records store: give --records sqlite:PATH | postgres://... | profile:FILE, or set {RecordsLocation.Variable}");

    private static Command Init(CliConsole console)
    {
        var options = new RecordsOptions(stationOptions: false);
        var command = options.AddTo(new Command("init", "Create the records schema, or migrate it to this tool's version (run once per database, by a user allowed to create tables)"));
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            RecordsLocation location = Require(options, context.ParseResult);
            await using IRecordStore store = location.CreateStore();
            IReadOnlyList<int> applied;
            try
            {
                if (!location.IsPostgres)
                {
                    string? directory = Path.GetDirectoryName(Path.GetFullPath(location.Target));
                    if (directory is not null && !Directory.Exists(directory))
                        throw CliException.File($"the directory of the records file does not exist: {directory}");
                }
                applied = await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RecordsException e)
            {
                throw RecordsLocation.ToCli(e);
            }
            if (context.Json)
                context.WriteJson(new { location = store.Location, version = RecordSchema.Version, applied });
            else
                context.WriteLine(applied.Count == 0
                    ? $"{store.Location}: records schema version {RecordSchema.Version}, already current"
                    : $"{store.Location}: records schema version {RecordSchema.Version} (applied {string.Join(", ", applied)})");
            return ExitCodes.Success;
        });
    }

    private static Command Query(CliConsole console)
    {
        var options = new RecordsOptions(stationOptions: false);
        var uid = new Option<string?>("--uid") { Description = "Only this device (24 hex digits)" };
        var serial = new Option<string?>("--serial") { Description = "Only the device(s) whose certificate has this serial number (decimal or 0x hex): their whole history" };
        var from = new Option<string?>("--from") { Description = "Only rows at or after this time (2026-05-01, 2026-05-01T08:00:00Z; UTC unless an offset is given)" };
        var to = new Option<string?>("--to") { Description = "Only rows before this time" };
        var station = new Option<string?>("--station") { Description = "Only rows written by this station" };
        var kind = new Option<string>("--kind") { Description = "provisioning, installs, claims or all", DefaultValueFactory = _ => "all" };
        var csv = new Option<string?>("--csv") { Description = "Write the rows of one --kind to this CSV file (provisioning: the record-file CSV of `csa provision --record`)" };
        var jsonl = new Option<string?>("--jsonl") { Description = "Write provisioning rows to this file as JSON lines (the record-file format of `csa provision --record`)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --csv / --jsonl file" };
        var command = options.AddTo(new Command("query", "The device history: provisioning, installs and updates, identity claims; by unique id, serial number, time or station")
        {
            uid, serial, from, to, station, kind, csv, jsonl, force,
        });
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            RecordKinds kinds = (parse.GetValue(kind) ?? "all").ToLowerInvariant() switch
            {
                "provisioning" => RecordKinds.Provisioning,
                "installs" or "install" => RecordKinds.Installs,
                "claims" => RecordKinds.Claims,
                "all" => RecordKinds.All,
                string other => throw CliException.Usage($"--kind '{other}': provisioning, installs, claims or all"),
            };
            var query = new RecordQuery
            {
                Uid = parse.GetValue(uid) is { } u ? ParseUid(u) : null,
                SerialNumber = parse.GetValue(serial) is { } s ? ParseSerial(s) : null,
                From = parse.GetValue(from) is { } f ? ParseTime(f, "--from") : null,
                To = parse.GetValue(to) is { } t ? ParseTime(t, "--to") : null,
                Station = parse.GetValue(station),
                Kinds = kinds,
            };
            string? csvPath = parse.GetValue(csv);
            string? jsonlPath = parse.GetValue(jsonl);
            if (csvPath is not null && kinds is not (RecordKinds.Provisioning or RecordKinds.Installs or RecordKinds.Claims))
                throw CliException.Usage("--csv writes one table: give --kind provisioning, installs or claims");
            if (jsonlPath is not null && kinds != RecordKinds.Provisioning)
                throw CliException.Usage("--jsonl writes provisioning rows: give --kind provisioning");
            foreach (string? output in new[] { csvPath, jsonlPath })
            {
                if (output is not null && File.Exists(output) && !parse.GetValue(force))
                    throw CliException.File($"{output} exists (--force replaces it)");
            }

            RecordsLocation location = Require(options, parse);
            await using IRecordStore store = location.CreateStore();
            RecordSet rows;
            try
            {
                if (!location.IsPostgres && !File.Exists(location.Target))
                    throw CliException.File($"records file not found: {Path.GetFullPath(location.Target)}");
                rows = await store.QueryAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordsException e)
            {
                throw RecordsLocation.ToCli(e);
            }

            if (csvPath is not null)
                await AtomicFile.WriteAllTextAsync(csvPath, kinds switch
                {
                    RecordKinds.Provisioning => RecordsCsv.Provisioning(rows.Provisioning),
                    RecordKinds.Installs => RecordsCsv.Installs(rows.Installs),
                    _ => RecordsCsv.Claims(rows.Claims),
                }, cancellationToken).ConfigureAwait(false);
            if (jsonlPath is not null)
            {
                var text = new StringBuilder();
                foreach (ProvisioningEntry row in rows.Provisioning)
                    text.Append(row.ToExportRecord().ToJsonLine()).Append('\n');
                await AtomicFile.WriteAllTextAsync(jsonlPath, text.ToString(), cancellationToken).ConfigureAwait(false);
            }

            if (context.Json)
                context.WriteJson(new
                {
                    location = store.Location,
                    provisioning = rows.Provisioning.Select(RecordsJson.Of),
                    installs = rows.Installs.Select(RecordsJson.Of),
                    claims = rows.Claims.Select(RecordsJson.Of),
                });
            else if (csvPath is null && jsonlPath is null)
                WriteTables(context, kinds, rows);
            else
                context.WriteLine($"{rows.Provisioning.Count + rows.Installs.Count + rows.Claims.Count} row(s) written");
            return ExitCodes.Success;
        });
    }

    private static Command Forward(CliConsole console)
    {
        var options = new RecordsOptions();
        var command = options.AddTo(new Command("forward", "Forward the rows a station's journal holds (kept while the PostgreSQL database was unreachable) to the database"));
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            if (Require(options, context.ParseResult) is { IsPostgres: false })
                throw CliException.Usage("forward is for a PostgreSQL store: an SQLite store has no journal");
            await using RecordsSession session = (await RecordsSession.OpenAsync(context, options, cancellationToken).ConfigureAwait(false))!;
            int forwarded = session.Recorder.Forwarded + await session.Recorder.ForwardAsync(cancellationToken).ConfigureAwait(false);
            int pending = await session.Recorder.PendingAsync(cancellationToken).ConfigureAwait(false);
            if (context.Json)
                context.WriteJson(new { location = session.Store.Location, journal = session.Journal!.Location, forwarded, pending });
            else
                context.WriteLine($"{forwarded} row(s) forwarded from {session.Journal!.Location} to {session.Store.Location}; {pending} waiting");
            return pending == 0 ? ExitCodes.Success : ExitCodes.Unreachable;
        });
    }

    private static Command Void(CliConsole console)
    {
        var options = new RecordsOptions();
        var uid = new Argument<string>("uid") { Description = "The device whose current identity claim is released (24 hex digits)" };
        var reason = new Option<string>("--reason") { Description = "Why (recorded with the operator and the time), e.g. 'certificate never reached the board: blank after power cut'", Required = true };
        var command = options.AddTo(new Command("void", "Release a device's identity claim (a correction row): its unique id may then be certified with a new key")
        {
            uid, reason,
        });
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            string device = ParseUid(parse.GetValue(uid)!);
            string why = parse.GetValue(reason)!.Trim();
            if (why.Length == 0)
                throw CliException.Usage("--reason is empty: say why the claim is released");
            RecordsLocation location = Require(options, parse);
            await using IRecordStore store = location.CreateStore();
            var origin = RecordOrigin.ForThisProcess(parse.GetValue(options.Station) ?? location.Station, parse.GetValue(options.Operator) ?? location.Operator);
            IdentityClaimEntry? voided;
            try
            {
                voided = await store.VoidClaimAsync(new ClaimVoidEntry
                {
                    RecordId = Guid.NewGuid(),
                    Uid = device,
                    Reason = why,
                    Station = origin.Station,
                    Operator = origin.Operator,
                    RunId = origin.RunId,
                    VoidedAt = RecordTime.Truncate(DateTimeOffset.UtcNow),
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordsException e)
            {
                throw RecordsLocation.ToCli(e);
            }
            if (voided is null)
                throw new CliException(ExitCodes.Failed, $"device {device} has no current identity claim in {store.Location}: nothing to void");
            if (context.Json)
                context.WriteJson(new { location = store.Location, voided = RecordsJson.Of(voided) });
            else
                context.WriteLine($"claim of {device} (generation {voided.Generation}, key id {voided.KeyId}, serial {voided.SerialNumber}) voided by {origin.Operator} at {origin.Station}: {why}");
            return ExitCodes.Success;
        });
    }

    private static void WriteTables(CommandContext context, RecordKinds kinds, RecordSet rows)
    {
        if (kinds.HasFlag(RecordKinds.Provisioning))
        {
            var table = new Table().Title("provisioning").AddColumns("time (UTC)", "device", "event", "serial", "identity key id", "station", "operator", "error");
            foreach (ProvisioningEntry r in rows.Provisioning)
                table.AddRow(Time(r.RecordedAt), r.Uid, r.Event.ToString(), r.SerialNumber?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    r.PublicKey is null ? "-" : KeyId(r.PublicKey), Markup.Escape(r.Station), Markup.Escape(r.Operator), Markup.Escape(r.ErrorCode ?? ""));
            context.Out.Write(table);
        }
        if (kinds.HasFlag(RecordKinds.Installs))
        {
            var table = new Table().Title("installs and updates").AddColumns("started (UTC)", "device", "operation", "image", "SHA-256", "result", "bytes", "station", "operator", "error");
            foreach (InstallEntry r in rows.Installs)
                table.AddRow(Time(r.StartedAt), r.Uid, r.Operation, r.ImageKind is null ? "-" : $"{r.ImageKind} {r.Version} (counter {r.SecurityCounter})",
                    r.ImageSha256 is null ? "-" : Convert.ToHexString(r.ImageSha256)[..16].ToLowerInvariant(), r.Result.ToString(),
                    r.BytesSent.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Station), Markup.Escape(r.Operator), Markup.Escape(r.ErrorCode ?? ""));
            context.Out.Write(table);
        }
        if (kinds.HasFlag(RecordKinds.Claims))
        {
            var table = new Table().Title("identity claims").AddColumns("claimed (UTC)", "device", "generation", "serial", "identity key id", "station", "operator", "status");
            foreach (IdentityClaimEntry c in rows.Claims)
                table.AddRow(Time(c.ClaimedAt), c.Uid, c.Generation.ToString(CultureInfo.InvariantCulture), c.SerialNumber.ToString(CultureInfo.InvariantCulture), c.KeyId,
                    Markup.Escape(c.Station), Markup.Escape(c.Operator), c.Void is null ? (c.Adopted ? "holds (adopted)" : "holds") : Markup.Escape($"voided: {c.Void.Reason}"));
            context.Out.Write(table);
        }
        context.WriteLine($"{rows.Provisioning.Count} provisioning, {rows.Installs.Count} install/update, {rows.Claims.Count} claim row(s)");
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string KeyId(byte[] publicKey) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(publicKey).AsSpan(0, 8)).ToLowerInvariant();

    private static string ParseUid(string text)
    {
        try
        {
            return DeviceUid.Parse(text).ToString();
        }
        catch (FormatException e)
        {
            throw CliException.Usage($"'{text}' is not a unique id: {e.Message}");
        }
    }

    private static uint ParseSerial(string text) =>
        Images.ImageOptionParsers.TryParseUInt32(text, out uint value) && value != 0
            ? value
            : throw CliException.Usage($"--serial '{text}': a nonzero 32-bit number, decimal or 0x hex");

    private static DateTimeOffset ParseTime(string text, string option) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time)
            ? time
            : throw CliException.Usage($"{option} '{text}': a date or time, e.g. 2026-05-01 or 2026-05-01T08:00:00Z");
}
