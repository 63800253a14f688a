using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// REQ-PROD-KEYS / REQ-AUTH-DEV: the station certifies only devices its AuthorizeDevice hook accepts, asked before the
/// production key signs anything: the record-file registry refuses a unique id certified before with another key and a
/// key certified for another id; the allow list refuses ids the electronics manufacturer did not deliver.
/// </summary>
public sealed class StationAuthorizationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csa-authorize-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The production key behind a counter: how many certificates were signed.</summary>
    private sealed class CountingSigner(IProductionSigner inner) : IProductionSigner
    {
        public int Signatures;

        public ReadOnlyMemory<byte> PublicKey => inner.PublicKey;

        public ReadOnlyMemory<byte> KeyId => inner.KeyId;

        public Task<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Signatures);
            return inner.SignDigestAsync(sha256Digest, cancellationToken);
        }
    }

    /// <summary>An HSM that answers the high-S form of its signatures (valid plain ECDSA).</summary>
    private sealed class HighSSigner(IProductionSigner inner) : IProductionSigner
    {
        public ReadOnlyMemory<byte> PublicKey => inner.PublicKey;

        public ReadOnlyMemory<byte> KeyId => inner.KeyId;

        public async Task<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default) =>
            CertificateCodecTests.HighS(await inner.SignDigestAsync(sha256Digest, cancellationToken));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Station_normalises_a_high_s_signer_to_low_s_so_the_device_accepts_the_certificate()
    {
        DeviceProfile profile = ProvisioningKit.Profile(63);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        using CancellationTokenSource guard = Rig.Guard();
        ProvisioningResult result = await Station(new HighSSigner(ProvisioningKit.Signer), profile, null).ProvisionAsync(rig.Network, rig.Devices[0], guard.Token);
        Assert.Equal(ProvisioningOutcome.Provisioned, result.Outcome);
        byte[] signature = result.Certificate!.Signature.ToArray();
        var s = new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var halfN = System.Numerics.BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber) >> 1;
        Assert.True(s <= halfN);
        Assert.Equal(DeviceLifecycle.Provisioned, rig.Virtual[0].Firmware.Lifecycle);
    }

    private static ProvisioningStation Station(IProductionSigner signer, DeviceProfile profile, Func<DeviceUid, byte[], CancellationToken, Task<bool>>? authorize) =>
        new(signer, EcdsaP256SignatureVerifier.Instance, new ProvisioningStationOptions
        {
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
            InstallAllowance = TimeSpan.FromMilliseconds(500),
            AuthorizeDevice = authorize,
        });

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task Registry_from_the_record_file_refuses_a_second_chip_claiming_a_certified_uid_before_anything_is_signed()
    {
        DeviceProfile profile = ProvisioningKit.Profile(60);
        string records = Path.Combine(_dir, "records.jsonl");
        using CancellationTokenSource guard = Rig.Guard();
        await using (Rig genuine = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile)))
        {
            ProvisionedDeviceRegistry empty = await ProvisionedDeviceRegistry.LoadAsync([records], guard.Token);
            Assert.Equal(0, empty.Count);
            ProvisioningResult first = await Station(ProvisioningKit.Signer, profile, empty.AuthorizeAsync).ProvisionAsync(genuine.Network, genuine.Devices[0], guard.Token);
            Assert.Equal(ProvisioningOutcome.Provisioned, first.Outcome);
            await ProvisioningRecordFile.AppendJsonLinesAsync(records, [first.ToRecord()], guard.Token);
        }

        // Another chip that claims the same unique id (a fresh board, its own key) comes to the station later.
        ProvisionedDeviceRegistry registry = await ProvisionedDeviceRegistry.LoadAsync([records], guard.Token);
        Assert.Equal(1, registry.Count);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        var signer = new CountingSigner(ProvisioningKit.Signer);
        var refused = await Assert.ThrowsAsync<ProvisioningException>(() =>
            Station(signer, profile, registry.AuthorizeAsync).ProvisionAsync(rig.Network, rig.Devices[0], guard.Token));
        Assert.Equal(ProvisioningFailure.NotAuthorized, refused.Reason);
        Assert.Contains("already certified with another identity key", refused.Message);
        Assert.Equal(0, signer.Signatures);
        Assert.Equal(DeviceLifecycle.Blank, rig.Virtual[0].Firmware.Lifecycle);

        // Without the hook the same station would have certified it: the hook is what refuses.
        ProvisioningResult unchecked_ = await Station(signer, profile, null).ProvisionAsync(rig.Network, rig.Devices[0], guard.Token);
        Assert.Equal(ProvisioningOutcome.Provisioned, unchecked_.Outcome);
        Assert.Equal(1, signer.Signatures);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Registry_refuses_a_key_certified_for_another_uid_allows_the_same_pair_again_and_reads_csv_too()
    {
        DeviceUid a = DeviceUid.FromWords(1, 2, 3), b = DeviceUid.FromWords(4, 5, 6);
        byte[] keyA = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.UncompressedPoint.ToArray();
        byte[] keyB = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.UncompressedPoint.ToArray();
        var registry = new ProvisionedDeviceRegistry();
        registry.Add(a, keyA);
        Assert.True(await registry.AuthorizeAsync(a, keyA, CancellationToken.None));
        Assert.True(await registry.AuthorizeAsync(b, keyB, CancellationToken.None));
        var sameKey = await Assert.ThrowsAsync<ProvisioningException>(() => registry.AuthorizeAsync(b, keyA, CancellationToken.None));
        Assert.Equal(ProvisioningFailure.NotAuthorized, sameKey.Reason);
        Assert.Contains($"already certified for device {a}", sameKey.Message);
        Assert.False(registry.IsAllowed(a, keyB));

        // The same pairs from a CSV record file (a failed row certified nothing and is ignored; its error text is quoted).
        string csv = Path.Combine(_dir, "records.csv");
        await ProvisioningRecordFile.AppendCsvAsync(csv, [
            new ProvisioningRecord(a.ToString(), "Provisioned", Convert.ToHexString(keyA), "", 7, 1, 1, "", "", ""),
            new ProvisioningRecord(b.ToString(), "Failed", Convert.ToHexString(keyB), "", 0, 0, 0, "", "", "cut, \"twice\"\nthen gone"),
        ]);
        IReadOnlyList<ProvisioningRecord> read = await ProvisioningRecordFile.ReadAsync(csv);
        Assert.Equal(2, read.Count);
        Assert.Equal("cut, \"twice\"\nthen gone", read[1].Error);
        ProvisionedDeviceRegistry fromCsv = await ProvisionedDeviceRegistry.LoadAsync([csv, Path.Combine(_dir, "missing.jsonl")]);
        Assert.Equal(1, fromCsv.Count);
        Assert.False(fromCsv.IsAllowed(a, keyB));
        Assert.True(fromCsv.IsAllowed(b, keyB));

        // A malformed line is a typed error that names the line; two records that contradict each other too.
        string bad = Path.Combine(_dir, "bad.jsonl");
        await File.WriteAllTextAsync(bad, new ProvisioningRecord(a.ToString(), "Provisioned", Convert.ToHexString(keyA), "", 7, 1, 1, "", "", "").ToJsonLine() + "\n{\"uid\":\n");
        Assert.Equal(2, (await Assert.ThrowsAsync<ProvisioningRecordFormatException>(() => ProvisionedDeviceRegistry.LoadAsync([bad]))).Line);
        string contradicting = Path.Combine(_dir, "two-keys.jsonl");
        await ProvisioningRecordFile.AppendJsonLinesAsync(contradicting, [
            new ProvisioningRecord(a.ToString(), "Provisioned", Convert.ToHexString(keyA), "", 7, 1, 1, "", "", ""),
            new ProvisioningRecord(a.ToString(), "Provisioned", Convert.ToHexString(keyB), "", 8, 1, 1, "", "", ""),
        ]);
        Assert.Equal(2, (await Assert.ThrowsAsync<ProvisioningRecordFormatException>(() => ProvisionedDeviceRegistry.LoadAsync([contradicting]))).Line);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task Allow_list_certifies_only_the_delivered_uids()
    {
        DeviceProfile listed = ProvisioningKit.Profile(61), stranger = ProvisioningKit.Profile(62);
        DeviceProfile[] profiles = [listed, stranger];
        string file = Path.Combine(_dir, "delivered.txt");
        await File.WriteAllTextAsync(file, $"# delivered by the EMS, lot 7\n\n  {listed.Uid}  \n");
        DeviceAllowList allow = await DeviceAllowList.LoadAsync(file);
        Assert.Single(allow.Uids);

        await using Rig rig = await Rig.StarAsync(2, i => ProvisioningKit.Blank(profiles[i]));
        using CancellationTokenSource guard = Rig.Guard();
        var signer = new CountingSigner(ProvisioningKit.Signer);
        IReadOnlyList<ProvisioningResult> results = await Station(signer, listed, allow.AuthorizeAsync)
            .ProvisionAllAsync(rig.Network, [rig.InfoOf(rig.Virtual[0]), rig.InfoOf(rig.Virtual[1])], 2, null, guard.Token);
        Assert.Equal(ProvisioningOutcome.Provisioned, results[0].Outcome);
        Assert.Equal(ProvisioningOutcome.Failed, results[1].Outcome);
        Assert.Equal(ProvisioningFailure.NotAuthorized, Assert.IsType<ProvisioningException>(results[1].Exception).Reason);
        Assert.Equal(1, signer.Signatures);
        Assert.Equal(DeviceLifecycle.Blank, rig.Virtual[1].Firmware.Lifecycle);

        // A hook that says no without a reason is refused as well.
        Assert.Equal(ProvisioningFailure.NotAuthorized, (await Assert.ThrowsAsync<ProvisioningException>(() =>
            Station(signer, stranger, (_, _, _) => Task.FromResult(false)).ProvisionAsync(rig.Network, rig.InfoOf(rig.Virtual[1]), guard.Token))).Reason);

        await File.WriteAllTextAsync(file, $"{listed.Uid}\nnot-a-uid\n");
        Assert.Equal(2, (await Assert.ThrowsAsync<ProvisioningRecordFormatException>(() => DeviceAllowList.LoadAsync(file))).Line);
    }
}

