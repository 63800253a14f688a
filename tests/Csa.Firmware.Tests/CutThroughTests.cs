using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Firmware.Tests.Support;
using Csa.Simulator.Flash;

namespace Csa.Firmware.Tests;

/// <summary>
/// The C device forwards cut-through (docs/protocol.md 6.3.1), seen from the wire: host -> near C device (1) -> far C
/// device (2), the host a raw byte stream that writes each frame in two parts with a pause between, so the near device
/// has the header and part of the frame before the rest arrives and passes it on while it arrives. An intact echo
/// request to the far device is answered; one whose CRC is wrong goes on poisoned and the far device drops it (never
/// answered, counted as CrcMismatch there).
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-RPC")]
public sealed class CutThroughTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60); // never a performance bound

    [Fact]
    public async Task A_poisoned_frame_is_not_taken_by_the_node_behind_and_intact_ones_are()
    {
        using var guardSource = new CancellationTokenSource(HangGuard);
        CancellationToken guard = guardSource.Token;
        await using TcpLinkListener towardsFar = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using CDevice far = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32F4), "--upstream", "tcp-listen:127.0.0.1:0", "--address", "2",
            "--uid", "0000000000000000000000F4", "--heartbeat-ms", "0", "--no-telemetry"]);
        await using CDevice near = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32F4), "--upstream", "tcp-listen:127.0.0.1:0", "--address", "1",
            "--downstream", $"tcp:127.0.0.1:{towardsFar.LocalEndPoint.Port}", "--uid", "0000000000000000000000F3",
            "--heartbeat-ms", "0", "--no-telemetry"]);
        await using TcpTransport host = await TcpTransport.ConnectAsync("127.0.0.1", near.TcpPort, cancellationToken: guard);
        await using TcpTransport fromNear = await towardsFar.AcceptAsync(guard);
        await using TcpTransport toFar = await TcpTransport.ConnectAsync("127.0.0.1", far.TcpPort, cancellationToken: guard);
        await using var bridge = new Bridge(fromNear, toFar);
        var answers = new AnswerReader(host.Input);

        await SendInTwoPartsAsync(host.Output, EchoRequest(token: 1, corrupt: false), guard);
        Assert.Equal(1, await answers.NextEchoTokenAsync(guard));
        IReadOnlyDictionary<string, long> nearAfterIntact = await near.DataLinkCountersAsync(guard);
        Assert.True(nearAfterIntact["cut-through"] >= 1, $"the near device stored and forwarded: {Describe(nearAfterIntact)}");

        await SendInTwoPartsAsync(host.Output, EchoRequest(token: 2, corrupt: true), guard);
        // The far device drops what the near one passed on poisoned; the near one counted it dropped on its way in.
        IReadOnlyDictionary<string, long> farCounters;
        do
        {
            await Task.Delay(50, guard);
            farCounters = await far.DataLinkCountersAsync(guard);
        }
        while (farCounters["crc-mismatch"] == 0);
        IReadOnlyDictionary<string, long> nearCounters = await near.DataLinkCountersAsync(guard);
        Assert.Equal(1, nearCounters["crc-mismatch"]);
        Assert.Equal(1, nearCounters["poisoned"]);
        Assert.Equal(1, farCounters["crc-mismatch"]);

        // The next intact request is answered, and the poisoned one never was.
        await SendInTwoPartsAsync(host.Output, EchoRequest(token: 3, corrupt: false), guard);
        Assert.Equal(3, await answers.NextEchoTokenAsync(guard));
        Assert.True((await near.DataLinkCountersAsync(guard))["cut-through"] >= 2);
    }

    private static string Describe(IReadOnlyDictionary<string, long> counters) =>
        string.Join(", ", counters.Select(kv => $"{kv.Key} {kv.Value}"));

    /// <summary>A frame's first part (the header and a few COBS blocks), a pause, then the rest with its delimiter.</summary>
    private static async Task SendInTwoPartsAsync(PipeWriter output, byte[] encoded, CancellationToken cancellationToken)
    {
        int half = encoded.Length / 2;
        await output.WriteAsync(encoded.AsMemory(0, half), cancellationToken);
        await Task.Delay(30, cancellationToken);
        await output.WriteAsync(encoded.AsMemory(half), cancellationToken);
    }

    /// <summary>
    /// An echo request (link management, protocol.md 7.1) from the host (port 0x20) to node 2 with a 200-byte body that
    /// has a zero every 20 bytes (so COBS blocks close all along it), encoded with a leading and a closing delimiter.
    /// With <paramref name="corrupt"/> one body byte is changed after the CRC was computed.
    /// </summary>
    private static byte[] EchoRequest(byte token, bool corrupt)
    {
        var frame = new List<byte> { 0x11, 64, 0x02, 0x00, 0x00, 0x20, token, 0x00, 0x00, 0x02, token };
        for (int i = 0; i < 200; i++)
            frame.Add(i % 20 == 19 ? (byte)0 : (byte)(0x40 + i % 64));
        uint crc = Crc32Mpeg2.Compute(frame.ToArray());
        frame.AddRange(BitConverter.GetBytes(crc)); // little-endian, as the frame stores it
        if (corrupt)
            frame[150] ^= 0x01; // a body byte late in the frame: the first part went on before the bad byte came
        return [0x00, .. CobsEncode(frame.ToArray()), 0x00];
    }

    /// <summary>COBS as protocol.md 3.1 gives it in C.</summary>
    private static byte[] CobsEncode(byte[] input)
    {
        var output = new byte[input.Length + input.Length / 254 + 2];
        int write = 1, codeAt = 0;
        byte code = 1;
        for (int read = 0; read < input.Length; read++)
        {
            if (input[read] != 0)
            {
                output[write++] = input[read];
                code++;
            }
            if (input[read] == 0 || code == 0xFF)
            {
                output[codeAt] = code;
                code = 1;
                codeAt = write;
                if (input[read] == 0 || read + 1 < input.Length)
                    write++;
            }
        }
        if (codeAt < write)
            output[codeAt] = code;
        return output[..write];
    }

    /// <summary>Reads the host's byte stream, cuts it into frames and finds echo responses (type 0x82) among them.</summary>
    private sealed class AnswerReader(PipeReader input)
    {
        private readonly List<byte> _run = [];

        public async Task<int> NextEchoTokenAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(cancellationToken);
                SequencePosition consumed = read.Buffer.Start;
                int? token = null;
                var reader = new SequenceReader<byte>(read.Buffer);
                while (token is null && reader.TryRead(out byte b))
                {
                    if (b != 0)
                    {
                        _run.Add(b);
                        continue;
                    }
                    token = EchoToken(CobsDecode(_run));
                    _run.Clear();
                }
                input.AdvanceTo(reader.Position);
                if (token is { } t)
                    return t;
                if (read.IsCompleted)
                    throw new InvalidOperationException("the near device closed the host's link");
            }
        }

        /// <summary>The token of an intact echo response from node 2 to the host's port 0x20, else null.</summary>
        private static int? EchoToken(byte[]? frame)
        {
            if (frame is null || frame.Length < 15)
                return null;
            uint crc = BitConverter.ToUInt32(frame, frame.Length - 4);
            if (crc != Crc32Mpeg2.Compute(frame.AsSpan(0, frame.Length - 4)) || frame[2] != 0x00 || frame[3] != 0x20 || frame[4] != 0x02 || frame[9] != 0x82)
                return null;
            return frame[10];
        }

        private static byte[]? CobsDecode(List<byte> run)
        {
            var output = new List<byte>();
            int read = 0;
            while (read < run.Count)
            {
                byte code = run[read++];
                if (code - 1 > run.Count - read)
                    return null;
                for (int i = 1; i < code; i++)
                    output.Add(run[read++]);
                if (code != 0xFF && read < run.Count)
                    output.Add(0);
            }
            return run.Count == 0 ? null : output.ToArray();
        }
    }
}
