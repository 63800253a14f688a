using System.Diagnostics;
using System.Net;
using Csa.DataLink.Transports;
using HostRpcServer;
using HostRpcServer.Thermometer;

namespace Csa.Rpc.Tests;

/// <summary>
/// samples/HostRpcServer, the runnable "host your own RPC server" of docs/rpc-interfaces.md section 9: a customer's
/// own interface served by a device node and called by a host node, over each kind of link the docs name. The
/// session asserts a command's answer, an event and a typed interface error; these tests check it ran to the end.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class HostRpcServerSampleTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task InMemory_TheHostCallsTheDevice_GetsItsEvent_AndItsTypedError()
    {
        (InMemoryTransport deviceEnd, InMemoryTransport hostEnd) = InMemoryTransport.CreatePair("thermometer");
        await using ThermometerDevice device = ThermometerDevice.Start(deviceEnd);
        var output = new StringWriter();

        LimitExceededEvent alarm = await ThermometerHost.RunSessionAsync(hostEnd, output).WaitAsync(Guard);

        Assert.InRange(alarm.MilliCelsius, 36_000, 39_000);
        string text = output.ToString();
        Assert.Contains("talking to 0x01", text);
        Assert.Contains($"refused: {ThermometerError.LimitOutOfRange}", text);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Tcp_TheDeviceServesOneHostAfterAnother()
    {
        using var stop = new CancellationTokenSource();
        var bound = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task serving = ThermometerDevice.ServeTcpAsync(new IPEndPoint(IPAddress.Loopback, 0), bound.SetResult, stop.Token);
        IPEndPoint endPoint = await bound.Task.WaitAsync(Guard);

        for (int session = 0; session < 2; session++)
        {
            var output = new StringWriter();
            await ThermometerHost.RunSessionAsync(await TransportFactory.ConnectAsync($"tcp://{endPoint}"), output).WaitAsync(Guard);
            Assert.Contains("event LimitExceeded", output.ToString());
        }

        await stop.CancelAsync();
        await serving.WaitAsync(Guard);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Serial_BothEndsOnAPseudoTerminalPair_TheSecondHostFindsTheDeviceAgain()
    {
        if (!OperatingSystem.IsLinux())
            return; // pseudo-terminals through socat: Linux CI; Windows users run the sample against a COM port pair
        string folder = Directory.CreateTempSubdirectory("csa-sample-pty-").FullName;
        string devicePath = Path.Combine(folder, "device");
        string hostPath = Path.Combine(folder, "host");
        using Process socat = Process.Start(new ProcessStartInfo("socat",
            [$"pty,raw,echo=0,link={devicePath}", $"pty,raw,echo=0,link={hostPath}"]) { RedirectStandardError = true })!;
        try
        {
            await WaitForAsync(() => File.Exists(devicePath) && File.Exists(hostPath));
            await using ThermometerDevice device = ThermometerDevice.Start(await TransportFactory.ConnectAsync($"serial:{devicePath}?baud=115200"));

            // The device keeps its address between host sessions; the second enumeration readdresses it.
            for (int session = 0; session < 2; session++)
            {
                var output = new StringWriter();
                await ThermometerHost.RunSessionAsync(await TransportFactory.ConnectAsync($"serial:{hostPath}?baud=115200"), output).WaitAsync(Guard);
                Assert.Contains("event LimitExceeded", output.ToString());
            }
        }
        finally
        {
            socat.Kill();
            await socat.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TheSampleRunsAsAProgram_WithoutArguments_AndRefusesAnUnknownCommand()
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "HostRpcServer.dll");
        (int exit, string output) = await RunAsync(sample);
        Assert.True(exit == 0, output);
        Assert.Contains("event LimitExceeded", output);

        (exit, output) = await RunAsync(sample, "flash");
        Assert.Equal(2, exit);
        Assert.Contains("usage: HostRpcServer", output);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Guard);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (!condition())
            await Task.Delay(20, guard.Token);
    }
}
