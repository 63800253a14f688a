namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// What the device's receive path holds at one moment, as the bootloader's eraser reads it: the commands received and
/// not started (in the receive buffers), the raw bytes the device's wires have delivered (a frame still arriving
/// included: a UART receive DMA's count), and that count when the last packet for this node was taken.
/// <see cref="BytesOfNextFrame"/> is how far the line has got into the frame that arrives now (0 when the line is idle;
/// on a chain it also counts frames passing through for other nodes and the answers coming back from behind, so a
/// middle node sees itself out of step more often, which only delays its erases by a frame).
/// </summary>
internal readonly record struct ReceivePathState(int CommandsWaiting, long BytesReceived, long BytesAtLastPacket)
{
    /// <summary>The bytes delivered since the last packet for this node was taken.</summary>
    public long BytesOfNextFrame => Math.Max(0, BytesReceived - BytesAtLastPacket);
}
