using System.Globalization;

namespace Csa.DataLink.Transports;

/// <summary>
/// A parsed link URI: <c>scheme:target?key=value&amp;key=value</c> or <c>scheme://host:port/path?query</c>.
/// Parsing checks the generic syntax only; each scheme's handler in <see cref="TransportFactory"/> checks its
/// own target and parameters. Parameter names are case-insensitive; values are percent-decoded.
/// </summary>
public sealed class LinkUri
{
    private readonly Dictionary<string, string> _parameters;

    private LinkUri(string text, string scheme, bool hasAuthority, string host, int? port, string path, Dictionary<string, string> parameters)
    {
        Text = text;
        Scheme = scheme;
        HasAuthority = hasAuthority;
        Host = host;
        Port = port;
        Path = path;
        _parameters = parameters;
    }

    /// <summary>The URI as given.</summary>
    public string Text { get; }

    /// <summary>The scheme in lower case, e.g. <c>tcp</c>.</summary>
    public string Scheme { get; }

    /// <summary>True for the <c>scheme://authority</c> form.</summary>
    public bool HasAuthority { get; }

    /// <summary>The host of the authority form without IPv6 brackets (empty otherwise).</summary>
    public string Host { get; }

    /// <summary>The port of the authority form, if one was given.</summary>
    public int? Port { get; }

    /// <summary>Everything after the scheme (and authority) up to <c>?</c>, percent-decoded: <c>/dev/ttyUSB0</c>, <c>COM3</c>.</summary>
    public string Path { get; }

