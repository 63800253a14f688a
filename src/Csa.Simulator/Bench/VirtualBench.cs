using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

namespace Csa.Simulator;

/// <summary>
/// A bench of virtual devices in this process, ready to update: factory-programmed STM32F4 or STM32L4 devices (bootloader
/// copy A and an application, both 1.0.0 with security counter 1, signed with a development key they trust), wired as a
/// daisy chain and reachable as the link <see cref="Link"/> (<c>sim:NAME</c>) by anything that takes a link URI. The
/// fixture of a test or a demo in three lines (with Csa.Bootloader's <c>DeviceNetwork</c>):
/// <code>
/// await using VirtualBench bench = await VirtualBench.StartAsync(new VirtualBenchOptions { Devices = 3 });
/// await using DeviceNetwork network = await DeviceNetwork.ConnectAsync(bench.Link);
/// IReadOnlyList&lt;DeviceInfo&gt; devices = await network.DiscoverAsync();
/// </code>
/// <see cref="BuildApplicationAsync"/> makes images the devices accept. Disposing powers the devices off and withdraws the name.
/// </summary>
public sealed partial class VirtualBench : IAsyncDisposable, IDisposable
{
    private static int s_next;
    private readonly VirtualDevice[] _devices;
    private readonly IDisposable _publication;
    private readonly List<ILinkTransport> _cables;
    private int _disposed;

    private VirtualBench(string name, VirtualDevice[] devices, DeviceProfile[] profiles, DeviceFactory factory, IDisposable publication, List<ILinkTransport> cables)
    {
        Name = name;
        _devices = devices;
        Profiles = profiles;
        Factory = factory;
        _publication = publication;
        _cables = cables;
    }

    /// <summary>The name the bench is published under.</summary>
    public string Name { get; }

    /// <summary>The link URI that reaches the chain: <c>sim:NAME</c>.</summary>
    public string Link => $"{SimulatorScheme.Scheme}:{Name}";

    /// <summary>The devices, in chain order (the first is next to the host).</summary>
    public IReadOnlyList<VirtualDevice> Devices => _devices;

    /// <summary>Their profiles: unique id, vendor <c>0x00C5A000</c>, device class 1, memory map, trusted key.</summary>
    public IReadOnlyList<DeviceProfile> Profiles { get; }

    /// <summary>The development signing key the devices trust (a fresh one per bench): sign images for them with it.</summary>
    public EcP256PrivateKey SigningKey => Factory.SigningKey;

    /// <summary>The factory that made the devices: more images for them (<see cref="DeviceFactory.BuildImageAsync"/>), signed with <see cref="SigningKey"/>.</summary>
    public DeviceFactory Factory { get; }

    /// <summary>The unique id device <paramref name="number"/> of a bench gets (the same ids as <c>csa sim</c> gives).</summary>
    public static DeviceUid UidFor(FlashFamily family, int number) =>
        DeviceUid.FromWords(0x0043_0010u + (uint)number, family == FlashFamily.Stm32F4 ? 0x3446_5351u : 0x344C_5351u, 0x3132_3032u);

