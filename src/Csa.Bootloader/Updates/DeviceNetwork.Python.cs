namespace Csa.Bootloader.Updates;

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

    /// <summary>
    /// Opens one enumerated link by its URI (<c>tcp://host:port</c>, <c>serial:/dev/ttyUSB0?baud=115200</c>,
    /// <c>sim:NAME</c>, ...); nothing is enumerated yet (call <see cref="DiscoverAsync"/>). The async form of
    /// <see cref="Connect(string, DeviceNetworkOptions?, CancellationToken)"/>.
    /// </summary>
    /// <param name="linkUri">The link's URI.</param>
    /// <param name="options">Settings; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops opening.</param>
    /// <exception cref="ArgumentNullException"><paramref name="linkUri"/> is null.</exception>
    /// <exception cref="Csa.DataLink.Transports.LinkUriException">The URI is malformed, names an unknown scheme or carries a bad parameter.</exception>
    /// <exception cref="Csa.DataLink.DataLinkException">The link could not be opened.</exception>
    public static Task<DeviceNetwork> ConnectAsync(string linkUri, DeviceNetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(linkUri);
        return ConnectUrisAsync([linkUri], options, cancellationToken);
    }
}
