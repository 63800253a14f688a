using System.CommandLine;
using System.Globalization;

namespace Csa.Cli.Devices;

/// <summary>
/// The options every device command shares: which links to open, which devices to act on, and the short timeouts a
/// command-line tool needs (an unreachable device must end the command in seconds, not minutes). One instance per command.
/// </summary>
internal sealed class DeviceOptions
{
    public Option<string[]> Links { get; } = new("--link", "-l")
    {
        Description = "A link to open (repeatable): tcp://HOST:PORT, serial:/dev/ttyUSB0?baud=115200, i2c:/dev/i2c-1?address=0x42, spi:/dev/spidev0.0?mode=0&speed=1000000, sim:?devices=3&topology=chain (see docs/cli.md)",
        Required = true,
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<string[]> Device { get; } = new("--device", "-d")
    {
        Description = "A device to act on (repeatable): its unique id (24 hex digits) or its address (0x01)",
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<bool> All { get; } = new("--all") { Description = "Act on every device found" };

    public Option<string> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = "How long opening one link may take (500ms, 5s; a bare number is milliseconds)",
        DefaultValueFactory = _ => "5s",
    };

    public Option<string> Timeout { get; } = new("--timeout")
    {
        Description = "How long one command to a device may take before it is sent again (see --retries); 500ms, 2s",
        DefaultValueFactory = _ => "1s",
    };

    public Option<int?> Retries { get; } = new("--retries")
    {
        Description = "How many times a command that got no answer within --timeout is sent again, 0..20 (default 2: three attempts)",
    };

    /// <summary>Adds the options to <paramref name="command"/> (selection only where it means something).</summary>
    public Command AddTo(Command command, bool selection = true)
    {
        command.Options.Add(Links);
        if (selection)
        {
            command.Options.Add(Device);
            command.Options.Add(All);
        }
        command.Options.Add(ConnectTimeout);
        command.Options.Add(Timeout);
        command.Options.Add(Retries);
        return command;
    }

    /// <summary>The settings the command line gave.</summary>
    public LinkSettings Read(ParseResult parse) => new(
        parse.GetValue(Links) ?? [],
        ParseDuration(parse.GetValue(ConnectTimeout) ?? "5s", "--connect-timeout"),
        ParseDuration(parse.GetValue(Timeout) ?? "1s", "--timeout"),
        AttemptsOf(parse.GetValue(Retries)));

    /// <summary>The default number of times a command is sent again (the SDK's 3 attempts).</summary>
    public const int DefaultRetries = 2;

    /// <summary>The attempts for <c>--retries N</c>: N + 1.</summary>
    public static int AttemptsOf(int? retries) => retries switch
    {
        null => DefaultRetries + 1,
        >= 0 and <= 20 => retries.Value + 1,
        _ => throw CliException.Usage($"--retries {retries}: 0..20 (how many times a command is sent again)"),
    };

    public DeviceSelection ReadSelection(ParseResult parse) => new(parse.GetValue(Device) ?? [], parse.GetValue(All));

    /// <summary>Parses <c>500ms</c>, <c>2s</c>, <c>1.5s</c>, <c>1m</c>; a bare number is milliseconds (as in link URIs).</summary>
    public static TimeSpan ParseDuration(string text, string option)
    {
        string t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 1.0)
            : t.EndsWith('s') ? (t[..^1], 1000.0)
            : t.EndsWith('m') ? (t[..^1], 60_000.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || value <= 0 || value * scale > 3_600_000)
            throw CliException.Usage($"{option}: '{text}' is not a duration (e.g. 500ms, 2s; at most 1 hour)");
        return TimeSpan.FromMilliseconds(value * scale);
    }
}

/// <summary>Links and timeouts for one command.</summary>
/// <param name="Links">The link URIs.</param>
/// <param name="ConnectTimeout">How long opening one link may take.</param>
/// <param name="CommandTimeout">How long one command attempt waits for its answer.</param>
/// <param name="CommandAttempts">How many times a command is sent in all (<c>--retries</c> + 1).</param>
internal sealed record LinkSettings(IReadOnlyList<string> Links, TimeSpan ConnectTimeout, TimeSpan CommandTimeout, int CommandAttempts = DeviceOptions.DefaultRetries + 1);
