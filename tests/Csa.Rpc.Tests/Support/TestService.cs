using System.Buffers;
using System.Collections.Concurrent;

namespace Csa.Rpc.Tests.Support;

/// <summary>
/// A device-side service written the way a generated server base dispatches: decode the request by command id,
/// run the handler, encode the response, throw <see cref="RpcErrorException"/> for an unknown command.
/// </summary>
public sealed class TestService : IRpcService
{
    public const ushort Id = 0x0102;
    public const ushort AddOne = 0x0001;
    public const ushort Increment = 0x0002;
    public const ushort FailWithCode = 0x0003;
    public const ushort Crash = 0x0004;
    public const ushort Hold = 0x0005;
    public const ushort Publish = 0x0006;
    public const ushort WriteAt = 0x0007;
    public const ushort FlashLockedCode = 0x0007;
    public const ushort CounterEvent = 0x0001;

    private readonly ConcurrentDictionary<uint, int> _incrementsByTag = new();
    private readonly object _counterLock = new();
    private ulong _counter;
    private int _active;
    private int _peak;
    private long _executed;

    public ushort InterfaceId => Id;

    public IRpcEventSink? EventSink { get; set; }

    /// <summary>When set, <see cref="Hold"/> waits for it (the same task for every call).</summary>
    public Task HoldGate { get; set; } = Task.CompletedTask;

    /// <summary>Completed when <see cref="Hold"/> has this many executions running at once.</summary>
    public int HoldTarget { get; set; } = int.MaxValue;

    public TaskCompletionSource HoldTargetReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Simulated processing time of <see cref="WriteAt"/>; writes are serialised, like one flash controller.</summary>
    public TimeSpan WriteTime { get; set; }

    private readonly SemaphoreSlim _flash = new(1, 1);

    public ulong Counter
    {
        get
        {
            lock (_counterLock)
                return _counter;
        }
    }

    public int PeakConcurrent => Volatile.Read(ref _peak);

    public long Executed => Interlocked.Read(ref _executed);

    public long BytesWritten;

    public IReadOnlyDictionary<uint, int> IncrementsByTag => _incrementsByTag;

    public async Task DispatchAsync(RpcServerCall call, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _executed);
        int active = Interlocked.Increment(ref _active);
        int peak;
        while (active > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, active, peak) != peak)
        {
        }
        try
        {
            switch (call.CommandId)
            {
                case AddOne:
                {
                    U32Message request = Decode<U32Message>(call.Payload);
                    Encode(new U32Message(request.Value + 1), call.Response);
                    break;
                }
                case Increment:
                {
                    IncrementRequest request = Decode<IncrementRequest>(call.Payload);
                    _incrementsByTag.AddOrUpdate(request.CallTag, 1, (_, n) => n + 1);
                    ulong total;
                    lock (_counterLock)
                        total = _counter += request.By;
                    Encode(new IncrementResponse(total, request.CallTag), call.Response);
                    break;
                }
                case FailWithCode:
                    Decode<EmptyMessage>(call.Payload);
                    throw new RpcErrorException(Id, FlashLockedCode, "flash is locked");
                case Crash:
                    Decode<EmptyMessage>(call.Payload);
                    throw new InvalidOperationException("secret-key=00112233 at C:\\device\\keys");
                case Hold:
                {
                    U32Message request = Decode<U32Message>(call.Payload);
                    if (active >= HoldTarget)
                        HoldTargetReached.TrySetResult();
                    await HoldGate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    Encode(request, call.Response);
                    break;
                }
                case Publish:
                {
                    U32Message request = Decode<U32Message>(call.Payload);
                    await EventSink!.PublishAsync(Id, CounterEvent, request, cancellationToken).ConfigureAwait(false);
                    Encode(EmptyMessage.Instance, call.Response);
                    break;
                }
                case WriteAt:
                {
                    WriteAtRequest request = Decode<WriteAtRequest>(call.Payload);
                    await _flash.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (WriteTime > TimeSpan.Zero)
                            await Task.Delay(WriteTime, cancellationToken).ConfigureAwait(false);
                        Interlocked.Add(ref BytesWritten, request.Data.Length);
                    }
                    finally
                    {
                        _flash.Release();
                    }
                    Encode(EmptyMessage.Instance, call.Response);
                    break;
                }
                default:
                    throw new RpcErrorException(Id, (ushort)RpcStatus.UnknownCommand, $"Interface 0x{Id:X4} has no command 0x{call.CommandId:X4}.");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private static T Decode<T>(ReadOnlyMemory<byte> payload)
        where T : IRpcMessage<T>
    {
        var reader = new RpcReader(payload.Span);
        return T.Read(ref reader);
    }

    private static void Encode<T>(T message, IBufferWriter<byte> output)
        where T : IRpcMessage<T>
    {
        var writer = new RpcWriter(output);
        message.Write(ref writer);
    }
}
