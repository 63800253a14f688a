using System.Text.Json;
using System.Text.Json.Nodes;
using Csa.Cli.Devices;
using Csa.DataLink.Transports;

namespace Csa.Cli.Profiles;

/// <summary>
/// The connection profiles file: <c>$XDG_CONFIG_HOME/csa/profiles.json</c> (<c>~/.config/csa/profiles.json</c>;
/// <c>%APPDATA%\csa\profiles.json</c> on Windows). Read whole and checked (a bad entry is exit 4 naming it), written
/// whole or not at all (a temporary file beside it, then a rename).
/// </summary>
internal sealed class ProfileStore
{
    /// <summary>The format version this tool reads and writes.</summary>
    public const int FormatVersion = 1;

    private static readonly string[] s_fields = ["links", "baud", "timeout", "connectTimeout", "retries"];

    private ProfileStore(string path, Dictionary<string, ConnectionProfile> profiles, string? defaultName)
    {
        Path = path;
        Profiles = profiles;
        DefaultName = defaultName;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The profiles by name (names compare without case).</summary>
    public Dictionary<string, ConnectionProfile> Profiles { get; }

    /// <summary>The profile device commands use when nothing else names a link.</summary>
    public string? DefaultName { get; set; }

    /// <summary>The file's location for this user.</summary>
    public static string DefaultPath()
    {
        string? xdg = CliEnvironment.Get("XDG_CONFIG_HOME");
        string config = OperatingSystem.IsWindows()
            ? CliEnvironment.Get("APPDATA") ?? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
            : xdg is { Length: > 0 } && System.IO.Path.IsPathRooted(xdg) ? xdg
            : System.IO.Path.Combine(CliEnvironment.Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return System.IO.Path.Combine(config, "csa", "profiles.json");
    }

    /// <summary>Reads the file (none yet: no profiles).</summary>
    /// <exception cref="CliException">Unreadable (exit 3) or malformed (exit 4, naming the entry).</exception>
    public static ProfileStore Load(string? path = null)
    {
        path ??= DefaultPath();
        var profiles = new Dictionary<string, ConnectionProfile>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
            return new ProfileStore(path, profiles, null);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.File($"{path}: {ex.Message}", ex);
        }
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw Bad(path, "the file is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw Bad(path, $"not valid JSON: {ex.Message}");
        }
        foreach ((string key, _) in root)
        {
            if (key is not ("version" or "default" or "profiles"))
                throw Bad(path, $"unknown field '{key}' (fields: version, default, profiles)");
        }
        if (root["version"] is { } version && (version.GetValueKind() != JsonValueKind.Number || version.GetValue<double>() != FormatVersion))
            throw Bad(path, $"version {version.ToJsonString()}: this tool reads version {FormatVersion}");
        if (root["profiles"] is { } list)
        {
            if (list is not JsonObject entries)
                throw Bad(path, "'profiles' is not an object of named profiles");
            foreach ((string name, JsonNode? entry) in entries)
                profiles[name] = ReadProfile(path, name, entry);
        }
        string? defaultName = null;
        if (root["default"] is { } d)
        {
            defaultName = d.GetValueKind() == JsonValueKind.String ? d.GetValue<string>() : throw Bad(path, "'default' is not a profile name");
            if (!profiles.ContainsKey(defaultName))
                throw Bad(path, $"'default' names '{defaultName}', which is not a profile here");
        }
        return new ProfileStore(path, profiles, defaultName);
    }

    private static ConnectionProfile ReadProfile(string path, string name, JsonNode? entry)
    {
        CheckName(name, what => Bad(path, what));
        if (entry is not JsonObject fields)
            throw Bad(path, $"profile '{name}' is not an object");
        foreach ((string key, _) in fields)
        {
            if (!s_fields.Contains(key))
                throw Bad(path, $"profile '{name}': unknown field '{key}' (fields: {string.Join(", ", s_fields)})");
        }
        string[] links = fields["links"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
            JsonArray a when a.All(x => x?.GetValueKind() == JsonValueKind.String) => a.Select(x => x!.GetValue<string>()).ToArray(),
            _ => throw Bad(path, $"profile '{name}': 'links' must be a link URI or a list of them"),
        };
        if (links.Length == 0)
            throw Bad(path, $"profile '{name}': 'links' is empty");
        foreach (string link in links)
        {
            if (!LinkUri.TryParse(link, out _, out string? problem))
                throw Bad(path, $"profile '{name}': link '{link}': {problem}");
        }
        int? baud = Integer(fields["baud"], path, name, "baud", 50, 20_000_000);
        int? retries = Integer(fields["retries"], path, name, "retries", 0, 20);
        string? timeout = Duration(fields["timeout"], path, name, "timeout");
        string? connectTimeout = Duration(fields["connectTimeout"], path, name, "connectTimeout");
        return new ConnectionProfile(links, baud, timeout, connectTimeout, retries);
    }

    private static int? Integer(JsonNode? node, string path, string name, string field, int min, int max)
    {
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out int value) || value < min || value > max)
            throw Bad(path, $"profile '{name}': '{field}' must be a whole number {min}..{max}, not {node.ToJsonString()}");
        return value;
    }

    private static string? Duration(JsonNode? node, string path, string name, string field)
    {
        if (node is null)
            return null;
        string text = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        try
        {
            DeviceOptions.ParseDuration(text, field);
        }
        catch (CliException)
        {
            throw Bad(path, $"profile '{name}': '{field}' must be a duration (500ms, 2s, 1m), not {node.ToJsonString()}");
        }
        return text;
    }

    /// <summary>A profile name is letters, digits, '-', '_' and '.' (it is typed on command lines).</summary>
    public static void CheckName(string name, Func<string, Exception> error)
    {
        if (name.Length == 0 || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw error($"'{name}' is not a profile name (1..64 letters, digits, '-', '_' and '.')");
    }

    /// <summary>The profile <paramref name="name"/>.</summary>
    /// <exception cref="CliException">There is none (exit 2, listing those there are).</exception>
    public ConnectionProfile Get(string name) => Profiles.TryGetValue(name, out ConnectionProfile? profile)
        ? profile
        : throw CliException.Usage($"no profile '{name}' in {Path} ({(Profiles.Count == 0 ? "it has none; 'csa profile add NAME --link URI' makes one" : "profiles: " + string.Join(", ", Profiles.Keys.Order(StringComparer.OrdinalIgnoreCase)))})");

    /// <summary>Writes the file whole (its folder is made when missing).</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        var profiles = new JsonObject();
        foreach ((string name, ConnectionProfile p) in Profiles.OrderBy(x => x.Key, StringComparer.OrdinalIgnoreCase))
        {
            var entry = new JsonObject { ["links"] = new JsonArray(p.Links.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()) };
            if (p.Baud is { } baud)
                entry["baud"] = baud;
            if (p.Timeout is { } timeout)
                entry["timeout"] = timeout;
            if (p.ConnectTimeout is { } connect)
                entry["connectTimeout"] = connect;
            if (p.Retries is { } retries)
                entry["retries"] = retries;
            profiles[name] = entry;
        }
        var root = new JsonObject { ["version"] = FormatVersion };
        if (DefaultName is not null)
            root["default"] = DefaultName;
        root["profiles"] = profiles;
        string? folder = System.IO.Path.GetDirectoryName(Path);
        try
        {
            if (folder is not null)
                Directory.CreateDirectory(folder);
            await AtomicFile.WriteAllTextAsync(Path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.File($"{Path}: {ex.Message}", ex);
        }
    }

    private static CliException Bad(string path, string what) => CliException.Invalid($"{path}: {what}");
}
