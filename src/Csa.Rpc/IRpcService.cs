using System.Buffers;
using Csa.DataLink;

namespace Csa.Rpc;

/// <summary>One incoming command, as the server hands it to a service.</summary>
/// <param name="Source">The caller.</param>
/// <param name="CommandId">The command id within the service's interface.</param>
/// <param name="Payload">The request payload.</param>
/// <param name="Response">Where the service writes the response payload.</param>
public sealed record RpcServerCall(Endpoint Source, ushort CommandId, ReadOnlyMemory<byte> Payload, IBufferWriter<byte> Response);

/// <summary>
/// One interface served on a node. Generated server base classes implement it; the RPC server routes
/// commands to it by interface id.
/// </summary>
public interface IRpcService
{
    /// <summary>The interface id this service implements.</summary>
    ushort InterfaceId { get; }

    /// <summary>
    /// Decodes the request, runs the handler and writes the response payload. Throws
    /// <see cref="RpcErrorException"/> (a device error, or <see cref="RpcStatus.UnknownCommand"/>) or
    /// <see cref="RpcDecodeException"/> (a bad payload); the server turns those into error responses.
    /// </summary>
    Task DispatchAsync(RpcServerCall call, CancellationToken cancellationToken);

    /// <summary>Where the service publishes its events; set by the server that hosts it.</summary>
    IRpcEventSink? EventSink { get; set; }
}

/// <summary>Sends events from a device-side service to the host (or any subscriber).</summary>
public interface IRpcEventSink
{
    /// <summary>Publishes one event of <paramref name="interfaceId"/>.</summary>
    Task PublishAsync<TEvent>(ushort interfaceId, ushort eventId, TEvent payload, CancellationToken cancellationToken)
        where TEvent : IRpcMessage<TEvent>;
}
