using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Updates;

// How current a DeviceInfo is: when this network read it, and whether its link was re-addressed since. An update uses
// it to skip questions whose answers it already holds (docs/updates.md section 3.1).
public sealed partial class DeviceNetwork
{
    /// <summary>When each DeviceInfo this network read was read, and its link's addressing generation then (by reference: a copy made with <c>with</c> is not a read).</summary>
    private readonly ConditionalWeakTable<DeviceInfo, ReadStamp> _reads = new();

    /// <summary>When a workflow of this network last changed or restarted each device (TimeProvider timestamp).</summary>
    private readonly ConcurrentDictionary<DeviceUid, long> _changed = new();

    /// <summary>
    /// Notes that a workflow of this network changed or restarted the device: what runs there may differ from any read
    /// made before now, so such a read is no first contact any more (<see cref="IsCurrent"/>). A caller that updates a
    /// device twice with the <see cref="DeviceInfo"/> it discovered before the first update must not have the second
    /// start from what ran before the first.
    /// </summary>
    internal void NoteChanged(DeviceUid uid) => _changed[uid] = _options.TimeProvider.GetTimestamp();

    /// <summary>When a read started, the link's addressing generation then, and whether it was a whole read.</summary>
    /// <param name="Timestamp">When the read started (TimeProvider timestamp).</param>
    /// <param name="Generation">The link's addressing generation when it started.</param>
    /// <param name="Whole">False for a read that left something out (a bootloader's status): it locates the device, it is not a first contact.</param>
    private sealed record ReadStamp(long Timestamp, long Generation, bool Whole);

    /// <summary>Notes that <paramref name="info"/> was read from its device by a read that started at <paramref name="started"/>, when its link's generation was <paramref name="generation"/>.</summary>
    private DeviceInfo Stamp(DeviceInfo info, long started, long generation, bool whole = true)
    {
        _reads.AddOrUpdate(info, new ReadStamp(started, generation, whole));
        return info;
    }

    /// <summary>
    /// True when <paramref name="info"/> is this network's own read of the device (from discovery, a refresh or a probe),
    /// at most <paramref name="maxAge"/> old, and nothing re-addressed its link since (no enumeration, reopening or address
    /// assignment): where the device is still holds, and what runs there changed only if something restarted it since.
    /// </summary>
    internal bool IsCurrent(DeviceInfo info, TimeSpan maxAge) =>
        _reads.TryGetValue(info, out ReadStamp? stamp)
        && stamp.Whole
        && _options.TimeProvider.GetElapsedTime(stamp.Timestamp) <= maxAge
        && !(_changed.TryGetValue(info.Uid, out long changed) && stamp.Timestamp <= changed)
        && AddressesUnchanged(info, stamp);

    /// <summary>
    /// True when nothing re-addressed <paramref name="info"/>'s link since this network read it: whatever answers or
    /// announces itself from <see cref="DeviceInfo.Address"/> is that device (a reset keeps the address; a device that lost
    /// its power comes back without one and cannot take another device's address until the host assigns it).
    /// </summary>
    internal bool AddressesUnchangedSince(DeviceInfo info) =>
        _reads.TryGetValue(info, out ReadStamp? stamp) && AddressesUnchanged(info, stamp);

    private bool AddressesUnchanged(DeviceInfo info, ReadStamp stamp) =>
        (uint)info.LinkIndex < (uint)_slots.Length && _slots[info.LinkIndex].AddressGeneration == stamp.Generation;
}
