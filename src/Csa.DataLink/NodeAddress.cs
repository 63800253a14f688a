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

    /// <summary>The first group address (docs/protocol.md section 2).</summary>
    public const byte FirstGroup = 0xF0;

    /// <summary>The last group address.</summary>
    public const byte LastGroup = 0xFD;

    /// <summary>
    /// True for the group addresses 0xF0..0xFD: a frame sent to a group is delivered by every node that joined it and
    /// forwarded like a broadcast, so one transmission reaches every member of a daisy chain.
    /// </summary>
    public bool IsGroup => Value is >= FirstGroup and <= LastGroup;

    /// <summary>Group address number <paramref name="index"/> (0..13): 0xF0 + index.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is not 0..13.</exception>
    public static NodeAddress Group(int index)
    {
        if (index is < 0 or > LastGroup - FirstGroup)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {LastGroup - FirstGroup + 1} group addresses, 0..{LastGroup - FirstGroup}.");
        return new NodeAddress((byte)(FirstGroup + index));
    }

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        0x00 => "host",
        0xFE => "unassigned",
        0xFF => "broadcast",
        >= FirstGroup and <= LastGroup => $"group 0x{Value:X2}",
        _ => $"0x{Value:X2}",
    };
}
