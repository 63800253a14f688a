using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Simulator.Firmware.Internal;

namespace Csa.Simulator.Firmware;

// GetMissingBlocks: the holes a transfer to a group left, as a bitmap (docs/device-model.md section 6.4.2).
public sealed partial class BootloaderService
{
    /// <summary>The most blocks one GetMissingBlocks answer covers (its 64-byte bitmap).</summary>
    public const int MissingBlocksPerAnswer = 512;

    /// <inheritdoc />
    protected override async Task<GetMissingBlocksResponse> GetMissingBlocksAsync(GetMissingBlocksRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            UpdateSession s = _session ?? throw Error(BootloaderError.NoUpdateInProgress,
                _firmware.Record.Phase == UpdatePhase.Receiving
                    ? "The device was reset since BeginUpdate: send BeginUpdate with the same image again to resume."
                    : "No update is in progress: send BeginUpdate first.");
            if (request.BlockSize == 0 || request.BlockSize % WriteAlignment != 0)
                throw Error(BootloaderError.Misaligned, $"A block of {request.BlockSize} bytes is not a positive multiple of {WriteAlignment}.");
            if (request.Offset % WriteAlignment != 0)
                throw Error(BootloaderError.Misaligned, $"Offset {request.Offset} is not a multiple of {WriteAlignment}.");
            if (request.Offset >= s.PayloadSize)
                throw Error(BootloaderError.OutOfRange, $"Offset {request.Offset} is not below the {s.PayloadSize}-byte payload.");
            return new GetMissingBlocksResponse(s.Committed, (ushort)BlocksFrom(s, request.Offset, request.BlockSize, out byte[] missing), missing);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <summary>The bitmap of blocks from <paramref name="offset"/> that hold an unwritten 16-byte unit; returns how many blocks it covers.</summary>
    private static int BlocksFrom(UpdateSession s, uint offset, ushort blockSize, out byte[] missing)
    {
        missing = new byte[MissingBlocksPerAnswer / 8];
        long remaining = s.PayloadSize - offset;
        int count = (int)Math.Min(MissingBlocksPerAnswer, (remaining + blockSize - 1) / blockSize);
        for (int i = 0; i < count; i++)
        {
            long from = offset + (long)i * blockSize;
            long to = Math.Min(from + blockSize, s.PayloadSize);
            for (long unit = from / WriteAlignment; unit <= (to - 1) / WriteAlignment; unit++)
            {
                if (!s.Written[unit])
                {
                    missing[i / 8] |= (byte)(1 << (i % 8));
                    break;
                }
            }
        }
        return count;
    }
}
