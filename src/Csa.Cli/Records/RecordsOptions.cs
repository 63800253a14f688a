using System.CommandLine;
using Csa.Cli.Devices;

namespace Csa.Cli.Records;

/// <summary>
/// The records options of <c>csa provision</c>, <c>csa install</c>, <c>csa update</c> and <c>csa records</c>
/// (docs/cli.md, docs/records.md): where the records go, the journal, the station and the operator.
/// </summary>
internal sealed class RecordsOptions
{
    public Option<string?> Records { get; } = new("--records")
    {
        Description = "Record every device in this store: sqlite:PATH (one station), postgres://[user@]host[:port]/database (a factory; password from PGPASSWORD or ~/.pgpass), or profile:FILE; default $CSA_RECORDS",
    };

    public Option<string?> Journal { get; } = new("--records-journal")
    {
        Description = "The local SQLite journal rows wait in while the PostgreSQL database is unreachable (default: the profile's, $CSA_RECORDS_JOURNAL, or ~/.local/share/csa/records-journal.sqlite)",
    };

    public Option<string?> Station { get; } = new("--station") { Description = "This station's name in the records (default $CSA_STATION, else the machine name)" };

    public Option<string?> Operator { get; } = new("--operator") { Description = "The operator's name in the records (default $CSA_OPERATOR, else the logged-in user)" };

    public Option<string?> Wait { get; } = new("--records-wait")
    {
        Description = "How long provisioning waits for an unreachable records database before refusing a device (default 1m)",
    };

    private readonly bool _stationOptions;

    /// <param name="stationOptions">False for commands that write no device rows (query, init): only --records.</param>
    public RecordsOptions(bool stationOptions = true) => _stationOptions = stationOptions;

    public Command AddTo(Command command)
    {
        command.Options.Add(Records);
        if (_stationOptions)
        {
            command.Options.Add(Journal);
            command.Options.Add(Station);
            command.Options.Add(Operator);
            command.Options.Add(Wait);
        }
        return command;
    }

    public RecordsLocation? ReadLocation(ParseResult parse) => RecordsLocation.Resolve(parse.GetValue(Records));

    public TimeSpan ReadWait(ParseResult parse) =>
        parse.GetValue(Wait) is { } text ? DeviceOptions.ParseDuration(text, "--records-wait") : TimeSpan.FromMinutes(1);
}
