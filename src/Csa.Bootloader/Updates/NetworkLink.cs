using Csa.DataLink;
using Csa.DataLink.Transports;

namespace Csa.Bootloader.Updates;

/// <summary>
/// How the host reaches one group of devices: a way to open the link (again, after it was lost) and how the devices
/// behind it are addressed: enumerated (a daisy chain, or one device per link in a star) or at fixed addresses (a bus
/// or gateway whose devices have configured addresses).
/// </summary>
public sealed class NetworkLink
{
    private readonly Func<CancellationToken, Task<ILinkTransport>> _open;

    private NetworkLink(string name, Func<CancellationToken, Task<ILinkTransport>> open, IReadOnlyList<NodeAddress>? fixedAddresses, byte? firstAddress)
    {
        Name = name;
        _open = open;
        FixedAddresses = fixedAddresses;
        FirstAddress = firstAddress;
    }

    /// <summary>A name for logs and <see cref="DeviceInfo.LinkName"/>.</summary>
    public string Name { get; }

    /// <summary>The devices' addresses when they are fixed; null when the link is enumerated.</summary>
    public IReadOnlyList<NodeAddress>? FixedAddresses { get; }

    /// <summary>The address enumeration gives the first device of this link; null lets the network spread ranges over its links.</summary>
    public byte? FirstAddress { get; }

    /// <summary>True when the devices are enumerated (assigned addresses in chain order).</summary>
    public bool IsEnumerated => FixedAddresses is null;

    /// <summary>
    /// A link opened by <paramref name="open"/>, called once at connect and again whenever the link must be reopened
    /// (after a cable was pulled, a TCP connection dropped, a USB serial adapter re-plugged).
    /// </summary>
    /// <param name="name">A name for logs.</param>
    /// <param name="open">Opens a new transport each time it is called.</param>
    /// <param name="fixedAddresses">The devices' fixed addresses; null (default) enumerates the link.</param>
    /// <param name="firstAddress">The first address enumeration assigns; null spreads the links' ranges.</param>
    public static NetworkLink FromFactory(string name, Func<CancellationToken, Task<ILinkTransport>> open,
        IReadOnlyList<NodeAddress>? fixedAddresses = null, byte? firstAddress = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(open);
        if (fixedAddresses is not null)
        {
            if (fixedAddresses.Count == 0)
                throw new ArgumentException("A link with fixed addresses lists at least one device.", nameof(fixedAddresses));
            foreach (NodeAddress address in fixedAddresses)
            {
                if (!address.IsDevice)
                    throw new ArgumentException($"{address} is not a device address (0x{NodeAddress.FirstDevice:X2}..0x{NodeAddress.LastDevice:X2}).", nameof(fixedAddresses));
            }
            if (fixedAddresses.Distinct().Count() != fixedAddresses.Count)
                throw new ArgumentException("An address is listed twice.", nameof(fixedAddresses));
        }
        if (firstAddress is { } first && !new NodeAddress(first).IsDevice)
            throw new ArgumentOutOfRangeException(nameof(firstAddress), first, $"Device addresses are 0x{NodeAddress.FirstDevice:X2}..0x{NodeAddress.LastDevice:X2}.");
        return new NetworkLink(name, open, fixedAddresses?.ToArray(), firstAddress);
    }

    /// <summary>A link opened by <paramref name="open"/> (a synchronous factory, convenient from Python).</summary>
    public static NetworkLink FromFactory(string name, Func<ILinkTransport> open, IReadOnlyList<NodeAddress>? fixedAddresses = null, byte? firstAddress = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        return FromFactory(name, _ => Task.FromResult(open()), fixedAddresses, firstAddress);
    }

    /// <summary>
    /// A link to a link URI (<c>tcp://host:port</c>, <c>serial:///dev/ttyUSB0?baud=115200</c>, ...) opened through
    /// <see cref="TransportFactory"/>, so it can be reopened after it was lost.
    /// </summary>
    /// <exception cref="LinkUriException">The URI is malformed.</exception>
    public static NetworkLink FromUri(string uri, IReadOnlyList<NodeAddress>? fixedAddresses = null, byte? firstAddress = null)
    {
        LinkUri parsed = LinkUri.Parse(uri);
        return FromFactory(parsed.Text, ct => TransportFactory.ConnectAsync(parsed, ct), fixedAddresses, firstAddress);
    }

    /// <summary>
    /// A link over a transport that is already open. It cannot be reopened: when it is lost, the devices behind it stay
    /// unreachable (use <see cref="FromFactory(string, Func{CancellationToken, Task{ILinkTransport}}, IReadOnlyList{NodeAddress}?, byte?)"/> for that).
    /// The network owns the transport from now on.
    /// </summary>
    public static NetworkLink FromTransport(ILinkTransport transport, IReadOnlyList<NodeAddress>? fixedAddresses = null, byte? firstAddress = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        int used = 0;
        return FromFactory(transport.Name, _ => Interlocked.Exchange(ref used, 1) == 0
            ? Task.FromResult(transport)
            : Task.FromException<ILinkTransport>(new LinkClosedException(transport.Name,
                $"The link {transport.Name} was given as an open transport and cannot be reopened; give a factory or a link URI to reconnect.")),
            fixedAddresses, firstAddress);
    }

    internal Task<ILinkTransport> OpenAsync(CancellationToken cancellationToken) => _open(cancellationToken);

    /// <inheritdoc />
    public override string ToString() => IsEnumerated ? $"{Name} (enumerated)" : $"{Name} (fixed: {string.Join(", ", FixedAddresses!)})";
}
