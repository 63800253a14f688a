namespace Csa.Rpc;

/// <summary>How an <see cref="RpcServer"/> runs the commands of a service (<see cref="RpcServer.Register(IRpcService, RpcExecution)"/>).</summary>
public enum RpcExecution
{
    /// <summary>
    /// The default: a command starts once every command that arrived before it from the same source endpoint (of any
    /// service registered this way) has finished, as in a device's command loop. A command sent right behind another
    /// (a finish behind the last write, a question behind a setting) finds it done. Sources do not wait for each other,
    /// and answers from the response cache, <see cref="RpcStatus.Busy"/> refusals and events never wait for a command.
    /// </summary>
    InArrivalOrder,

    /// <summary>
    /// A command starts as soon as the server takes it, concurrently with any other command, its own source's included,
    /// on the thread pool. For handlers written to run in parallel (a server whose commands wait for each other, or a
    /// status query that must answer while a long command runs); two commands of such a service may finish, and be
    /// answered, in either order.
    /// </summary>
    Concurrent,
}
