using System.CommandLine;
using Csa.Cli.Devices;
using Csa.Cli.Profiles;
using Csa.DataLink.Transports;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa profile add|list|show|remove</c>: named connections (mcumgr <c>conn add|show|delete</c>), so a bench's links,
/// bit rate and timeouts are typed once and device commands take <c>--profile NAME</c>.
/// </summary>
internal static class ProfileCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("profile", "Connection profiles: a bench's links, baud and timeouts, typed once and used with --profile NAME (~/.config/csa/profiles.json)");
        command.Subcommands.Add(Add(console));
        command.Subcommands.Add(List(console));
        command.Subcommands.Add(Show(console));
        command.Subcommands.Add(Remove(console));
        return command;
    }

    private static Command Add(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The profile's name (letters, digits, '-', '_', '.')" };
        var links = new Option<string[]>("--link", "-l") { Description = "A link URI (repeatable), as device commands take it", Required = true, Arity = ArgumentArity.OneOrMore };
        var baud = new Option<int?>("--baud") { Description = "The bit rate for its serial: links that name none" };
        var timeout = new Option<string>("--timeout") { Description = "How long one command waits for its answer (500ms, 2s)" };
        var connectTimeout = new Option<string>("--connect-timeout") { Description = "How long opening a link may take" };
        var retries = new Option<int?>("--retries") { Description = "How many times an unanswered command is sent again, 0..20" };
        var makeDefault = new Option<bool>("--default") { Description = "Device commands use it when nothing names a link" };
        var force = new Option<bool>("--force") { Description = "Replace a profile of that name" };
        var command = new Command("add", "Add (or with --force replace) a connection profile")
        {
            name, links, baud, timeout, connectTimeout, retries, makeDefault, force,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            string profileName = parse.GetValue(name)!;
            ProfileStore.CheckName(profileName, CliException.Usage);
            string[] uris = parse.GetValue(links) ?? [];
            foreach (string uri in uris)
            {
                if (!LinkUri.TryParse(uri, out _, out string? problem))
                    throw CliException.Usage($"--link '{uri}': {problem}");
            }
            if (parse.GetValue(baud) is { } rate && rate is < 50 or > 20_000_000)
                throw CliException.Usage($"--baud {rate}: 50..20000000");
            if (parse.GetValue(timeout) is { } t)
                DeviceOptions.ParseDuration(t, "--timeout");
            if (parse.GetValue(connectTimeout) is { } c)
                DeviceOptions.ParseDuration(c, "--connect-timeout");
            if (parse.GetValue(retries) is { } r)
                DeviceOptions.AttemptsOf(r);

            ProfileStore store = ProfileStore.Load();
            if (store.Profiles.ContainsKey(profileName) && !parse.GetValue(force))
                throw CliException.Usage($"profile '{profileName}' exists in {store.Path}; --force replaces it");
            var profile = new ConnectionProfile(uris, parse.GetValue(baud), parse.GetValue(timeout), parse.GetValue(connectTimeout), parse.GetValue(retries));
            store.Profiles.Remove(profileName); // a replaced profile takes the spelling given now
            store.Profiles[profileName] = profile;
            if (parse.GetValue(makeDefault))
                store.DefaultName = profileName;
            await store.SaveAsync(cancellationToken).ConfigureAwait(false);
            if (context.Json)
                context.WriteJson(new { file = store.Path, name = profileName, isDefault = string.Equals(store.DefaultName, profileName, StringComparison.OrdinalIgnoreCase), profile = Json(profile) });
            else
                context.WriteLine($"profile '{profileName}' saved in {store.Path}{(parse.GetValue(makeDefault) ? " (the default)" : "")}: {string.Join(' ', profile.ResolvedLinks)}");
            return ExitCodes.Success;
        });
    }

    private static Command List(CliConsole console)
    {
        var command = new Command("list", "List the connection profiles");
        return command.WithAction(console, (context, _) =>
        {
            ProfileStore store = ProfileStore.Load();
            if (context.Json)
            {
                context.WriteJson(new
                {
                    file = store.Path,
                    @default = store.DefaultName,
                    profiles = store.Profiles.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => new { name = p.Key, profile = Json(p.Value) }).ToArray(),
                });
                return Task.FromResult(ExitCodes.Success);
            }
            if (store.Profiles.Count == 0)
            {
                context.WriteLine($"No profiles in {store.Path} ('csa profile add NAME --link URI' makes one).");
                return Task.FromResult(ExitCodes.Success);
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("name", "links", "timeout", "connect timeout", "retries");
            table.Title = new TableTitle(Markup.Escape(store.Path));
            foreach ((string name, ConnectionProfile p) in store.Profiles.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
            {
                bool isDefault = string.Equals(store.DefaultName, name, StringComparison.OrdinalIgnoreCase);
                table.AddRow(Markup.Escape(name + (isDefault ? " (default)" : "")), Markup.Escape(string.Join(' ', p.ResolvedLinks)), p.Timeout ?? "-", p.ConnectTimeout ?? "-",
                    p.Retries?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-");
            }
            context.Out.Write(table);
            return Task.FromResult(ExitCodes.Success);
        });
    }

    private static Command Show(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The profile" };
        var command = new Command("show", "Show one connection profile") { name };
        return command.WithAction(console, (context, _) =>
        {
            ProfileStore store = ProfileStore.Load();
            string profileName = context.ParseResult.GetValue(name)!;
            ConnectionProfile profile = store.Get(profileName);
            if (context.Json)
                context.WriteJson(new { file = store.Path, name = profileName, isDefault = string.Equals(store.DefaultName, profileName, StringComparison.OrdinalIgnoreCase), profile = Json(profile) });
            else
            {
                context.WriteLine($"{profileName}: {string.Join(' ', profile.ResolvedLinks)}");
                context.WriteLine($"  timeout {profile.Timeout ?? "1s (default)"}, connect timeout {profile.ConnectTimeout ?? "5s (default)"}, retries {profile.Retries?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "2 (default)"}");
            }
            return Task.FromResult(ExitCodes.Success);
        });
    }

    private static Command Remove(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The profile" };
        var command = new Command("remove", "Remove a connection profile") { name };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ProfileStore store = ProfileStore.Load();
            string profileName = context.ParseResult.GetValue(name)!;
            store.Get(profileName);
            store.Profiles.Remove(profileName);
            if (string.Equals(store.DefaultName, profileName, StringComparison.OrdinalIgnoreCase))
                store.DefaultName = null;
            await store.SaveAsync(cancellationToken).ConfigureAwait(false);
            if (context.Json)
                context.WriteJson(new { file = store.Path, removed = profileName });
            else
                context.WriteLine($"profile '{profileName}' removed from {store.Path}");
            return ExitCodes.Success;
        });
    }

    private static object Json(ConnectionProfile p) => new { links = p.Links, resolvedLinks = p.ResolvedLinks, baud = p.Baud, timeout = p.Timeout, connectTimeout = p.ConnectTimeout, retries = p.Retries };
}
