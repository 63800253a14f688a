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

    public SimulationTopology Topology { get; init; } = SimulationTopology.Single;

    public FlashFamily Family { get; init; } = FlashFamily.Stm32F4;

    /// <summary>Where flash files and keys persist; null keeps everything in memory (a fresh set of devices).</summary>
    public SimulationStore? Store { get; init; }

    /// <summary>Bit rate of every in-process cable (an emulated UART); 0 = in-memory pipes without a rate limit.</summary>
    public int Baud { get; init; }

    public FlashTimingProfile Timing { get; init; } = FlashTimingProfile.Typical;

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
    /// Parses a CLI <c>sim:</c> link: <c>sim:[TOPOLOGY][?devices=N&amp;topology=single|chain|star&amp;family=f4|l4&amp;state=DIR&amp;baud=N&amp;timing=typical|worst|instant&amp;buffers=N&amp;key=PEM&amp;trust=PEM[,PEM]&amp;production=PEM[,PEM]]</c>.
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
        string[] known = ["devices", "topology", "family", "state", "baud", "timing", "buffers", "key", "trust", "production"];
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
            : ParseTopology(topologyText) ?? throw Bad(text, $"unknown topology '{topologyText}' (single, chain or star)");
        FlashFamily family = parameters.TryGetValue("family", out string? f)
            ? ParseFamily(f) ?? throw Bad(text, $"unknown family '{f}' (f4 or l4)")
            : FlashFamily.Stm32F4;
        int baud = 0;
        if (parameters.TryGetValue("baud", out string? b) && (!int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out baud) || baud > 100_000_000))
            throw Bad(text, $"baud '{b}' is not 0..100000000");
        FlashTimingProfile timing = parameters.TryGetValue("timing", out string? t)
            ? ParseTiming(t) ?? throw Bad(text, $"unknown timing '{t}' (typical, worst or instant)")
            : FlashTimingProfile.Typical;
        int buffers = parameters.TryGetValue("buffers", out string? n) ? ParseBuffers(n) ?? throw Bad(text, BuffersProblem($"buffers '{n}'")) : 4;

        var spec = new SimulationSpec
        {
            Devices = devices,
            Topology = topology,
            Family = family,
            Baud = baud,
            Timing = timing,
            ReceiveBuffers = buffers,
            Store = parameters.TryGetValue("state", out string? state) ? SimulationStore.InDirectory(state) : null,
            SigningKeyPath = parameters.GetValueOrDefault("key"),
            TrustedKeyPaths = parameters.TryGetValue("trust", out string? trust) ? trust.Split(',', StringSplitOptions.RemoveEmptyEntries) : [],
            ProductionKeyPaths = parameters.TryGetValue("production", out string? production) ? production.Split(',', StringSplitOptions.RemoveEmptyEntries) : [],
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
        if (ReceiveBuffers is < MinReceiveBuffers or > MaxReceiveBuffers)
            throw CliException.Usage(BuffersProblem($"{ReceiveBuffers} receive buffers"));
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

    private static CliException Bad(string uri, string problem) => CliException.Usage($"bad link '{uri}': {problem}");
}
