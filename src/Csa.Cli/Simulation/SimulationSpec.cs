using System.Globalization;
using Csa.Simulator.Flash;

namespace Csa.Cli.Simulation;

/// <summary>How the virtual devices of one topology are wired.</summary>
internal enum SimulationTopology
{
    /// <summary>One device on one link.</summary>
    Single,

    /// <summary>A daisy chain behind one host link.</summary>
    Chain,

    /// <summary>One link per device.</summary>
    Star,

    /// <summary>The devices are slaves on one emulated I2C bus, one link each (docs/transports.md section 7).</summary>
    I2c,

    /// <summary>The devices are slaves on one emulated SPI bus, one chip select and one link each.</summary>
    Spi,
}

/// <summary>
/// What virtual devices to build: how many, how wired, which chip, how fast, where their flash and keys persist, and
/// which signing keys they trust. Filled from a <c>sim:</c> link URI, from <c>csa sim</c>'s options, or by the demo.
/// </summary>
internal sealed record SimulationSpec
{
    /// <summary>The most devices one simulation builds (a chain this long still enumerates in well under a second).</summary>
    public const int MaxDevices = 32;

    public int Devices { get; init; } = 1;

    /// <summary>
    /// The number of the first device: device i gets the unique id and product name of number <c>FirstDevice + i</c>
    /// (<see cref="VirtualFleet.UidFor"/>), so stations in separate processes can simulate different boards (or, with
    /// the same number, the same unique id on two chips). Flash and key files stay named by position. 0 by default.
    /// </summary>
    public int FirstDevice { get; init; }

    /// <summary>The highest number a first device may have (the unique id's first word counts up from it).</summary>
    public const int MaxFirstDevice = 0xFFFF;

    public SimulationTopology Topology { get; init; } = SimulationTopology.Single;

    public FlashFamily Family { get; init; } = FlashFamily.Stm32F4;

    /// <summary>Where flash files and keys persist; null keeps everything in memory (a fresh set of devices).</summary>
    public SimulationStore? Store { get; init; }

    /// <summary>Bit rate of every in-process cable (an emulated UART); 0 = in-memory pipes without a rate limit.</summary>
    public int Baud { get; init; }

    public FlashTimingProfile Timing { get; init; } = FlashTimingProfile.Typical;

    /// <summary>The bus clock of an I2C or SPI topology in Hz; 0 takes the default (400 kHz I2C, 8 MHz SPI).</summary>
    public int BusClock { get; init; }

    /// <summary>Wire a ready line per device on an I2C or SPI topology, so the host reads a device when it has bytes instead of polling it.</summary>
    public bool ReadyLines { get; init; }

    /// <summary>True for the I2C and SPI topologies.</summary>
    public bool IsBus => Topology is SimulationTopology.I2c or SimulationTopology.Spi;

    /// <summary>The bus clock in effect.</summary>
    public int EffectiveBusClock => BusClock != 0 ? BusClock : Topology == SimulationTopology.Spi ? 8_000_000 : 400_000;

    /// <summary>The fewest receive buffers a device can advertise (docs/protocol.md section 7.2).</summary>
    public const int MinReceiveBuffers = 1;

    /// <summary>
    /// The most receive buffers a simulated device gets: a host never keeps more than <see cref="Rpc.RpcProtocol.ReplayWindow"/>
    /// requests in flight to one device (docs/rpc-packets.md section 8), so more could never be used.
    /// </summary>
    public const int MaxReceiveBuffers = Rpc.RpcProtocol.ReplayWindow;

    /// <summary>
    /// How many packets each device holds before it has processed them, and advertises (the host's write window). 4 by
    /// default, as <see cref="Simulator.Firmware.DeviceProfile.ReceiveBuffers"/>; the published 115200-baud figures used 12
    /// (docs/performance.md section 1).
    /// </summary>
    public int ReceiveBuffers { get; init; } = 4;

    /// <summary>A private key (PEM) the devices trust and their factory images are signed with; null = the store's development key.</summary>
    public string? SigningKeyPath { get; init; }

    /// <summary>More public keys (PEM files) the devices trust.</summary>
    public IReadOnlyList<string> TrustedKeyPaths { get; init; } = [];

    /// <summary>
    /// Production public keys (PEM files). When given, the devices are a product that needs provisioning: they leave
    /// the "electronics manufacturer" blank (pre-bootloader and bootloader only) and take firmware only after
    /// <c>csa provision</c> gave them a certificate from one of these keys (docs/security.md section 10).
    /// </summary>
    public IReadOnlyList<string> ProductionKeyPaths { get; init; } = [];

    /// <summary>
    /// The positions (0 = nearest the host) whose device runs the C firmware (firmware/apps/csa-device) instead of the C#
    /// virtual device: the same product, the same cables. Empty by default.
    /// </summary>
    public IReadOnlySet<int> CDevices { get; init; } = new HashSet<int>();

