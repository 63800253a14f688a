using System.Runtime.InteropServices;

namespace Csa.Simulator.Hosting.Internal;

/// <summary>The few libc calls a pseudo-terminal master needs (Linux).</summary>
internal static class PosixPty
{
    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EIO = 5;
    private const int TCSANOW = 0;

    // struct termios is 60 bytes on Linux (glibc); the buffer is larger so a layout difference cannot overrun it.
    private const int TermiosBufferSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Opens a master, unlocks its slave, switches the line to raw mode and returns (fd, slave path).</summary>
    public static (int Fd, string SlavePath) OpenMaster()
    {
        int fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0)
            throw new IOException($"posix_openpt failed (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (grantpt(fd) != 0 || unlockpt(fd) != 0)
                throw new IOException($"grantpt/unlockpt failed (errno {Marshal.GetLastPInvokeError()}).");
            var name = new byte[256];
            if (ptsname_r(fd, name, (nuint)name.Length) != 0)
                throw new IOException($"ptsname_r failed (errno {Marshal.GetLastPInvokeError()}).");
            // Raw mode on the pair before anyone opens the slave: no echo of what the device sends, no CR/LF
            // translation, no XON/XOFF, 0x00 and 0xFF intact. A host that opens the slave sets its own modes anyway.
            var termios = new byte[TermiosBufferSize];
            if (tcgetattr(fd, termios) != 0)
                throw new IOException($"tcgetattr failed (errno {Marshal.GetLastPInvokeError()}).");
            cfmakeraw(termios);
            if (tcsetattr(fd, TCSANOW, termios) != 0)
                throw new IOException($"tcsetattr failed (errno {Marshal.GetLastPInvokeError()}).");
            int length = Array.IndexOf(name, (byte)0);
            return (fd, System.Text.Encoding.ASCII.GetString(name, 0, length < 0 ? name.Length : length));
        }
        catch
        {
            _ = close(fd);
            throw;
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for <paramref name="events"/>; returns the events seen (0 on timeout).</summary>
    public static short Poll(int fd, short events, int timeoutMilliseconds)
    {
        var fds = new[] { new PollFd { Fd = fd, Events = events } };
        int n = poll(fds, 1, timeoutMilliseconds);
        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
                return 0;
            throw new IOException($"poll failed (errno {errno}).");
        }
        return n == 0 ? (short)0 : fds[0].Revents;
    }

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int poll([In, Out] PollFd[] fds, nuint count, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ptsname_r(int fd, byte[] buffer, nuint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int tcgetattr(int fd, byte[] termios);

    [DllImport("libc", SetLastError = true)]
    private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

    [DllImport("libc")]
    private static extern void cfmakeraw(byte[] termios);
}
