using Csa.Bootloader.Protocol;
using Csa.Rpc;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// Reads which blocks of the payload a device's update session still lacks (GetMissingBlocks, device-model.md section
/// 6.4.2), page by page: each answer covers up to 512 blocks. Used by the repair of a transfer to a group and by a
/// unicast resume, which then writes only those blocks. The answer only saves writes: FinishUpdate's check of the whole
/// image stays the authority on what the device holds (docs/updates.md section 5).
/// </summary>
internal static class MissingBlocks
{
    /// <summary>
    /// The blocks of <paramref name="blockSize"/> bytes from <paramref name="from"/> to <paramref name="payloadLength"/>
    /// that the device lacks, numbered from <paramref name="from"/> (block <c>i</c> starts at <c>from + i * blockSize</c>).
    /// </summary>
    public static async Task<SortedSet<int>> ReadAsync(BootloaderClient client, long from, long payloadLength, int blockSize, RpcCallOptions options,
        CancellationToken cancellationToken)
    {
        var missing = new SortedSet<int>();
        for (long offset = from; offset < payloadLength;)
        {
            GetMissingBlocksResponse answer = await client.GetMissingBlocksAsync(new GetMissingBlocksRequest((uint)offset, (ushort)blockSize), options, cancellationToken)
                .ConfigureAwait(false);
            if (answer.BlockCount == 0)
                break;
            int first = (int)((offset - from) / blockSize);
            for (int i = 0; i < answer.BlockCount; i++)
            {
                if ((answer.Missing[i / 8] & (1 << (i % 8))) != 0)
                    missing.Add(first + i);
            }
            offset += (long)answer.BlockCount * blockSize;
        }
        return missing;
    }
}
