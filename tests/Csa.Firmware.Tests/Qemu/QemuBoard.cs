using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Csa.DataLink;
using Csa.DataLink.Transports;

namespace Csa.Firmware.Tests.Qemu;

/// <summary>
/// An emulated STM32F405 board: QEMU's <c>netduinoplus2</c> machine running the cross-compiled images from its folder's
/// <c>flash.bin</c> (firmware/port/qemu/include/csa/csa_qemu.h), with a UART cable to the host that stays plugged in
/// while the chip restarts.
/// <para>
/// QEMU 7.2 models no flash controller, so the chip's flash is the folder's <c>flash.bin</c>: loaded raw at 0x08000000
/// by <c>-device loader</c> (what the CPU fetches code from) and read and written through semihosting by the QEMU port
/// (what the bootloader programs). Code fetch sees the file as it was when QEMU started, so every reset must start a
/// new QEMU: with <c>-no-reboot</c> a reset through AIRCR ends QEMU with status 0, and this harness starts it again at
/// once on the updated file, as the chip restarts. <see cref="CutPowerAsync"/> kills QEMU instead (SIGKILL: the flash
/// file keeps what was written up to that moment, a sector erase half done stays half done) and starts it again after
/// <see cref="PowerOffTime"/>, without the retained SRAM block a reset keeps.
/// </para>
/// <para>
/// USART1 is QEMU's first <c>-serial</c>, a TCP server on the loopback interface with Nagle's algorithm off (with it,
/// QEMU's answers wait up to ~45 ms). The harness connects to each QEMU it starts and joins that connection to
/// <see cref="HostLink"/>, an in-memory transport that outlives the QEMU processes: while no QEMU runs, or before the
/// firmware enabled its USART, bytes from the host are lost, as on a real line to a chip in reset.
/// </para>
/// </summary>
internal sealed class QemuBoard : IAsyncDisposable
{
    /// <summary>The emulator; .ci/run installs Debian's qemu-system-arm.</summary>
    public const string Emulator = "qemu-system-arm";

