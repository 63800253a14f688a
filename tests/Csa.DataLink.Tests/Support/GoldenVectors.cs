using System.Globalization;
using Csa.DataLink.Internal;

namespace Csa.DataLink.Tests.Support;

/// <summary>A frame vector from docs/protocol.md section 9.</summary>
public sealed record GoldenFrame(string Name, bool Last, byte HopLimit, Endpoint Destination, Endpoint Source, ushort PacketId, byte Fragment, byte[] Payload, byte[] Decoded, byte[] Encoded)
{
    internal FrameHeader Header => new(Destination, Source, PacketId, Fragment, Last, HopLimit);

    public override string ToString() => Name;
}

/// <summary>A run from docs/protocol.md section 9.1 that must be rejected.</summary>
public sealed record RejectedFrame(FrameDropReason Reason, string Note, byte[] Encoded)
{
    public override string ToString() => $"{Reason}: {Note}";
}

/// <summary>Reads the golden vectors out of the protocol document copied next to the test assembly.</summary>
public static class GoldenVectors
{
    private static readonly Lazy<List<Dictionary<string, string>>> Blocks = new(ReadBlocks);

    public static IReadOnlyList<GoldenFrame> Frames => [.. Blocks.Value.Where(b => b.ContainsKey("vector")).Select(ToFrame)];

    public static IReadOnlyList<RejectedFrame> Rejected => [.. Blocks.Value.Where(b => b.ContainsKey("rejected")).Select(b =>
        new RejectedFrame(Enum.Parse<FrameDropReason>(b["rejected"]), b["note"], Hex(b["encoded"])))];

    public static TheoryData<string> FrameNames()
    {
        var data = new TheoryData<string>();
        foreach (GoldenFrame frame in Frames)
            data.Add(frame.Name);
        return data;
    }

    public static GoldenFrame Frame(string name) => Frames.Single(f => f.Name == name);

    public static byte[] Hex(string text)
        => text == "(empty)" ? [] : Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));

    private static GoldenFrame ToFrame(Dictionary<string, string> b) => new(
        b["vector"],
        b["last-fragment"] switch { "yes" => true, "no" => false, var v => throw new FormatException($"last-fragment '{v}'") },
        byte.Parse(b["hop-limit"], CultureInfo.InvariantCulture),
        ParseEndpoint(b["destination"]),
        ParseEndpoint(b["source"]),
        ushort.Parse(b["packet-id"], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(b["fragment"], CultureInfo.InvariantCulture),
        Hex(b["payload"]),
        Hex(b["decoded"]),
        Hex(b["encoded"]));

    private static Endpoint ParseEndpoint(string text)
    {
        string[] parts = text.Split(':');
        return new Endpoint(new NodeAddress(byte.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
            byte.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    private static List<Dictionary<string, string>> ReadBlocks()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "protocol.md");
        var blocks = new List<Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (line == "```text")
            {
                current = [];
                continue;
            }
            if (line == "```")
            {
                if (current is not null && (current.ContainsKey("vector") || current.ContainsKey("rejected")))
                    blocks.Add(current);
                current = null;
                continue;
            }
            if (current is null)
                continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
                current[line[..colon]] = line[(colon + 1)..].Trim();
        }
        if (blocks.Count == 0)
            throw new InvalidOperationException($"No golden vectors found in {path}.");
        return blocks;
    }
}