    /// <summary>The csa-device program the C devices run; null: <see cref="CDeviceProgram.LocateAsync"/> finds or builds it.</summary>
    public string? CDeviceProgram { get; init; }

    /// <summary>How long a power cut lasts: the C devices power themselves on after it (<c>csa sim</c> restores the C# ones).</summary>
    public TimeSpan PowerOffTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Parses <c>--c-device</c> values and <c>c=</c>: device positions separated by commas, each 0..<paramref name="devices"/>-1.
    /// </summary>
    /// <exception cref="CliException">A usage error naming what is not a position.</exception>
    public static IReadOnlySet<int> ParseCDevices(IEnumerable<string> values, int devices, string what)
    {
        var set = new HashSet<int>();
        foreach (string value in values)
        {
            foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= devices)
                    throw CliException.Usage($"{what} '{part}' is not a device position 0..{devices - 1} (0 is the device nearest the host)");
                set.Add(index);
            }
        }
        return set;
    }

    /// <summary>
    /// Parses a CLI <c>sim:</c> link: <c>sim:[TOPOLOGY][?devices=N&amp;first=N&amp;topology=single|chain|star|i2c|spi&amp;family=f4|l4&amp;state=DIR&amp;baud=N&amp;clock=HZ&amp;ready=BOOL&amp;timing=typical|worst|instant&amp;buffers=N&amp;key=PEM&amp;trust=PEM[,PEM]&amp;production=PEM[,PEM]&amp;c=N[,N]]</c>.
    /// </summary>
    /// <exception cref="CliException">A usage error naming the bad part.</exception>
    public static SimulationSpec ParseUri(string text)
    {
        if (!text.StartsWith("sim:", StringComparison.OrdinalIgnoreCase))
            throw CliException.Usage($"'{text}' is not a sim: link");
        string rest = text[4..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
            rest = rest[2..];
        string target = rest;
        string query = "";
        int question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            target = rest[..question];
            query = rest[(question + 1)..];
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == pair.Length - 1)
                throw Bad(text, $"'{pair}' is not name=value");
            string name = Uri.UnescapeDataString(pair[..equals]);
            string value = Uri.UnescapeDataString(pair[(equals + 1)..]);
            // A decoded %00 can name no file and no setting: say so here rather than let a file API report
            // "Null character in path" later.
            if (value.Contains('\0', StringComparison.Ordinal))
                throw Bad(text, $"parameter '{name}' holds a NUL character (%00), which no path or setting may contain");
            if (!parameters.TryAdd(name, value))
                throw Bad(text, $"parameter '{name}' is given twice");
        }
        string[] known = ["devices", "first", "topology", "family", "state", "baud", "clock", "ready", "timing", "buffers", "key", "trust", "production", "c"];
        foreach (string name in parameters.Keys)
        {
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw Bad(text, $"unknown parameter '{name}' (known: {string.Join(", ", known)})");
        }

        target = Uri.UnescapeDataString(target.TrimEnd('/'));
        if (target.Length > 0 && parameters.ContainsKey("topology"))
            throw Bad(text, "the topology is given twice (as the target and as topology=)");
        string? topologyText = target.Length > 0 ? target : parameters.GetValueOrDefault("topology");

        int devices = parameters.TryGetValue("devices", out string? count) ? ParseCount(count, text) : 1;
        SimulationTopology topology = topologyText is null
            ? (devices == 1 ? SimulationTopology.Single : SimulationTopology.Chain)
            : ParseTopology(topologyText) ?? throw Bad(text, $"unknown topology '{topologyText}' (single, chain, star, i2c or spi)");
        FlashFamily family = parameters.TryGetValue("family", out string? f)
            ? ParseFamily(f) ?? throw Bad(text, $"unknown family '{f}' (f4 or l4)")
            : FlashFamily.Stm32F4;
        int baud = 0;
        if (parameters.TryGetValue("baud", out string? b) && (!int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out baud) || baud > 100_000_000))
            throw Bad(text, $"baud '{b}' is not 0..100000000");
        FlashTimingProfile timing = parameters.TryGetValue("timing", out string? t)
            ? ParseTiming(t) ?? throw Bad(text, $"unknown timing '{t}' (typical, worst or instant)")
            : FlashTimingProfile.Typical;
        int first = 0;
        if (parameters.TryGetValue("first", out string? firstText)
            && (!int.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out first) || first > MaxFirstDevice))
            throw Bad(text, $"first '{firstText}' is not 0..{MaxFirstDevice}");
        int clock = 0;
        if (parameters.TryGetValue("clock", out string? c) && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out clock) || clock == 0))
            throw Bad(text, $"clock '{c}' is not a bus clock in Hz (e.g. 100000, 400000, 1000000 for I2C; 8000000 for SPI)");
        bool ready = false;
        if (parameters.TryGetValue("ready", out string? r))
        {
            ready = r.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => throw Bad(text, $"ready '{r}' is not true or false"),
            };
        }
        int buffers = parameters.TryGetValue("buffers", out string? n) ? ParseBuffers(n) ?? throw Bad(text, BuffersProblem($"buffers '{n}'")) : 4;

        var spec = new SimulationSpec
        {
            Devices = devices,
            FirstDevice = first,
            Topology = topology,
            Family = family,
            Baud = baud,
            BusClock = clock,
            ReadyLines = ready,
            Timing = timing,
            ReceiveBuffers = buffers,
            Store = parameters.TryGetValue("state", out string? state) ? SimulationStore.InDirectory(state) : null,
            SigningKeyPath = parameters.GetValueOrDefault("key"),
            TrustedKeyPaths = parameters.TryGetValue("trust", out string? trust) ? trust.Split(',', StringSplitOptions.RemoveEmptyEntries) : [],
            ProductionKeyPaths = parameters.TryGetValue("production", out string? production) ? production.Split(',', StringSplitOptions.RemoveEmptyEntries) : [],
            CDevices = parameters.TryGetValue("c", out string? cDevices) ? ParseCDevicesIn(cDevices, devices, text) : new HashSet<int>(),
        };
        spec.Validate();
        return spec;
    }

    /// <summary>Checks the combination (a single topology has one device).</summary>
    public void Validate()
    {
        if (Devices is < 1 or > MaxDevices)
            throw CliException.Usage($"a simulation has 1..{MaxDevices} devices, not {Devices}");
        if (Topology == SimulationTopology.Single && Devices != 1)
            throw CliException.Usage($"a single topology has one device, not {Devices} (use chain or star)");
        if (Baud < 0)
            throw CliException.Usage($"baud {Baud} is negative");
        if (IsBus && Baud != 0)
            throw CliException.Usage($"baud is the bit rate of UART cables; an {Topology.ToString().ToUpperInvariant()} bus has clock= instead");
        if (!IsBus && (BusClock != 0 || ReadyLines))
            throw CliException.Usage("clock= and ready= belong to the i2c and spi topologies");
        if (Topology == SimulationTopology.I2c && BusClock != 0 && BusClock is < 1000 or > 5_000_000)
            throw CliException.Usage($"an I2C clock is 1000..5000000 Hz (100000, 400000, 1000000 are the standard modes), not {BusClock}");
        if (Topology == SimulationTopology.Spi && BusClock != 0 && BusClock is < 1000 or > 100_000_000)
            throw CliException.Usage($"an SPI clock is 1000..100000000 Hz, not {BusClock}");
        if (ReceiveBuffers is < MinReceiveBuffers or > MaxReceiveBuffers)
            throw CliException.Usage(BuffersProblem($"{ReceiveBuffers} receive buffers"));
        if (CDevices.Count > 0)
        {
            if (CDevices.Any(i => i < 0 || i >= Devices))
                throw CliException.Usage($"a C device position is 0..{Devices - 1}, not {CDevices.First(i => i < 0 || i >= Devices)}");
            if (IsBus)
                throw CliException.Usage("C devices sit on UART cables (single, chain or star), not on an I2C or SPI bus");
        }
    }

    /// <summary>A receive-buffer count in range, or null (not a number, or outside 1..16).</summary>
    public static int? ParseBuffers(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= MinReceiveBuffers and <= MaxReceiveBuffers ? n : null;

    /// <summary>Why a receive-buffer count is refused, naming what was given.</summary>
    public static string BuffersProblem(string given) =>
        $"{given} is not {MinReceiveBuffers}..{MaxReceiveBuffers}: a device holds at least one packet, and a host keeps at most {MaxReceiveBuffers} requests in flight";

    public static SimulationTopology? ParseTopology(string text) => text.ToLowerInvariant() switch
    {
        "single" => SimulationTopology.Single,
        "chain" => SimulationTopology.Chain,
        "star" => SimulationTopology.Star,
        "i2c" => SimulationTopology.I2c,
        "spi" => SimulationTopology.Spi,
        _ => null,
    };

    public static FlashFamily? ParseFamily(string text) => text.ToLowerInvariant() switch
    {
        "f4" or "stm32f4" => FlashFamily.Stm32F4,
        "l4" or "stm32l4" => FlashFamily.Stm32L4,
        _ => null,
    };

    public static FlashTimingProfile? ParseTiming(string text) => text.ToLowerInvariant() switch
    {
        "typical" => FlashTimingProfile.Typical,
        "worst" or "worstcase" => FlashTimingProfile.WorstCase,
        "instant" => FlashTimingProfile.Instant,
        _ => null,
    };

    private static int ParseCount(string text, string uri) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= MaxDevices
            ? n
            : throw Bad(uri, $"devices '{text}' is not 1..{MaxDevices}");

    private static IReadOnlySet<int> ParseCDevicesIn(string value, int devices, string uri)
    {
        try
        {
            return ParseCDevices([value], devices, "c");
        }
        catch (CliException e)
        {
            throw Bad(uri, e.Message);
        }
    }

    private static CliException Bad(string uri, string problem) => CliException.Usage($"bad link '{uri}': {problem}");
}