    /// <summary>What the QEMU port prints (semihosting) when the firmware has enabled its USART and listens.</summary>
    public const string LinkOpenLine = "csa qemu: link open";

    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30); // QEMU's start and exit; never a performance bound

    private readonly string _folder;
    private readonly InMemoryTransport _boardEnd;
    private readonly StringBuilder _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _failed = new();
    private readonly object _gate = new();
    private readonly Task _hostPump;
    private Task _supervisor = Task.CompletedTask;
    private Process? _qemu;
    private NetworkStream? _serial;
    private int _port;
    private bool _cutRequested;
    private int _starts, _resets, _powerCuts, _linkOpens;

    private QemuBoard(string folder)
    {
        _folder = folder;
        (InMemoryTransport host, InMemoryTransport board) = InMemoryTransport.CreatePair("qemu-usart1");
        HostLink = host;
        _boardEnd = board;
        _hostPump = PumpHostToBoardAsync();
    }

    /// <summary>The host's end of the UART cable (give it to a <c>DeviceNetwork</c>).</summary>
    public ILinkTransport HostLink { get; }

    /// <summary>How long the board stays without power after <see cref="CutPowerAsync"/>.</summary>
    public TimeSpan PowerOffTime { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The folder with flash.bin and sysmem.bin, QEMU's working directory.</summary>
    public string Folder => _folder;

    /// <summary>QEMU processes started so far: the power-on, one per reset and one per power cut.</summary>
    public int Starts => Volatile.Read(ref _starts);

    /// <summary>Resets the firmware made (QEMU ended with status 0).</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Power cuts (<see cref="CutPowerAsync"/>).</summary>
    public int PowerCuts => Volatile.Read(ref _powerCuts);

    /// <summary>Cancelled when the board stopped for good: the firmware halted or faulted, or QEMU could not run.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>What QEMU and the firmware said (semihosting console), and what the harness did, line by line.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>Powers the board on from <paramref name="folder"/>'s flash.bin and sysmem.bin.</summary>
    public static QemuBoard PowerOn(string folder)
    {
        var board = new QemuBoard(folder);
        board._supervisor = board.SuperviseAsync();
        return board;
    }

    /// <summary>
    /// Waits until the firmware has opened its link <paramref name="count"/> times since power-on (the first start is
    /// 1): from then on, bytes the host sends reach it.
    /// </summary>
    public async Task WaitForLinkOpenAsync(int count, CancellationToken cancellationToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _failed.Token);
        try
        {
            while (Volatile.Read(ref _linkOpens) < count)
                await Task.Delay(10, both.Token);
        }
        catch (OperationCanceledException) when (_failed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the emulated board stopped before its link opened {count} times:\n{Log}");
        }
    }

    /// <summary>
    /// Cuts the power now: QEMU is killed wherever the firmware is (mid-erase, mid-program), and started again on the
    /// same flash file after <see cref="PowerOffTime"/>. Returns when the new QEMU's firmware has opened its link.
    /// </summary>
    public async Task CutPowerAsync(CancellationToken cancellationToken)
    {
        int opens = Volatile.Read(ref _linkOpens);
        lock (_gate)
        {
            if (_qemu is null)
                throw new InvalidOperationException("the board is not running");
            _cutRequested = true;
            _qemu.Kill();
        }
        await WaitForLinkOpenAsync(opens + 1, cancellationToken);
    }

    /// <summary>The flash as the chip holds it now (flash.bin).</summary>
    public byte[] ReadFlash()
    {
        using var file = new FileStream(Path.Combine(_folder, "flash.bin"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var flash = new byte[file.Length];
        file.ReadExactly(flash);
        return flash;
    }

    private void Note(string line)
    {
        lock (_log)
            _log.AppendLine(line);
    }

    /// <summary>Starts QEMU, joins its serial port to the cable, and starts it again after every reset and power cut.</summary>
    private async Task SuperviseAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int status = await RunOnceAsync();
                bool cut;
                lock (_gate)
                {
                    cut = _cutRequested;
                    _cutRequested = false;
                }
                if (_stop.IsCancellationRequested)
                    break;
                if (cut)
                {
                    Interlocked.Increment(ref _powerCuts);
                    Note($"harness: power cut; off for {PowerOffTime.TotalMilliseconds:0} ms");
                    await Task.Delay(PowerOffTime, _stop.Token);
                }
                else if (status == 0)
                {
                    Interlocked.Increment(ref _resets);
                    Note("harness: reset (QEMU ended with status 0); starting it again");
                }
                else
                {
                    Note($"harness: QEMU ended with status {status} (2: a host file missing, 3: a fault, 4: halted); the board stays off");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Note($"harness: {e}");
        }
        finally
        {
            _failed.Cancel();
        }
    }

    /// <summary>One QEMU process from start to exit; its exit status.</summary>
    private async Task<int> RunOnceAsync()
    {
        for (int attempt = 0; ; attempt++)
        {
            if (_port == 0)
                _port = FreeLoopbackPort();
            Process qemu = StartQemu(_port);
            Interlocked.Increment(ref _starts);
            NetworkStream? serial = await ConnectAsync(qemu);
            if (serial is null)
            {
                await qemu.WaitForExitAsync(_stop.Token);
                qemu.WaitForExit();
                bool portTaken = Log.Contains("Address already in use", StringComparison.Ordinal);
                qemu.Dispose();
                lock (_gate)
                    _qemu = null;
                if (portTaken && attempt < 5)
                {
                    _port = 0; // another program took the port between our probe and QEMU's bind
                    continue;
                }
                throw new InvalidOperationException($"{Emulator} ended (status {qemu.ExitCode}) before its serial port accepted a connection");
            }

            lock (_gate)
                _serial = serial;
            Task boardToHost = PumpBoardToHostAsync(serial);
            try
            {
                await qemu.WaitForExitAsync(_stop.Token);
            }
            finally
            {
                lock (_gate)
                    _serial = null;
                await serial.DisposeAsync();
                await boardToHost;
            }
            qemu.WaitForExit(); // the last console lines
            int status = qemu.ExitCode;
            qemu.Dispose();
            lock (_gate)
                _qemu = null;
            return status;
        }
    }

    private Process StartQemu(int port)
    {
        var start = new ProcessStartInfo(Emulator)
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in Arguments(port))
            start.ArgumentList.Add(argument);
        var qemu = new Process { StartInfo = start };
        qemu.OutputDataReceived += (_, e) => OnConsoleLine(e.Data);
        qemu.ErrorDataReceived += (_, e) => OnConsoleLine(e.Data);
        lock (_gate)
        {
            try
            {
                qemu.Start();
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException($"{Emulator} cannot be started ({e.Message}): install Debian's qemu-system-arm (.ci/run does)", e);
            }
            _qemu = qemu;
        }
        qemu.BeginOutputReadLine();
        qemu.BeginErrorReadLine();
        Note($"harness: {Emulator} {string.Join(' ', start.ArgumentList)} (pid {qemu.Id})");
        return qemu;
    }

    /// <summary>The command line: the machine, the flash file, USART1 on TCP, semihosting to the host's files, no reboot.</summary>
    public static IReadOnlyList<string> Arguments(int port) =>
    [
        "-M", "netduinoplus2",
        "-display", "none",
        "-monitor", "none",
        "-no-reboot",
        "-device", "loader,file=flash.bin,addr=0x08000000",
        "-serial", $"tcp:127.0.0.1:{port},server=on,wait=off,nodelay=on",
        "-semihosting-config", "enable=on,target=native",
    ];

    private void OnConsoleLine(string? line)
    {
        if (line is null)
            return;
        Note(line);
        if (line.Contains(LinkOpenLine, StringComparison.Ordinal))
            Interlocked.Increment(ref _linkOpens);
    }

    /// <summary>Connects to QEMU's serial server, retrying until it listens; null when QEMU ended first.</summary>
    private async Task<NetworkStream?> ConnectAsync(Process qemu)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        guard.CancelAfter(HangGuard);
        while (!qemu.HasExited)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port), guard.Token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException)
            {
                socket.Dispose();
                await Task.Delay(10, guard.Token);
            }
        }
        return null;
    }

    /// <summary>Host to chip: always reading the cable; what arrives while no QEMU is connected is lost.</summary>
    private async Task PumpHostToBoardAsync()
    {
        PipeReader input = _boardEnd.Input;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(_stop.Token);
                NetworkStream? serial;
                lock (_gate)
                    serial = _serial;
                if (serial is not null)
                {
                    try
                    {
                        foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                            await serial.WriteAsync(segment, _stop.Token);
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException)
                    {
                        // QEMU went away mid-write (a reset, a power cut): those bytes are lost, as on the wire
                    }
                }
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Chip to host, for one QEMU process.</summary>
    private async Task PumpBoardToHostAsync(NetworkStream serial)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await serial.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                    break;
                await _boardEnd.Output.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // QEMU ended, or the board is being disposed
        }
    }

    private static int FreeLoopbackPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        lock (_gate)
        {
            try
            {
                _qemu?.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        }
        await _supervisor;
        lock (_gate)
        {
            _qemu?.Dispose(); // the process a dispose stopped mid-run (the supervisor disposes the others)
            _qemu = null;
        }
        await _hostPump;
        await HostLink.DisposeAsync();
        await _boardEnd.DisposeAsync();
        _stop.Dispose();
        _failed.Dispose();
    }
}
