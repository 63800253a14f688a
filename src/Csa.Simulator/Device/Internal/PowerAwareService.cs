using Csa.Rpc;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// Wraps a service of the running image so that a flash that loses power mid-command (a planned
/// <see cref="PowerCutPlan"/>) takes the whole device down, as a supply collapse does: the device goes silent
/// before the server could send an error for the failed command, and then powers off.
/// </summary>
internal sealed class PowerAwareService(IRpcService inner, Action onPowerLoss) : IRpcService
{
    public ushort InterfaceId => inner.InterfaceId;

    public IRpcEventSink? EventSink
    {
        get => inner.EventSink;
        set => inner.EventSink = value;
    }

    public async Task DispatchAsync(RpcServerCall call, CancellationToken cancellationToken)
    {
        try
        {
            await inner.DispatchAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (PowerLossException)
        {
            onPowerLoss();
            throw;
        }
    }
}
