using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Csa.DataLink;

namespace Csa.Simulator.Hosting.Internal;

/// <summary>
/// The device's end of a pseudo-terminal: the master side, pumped by two threads that poll with a short timeout
/// so disposal never waits on a blocked read. Like a UART with nothing plugged in, what the device sends while no
/// host has the slave open is lost, and a host may close the slave and open it again at any time.
/// </summary>
internal sealed class PtyMasterTransport : ILinkTransport
{
    private const int PollMilliseconds = 50;
    private readonly int _fd;
    private readonly Pipe _inbound = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _outbound = new(new PipeOptions(useSynchronizationContext: false));
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _reader;
    private readonly Thread _writer;
    private long _bytesDropped;
    private int _disposed;

    public PtyMasterTransport(int fd, string slavePath)
    {
        _fd = fd;
        Name = $"pty:{slavePath}";
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"{Name} reader" };
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"{Name} writer" };
        _reader.Start();
        _writer.Start();
    }

    public string Name { get; }

    public PipeReader Input => _inbound.Reader;

    public PipeWriter Output => _outbound.Writer;

    /// <summary>Bytes the device sent while no host had the slave open.</summary>
    public long BytesDropped => Interlocked.Read(ref _bytesDropped);

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                short events = PosixPty.Poll(_fd, PosixPty.POLLIN, PollMilliseconds);
                if ((events & PosixPty.POLLIN) == 0)
                {
                    // Timeout, or POLLHUP: no host has the slave open. Wait for one without spinning.
                    if ((events & PosixPty.POLLHUP) != 0)
                        _stop.Token.WaitHandle.WaitOne(PollMilliseconds);
                    continue;
                }
                nint n = PosixPty.read(_fd, buffer, buffer.Length);
                if (n > 0)
                {
                    FlushResult result = _inbound.Writer.WriteAsync(buffer.AsMemory(0, (int)n)).AsTask().GetAwaiter().GetResult();
                    if (result.IsCompleted)
                        break;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (n < 0 && errno is PosixPty.EINTR or PosixPty.EAGAIN)
                    continue;
                // EIO (or end of file): the host closed the slave. It may open it again; keep the line.
                _stop.Token.WaitHandle.WaitOne(PollMilliseconds);
            }
            _inbound.Writer.Complete();
        }
        catch (Exception ex)
        {
            _inbound.Writer.Complete(new IOException($"{Name}: reading failed: {ex.Message}", ex));
        }
    }

    private void WriteLoop()
    {
        var chunk = new byte[4096];
        PipeReader reader = _outbound.Reader;
        try
        {
            while (true)
            {
                ReadResult result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                {
                    for (int offset = 0; offset < segment.Length;)
                    {
                        int count = Math.Min(chunk.Length, segment.Length - offset);
                        segment.Span.Slice(offset, count).CopyTo(chunk);
                        offset += WriteChunk(chunk, count);
                    }
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled || _stop.IsCancellationRequested)
                    break;
            }
            reader.Complete();
        }
        catch (Exception ex)
        {
            reader.Complete(ex);
        }
    }

    /// <summary>Writes one chunk (or drops it when nobody listens); returns how many bytes it consumed.</summary>
    private int WriteChunk(byte[] chunk, int count)
    {
        int written = 0;
        while (written < count && !_stop.IsCancellationRequested)
        {
            short events = PosixPty.Poll(_fd, PosixPty.POLLOUT, PollMilliseconds);
            if ((events & PosixPty.POLLHUP) != 0)
            {
                // No host on the line: the bytes leave the UART and go nowhere.
                Interlocked.Add(ref _bytesDropped, count - written);
                return count;
            }
            if ((events & PosixPty.POLLOUT) == 0)
                continue;
            byte[] data = written == 0 ? chunk : chunk[written..count];
            nint n = PosixPty.write(_fd, data, count - written);
            if (n > 0)
            {
                written += (int)n;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno is PosixPty.EINTR or PosixPty.EAGAIN)
                continue;
            Interlocked.Add(ref _bytesDropped, count - written);
            return count;
        }
        return count;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return ValueTask.CompletedTask;
        _stop.Cancel();
        _outbound.Writer.Complete();
        _outbound.Reader.CancelPendingRead();
        _reader.Join();
        _writer.Join();
        _inbound.Reader.Complete();
        _ = PosixPty.close(_fd);
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Name;
}
