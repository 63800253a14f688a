using System.Globalization;
using Csa.DataLink.Transports;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

/// <summary>
/// The seeded impairment golden vector of docs/transports.md section 4.2: pins the seed derivation, the draw
/// order and the bit-error process, so a change to any of them (or to System.Random's seeded algorithm) is seen.
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
public sealed class EmulatedLinkGoldenVectorTests
{
    [Fact]
    public async Task The_golden_vector_in_the_transports_doc_is_reproduced_exactly()
    {
        Dictionary<string, string> vector = ReadGoldenBlock();
        var channel = new EmulatedChannelOptions
        {
            BaudRate = 0,
            FrameLossProbability = Number(vector["loss"]),
            FrameDuplicationProbability = Number(vector["dup"]),
            FrameReorderProbability = Number(vector["reorder"]),
            BitErrorRate = Number(vector["ber"]),
        };
        int seed = int.Parse(vector["seed"], CultureInfo.InvariantCulture);

        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel, seed));
        await WriteAsync(link.A.Output, Convert.FromHexString(vector["sent"].Replace(" ", "", StringComparison.Ordinal)));
        await link.A.Output.CompleteAsync();
        byte[] received = await ReadToCompletionAsync(link.B.Input);

        EmulatedLinkCounters c = link.AToBCounters;
        string actualCounters = $"dropped {c.FramesDropped} duplicated {c.FramesDuplicated} reordered {c.FramesReordered} bitsflipped {c.BitsFlipped}";
        string actualReceived = Convert.ToHexString(received).Chunk(2).Select(p => new string(p)).Aggregate((a, b) => $"{a} {b}");
        Assert.Equal(vector["received"], actualReceived);
        Assert.Equal(vector["counters"], actualCounters);
    }

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static Dictionary<string, string> ReadGoldenBlock()
    {
        string[] lines = File.ReadAllLines(FindDoc());
        int start = Array.IndexOf(lines, "```golden-emulated-link");
        Assert.True(start >= 0, "docs/transports.md has no golden-emulated-link block");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(start + 1).TakeWhile(l => l != "```"))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            values[line[..space]] = line[(space + 1)..];
        }

        return values;
    }

    private static string FindDoc()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "docs", "transports.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("docs/transports.md not found above " + AppContext.BaseDirectory);
    }
}
