using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.RegularExpressions;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Internal;

namespace Csa.DataLink.Bus.Tests;

/// <summary>Replays the golden transactions of docs/transports.md section 7.10 against <see cref="BusSlave"/>, byte for byte.</summary>
public sealed partial class GoldenBusVectorTests
{
    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (string block in ReadBlocks())
            data.Add(block);
        return data;
    }

    private static IEnumerable<string> ReadBlocks()
    {
        string doc = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "transports.md"));
        return BlockPattern().Matches(doc).Select(m => m.Groups[1].Value.Trim());
    }

    [GeneratedRegex("```golden-bus\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BlockPattern();

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void TheDocumentHasAnI2cAndAnSpiBlock()
    {
        string[] blocks = [.. ReadBlocks()];
        Assert.Contains(blocks, b => b.StartsWith("bus i2c", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.StartsWith("bus spi", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task EveryTransaction_GivesTheDocumentedBytes(string block)
    {
        string[] lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches("^bus (i2c 0x[0-9A-F]{2}|spi [0-9]+)$", lines[0]);
        bool spi = lines[0].StartsWith("bus spi", StringComparison.Ordinal);
        int receiveBuffer = int.Parse(lines[1]["slave receive-buffer ".Length..], CultureInfo.InvariantCulture);
        var slave = new BusSlave("golden", new BusSlaveOptions { ReceiveBufferSize = receiveBuffer });
        int checkedTransactions = 0;
        foreach (string line in lines.Skip(2))
        {
            (string verb, string rest) = Split(line);
            switch (verb)
            {
                case "power-on":
                    slave.PowerOn();
                    break;
                case "power-off":
                    slave.PowerOff();
                    break;
                case "device-sends":
                    await slave.Transport.Output.WriteAsync(Hex(rest));
                    break;
                case "device-receives":
                {
                    byte[] expected = Hex(rest);
                    ReadResult result = await slave.Transport.Input.ReadAsync();
                    Assert.Equal(expected, result.Buffer.ToArray());
                    slave.Transport.Input.AdvanceTo(result.Buffer.End);
                    break;
                }
                case "write":
                    Assert.False(spi);
                    Assert.True(slave.TryI2cWrite(Hex(rest)), line);
                    checkedTransactions++;
                    break;
                case "read":
                {
                    Assert.False(spi);
                    string[] parts = rest.Split("->", StringSplitOptions.TrimEntries);
                    var buffer = new byte[int.Parse(parts[0], CultureInfo.InvariantCulture)];
                    bool answered = slave.TryI2cRead(buffer);
                    if (parts[1] == "NAK")
                    {
                        Assert.False(answered, line);
                    }
                    else
                    {
                        Assert.True(answered, line);
                        Assert.Equal(parts[1], Convert.ToHexString(buffer).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b));
                        Assert.True(SlaveHeader.TryParse(buffer, out _), $"the master accepts the header of: {line}");
                    }
                    checkedTransactions++;
                    break;
                }
                case "transfer":
                {
                    Assert.True(spi);
                    string[] parts = rest.Split("->", StringSplitOptions.TrimEntries);
                    byte[] mosi = Hex(parts[0]);
                    byte[] expected = Hex(parts[1]);
                    Assert.Equal(mosi.Length, expected.Length);
                    Assert.True(MasterHeader.TryParse(mosi, out MasterHeader header), $"the slave accepts the master header of: {line}");
                    Assert.Equal(mosi.Length - BusFraming.HeaderLength, header.DataLength);
                    var miso = new byte[mosi.Length];
                    slave.SpiTransfer(mosi, miso);
                    Assert.Equal(expected, miso);
                    checkedTransactions++;
                    break;
                }
                default:
                    Assert.Fail($"unknown line in a golden-bus block: {line}");
                    break;
            }
        }
        Assert.True(checkedTransactions >= 5);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void Crc8Smbus_HasTheDocumentedCheckValue_AndTheDocumentedExamples()
    {
        Assert.Equal(0xF4, Crc8Smbus.Compute("123456789"u8));
        Assert.Equal(Hex("A0 15 00 00 08 E2"), Write(new SlaveHeader(SlaveFlags.None, 21, 2048)));
        Assert.Equal(Hex("A1 00 00 00 08 A9"), Write(new SlaveHeader(SlaveFlags.Reset, 0, 2048)));
        byte[] poll = new byte[6];
        new MasterHeader(0, 0).Write(poll);
        Assert.Equal(Hex("51 00 00 00 00 98"), poll);
    }

    private static byte[] Write(SlaveHeader header)
    {
        byte[] bytes = new byte[6];
        header.Write(bytes);
        return bytes;
    }

    private static (string Verb, string Args) Split(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
    }

    private static byte[] Hex(string text) => Convert.FromHexString(text.Replace(" ", "", StringComparison.Ordinal));
}
