namespace Csa.DataLink;

/// <summary>Which way a link points, seen from its node. It decides where frames for unassigned nodes go.</summary>
public enum LinkRole
{
    /// <summary>
    /// Towards the host: a device's link to its predecessor in a daisy chain, or a device's only link in a star,
    /// point-to-point or network topology.
    /// </summary>
    Upstream,

    /// <summary>
    /// Away from the host: every link of the host, and a daisy-chain device's link to its successor. Frames for
    /// <see cref="NodeAddress.Unassigned"/> travel only along downstream links.
    /// </summary>
    Downstream,
}
