using Csa.DataLink;
using Csa.DataLink.Transports;

namespace Csa.Simulator.Hosting;

/// <summary>
/// One cable of a virtual topology: the end nearer the host (plugged into the host or into the previous
/// device's downstream port) and the end nearer the device (plugged into the device's upstream port).
/// </summary>
/// <param name="HostEnd">The end towards the host.</param>
/// <param name="DeviceEnd">The end towards the device.</param>
/// <param name="Medium">What carries the bytes between the ends and must be disposed with them (an
/// <see cref="EmulatedLink"/>), or null when disposing the ends is enough.</param>
public sealed record VirtualLink(ILinkTransport HostEnd, ILinkTransport DeviceEnd, IAsyncDisposable? Medium = null);

/// <summary>Makes the cable with index <paramref name="index"/> of a topology (0 is the one at the host).</summary>
public delegate VirtualLink VirtualLinkFactory(int index);

/// <summary>Ready-made <see cref="VirtualLinkFactory"/>s.</summary>
public static class VirtualLinks
{
    /// <summary>In-memory pipes: no delay, no loss, as fast as the process runs.</summary>
    /// <param name="name">A label for link names (<c>memory://{name}{index}/a</c>).</param>
    public static VirtualLinkFactory InMemory(string name = "sim") => index =>
    {
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"{name}{index}");
        return new VirtualLink(hostEnd, deviceEnd);
    };

    /// <summary>
    /// Emulated serial lines (baud rate, latency, seeded impairments; see docs/transports.md). End A is the host
    /// end. Every cable gets its own seed, <paramref name="options"/>.Seed + index, so impairments differ per cable
    /// and stay reproducible.
    /// </summary>
    public static VirtualLinkFactory Emulated(EmulatedLinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return index =>
        {
            var link = EmulatedLink.CreatePair(new EmulatedLinkOptions
            {
                AToB = options.AToB,
                BToA = options.BToA,
                Seed = unchecked(options.Seed + index),
                TimeProvider = options.TimeProvider,
            });
            return new VirtualLink(link.A, link.B, link);
        };
    }
}
