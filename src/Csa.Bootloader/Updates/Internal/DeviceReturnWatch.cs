using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// Notices that the device an update is waiting on has restarted, from its own announcement, instead of waiting for
/// the commands in flight to time out (with the F4's erase allowance that was 3 x (2 s + 4 s)). Every node announces
/// a start (Device.StateChanged from Starting) and, while unassigned, sends its heartbeats from 0xFE. An announcement
/// from the device's own address is the device (a reset keeps the address). One from the unassigned address is some
/// device that lost its power: the unassigned node is asked for its identity (the first unassigned node of each link
/// answers), and the device's own address is pinged over link management (not behind its writes in the RPC window);
/// either answer decides. When it is the device, <see cref="Token"/> is cancelled and <see cref="Returned"/> says why.
/// </summary>
internal sealed class DeviceReturnWatch : IDisposable
{
    private readonly DeviceNetwork _network;
    private readonly DeviceInfo _device;
    private readonly TimeSpan _probeTimeout;
    private readonly CancellationTokenSource _returned;
    private readonly IDisposable _starts;
    private readonly IDisposable _heartbeats;
    private readonly CancellationToken _token;
    private int _checking;
    private int _disposed;
    private Task _check = Task.CompletedTask;
    private DeviceReturnedException? _reason;

    public DeviceReturnWatch(DeviceNetwork network, DeviceInfo device, TimeSpan probeTimeout, CancellationToken outer)
    {
        _network = network;
        _device = device;
        _probeTimeout = probeTimeout;
        _returned = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _token = _returned.Token;
        _starts = network.Client.SubscribeEvent<StateChangedEvent>(NodeAddress.Broadcast, DeviceInterface.Id, DeviceInterface.Events.StateChanged,
            (source, e) =>
            {
                if (e.Previous == DeviceState.Starting)
                    Consider(source, $"announced a start ({e.Current})");
            });
        _heartbeats = network.Client.SubscribeEvent<HeartbeatEvent>(NodeAddress.Broadcast, DeviceInterface.Id, DeviceInterface.Events.Heartbeat,
            (source, e) =>
            {
                if (source == NodeAddress.Unassigned)
                    Consider(source, $"sent a heartbeat without an address ({e.State}, up {e.UptimeMilliseconds} ms)");
            });
    }

    /// <summary>Cancelled when the device restarted (or the caller's token was cancelled).</summary>
    public CancellationToken Token => _token;

    /// <summary>Why the watch fired; null while the device has not restarted.</summary>
    public DeviceReturnedException? Returned => Volatile.Read(ref _reason);

    private void Consider(NodeAddress source, string what)
    {
        if (_token.IsCancellationRequested)
            return;
        if (source == _device.Address)
        {
            Fire(new DeviceReturnedException(_device.Uid, $"Device {_device.Uid} {what} at its address {source}: it restarted.", lostAddress: false, identified: true));
            return;
        }
        if (source != NodeAddress.Unassigned || Interlocked.Exchange(ref _checking, 1) != 0)
            return; // another device, which kept its address; or a check is already running
        _check = Task.Run(async () =>
        {
            try
            {
                if (await IsUnassignedNodeTheDeviceAsync().ConfigureAwait(false))
                    Fire(new DeviceReturnedException(_device.Uid, $"Device {_device.Uid} {what} from the unassigned address: it lost its power and is back.", lostAddress: true, identified: true));
                else if (!await AnswersAtItsAddressAsync().ConfigureAwait(false))
                    Fire(new DeviceReturnedException(_device.Uid, $"A node {what} unassigned, and device {_device.Uid} no longer answers at {_device.Address}: it lost its power.", lostAddress: true, identified: false));
            }
            catch (OperationCanceledException)
            {
                // The attempt is over.
            }
            finally
            {
                Volatile.Write(ref _checking, 0);
            }
        });
    }

    private async Task<bool> IsUnassignedNodeTheDeviceAsync()
    {
        try
        {
            using var unassigned = new DeviceClient(_network.Client, NodeAddress.Unassigned);
            GetIdentityResponse identity = await unassigned.GetIdentityAsync(new GetIdentityRequest(),
                new RpcCallOptions { Timeout = _probeTimeout, MaxAttempts = 1, Idempotent = true }, _token).ConfigureAwait(false);
            return identity.Uid.AsSpan().SequenceEqual(_device.Uid.ToArray());
        }
        catch (Exception ex) when (DeviceNetwork.IsUnreachable(ex) || ex is RpcErrorException)
        {
            return false; // inconclusive: ask the device at its address
        }
    }

    private async Task<bool> AnswersAtItsAddressAsync()
    {
        try
        {
            await _network.Node.PingAsync(_device.Address, _token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is DataLinkException)
        {
            return false;
        }
    }

    private void Fire(DeviceReturnedException reason)
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.CompareExchange(ref _reason, reason, null) is not null)
            return;
        try
        {
            _returned.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended meanwhile.
        }
    }

    /// <summary>Stops watching; a check in progress is stopped, and the token source is released when it has.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _starts.Dispose();
        _heartbeats.Dispose();
        _returned.Cancel();
        Volatile.Read(ref _check).ContinueWith(static (_, cts) => ((CancellationTokenSource)cts!).Dispose(), _returned,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}

/// <summary>A fault: the device restarted under the update (its announcement was heard); the update resumes at once.</summary>
internal sealed class DeviceReturnedException(Csa.Bootloader.Images.DeviceUid device, string message, bool lostAddress, bool identified) : Exception(message)
{
    public Csa.Bootloader.Images.DeviceUid Device { get; } = device;

    /// <summary>True when it came back unassigned (a power cut): asking at its old address would only time out.</summary>
    public bool LostAddress { get; } = lostAddress;

    /// <summary>True when it answered with its unique id (at its address, or as the first unassigned device of its link).</summary>
    public bool Identified { get; } = identified;
}
