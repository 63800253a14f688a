using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// Authenticates devices before anything is installed on them (REQ-AUTH-DEV): sends a fresh random challenge, and
/// checks that the answer is signed by the identity key of a certificate that a trusted production key issued for
/// exactly this device (its unique id, vendor and class). A blank device, a device with a forged certificate, and a
/// clone that copied a genuine device's flash but not its identity key all fail with a
/// <see cref="DeviceAuthenticationException"/>. Set it as <see cref="UpdateOptions.DeviceAuthenticator"/> and every
/// update authenticates the device before the first byte of firmware is sent.
/// </summary>
public sealed partial class DeviceAuthenticator
{
    /// <summary>Creates an authenticator trusting <paramref name="trustAnchor"/>.</summary>
    public DeviceAuthenticator(ProductionTrustAnchor trustAnchor, DeviceAuthenticatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trustAnchor);
        TrustAnchor = trustAnchor;
        Options = options ?? DeviceAuthenticatorOptions.Default;
        Options.Validate();
    }

    /// <summary>The trusted production keys.</summary>
    public ProductionTrustAnchor TrustAnchor { get; }

    /// <summary>The settings.</summary>
    public DeviceAuthenticatorOptions Options { get; }

    /// <summary>Authenticates <paramref name="device"/> on <paramref name="network"/>.</summary>
    /// <exception cref="DeviceAuthenticationException">The device is not genuine or not provisioned; says why.</exception>
    /// <exception cref="RpcTimeoutException">The device did not answer.</exception>
    public Task<AuthenticatedDevice> AuthenticateAsync(DeviceNetwork network, DeviceInfo device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(device);
        return AuthenticateAsync(network.Client, device.Address, device.Uid, device.VendorId, device.DeviceClassId, cancellationToken);
    }

    /// <summary>
    /// Authenticates the device at <paramref name="address"/>, which reported <paramref name="uid"/>, vendor
    /// <paramref name="vendorId"/> and class <paramref name="deviceClassId"/> (its Device.GetIdentity answer).
    /// </summary>
    /// <exception cref="DeviceAuthenticationException">The device is not genuine or not provisioned; says why.</exception>
    /// <exception cref="RpcTimeoutException">The device did not answer.</exception>
    /// <exception cref="RpcErrorException">The device stayed Busy for <see cref="DeviceAuthenticatorOptions.BusyRounds"/> rounds.</exception>
    public async Task<AuthenticatedDevice> AuthenticateAsync(IRpcInvoker invoker, NodeAddress address, DeviceUid uid, uint vendorId, uint deviceClassId,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        byte[] challenge;
        AuthenticateResponse answer;
        using var client = new ProvisioningClient(invoker, address);
        for (int round = 1; ; round++)
        {
            // A fresh challenge for every round: an answer to an earlier one is never accepted.
            challenge = ProvisioningMessages.NewNonce();
            try
            {
                answer = await client.AuthenticateAsync(new AuthenticateRequest(challenge),
                    Options.Retry.ToCallOptions(), cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RpcErrorException e) when (e.Status == RpcStatus.Busy)
            {
                // Busy is the device saying "not now" (no free buffer, another command running), not a refusal: ask again
                // after a pause; when it stays busy, the RPC error itself goes up (a link condition the caller may retry,
                // never an authentication verdict).
                if (round >= Options.BusyRounds)
                    throw;
                await Task.Delay(Options.BusyRetryDelay, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcErrorException e)
            {
                throw Refused(uid, e);
            }
        }
        return Verify(uid, vendorId, deviceClassId, challenge, answer.Certificate, answer.Signature);
    }

    private static DeviceAuthenticationException Refused(DeviceUid uid, RpcErrorException e) =>
        ProvisioningInterface.TryGetError(e, out ProvisioningError code) && code == ProvisioningError.NotProvisioned
            ? new DeviceAuthenticationException(uid, DeviceAuthenticationFailure.NotProvisioned, $"Device {uid} is blank (not provisioned): it has no certificate.", e)
            : new DeviceAuthenticationException(uid, DeviceAuthenticationFailure.ChallengeRefused, $"Device {uid} refused the authentication challenge: {e.Message}", e);

    /// <summary>
    /// Authenticates every device of <paramref name="devices"/> in parallel; one device's failure does not stop the others.
    /// Build firmware for <see cref="DeviceAuthenticationReport.Authenticated"/> only (<see cref="AuthenticatedImages"/>).
    /// </summary>
    /// <exception cref="RpcTimeoutException">A device did not answer (link faults are not authentication failures).</exception>
    public async Task<DeviceAuthenticationReport> AuthenticateAllAsync(DeviceNetwork network, IEnumerable<DeviceInfo> devices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(devices);
        var outcomes = await Task.WhenAll(devices.Select(async d =>
        {
            try
            {
                return ((AuthenticatedDevice?)await AuthenticateAsync(network, d, cancellationToken).ConfigureAwait(false), (DeviceAuthenticationException?)null);
            }
            catch (DeviceAuthenticationException e)
            {
                return (null, e);
            }
        })).ConfigureAwait(false);
        return new DeviceAuthenticationReport(outcomes.Where(o => o.Item1 is not null).Select(o => o.Item1!).ToArray(),
            outcomes.Where(o => o.Item2 is not null).Select(o => o.Item2!).ToArray());
    }

    /// <summary>
    /// Checks an answer to <paramref name="challenge"/> (pure, no I/O): the certificate parses, a trusted production
    /// key issued it for <paramref name="uid"/> and this product, and <paramref name="signature"/> is the certificate's
    /// identity key's signature over the authentication message.
    /// </summary>
    /// <exception cref="DeviceAuthenticationException">Any check fails; <see cref="DeviceAuthenticationException.Reason"/> says which.</exception>
    public AuthenticatedDevice Verify(DeviceUid uid, uint vendorId, uint deviceClassId, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> certificate, ReadOnlySpan<byte> signature)
    {
        if (!DeviceCertificate.TryParse(certificate, out DeviceCertificate? parsed, out DeviceCertificateError error, out int offset))
            throw Fail(uid, DeviceAuthenticationFailure.MalformedCertificate, $"Device {uid} presented a malformed certificate ({error} at byte {offset}).");
        if (TrustAnchor.Check(parsed) is { } failure)
        {
            throw Fail(uid, failure, failure switch
            {
                DeviceAuthenticationFailure.UnknownIssuer => $"Device {uid} presented a certificate from key {Convert.ToHexString(parsed.IssuerKeyId.Span).ToLowerInvariant()}, which is not a trusted production key.",
                DeviceAuthenticationFailure.BadCertificateSignature => $"The production key's signature over device {uid}'s certificate does not hold.",
                _ => $"Device {uid}'s certificate grants lifecycle {parsed.Lifecycle}, not Provisioned.",
            });
        }
        if (parsed.Uid != uid)
            throw Fail(uid, DeviceAuthenticationFailure.UidMismatch, $"Device {uid} presented the certificate of device {parsed.Uid}.");
        uint expectedVendor = Options.ExpectedVendorId ?? vendorId;
        uint expectedClass = Options.ExpectedDeviceClassId ?? deviceClassId;
        if (parsed.VendorId != expectedVendor || parsed.DeviceClassId != expectedClass)
            throw Fail(uid, DeviceAuthenticationFailure.WrongProduct,
                $"Device {uid}'s certificate is for vendor 0x{parsed.VendorId:X8} class 0x{parsed.DeviceClassId:X8}, not vendor 0x{expectedVendor:X8} class 0x{expectedClass:X8}.");
        if (!TrustAnchor.VerifyChallengeResponse(parsed, uid, challenge, signature))
            throw Fail(uid, DeviceAuthenticationFailure.BadChallengeSignature,
                $"Device {uid} did not sign the challenge with the identity key of its certificate: it does not hold the genuine key (a clone?).");
        return new AuthenticatedDevice(uid, parsed);
    }

    private static DeviceAuthenticationException Fail(DeviceUid uid, DeviceAuthenticationFailure reason, string message) => new(uid, reason, message);
}
