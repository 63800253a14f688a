using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace Csa.DataLink.Tests.Transports;

/// <summary>
/// A Linux pseudo-terminal pair made with posix_openpt: <see cref="SlavePath"/> behaves like a serial
/// device (/dev/pts/N) for SerialTransport, and <see cref="Master"/> is the other end of the "cable".
/// </summary>
internal sealed class PseudoTerminal : IDisposable
{
    private const int O_RDWR = 0x2;
    private const int O_NOCTTY = 0x100;

    private PseudoTerminal(FileStream master, string slavePath)
    {
        Master = master;
        SlavePath = slavePath;
    }

    public FileStream Master { get; }

    public string SlavePath { get; }

    public static PseudoTerminal Open()
    {
        int fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0)
        {
            throw new IOException($"posix_openpt failed, errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var name = new byte[128];
        if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, (nuint)name.Length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"grantpt/unlockpt/ptsname_r failed, errno {errno}");
        }

        string path = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        return new PseudoTerminal(new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0), path);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the master (blocking reads on a pool thread).</summary>
    public Task<byte[]> ReadFromMasterAsync(int count) => Task.Run(() =>
    {
        var buffer = new byte[count];
        Master.ReadExactly(buffer);
        return buffer;
    }).WaitAsync(TransportTestHelpers.HangGuard);

    public Task WriteToMasterAsync(byte[] data) => Task.Run(() =>
    {
        Master.Write(data);
        Master.Flush();
    }).WaitAsync(TransportTestHelpers.HangGuard);

    public void Dispose() => Master.Dispose();

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ptsname_r(int fd, [Out] byte[] buffer, nuint length);
}

/// <summary>Two connected pseudo-terminals made by <c>socat -d -d pty,raw,echo=0 pty,raw,echo=0</c>: a null-modem cable.</summary>
internal sealed partial class SocatNullModem : IDisposable
{
    private readonly Process _socat;

    private SocatNullModem(Process socat, string first, string second)
    {
        _socat = socat;
        First = first;
        Second = second;
    }

    public string First { get; }

    public string Second { get; }

    public static async Task<SocatNullModem> StartAsync()
    {
        var start = new ProcessStartInfo("socat", "-d -d pty,raw,echo=0 pty,raw,echo=0")
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        try
        {
            var paths = new List<string>();
            using var guard = new CancellationTokenSource(TransportTestHelpers.HangGuard);
            while (paths.Count < 2)
            {
                string? line = await socat.StandardError.ReadLineAsync(guard.Token)
                    ?? throw new InvalidOperationException("socat exited before reporting two PTYs");
                Match match = PtyLine().Match(line);
                if (match.Success)
                {
                    paths.Add(match.Groups[1].Value);
                }
            }

            // Keep draining socat's log so it never blocks on a full stderr pipe.
            _ = socat.StandardError.BaseStream.CopyToAsync(Stream.Null);
            return new SocatNullModem(socat, paths[0], paths[1]);
        }
        catch
        {
            socat.Kill();
            socat.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (!_socat.HasExited)
        {
            _socat.Kill();
            _socat.WaitForExit(5000);
        }

        _socat.Dispose();
    }

    [GeneratedRegex(@"PTY is (\S+)")]
    private static partial Regex PtyLine();
}
