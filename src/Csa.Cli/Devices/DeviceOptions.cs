using System.CommandLine;
using System.Globalization;
using Csa.Cli.Profiles;

namespace Csa.Cli.Devices;

/// <summary>
/// The options every device command shares: which links to open, which devices to act on, and the short timeouts a
/// command-line tool needs (an unreachable device must end the command in seconds, not minutes). One instance per command.
/// </summary>
internal sealed class DeviceOptions
{
    public Option<string[]> Links { get; } = new("--link", "-l")
    {
        Description = "A link to open (repeatable): tcp://HOST:PORT, serial:/dev/ttyUSB0?baud=115200, serial:auto, i2c:/dev/i2c-1?address=0x42, spi:/dev/spidev0.0?mode=0&speed=1000000, sim:?devices=3&topology=chain; default: --profile, CSA_LINK, CSA_PROFILE, the default profile (see docs/cli.md)",
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<string> Profile { get; } = new("--profile")
    {
        Description = "A connection profile ('csa profile add'): its links, baud and timeouts; --link, --timeout, --retries and --connect-timeout given here win",
    };

    public Option<string[]> Device { get; } = new("--device", "-d")
    {
        Description = "A device to act on (repeatable): its unique id (24 hex digits) or its address (0x01)",
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<bool> All { get; } = new("--all") { Description = "Act on every device found" };

    public Option<string> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = "How long opening one link may take (500ms, 5s; a bare number is milliseconds; default 5s)",
    };

    public Option<string> Timeout { get; } = new("--timeout")
    {
        Description = "How long one command to a device may take before it is sent again (see --retries); 500ms, 2s (default 1s)",
    };

    public Option<int?> Retries { get; } = new("--retries")
    {
        Description = "How many times a command that got no answer within --timeout is sent again, 0..20 (default 2: three attempts)",
    };

    /// <summary>Adds the options to <paramref name="command"/> (selection only where it means something).</summary>
    public Command AddTo(Command command, bool selection = true)
    {
        command.Options.Add(Links);
        command.Options.Add(Profile);
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

    /// <summary>
    /// The settings: links from <c>--link</c>, else from the profile <c>--profile</c> names, else <c>CSA_LINK</c> (link URIs
    /// separated by whitespace), else the profile <c>CSA_PROFILE</c> names, else the default profile; timeouts and retries
    /// from the command line, else from the profile in use (one named with <c>--profile</c>, or the one the links came
    /// from), else the defaults (connect 5 s, command 1 s, 2 retries).
    /// </summary>
    /// <exception cref="CliException">No link from anywhere, or a bad value (exit 2); a bad profiles file (exit 3 or 4).</exception>
    public LinkSettings Read(ParseResult parse)
    {
        string[] links = parse.GetValue(Links) ?? [];
        (string Name, ConnectionProfile Profile)? profile = null;
        Profiles.ProfileStore? store = null;
        if (parse.GetValue(Profile) is { } named)
        {
            store = Profiles.ProfileStore.Load();
            profile = (named, store.Get(named));
        }
        if (links.Length == 0)
        {
            if (profile is { } p)
                links = p.Profile.ResolvedLinks.ToArray();
            else if (CliEnvironment.Get(LinkVariable) is { Length: > 0 } fromEnvironment && fromEnvironment.Trim().Length > 0)
                links = fromEnvironment.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            else
            {
                store ??= Profiles.ProfileStore.Load();
                string? name = CliEnvironment.Get(ProfileVariable) is { Length: > 0 } fromVariable ? fromVariable : store.DefaultName;
                if (name is not null)
                {
                    profile = (name, store.Get(name));
                    links = profile.Value.Profile.ResolvedLinks.ToArray();
                }
            }
        }
        if (links.Length == 0)
            throw CliException.Usage($"no link: give --link URI (or --profile NAME, {LinkVariable}, {ProfileVariable} or a default profile: docs/cli.md \"Connection profiles\")");
        ConnectionProfile? used = profile?.Profile;
        return new LinkSettings(
            links,
            ParseDuration(parse.GetValue(ConnectTimeout) ?? used?.ConnectTimeout ?? "5s", "--connect-timeout"),
            ParseDuration(parse.GetValue(Timeout) ?? used?.Timeout ?? "1s", "--timeout"),
            AttemptsOf(parse.GetValue(Retries) ?? used?.Retries),
            profile?.Name);
    }

    /// <summary>The environment variable that gives the links when the command line names none.</summary>
    public const string LinkVariable = "CSA_LINK";

    /// <summary>The environment variable that names the profile to use when the command line names no link.</summary>
    public const string ProfileVariable = "CSA_PROFILE";

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
/// <param name="Profile">The connection profile in use, if any.</param>
internal sealed record LinkSettings(IReadOnlyList<string> Links, TimeSpan ConnectTimeout, TimeSpan CommandTimeout, int CommandAttempts = DeviceOptions.DefaultRetries + 1,
    string? Profile = null);
