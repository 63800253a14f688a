using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Records;

/// <summary>
/// The short, stable error codes the records store in <c>error_code</c>: the SDK's typed reason, so a query can count
/// failures by cause (<c>Rejected:SecurityCounterTooLow</c>, <c>Failed:Transferring</c>, <c>NotAuthorized</c>, ...).
/// </summary>
public static class ErrorCodes
{
    /// <summary>The code of <paramref name="error"/>; null for null.</summary>
    public static string? Of(Exception? error) => error switch
    {
        null => null,
        OperationCanceledException => "Cancelled",
        ProvisioningException { DeviceError: { } device } p => $"{p.Reason}:{device}",
        ProvisioningException p => p.Reason.ToString(),
        DeviceAuthenticationException a => $"AuthenticationFailed:{a.Reason}",
        UpdateRejectedException { DeviceError: { } device } => $"Rejected:{device}",
        UpdateRejectedException { LocalRejection: { } local } => $"RejectedLocally:{local}",
        UpdateFailedException { DeviceError: { } device } f => $"Failed:{f.Stage}:{device}",
        UpdateFailedException f => $"Failed:{f.Stage}",
        DeviceNotFoundException => "DeviceNotFound",
        RpcTimeoutException => "Timeout",
        DataLinkException => "LinkLost",
        _ => error.GetType().Name,
    };
}
