namespace Csa.DataLink;

/// <summary>
/// The address of one node on a data link network: the host, a device, or the broadcast address.
/// One byte on the wire (see docs/protocol.md, "Addresses").
/// </summary>
/// <param name="Value">The raw address byte.</param>
public readonly record struct NodeAddress(byte Value)
{
    /// <summary>The host PC. Every network has exactly one host, and it is a node like the others.</summary>
    public static NodeAddress Host => new(0x00);

    /// <summary>A node that has not been given an address yet (a fresh daisy-chain member before enumeration).</summary>
    public static NodeAddress Unassigned => new(0xFE);

    /// <summary>Every node: a frame sent here is delivered by each node and forwarded along the chain.</summary>
    public static NodeAddress Broadcast => new(0xFF);

    /// <summary>The lowest address a device can hold.</summary>
    public const byte FirstDevice = 0x01;

    /// <summary>The highest address a device can hold.</summary>
    public const byte LastDevice = 0xEF;

    /// <summary>True for addresses 0x01..0xEF, the ones devices hold.</summary>
    public bool IsDevice => Value is >= FirstDevice and <= LastDevice;

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        0x00 => "host",
        0xFE => "unassigned",
        0xFF => "broadcast",
        _ => $"0x{Value:X2}",
    };
}
