using Csa.Rpc;

namespace Csa.Benchmarks.LinkThroughput;

/// <summary>
/// A device-side block-write command: decodes the block, copies it into a RAM "flash" and waits the time a
/// flash controller would take to program it. Writes are serialised, as on one flash controller.
/// </summary>
internal sealed class BlockWriteService(byte[] flash, TimeSpan programTimePerKiB) : IRpcService
{
    public const ushort Id = 0x0F00;
    public const ushort WriteCommand = 1;
    private readonly SemaphoreSlim _controller = new(1, 1);

    public ushort InterfaceId => Id;

    public IRpcEventSink? EventSink { get; set; }

    public async Task DispatchAsync(RpcServerCall call, CancellationToken cancellationToken)
    {
        if (call.CommandId != WriteCommand)
            throw new RpcErrorException(Id, (ushort)RpcStatus.UnknownCommand, $"no command {call.CommandId}");
        var reader = new RpcReader(call.Payload.Span);
        BlockWrite block = BlockWrite.Read(ref reader);
        await _controller.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            block.Data.CopyTo(flash.AsSpan((int)block.Offset));
            await Task.Delay(programTimePerKiB * (block.Data.Length / 1024.0), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _controller.Release();
        }
        var writer = new RpcWriter(call.Response);
        new BlockWritten(block.Offset).Write(ref writer);
    }
}