    /// <summary>Makes, programs, wires and powers on the devices, and publishes them as <see cref="Link"/>.</summary>
    /// <param name="options">What to make; null takes the defaults (one STM32F4, instant flash).</param>
    /// <param name="cancellationToken">Stops making it.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The name is not a simulator device name, or taken.</exception>
    public static async Task<VirtualBench> StartAsync(VirtualBenchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new VirtualBenchOptions();
        options.Validate();
        string name = options.Name ?? $"bench-{Interlocked.Increment(ref s_next)}";
        var factory = new DeviceFactory();
        var profiles = new DeviceProfile[options.Devices];
        var devices = new List<VirtualDevice>();
        var cables = new List<ILinkTransport>();
        try
        {
            for (int i = 0; i < options.Devices; i++)
            {
                int number = options.FirstDevice + i;
                string chip = options.Family == FlashFamily.Stm32F4 ? "STM32F4" : "STM32L4";
                profiles[i] = new DeviceProfile
                {
                    MemoryMap = options.Family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
                    Uid = UidFor(options.Family, number),
                    ProductName = $"Csa virtual {chip} #{number}",
                    TrustedSigningKeys = [factory.PublicKey],
                    FlashTiming = options.Timing,
                    ReceiveBuffers = (byte)options.ReceiveBuffers,
                };
                devices.Add(await factory.CreateDeviceAsync(profiles[i], cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            // Device i's downstream port to device i+1's upstream port; the first device's upstream is the bench's link.
            for (int i = 0; i + 1 < devices.Count; i++)
            {
                (InMemoryTransport down, InMemoryTransport up) = InMemoryTransport.CreatePair($"{name}-{i}-{i + 1}");
                cables.Add(down);
                cables.Add(up);
                devices[i].AttachDownstream(down);
                devices[i + 1].AttachUpstream(up);
            }
            await Task.WhenAll(devices.Select(d => d.PowerOnAsync(cancellationToken))).ConfigureAwait(false);
            IDisposable publication = SimulatorScheme.Publish(name, devices[0]);
            return new VirtualBench(name, devices.ToArray(), profiles, factory, publication, cables);
        }
        catch
        {
            foreach (VirtualDevice device in devices)
                await device.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static readonly Dictionary<string, Task<VirtualBench>> s_byUri = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The bench a <c>sim:</c> URI with parameters names, made at its first use and kept for the process:
    /// <c>sim:[single|chain][?devices=N&amp;family=f4|l4&amp;timing=instant|typical|worst&amp;buffers=N&amp;first=N]</c> (the
    /// defaults of <see cref="VirtualBenchOptions"/>). The same URI text always reaches the same devices (so a link opened
    /// again finds them as it left them); another URI makes another bench. Get it here for its <see cref="SigningKey"/>.
    /// </summary>
    /// <exception cref="LinkUriException">A parameter is unknown, repeated or out of range.</exception>
    public static Task<VirtualBench> ForUriAsync(string uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        VirtualBenchOptions options = OptionsFrom(LinkUri.Parse(uri));
        lock (s_byUri)
        {
            if (!s_byUri.TryGetValue(uri, out Task<VirtualBench>? bench) || bench.IsFaulted || bench.IsCanceled)
                s_byUri[uri] = bench = StartAsync(options, CancellationToken.None);
            return bench.WaitAsync(cancellationToken);
        }
    }

    private static VirtualBenchOptions OptionsFrom(LinkUri uri)
    {
        uri.RequireKnownParameters("devices", "family", "timing", "buffers", "first");
        string target = uri.HasAuthority ? uri.Host : uri.Path;
        int devices = uri.GetInt32("devices", 1, 1, 32);
        if (target == "single" && devices != 1)
            throw new LinkUriException(uri.Text, $"sim:single has one device, not {devices}");
        FlashFamily family = uri.GetString("family", "f4")!.ToLowerInvariant() switch
        {
            "f4" => FlashFamily.Stm32F4,
            "l4" => FlashFamily.Stm32L4,
            string other => throw new LinkUriException(uri.Text, $"family '{other}': f4 or l4"),
        };
        FlashTimingProfile timing = uri.GetString("timing", "instant")!.ToLowerInvariant() switch
        {
            "instant" => FlashTimingProfile.Instant,
            "typical" => FlashTimingProfile.Typical,
            "worst" => FlashTimingProfile.WorstCase,
            string other => throw new LinkUriException(uri.Text, $"timing '{other}': instant, typical or worst"),
        };
        return new VirtualBenchOptions
        {
            Devices = devices,
            Family = family,
            Timing = timing,
            ReceiveBuffers = uri.GetInt32("buffers", 4, 1, 16),
            FirstDevice = uri.GetInt32("first", 0, 0, 65535),
        };
    }

    /// <summary>The factory version of the images the devices are programmed with (<see cref="FactoryFirmware"/>'s default).</summary>
    public static readonly FirmwareVersion FactoryVersion = new FactoryFirmware().ApplicationVersion;

    /// <summary>
    /// An application image every device of the bench accepts: linked for their application region, for their vendor and
    /// class, signed with <see cref="SigningKey"/>, with <paramref name="version"/> and security counter 1 (or more).
    /// </summary>
    /// <param name="version">Its version.</param>
    /// <param name="size">Payload bytes (default 16 KiB); the payload is deterministic pseudo-random bytes.</param>
    /// <param name="securityCounter">Its security counter, at least 1 (the devices' factory counter).</param>
    /// <param name="cancellationToken">Stops the build.</param>
    public Task<FirmwareImage> BuildApplicationAsync(FirmwareVersion version, int size = 16 * 1024, uint securityCounter = 1, CancellationToken cancellationToken = default) =>
        Factory.BuildImageAsync(Profiles[0], RegionKind.Application, version, new FactoryImageOptions { Size = size, SecurityCounter = securityCounter }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _publication.Dispose();
        foreach (VirtualDevice device in _devices)
            await device.DisposeAsync().ConfigureAwait(false);
        foreach (ILinkTransport cable in _cables)
            await cable.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
