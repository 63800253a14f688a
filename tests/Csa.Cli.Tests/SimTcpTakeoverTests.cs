using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa sim --tcp</c> with a connection that stays open and silent (a crashed host, a forgotten nc): <c>csa info</c>
/// from another host still works, also with more idle connections than the listen backlog (issue 13 item 13).
/// </summary>
public sealed partial class SimTcpTakeoverTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Info_WorksWhileIdleConnectionsHoldTheSimulatedDevice()
    {
        var output = new WatchedWriter("Ctrl+C stops");
        var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<int> sim = CsaApp.RunAsync(["sim", "--tcp", "0", "--flash-timing", "instant"], CliConsole.FromWriters(output, error), stop.Token);
        var idle = new List<Socket>();
        try
        {
            await Task.WhenAny(output.Seen, sim).WaitAsync(TimeSpan.FromMinutes(1));
            Assert.False(sim.IsCompleted, $"csa sim ended: {output}{error}");
            Match endpoint = TcpUri().Match(output.ToString());
            Assert.True(endpoint.Success, output.ToString());
            int port = int.Parse(endpoint.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);

            for (int i = 0; i < 20; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(socket);
                await socket.ConnectAsync("127.0.0.1", port);
            }

            for (int round = 0; round < 2; round++)
            {
                CliRun info = await CliRunner.RunAsync("info", "--link", $"tcp://127.0.0.1:{port}", "--json");
                Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
                Assert.Single(info.Json().GetProperty("devices").EnumerateArray());
            }
        }
        finally
        {
            foreach (Socket socket in idle)
                socket.Dispose();
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await sim);
        }
    }

    [GeneratedRegex(@"tcp://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex TcpUri();
}
