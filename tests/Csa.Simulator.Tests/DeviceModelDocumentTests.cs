using Csa.Simulator.Tests.Support;
using System.Text.RegularExpressions;
using Csa.Simulator.Memory;
using Csa.Simulator.Memory.Internal;

namespace Csa.Simulator.Tests;

/// <summary>docs/device-model.md must stay true: its golden vectors and tables are checked against the code.</summary>
public partial class DeviceModelDocumentTests
{
    private static byte[] Golden(string name) => DeviceModelDocument.Golden(name);

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public void Journal_record_golden_vectors_match_the_codec()
    {
        Assert.Equal(Golden("journal-record-1"), JournalRecordCodec.Encode(1, "BOOT"u8, 32));
        Assert.Equal(Golden("journal-record-2"), JournalRecordCodec.Encode(258, [], 64));
        Assert.True(JournalRecordCodec.TryDecode(Golden("journal-record-1"), out uint sequence, out byte[] payload));
        Assert.Equal(1u, sequence);
        Assert.Equal("BOOT"u8.ToArray(), payload);
    }

    [Fact]
    public void A_single_flipped_bit_in_a_golden_record_is_rejected()
    {
        byte[] record = Golden("journal-record-1");
        for (int bit = 0; bit < record.Length * 8; bit++)
        {
            byte[] damaged = (byte[])record.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(JournalRecordCodec.TryDecode(damaged, out _, out _), $"bit {bit}");
        }
    }

    [Theory]
    [InlineData("### 2.1", "STM32F4 1 MB")]
    [InlineData("### 2.3", "STM32L4 1 MB")]
    public void Memory_map_tables_match_the_code(string heading, string mapName)
    {
        string doc = DeviceModelDocument.Value;
        int start = doc.IndexOf(heading, StringComparison.Ordinal);
        int end = doc.IndexOf("###", start + heading.Length, StringComparison.Ordinal);
        var rows = RegionRow().Matches(doc[start..end])
            .Select(m => $"{m.Groups[1].Value} 0x{m.Groups[2].Value} {m.Groups[3].Value}").ToArray();
        MemoryMap map = MemoryMap.Known.Single(m => m.Name == mapName);
        Assert.Equal(map.Regions.Select(r => $"{r.Kind} 0x{r.Address:X8} {r.Size / 1024}"), rows);
    }

    [GeneratedRegex(@"^\| (\w+) \| [^|]+ \| 0x([0-9A-F]{8}) \| (\d+) KB \|", RegexOptions.Multiline)]
    private static partial Regex RegionRow();
}
