using Csa.Bootloader.Images;

namespace Csa.Bootloader.Updates;

// The blocking forms, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class DeviceNetwork
{
    /// <summary>
    /// Opens one link by its URI (<c>tcp://host:port</c>, <c>serial:///dev/ttyUSB0?baud=115200</c>, ...) and blocks
    /// until it is open; nothing is enumerated yet (call <see cref="Discover"/>). The form a script calls with a plain
    /// string: pythonnet converts a Python <c>str</c> to <see cref="string"/>, but not a Python <c>list</c> to the
    /// <see cref="IEnumerable{T}"/> that <see cref="ConnectUris"/> takes.
    /// </summary>
    /// <param name="linkUri">The link's URI.</param>
    /// <param name="options">Settings; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops opening.</param>
    /// <exception cref="ArgumentNullException"><paramref name="linkUri"/> is null.</exception>
    /// <exception cref="Csa.DataLink.Transports.LinkUriException">The URI is malformed, names an unknown scheme or carries a bad parameter.</exception>
    /// <exception cref="Csa.DataLink.DataLinkException">The link could not be opened (a refused connection, a missing serial port).</exception>
    public static DeviceNetwork Connect(string linkUri, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkUri);
        return ConnectUris([linkUri], options, cancellationToken);
    }

    /// <summary>Blocking form of <see cref="ConnectAsync(IEnumerable{NetworkLink}, DeviceNetworkOptions?, CancellationToken)"/> (for scripts and Python).</summary>
    public static DeviceNetwork Connect(IEnumerable<NetworkLink> links, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(links, options, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="ConnectUrisAsync"/> (for scripts and Python).</summary>
    public static DeviceNetwork ConnectUris(IEnumerable<string> linkUris, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectUrisAsync(linkUris, options, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="DiscoverAsync"/> (for scripts and Python).</summary>
    public IReadOnlyList<DeviceInfo> Discover(CancellationToken cancellationToken = default) =>
        DiscoverAsync(cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="FindAsync"/>.</summary>
    public DeviceInfo Find(DeviceUid uid, CancellationToken cancellationToken = default) =>
        FindAsync(uid, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="ReconnectAsync"/>.</summary>
    public IReadOnlyList<DeviceInfo> Reconnect(CancellationToken cancellationToken = default) =>
        ReconnectAsync(cancellationToken).GetAwaiter().GetResult();
}
