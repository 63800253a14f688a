using Csa.DataLink;

namespace Csa.Rpc;

/// <summary>
/// The data link under an <see cref="RpcClient"/> was lost (or its socket closed) while calls were pending or
/// before a call could be sent. Every pending call fails with it; the client cannot be used afterwards.
/// It derives from <see cref="DataLinkException"/> so one catch handles every link failure; the link's own
/// error, when there is one, is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class RpcLinkLostException : DataLinkException
{
    /// <summary>Creates the exception.</summary>
    public RpcLinkLostException(string message, Exception? innerException) : base(message, innerException) { }
}