/// <summary>REQ-AUTH-DEV: a busy device is asked again; Busy is never an authentication verdict.</summary>
public sealed class BusyAuthenticationTests
{
    /// <summary>Answers the first <c>busy</c> calls with the RPC layer's Busy status, then passes calls through.</summary>
    private sealed class BusyFirst(Csa.Rpc.IRpcInvoker inner, int busy) : Csa.Rpc.IRpcInvoker
    {
        public int Calls;

        public Task<TResponse> InvokeAsync<TRequest, TResponse>(Csa.DataLink.NodeAddress device, ushort interfaceId, ushort commandId, TRequest request,
            Csa.Rpc.RpcCallOptions? options, CancellationToken cancellationToken)
            where TRequest : Csa.Rpc.IRpcMessage<TRequest>
            where TResponse : Csa.Rpc.IRpcMessage<TResponse> =>
            Interlocked.Increment(ref Calls) <= busy
                ? Task.FromException<TResponse>(new Csa.Rpc.RpcErrorException(interfaceId, (ushort)Csa.Rpc.RpcStatus.Busy, "busy"))
                : inner.InvokeAsync<TRequest, TResponse>(device, interfaceId, commandId, request, options, cancellationToken);

        public IDisposable SubscribeEvent<TEvent>(Csa.DataLink.NodeAddress device, ushort interfaceId, ushort eventId, Action<Csa.DataLink.NodeAddress, TEvent> handler)
            where TEvent : Csa.Rpc.IRpcMessage<TEvent> => inner.SubscribeEvent(device, interfaceId, eventId, handler);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task Busy_device_is_asked_again_and_authenticates_or_the_busy_error_goes_up_never_challenge_refused()
    {
        DeviceProfile profile = ProvisioningKit.Profile(64);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        await ProvisioningKit.ProvisionAllAsync(rig);
        using CancellationTokenSource guard = Rig.Guard();
        Csa.Bootloader.Updates.DeviceInfo device = rig.Devices[0];
        var authenticator = new DeviceAuthenticator(ProvisioningKit.TrustAnchor, new DeviceAuthenticatorOptions { BusyRounds = 3, BusyRetryDelay = TimeSpan.FromMilliseconds(1) });

        var twice = new BusyFirst(rig.Network.Client, 2);
        AuthenticatedDevice proof = await authenticator.AuthenticateAsync(twice, device.Address, device.Uid, device.VendorId, device.DeviceClassId, guard.Token);
        Assert.Equal(device.Uid, proof.Uid);
        Assert.Equal(3, twice.Calls);

        var always = new BusyFirst(rig.Network.Client, int.MaxValue);
        var busy = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(() =>
            authenticator.AuthenticateAsync(always, device.Address, device.Uid, device.VendorId, device.DeviceClassId, guard.Token));
        Assert.Equal(Csa.Rpc.RpcStatus.Busy, busy.Status);
        Assert.Equal(3, always.Calls);
    }
}