    /// <summary>The query parameters (keys case-insensitive).</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <param name="text">The URI.</param>
    /// <returns>The parsed URI.</returns>
    /// <exception cref="LinkUriException">The text is not a well-formed link URI.</exception>
    public static LinkUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out LinkUri? uri, out string? problem) ? uri! : throw new LinkUriException(text, problem!);
    }

    /// <summary>Parses <paramref name="text"/> without throwing.</summary>
    /// <param name="text">The URI.</param>
    /// <param name="uri">The parsed URI, or <c>null</c>.</param>
    /// <param name="problem">What is wrong, or <c>null</c>.</param>
    /// <returns>True when the text is well formed.</returns>
    public static bool TryParse(string? text, out LinkUri? uri, out string? problem)
    {
        uri = null;
        problem = Check(text, out string scheme, out bool hasAuthority, out string host, out int? port, out string path, out Dictionary<string, string> parameters);
        if (problem is not null)
        {
            return false;
        }

        uri = new LinkUri(text!, scheme, hasAuthority, host, port, path, parameters);
        return true;
    }

    /// <summary>Creates a link URI from a <see cref="System.Uri"/>.</summary>
    /// <param name="uri">An absolute URI.</param>
    /// <returns>The parsed URI.</returns>
    /// <exception cref="LinkUriException">The URI is relative or not a well-formed link URI.</exception>
    public static LinkUri FromUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsAbsoluteUri ? Parse(uri.OriginalString) : throw new LinkUriException(uri.OriginalString, "a link URI must be absolute (start with a scheme such as tcp: or serial:)");
    }

    /// <summary>A string parameter, or <paramref name="defaultValue"/> when absent.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    public string? GetString(string name, string? defaultValue = null)
        => _parameters.TryGetValue(name, out string? value) ? value : defaultValue;

    /// <summary>An integer parameter within <paramref name="minimum"/>..<paramref name="maximum"/>.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="LinkUriException">The value is not a whole number in range.</exception>
    public int GetInt32(string name, int defaultValue, int minimum = int.MinValue, int maximum = int.MaxValue)
    {
        if (!_parameters.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            throw new LinkUriException(Text, $"the parameter '{name}' must be a whole number, not '{text}'");
        }

        return value >= minimum && value <= maximum
            ? value
            : throw new LinkUriException(Text, $"the parameter '{name}' is {value}, outside {minimum}..{maximum}");
    }

    /// <summary>A boolean parameter: <c>true</c>/<c>false</c>, <c>1</c>/<c>0</c>, <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    /// <exception cref="LinkUriException">The value is not a boolean.</exception>
    public bool GetBoolean(string name, bool defaultValue)
    {
        if (!_parameters.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        return text.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new LinkUriException(Text, $"the parameter '{name}' must be true or false, not '{text}'"),
        };
    }

    /// <summary>A duration parameter: a number with the unit <c>ms</c> or <c>s</c> (<c>500ms</c>, <c>2s</c>, <c>1.5s</c>); a bare number is milliseconds.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    /// <exception cref="LinkUriException">The value is not a positive duration.</exception>
    public TimeSpan GetDuration(string name, TimeSpan defaultValue)
    {
        if (!_parameters.TryGetValue(name, out string? text))
        {
            return defaultValue;
        }

        (string number, double scale) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 1.0)
            : text.EndsWith('s') || text.EndsWith('S') ? (text[..^1], 1000.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || value <= 0 || value * scale > int.MaxValue)
        {
            throw new LinkUriException(Text, $"the parameter '{name}' must be a positive duration such as 500ms or 2s, not '{text}'");
        }

        return TimeSpan.FromMilliseconds(value * scale);
    }

    /// <summary>Throws when a parameter outside <paramref name="known"/> is present, so typos do not pass silently.</summary>
    /// <param name="known">The parameter names the scheme understands.</param>
    /// <exception cref="LinkUriException">An unknown parameter is present.</exception>
    public void RequireKnownParameters(params string[] known)
    {
        foreach (string key in _parameters.Keys)
        {
            if (!known.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new LinkUriException(Text, $"unknown parameter '{key}' for {Scheme}: (known: {string.Join(", ", known)})");
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static string? Check(string? text, out string scheme, out bool hasAuthority, out string host, out int? port, out string path, out Dictionary<string, string> parameters)
    {
        scheme = host = path = string.Empty;
        hasAuthority = false;
        port = null;
        parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(text))
        {
            return "it is empty";
        }

        if (text.Any(char.IsWhiteSpace))
        {
            return "it contains white space";
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return "it has no scheme (it must start with e.g. tcp: or serial:)";
        }

        scheme = text[..colon].ToLowerInvariant();
        if (!char.IsAsciiLetter(scheme[0]) || !scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            return $"'{text[..colon]}' is not a valid scheme";
        }

        if (text.Contains('#', StringComparison.Ordinal))
        {
            return "fragments (#...) are not allowed";
        }

        string rest = text[(colon + 1)..];
        int question = rest.IndexOf('?', StringComparison.Ordinal);
        string query = question >= 0 ? rest[(question + 1)..] : string.Empty;
        string hierarchy = question >= 0 ? rest[..question] : rest;
        if (question >= 0 && ParseQuery(query, parameters) is { } queryProblem)
        {
            return queryProblem;
        }

        if (hierarchy.StartsWith("//", StringComparison.Ordinal))
        {
            hasAuthority = true;
            string afterSlashes = hierarchy[2..];
            int slash = afterSlashes.IndexOf('/', StringComparison.Ordinal);
            string authority = slash >= 0 ? afterSlashes[..slash] : afterSlashes;
            if (!TryDecode(slash >= 0 ? afterSlashes[slash..] : string.Empty, out path))
            {
                return "the path has a bad percent-escape";
            }

            return authority.Contains('@', StringComparison.Ordinal)
                ? "user information (user@) is not allowed"
                : ParseAuthority(authority, out host, out port);
        }

        return TryDecode(hierarchy, out path) ? null : "the target has a bad percent-escape";
    }

    private static string? ParseAuthority(string authority, out string host, out int? port)
    {
        host = authority;
        port = null;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return "an IPv6 address is missing its closing ']'";
            }

            host = authority[1..close];
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    return $"unexpected '{after}' after the IPv6 address";
                }

                portText = after[1..];
            }
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            if (colon >= 0)
            {
                host = authority[..colon];
                portText = authority[(colon + 1)..];
                if (host.Contains(':', StringComparison.Ordinal))
                {
                    return "an IPv6 address must be written in brackets, e.g. tcp://[::1]:5000";
                }
            }
        }

        if (portText is not null)
        {
            if (portText.Length == 0)
            {
                return "the port after ':' is missing";
            }

            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
            {
                return $"the port '{portText}' is not a number in 1..65535";
            }

            port = number;
        }

        return null;
    }

    private static string? ParseQuery(string query, Dictionary<string, string> parameters)
    {
        if (query.Length == 0)
        {
            return "the query after '?' is empty";
        }

        foreach (string pair in query.Split('&'))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (pair.Length == 0 || equals == 0)
            {
                return "a query parameter has no name";
            }

            if (equals < 0)
            {
                return $"the parameter '{pair}' has no value (write {pair}=value)";
            }

            if (!TryDecode(pair[..equals], out string key) || !TryDecode(pair[(equals + 1)..], out string value))
            {
                return $"the parameter '{pair}' has a bad percent-escape";
            }

            if (value.Length == 0)
            {
                return $"the parameter '{key}' has an empty value";
            }

            if (!parameters.TryAdd(key, value))
            {
                return $"the parameter '{key}' is given twice";
            }
        }

        return null;
    }

    private static bool TryDecode(string text, out string decoded)
    {
        decoded = text;
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        for (int i = text.IndexOf('%', StringComparison.Ordinal); i >= 0; i = text.IndexOf('%', i + 1))
        {
            if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
            {
                return false;
            }
        }

        decoded = Uri.UnescapeDataString(text);
        return true;
    }
}
