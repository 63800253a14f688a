using System.Collections.Concurrent;
using Csa.DataLink.Transports.Internal;

namespace Csa.DataLink.Transports;

/// <summary>Opens or connects the transport a link URI names, for a scheme registered with <see cref="TransportFactory"/>.</summary>
/// <param name="uri">The parsed URI; the handler checks its target and parameters and throws <see cref="LinkUriException"/> for bad ones.</param>
/// <param name="cancellationToken">Cancels connecting.</param>
/// <returns>The open transport.</returns>
public delegate Task<ILinkTransport> LinkTransportConnector(LinkUri uri, CancellationToken cancellationToken);

/// <summary>
/// Opens transports from link URIs, as the command-line tool and configuration files name them:
/// <c>tcp://host:port</c> and <c>serial:/dev/ttyUSB0?baud=115200</c> (or <c>serial:COM3?...</c>) are built in;
/// other components add schemes (e.g. the simulator's <c>sim:</c>) with <see cref="RegisterScheme"/>.
/// The syntax and every parameter are listed in <c>docs/transports.md</c>.
/// </summary>
public static class TransportFactory
{
    private static readonly ConcurrentDictionary<string, LinkTransportConnector> s_schemes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tcp"] = BuiltInSchemes.ConnectTcpAsync,
        ["serial"] = BuiltInSchemes.OpenSerialAsync,
    };

    /// <summary>The schemes that can be opened, in lower case.</summary>
    public static IReadOnlyCollection<string> RegisteredSchemes => s_schemes.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Adds a scheme.</summary>
    /// <param name="scheme">The scheme without the colon, e.g. <c>sim</c>.</param>
    /// <param name="connector">Opens a transport for a URI of that scheme.</param>
    /// <param name="replace">Replace an existing handler instead of failing.</param>
    /// <exception cref="ArgumentException">The scheme is not a valid URI scheme, or is registered already and <paramref name="replace"/> is false.</exception>
    public static void RegisterScheme(string scheme, LinkTransportConnector connector, bool replace = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        ArgumentNullException.ThrowIfNull(connector);
        if (!char.IsAsciiLetter(scheme[0]) || !scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            throw new ArgumentException($"'{scheme}' is not a valid URI scheme (a letter, then letters, digits, '+', '-' or '.').", nameof(scheme));
        }

        if (replace)
        {
            s_schemes[scheme] = connector;
        }
        else if (!s_schemes.TryAdd(scheme, connector))
        {
            throw new ArgumentException($"The scheme '{scheme}' is registered already.", nameof(scheme));
        }
    }

    /// <summary>Removes a scheme.</summary>
    /// <param name="scheme">The scheme without the colon.</param>
    /// <returns>True when it was registered.</returns>
    public static bool UnregisterScheme(string scheme) => s_schemes.TryRemove(scheme, out _);

    /// <summary>True when <paramref name="scheme"/> can be opened.</summary>
    /// <param name="scheme">The scheme without the colon.</param>
    /// <returns>True when registered.</returns>
    public static bool IsSchemeRegistered(string scheme) => s_schemes.ContainsKey(scheme);

    /// <summary>Opens the transport <paramref name="uri"/> names.</summary>
    /// <param name="uri">E.g. <c>tcp://127.0.0.1:5000</c> or <c>serial:/dev/ttyUSB0?baud=115200</c>.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="LinkUriException">The URI is malformed, its scheme is unknown, or a parameter is bad.</exception>
    /// <exception cref="TransportConnectException">The transport cannot be opened.</exception>
    public static Task<ILinkTransport> ConnectAsync(string uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return ConnectCoreAsync(() => LinkUri.Parse(uri), cancellationToken);
    }

    /// <summary>Opens the transport <paramref name="uri"/> names.</summary>
    /// <param name="uri">An absolute URI.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="LinkUriException">The URI is malformed, its scheme is unknown, or a parameter is bad.</exception>
    /// <exception cref="TransportConnectException">The transport cannot be opened.</exception>
    public static Task<ILinkTransport> ConnectAsync(Uri uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return ConnectCoreAsync(() => LinkUri.FromUri(uri), cancellationToken);
    }

    /// <summary>Opens the transport <paramref name="uri"/> names.</summary>
    /// <param name="uri">A parsed link URI.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="LinkUriException">The scheme is unknown or a parameter is bad.</exception>
    /// <exception cref="TransportConnectException">The transport cannot be opened.</exception>
    public static Task<ILinkTransport> ConnectAsync(LinkUri uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return ConnectCoreAsync(() => uri, cancellationToken);
    }

    private static async Task<ILinkTransport> ConnectCoreAsync(Func<LinkUri> parse, CancellationToken cancellationToken)
    {
        LinkUri uri = parse();
        if (!s_schemes.TryGetValue(uri.Scheme, out LinkTransportConnector? connector)
            && !(OptionalSchemes.TryLoad(uri.Scheme) && s_schemes.TryGetValue(uri.Scheme, out connector)))
        {
            string package = OptionalSchemes.PackageOf(uri.Scheme) is { } name ? $"; it comes with the {name} package, which this application does not ship" : "";
            throw new LinkUriException(uri.Text, $"the scheme '{uri.Scheme}:' is not registered{package} (registered: {string.Join(", ", RegisteredSchemes)})");
        }

        return await connector(uri, cancellationToken).ConfigureAwait(false);
    }
}
