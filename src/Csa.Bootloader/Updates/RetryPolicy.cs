using Csa.Rpc;

namespace Csa.Bootloader.Updates;

/// <summary>
/// How a workflow sends one ordinary command: how long each attempt waits for its answer, and how many attempts a call
/// makes. Every workflow's options hold one (<see cref="UpdateOptions.Retry"/>, <see cref="DeviceNetworkOptions.Retry"/>,
/// <see cref="Provisioning.DeviceAuthenticatorOptions.Retry"/>, <see cref="Provisioning.ProvisioningStationOptions.Retry"/>),
/// each with its own default.
/// </summary>
/// <remarks>
/// A resend keeps the request id, so the device answers it from its response cache and never runs a command twice
/// (docs/rpc-packets.md section 7). Commands that erase or program flash get an allowance on top of
/// <see cref="Timeout"/> (<see cref="UpdateOptions.EraseTimeout"/>, <see cref="Provisioning.ProvisioningStationOptions.InstallAllowance"/>).
/// </remarks>
public sealed record RetryPolicy
{
    /// <summary>2 s per attempt, 3 attempts: the default of the updater, the authenticator and the provisioning station.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>How long one attempt waits for its answer. Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times a command is sent before the call counts as failed. Default 3.</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>The longest a call under this policy waits in all: <see cref="Timeout"/> × <see cref="Attempts"/>.</summary>
    public TimeSpan Budget => Timeout * Attempts;

    /// <summary>Throws when the policy cannot be used; <paramref name="owner"/> names the setting in the message.</summary>
    /// <param name="owner">Where the policy is set, e.g. <c>UpdateOptions.Retry</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive or the attempts fewer than 1.</exception>
    public void Validate(string owner = nameof(RetryPolicy))
    {
        if (Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException($"{owner}.{nameof(Timeout)}", Timeout, $"{owner}.{nameof(Timeout)} must be positive.");
        if (Attempts < 1)
            throw new ArgumentOutOfRangeException($"{owner}.{nameof(Attempts)}", Attempts, $"{owner}.{nameof(Attempts)}: a command is sent at least once.");
    }

    /// <summary>The call options of a command under this policy, with <paramref name="allowance"/> added to each attempt.</summary>
    /// <param name="idempotent">Whether the command may go out again under a new request id after a lost send.</param>
    /// <param name="allowance">Extra time per attempt, for a command that erases or programs flash.</param>
    /// <param name="attempts">Fewer (or more) attempts than the policy's, for a command that must not wait long.</param>
    public RpcCallOptions ToCallOptions(bool idempotent = true, TimeSpan allowance = default, int? attempts = null) =>
        new() { Timeout = Timeout + allowance, MaxAttempts = attempts ?? Attempts, Idempotent = idempotent };
}
