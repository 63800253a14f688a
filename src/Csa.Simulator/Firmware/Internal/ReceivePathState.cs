namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// What the device's receive path holds at one moment, as the bootloader's eraser reads it: the commands received and
/// not started (in the receive buffers), the raw bytes the device's wires have delivered (a frame still arriving
/// included: a UART receive DMA's count), and that count when the
/// last packet for this node was taken. <see cref="BytesOfNextFrame"/> is how far the line has got into the frame that
/// arrives now (0 when the line is idle).
/// </summary>
internal readonly record struct ReceivePathState(int CommandsWaiting, long BytesReceived, long BytesAtLastPacket)
{
    /// <summary>The bytes read since the last packet for this node was taken.</summary>
    public long BytesOfNextFrame => Math.Max(0, BytesReceived - BytesAtLastPacket);
}
