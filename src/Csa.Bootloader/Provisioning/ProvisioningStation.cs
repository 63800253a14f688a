using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning.Internal;
using Csa.Bootloader.Updates;
using Csa.Bootloader.Updates.Internal;
using Csa.Rpc;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// The production station (REQ-PROD-KEYS): provisions blank devices, many in parallel. For each device it has the
/// device generate its own identity key pair (the private key never leaves the device) and prove possession of it,
/// issues a device certificate (unique id, public key, vendor, class, lifecycle) signed by the production key behind
/// <see cref="IProductionSigner"/> (an HSM in production), has the device check, store and lock it, and finally
/// authenticates the device with a fresh challenge. The result rows become records for the manufacturer's database
/// (<see cref="ProvisioningResult.ToRecord"/>). docs/security.md section 10.
/// </summary>
public sealed partial class ProvisioningStation
{
    private readonly IProductionSigner _signer;
    private readonly DeviceAuthenticator _authenticator;
    private readonly ILogger _logger;

    /// <summary>Creates a station that signs with <paramref name="signer"/>.</summary>
    /// <param name="signer">The production key.</param>
    /// <param name="verifier">The P-256 signature check (Csa.Crypto's <c>EcdsaP256SignatureVerifier.Instance</c>).</param>
    /// <param name="options">Vendor, class, timing and logging; checked here, once.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public ProvisioningStation(IProductionSigner signer, IP256SignatureVerifier verifier, ProvisioningStationOptions options)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _signer = signer;
        Options = options;
        _logger = options.LoggerFactory.CreateLogger<ProvisioningStation>();
        TrustAnchor = new ProductionTrustAnchor([signer.PublicKey], verifier);
        // The final authentication checks this station's product, with the station's own retry policy.
        _authenticator = new DeviceAuthenticator(TrustAnchor, new DeviceAuthenticatorOptions
        {
            ExpectedVendorId = options.VendorId,
            ExpectedDeviceClassId = options.DeviceClassId,
            Retry = options.Retry,
        });
    }

    /// <summary>The settings.</summary>
    public ProvisioningStationOptions Options { get; }

    /// <summary>The trust anchor of this station's production key (what the devices' bootloaders must ship).</summary>
    public ProductionTrustAnchor TrustAnchor { get; }

    /// <summary>
    /// Provisions every device of <paramref name="devices"/>, at most <paramref name="maxParallel"/> at once. One device's
    /// failure does not stop the others; a failed device is blank or fully provisioned (a power cut included), so the
    /// run can simply be repeated for it.
    /// </summary>
    /// <returns>One row per device, in the order given.</returns>
    public async Task<IReadOnlyList<ProvisioningResult>> ProvisionAllAsync(DeviceNetwork network, IEnumerable<DeviceInfo> devices, int maxParallel = 4,
        IProgress<ProvisioningProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        DeviceInfo[] list = DeviceBatch.Validate(devices, maxParallel, nameof(devices), nameof(maxParallel));
        int done = 0;
        var counted = progress is null ? null : new Progress(progress, list.Length, () => Volatile.Read(ref done));
        return await DeviceBatch.RunAsync(list, maxParallel, Options.TimeProvider,
            (turn, ct) => ProvisionAsync(network, turn.Device, counted, ct),
            (turn, error, elapsed) => FailedRow(turn.Device, error, elapsed, cancellationToken),
            cancellationToken,
            async (turn, row) =>
            {
                row = await RecordResultAsync(row).ConfigureAwait(false);
                Interlocked.Increment(ref done);
                counted?.Report(turn.Device.Uid, ProvisioningStage.Done);
                return row;
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// One call for a test, a demo or a small station: discovers the devices of <paramref name="network"/> and provisions
    /// every one (see <see cref="ProvisionAllAsync(DeviceNetwork, IEnumerable{DeviceInfo}, int, IProgress{ProvisioningProgress}?, CancellationToken)"/>).
    /// </summary>
    public async Task<IReadOnlyList<ProvisioningResult>> ProvisionAllAsync(DeviceNetwork network, int maxParallel = 4,
        IProgress<ProvisioningProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        return await ProvisionAllAsync(network, devices, maxParallel, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Provisions one device; see the class summary.</summary>
    /// <exception cref="ProvisioningException">The device refused, or a check failed; the device is blank or fully provisioned.</exception>
    /// <exception cref="DeviceAuthenticationException">The final authentication failed.</exception>
    /// <exception cref="RpcTimeoutException">The device stopped answering (a power cut, a lost link).</exception>
    public Task<ProvisioningResult> ProvisionAsync(DeviceNetwork network, DeviceInfo device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(device);
        return ProvisionAndRecordAsync(network, device, cancellationToken);
    }

    private async Task<ProvisioningResult> ProvisionAndRecordAsync(DeviceNetwork network, DeviceInfo device, CancellationToken cancellationToken)
    {
        long started = Options.TimeProvider.GetTimestamp();
        ProvisioningResult row;
        try
        {
            row = await ProvisionAsync(network, device, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await RecordResultAsync(FailedRow(device, ex, Options.TimeProvider.GetElapsedTime(started), cancellationToken)).ConfigureAwait(false);
            throw;
        }
        return await RecordResultAsync(row).ConfigureAwait(false);
    }

    private ProvisioningResult FailedRow(DeviceInfo device, Exception ex, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        bool cancelled = ex is OperationCanceledException && cancellationToken.IsCancellationRequested;
        if (cancelled)
            ProvisioningLog.Cancelled(_logger, device.Uid.ToString(), device.Address.ToString());
        else
            ProvisioningLog.Failed(_logger, ex, device.Uid.ToString(), device.Address.ToString(), ex.Message);
        return new ProvisioningResult(device.Uid, device.Address, cancelled ? ProvisioningOutcome.Cancelled : ProvisioningOutcome.Failed,
            null, cancelled ? "cancelled" : ex.Message, ex, elapsed);
    }

    /// <summary>
    /// Hands the row to the recorder. Not cancellable: a Ctrl+C must not lose the record of what was done. A failure to
    /// store it anywhere is kept on the row (<see cref="ProvisioningResult.RecordingError"/>), not thrown, so the other
    /// devices' rows are still returned.
    /// </summary>
    private async Task<ProvisioningResult> RecordResultAsync(ProvisioningResult row)
    {
        if (Options.Recorder is not { } recorder)
            return row;
        try
        {
            await recorder.RecordResultAsync(row, CancellationToken.None).ConfigureAwait(false);
            return row;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ProvisioningLog.RecordingFailed(_logger, ex, row.Uid.ToString(), row.Outcome, ex.Message);
            return row with { RecordingError = ex };
        }
    }

    private async Task<ProvisioningResult> ProvisionAsync(DeviceNetwork network, DeviceInfo device, Progress? progress, CancellationToken ct)
    {
        long started = Options.TimeProvider.GetTimestamp();
        DeviceUid uid = device.Uid;
        using var client = new ProvisioningClient(network.Client, device.Address);
        progress?.Report(uid, ProvisioningStage.Reading);
        GetProvisioningStatusResponse status = await Call(uid, () => client.GetProvisioningStatusAsync(new GetProvisioningStatusRequest(), Idempotent(), ct)).ConfigureAwait(false);
        if (DeviceUid.FromBytes(status.Uid) != uid)
            throw new ProvisioningException(uid, ProvisioningFailure.UidMismatch, $"The device at {device.Address} reports unique id {DeviceUid.FromBytes(status.Uid)} on the Provisioning interface, not {uid}.");

        ProvisioningOutcome outcome;
        DeviceCertificate certificate;
        IdentityClaim? claim = null;
        IProvisioningRecorder? recorder = Options.Recorder;
        if (status.Lifecycle == DeviceLifecycle.Provisioned)
        {
            // Provisioned before (or by the run a power cut interrupted after the commit): only this key's certificates count.
            certificate = DeviceCertificate.TryParse(status.Certificate, out DeviceCertificate? stored, out _, out _) && TrustAnchor.Check(stored) is null
                ? stored
                : throw new ProvisioningException(uid, ProvisioningFailure.ProvisionedByAnotherKey, $"Device {uid} is already provisioned with a certificate this station's production key did not issue.");
            outcome = ProvisioningOutcome.AlreadyProvisioned;
            // The records must agree: the pair is confirmed (or adopted, for a device certified before the store existed);
            // a unique id the store binds to another key is refused here too.
            if (recorder is not null)
                await Recording(uid, () => recorder.ClaimAsync(new IdentityClaim(Guid.NewGuid(), uid, certificate.GetUncompressedPublicKey(),
                    certificate.IssuerKeyId.ToArray(), certificate.SerialNumber, AlreadyCertified: true), ct)).ConfigureAwait(false);
        }
        else
        {
            progress?.Report(uid, ProvisioningStage.GeneratingKey);
            byte[] nonce = ProvisioningMessages.NewNonce();
            GenerateIdentityKeyResponse key = await Call(uid, () => client.GenerateIdentityKeyAsync(new GenerateIdentityKeyRequest(nonce),
                Options.Retry.ToCallOptions(idempotent: false, Options.InstallAllowance, attempts: 1), ct)).ConfigureAwait(false);
            byte[] point = Uncompressed(key.PublicKey);
            byte[] possession = SHA256.HashData(ProvisioningMessages.KeyPossession(uid, nonce, key.PublicKey));
            if (LowS.IsHigh(key.ProofOfPossession) || !TrustAnchor.Verifier.VerifyDigest(point, possession, key.ProofOfPossession))
                throw new ProvisioningException(uid, ProvisioningFailure.InvalidProofOfPossession, $"Device {uid}'s proof of possession does not verify under the public key it offered.");

            // The station's trust decision, before the production key signs: the device only proved it holds the key,
            // not that its unique id is genuine or new (docs/security.md section 10.6).
            if (Options.AuthorizeDevice is { } authorize && !await authorize(uid, (byte[])point.Clone(), ct).ConfigureAwait(false))
                throw new ProvisioningException(uid, ProvisioningFailure.NotAuthorized, $"Device {uid} is not authorized for certification (AuthorizeDevice refused it).");
            progress?.Report(uid, ProvisioningStage.Signing);
            uint? proposed = Options.SerialNumbers is { } serials ? await serials(uid, ct).ConfigureAwait(false) : null;
            uint serial;
            if (recorder is not null)
            {
                // The database decides, before anything is signed: a unique id bound to another key, or this key bound to
                // another unique id, is refused by its constraints, whichever station asks (docs/records.md section 4).
                claim = new IdentityClaim(Guid.NewGuid(), uid, (byte[])point.Clone(), _signer.KeyId.ToArray(), proposed, AlreadyCertified: false);
                serial = await Recording(uid, () => recorder.ClaimAsync(claim, ct)).ConfigureAwait(false);
            }
            else
                serial = proposed ?? RandomSerial();
            try
            {
                DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(uid, Options.VendorId, Options.DeviceClassId, serial,
                    Options.TimeProvider.GetUtcNow(), _signer.KeyId.Span, key.PublicKey);
                byte[] digest = unsigned.ComputeSignedDigest();
                // An HSM may answer (r, n - s): devices and hosts accept low S only, so the one encoding goes into the certificate.
                byte[] signature = LowS.Normalize(await _signer.SignDigestAsync(digest, ct).ConfigureAwait(false));
                if (!TrustAnchor.Verifier.VerifyDigest(_signer.PublicKey.Span, digest, signature))
                    throw new ProvisioningException(uid, ProvisioningFailure.SignerFailed, "The production signer returned a signature its own public key does not verify.");
                certificate = unsigned.WithSignature(signature);
                // Durable before the device sees it: a device never holds a certificate that the records do not (the
                // recorder falls back to its local journal when the database is unreachable, and throws only when
                // neither could store it).
                if (recorder is not null)
                    await Recording(uid, () => recorder.RecordIssuedAsync(claim!, certificate, ct)).ConfigureAwait(false);
            }
            catch (Exception ex) when (claim is not null && ex is not OutOfMemoryException)
            {
                // The certificate never left the station: give the claim back, so a later attempt (with the new key the
                // device makes then) is not refused because of this one. Best effort: a claim that stays is refused
                // later with a message that names it, and `csa records void` releases it.
                await ReleaseQuietlyAsync(recorder!, claim, ex).ConfigureAwait(false);
                throw;
            }
            outcome = ProvisioningOutcome.Provisioned;
        }

        if (!status.Locked || outcome == ProvisioningOutcome.Provisioned)
        {
            // Installing the stored certificate again completes a lock that a power cut interrupted.
            progress?.Report(uid, ProvisioningStage.Installing);
            InstallCertificateResponse installed = await Call(uid, () => client.InstallCertificateAsync(new InstallCertificateRequest(certificate.ToArray()),
                Options.Retry.ToCallOptions(allowance: Options.InstallAllowance), ct)).ConfigureAwait(false);
            if (installed.Lifecycle != DeviceLifecycle.Provisioned || !installed.Locked)
                throw new ProvisioningException(uid, ProvisioningFailure.VerificationFailed, $"Device {uid} answered {installed.Lifecycle} (locked: {installed.Locked}) after storing its certificate.");
        }

        progress?.Report(uid, ProvisioningStage.Verifying);
        GetProvisioningStatusResponse after = await Call(uid, () => client.GetProvisioningStatusAsync(new GetProvisioningStatusRequest(), Idempotent(), ct)).ConfigureAwait(false);
        if (after.Lifecycle != DeviceLifecycle.Provisioned || !after.Locked || !after.Certificate.AsSpan().SequenceEqual(certificate.ToArray()))
            throw new ProvisioningException(uid, ProvisioningFailure.VerificationFailed, $"Device {uid} does not report the certificate as stored and locked.");
        await _authenticator.AuthenticateAsync(network.Client, device.Address, uid, Options.VendorId, Options.DeviceClassId, ct).ConfigureAwait(false);
        TimeSpan elapsed = Options.TimeProvider.GetElapsedTime(started);
        if (outcome == ProvisioningOutcome.Provisioned)
            ProvisioningLog.Provisioned(_logger, uid.ToString(), device.Address.ToString(), certificate.SerialNumber, elapsed.TotalMilliseconds);
        else
            ProvisioningLog.AlreadyProvisioned(_logger, uid.ToString(), device.Address.ToString(), certificate.SerialNumber);
        return new ProvisioningResult(uid, device.Address, outcome, certificate, null, null, elapsed);
    }

    private RpcCallOptions Idempotent() => Options.Retry.ToCallOptions();

    /// <summary>Runs a recorder call; anything but a station refusal becomes <see cref="ProvisioningFailure.RecordingFailed"/>.</summary>
    private static async Task<T> Recording<T>(DeviceUid uid, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (ProvisioningException or OperationCanceledException or OutOfMemoryException))
        {
            throw new ProvisioningException(uid, ProvisioningFailure.RecordingFailed,
                $"Device {uid} was not certified: its record could not be stored ({e.Message}); the device stays blank.", e);
        }
    }

    private static Task Recording(DeviceUid uid, Func<Task> call) => Recording(uid, async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    });

    private static async Task ReleaseQuietlyAsync(IProvisioningRecorder recorder, IdentityClaim claim, Exception why)
    {
        try
        {
            await recorder.ReleaseAsync(claim, $"not sent to the device: {why.Message}", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The original failure is what the caller needs; the claim that stays names itself when it blocks a later attempt.
        }
    }

    private static async Task<T> Call<T>(DeviceUid uid, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcErrorException e) when (ProvisioningInterface.TryGetError(e, out ProvisioningError code))
        {
            throw new ProvisioningException(uid, ProvisioningFailure.DeviceRefused, $"Device {uid} refused: {code}: {e.Message}", e) { DeviceError = code };
        }
    }

    private static byte[] Uncompressed(byte[] xy)
    {
        var point = new byte[65];
        point[0] = 0x04;
        xy.CopyTo(point, 1);
        return point;
    }

    private static uint RandomSerial()
    {
        Span<byte> bytes = stackalloc byte[4];
        uint serial;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            serial = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        }
        while (serial == 0);
        return serial;
    }

    private sealed class Progress(IProgress<ProvisioningProgress> inner, int total, Func<int> done)
    {
        public void Report(DeviceUid uid, ProvisioningStage stage) => inner.Report(new ProvisioningProgress(uid, stage, done(), total));
    }
}
