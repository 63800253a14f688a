using System.Buffers;
using System.IO.Pipelines;

namespace Csa.DataLink.Tests.Transports;

/// <summary>Shared helpers for transport tests. Every wait has a generous hang guard; none asserts elapsed time.</summary>
internal static class TransportTestHelpers
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static async Task WriteAsync(PipeWriter writer, ReadOnlyMemory<byte> data)
    {
        FlushResult result = await writer.WriteAsync(data).AsTask().WaitAsync(HangGuard);
        Assert.False(result.IsCompleted, "the reader side of the output completed unexpectedly");
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (fails if the input completes first).</summary>
    public static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count)
    {
        var received = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(HangGuard);
            ReadOnlySequence<byte> buffer = result.Buffer;
            long take = Math.Min(buffer.Length, count - filled);
            buffer.Slice(0, take).CopyTo(received.AsSpan(filled));
            filled += (int)take;
            reader.AdvanceTo(buffer.GetPosition(take));
            if (filled < count && result.IsCompleted)
            {
                Assert.Fail($"the input completed after {filled} of {count} bytes");
            }
        }

        return received;
    }

    /// <summary>Reads until the input completes and returns everything read.</summary>
    public static async Task<byte[]> ReadToCompletionAsync(PipeReader reader)
    {
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(HangGuard);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                all.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return all.WrittenSpan.ToArray();
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after the hang guard.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            if (guard.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>Writes to <paramref name="writer"/> until a flush throws, and returns that exception.</summary>
    public static async Task<Exception> FlushUntilFailureAsync(PipeWriter writer)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (true)
        {
            guard.Token.ThrowIfCancellationRequested();
            try
            {
                await writer.WriteAsync(new byte[] { 1, 2, 3, 0 }, guard.Token);
            }
            catch (OperationCanceledException) when (guard.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception error)
            {
                return error;
            }

            await Task.Delay(5);
        }
    }
}

/// <summary>A fact that runs only on Linux (pseudo-terminals, socat); elsewhere it is skipped with the reason.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Needs Linux pseudo-terminals (posix_openpt / socat).";
        }
    }
}
