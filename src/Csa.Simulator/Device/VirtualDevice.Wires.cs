using Csa.DataLink;
using Csa.Simulator.Device.Internal;

namespace Csa.Simulator.Device;

// Wires: the cables plugged into the device's UART (or socket, or pty), kept across power cycles.
public sealed partial class VirtualDevice
{
    private DeviceWire? _upstream;
    private DeviceWire? _downstream;

    /// <summary>True while a wire is plugged in towards the host.</summary>
    public bool HasUpstream => Volatile.Read(ref _upstream) is not null;

    /// <summary>True while a wire is plugged in towards the next device of a daisy chain.</summary>
    public bool HasDownstream => Volatile.Read(ref _downstream) is not null;

    /// <summary>
    /// Plugs <paramref name="transport"/> in as the wire towards the host (the previous device of a chain, or the
    /// host itself). The device owns it from now on and disposes it at <see cref="DisposeAsync"/> or
    /// <see cref="DetachUpstreamAsync"/>. A powered device starts using it at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">An upstream wire is plugged in already.</exception>
    public void AttachUpstream(ILinkTransport transport) => Attach(ref _upstream, transport, LinkRole.Upstream);

    /// <summary>
    /// Plugs <paramref name="transport"/> in as the wire towards the next device of a daisy chain; the device
    /// forwards what is not addressed to it. Ownership as for <see cref="AttachUpstream"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A downstream wire is plugged in already.</exception>
    public void AttachDownstream(ILinkTransport transport) => Attach(ref _downstream, transport, LinkRole.Downstream);

    /// <summary>Unplugs and disposes the upstream wire, if any (a TCP server does this when its client goes away).</summary>
    public Task DetachUpstreamAsync() => DetachAsync(upstream: true);

    /// <summary>Unplugs and disposes the downstream wire, if any.</summary>
    public Task DetachDownstreamAsync() => DetachAsync(upstream: false);

    private void Attach(ref DeviceWire? slot, ILinkTransport transport, LinkRole role)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ThrowIfDisposed();
        _power.Wait();
        try
        {
            if (slot is not null)
                throw new InvalidOperationException($"{Name} has a {role.ToString().ToLowerInvariant()} wire already ({slot.Name}); detach it first.");
            var wire = new DeviceWire(transport);
            Volatile.Write(ref slot, wire);
            (transport as IPoweredCable)?.PluggedInto(this);
            _run?.Connect(wire, role);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>
    /// Plugs in a cable powered by the device (<see cref="ISupplyPoweredCable"/>, a USB serial bridge on the board) as the
    /// upstream wire, replacing the one there: as a port that only exists while the board has its supply, it cannot be
    /// opened while the device has none.
    /// </summary>
    /// <returns>False when the device has no supply (nothing was plugged in; the caller disposes the cable).</returns>
    internal async Task<bool> TryAttachSupplyPoweredUpstreamAsync(ILinkTransport cable)
    {
        ThrowIfDisposed();
        await _power.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_supplied)
                return false;
            if (Interlocked.Exchange(ref _upstream, null) is { } previous)
                await previous.DisposeAsync().ConfigureAwait(false);
            var wire = new DeviceWire(cable);
            Volatile.Write(ref _upstream, wire);
            _run?.Connect(wire, LinkRole.Upstream);
            return true;
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>The supply went: a cable powered by the device goes with it, and the host's end of it closes.</summary>
    private async Task DropSupplyPoweredWiresLockedAsync()
    {
        if (_upstream is { GoesWithSupply: true } wire)
        {
            Volatile.Write(ref _upstream, null);
            await wire.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Unplugs the upstream wire only if its far end has gone (so a newer connection is never unplugged).</summary>
    internal async Task DetachEndedUpstreamAsync()
    {
        await _power.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_upstream is { CableEnded: true } ended)
            {
                Volatile.Write(ref _upstream, null);
                await ended.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _power.Release();
        }
    }

    private async Task DetachAsync(bool upstream)
    {
        DeviceWire? wire;
        await _power.WaitAsync().ConfigureAwait(false);
        try
        {
            wire = upstream ? Interlocked.Exchange(ref _upstream, null) : Interlocked.Exchange(ref _downstream, null);
            if (wire is null)
                return;
            // The node sees its link end; it removes the link by itself when the read loop stops.
            await wire.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _power.Release();
        }
    }

    /// <summary>
    /// Completes when the upstream wire's far end goes away (a TCP client disconnects) or it is detached; at once
    /// when none is plugged in.
    /// </summary>
    internal Task UpstreamEnded => Volatile.Read(ref _upstream)?.Ended ?? Task.CompletedTask;

    private IEnumerable<(DeviceWire Wire, LinkRole Role)> PluggedWires()
    {
        if (Volatile.Read(ref _upstream) is { } up)
            yield return (up, LinkRole.Upstream);
        if (Volatile.Read(ref _downstream) is { } down)
            yield return (down, LinkRole.Downstream);
    }

    private async Task DisposeWiresAsync()
    {
        if (Interlocked.Exchange(ref _upstream, null) is { } up)
            await up.DisposeAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _downstream, null) is { } down)
            await down.DisposeAsync().ConfigureAwait(false);
    }
}
