using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// Provisioning (docs/security.md 10) through the SDK's production station, against the C# virtual device and the C
/// device alike: a blank device of a product with production keys starts nothing and takes no firmware; the station
/// has it make its identity key, certifies it and installs the certificate; it then authenticates, installs an image
/// encrypted and bound for it alone, and refuses to be provisioned again. Certificates that are not exactly its own
/// are refused without a byte written, and a power cut at any flash operation of InstallCertificate leaves it blank or
/// provisioned, after which the next station run completes.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class ProvisioningConformanceTests
{
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task A_blank_device_takes_nothing_until_the_station_provisions_it_then_installs_its_own_encrypted_image(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 20) { RequireProvisioning = true, RequireEncryption = true };
        using CancellationTokenSource guard = Guard();
        // As the electronics manufacturer delivers it: even with an application programmed, nothing starts.
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, SecurityKit.AuthenticatingOptions(), guard.Token);
        Assert.True(host.Device.IsInBootloader);
        Assert.Equal(StayReason.NotProvisioned, host.Device.Bootloader!.StayReason);
        Assert.True(host.Device.Features.HasFlag(Csa.Rpc.Device.FeatureFlags.Encryption));
        GetProvisioningStatusResponse blank = await SecurityKit.StatusAsync(host, guard.Token);
        Assert.Equal((DeviceLifecycle.Blank, false, false, 0), (blank.Lifecycle, blank.Locked, blank.HasIdentityKey, blank.Certificate.Length));
        Assert.Equal(product.Uid.ToArray(), blank.Uid);

        // It refuses firmware before looking at it, even from a host that does not authenticate: not a byte written.
        FlashSnapshot before = dut.Snapshot();
        long operations = await dut.FlashOperationsAsync();
        byte[] payload = SecurityKit.Payload(40_000, 20);
        FirmwareImage forSomeKey = await SecurityKit.EncryptedAsync(product, payload, V2, 2,
            [(product.Uid, KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint())]);
        var plain = new FirmwareUpdater(host.Network, ConformanceHost.Options(localPreCheck: false));
        var refused = await Assert.ThrowsAsync<UpdateRejectedException>(() => plain.UpdateApplicationAsync(host.Device, forSomeKey, null, guard.Token));
        Assert.Equal(BootloaderError.NotProvisioned, refused.DeviceError);
        Assert.Equal(operations, await dut.FlashOperationsAsync());
        Assert.Empty(dut.Snapshot().DifferingRegions(before));

        // The station: the device makes its key and proves it holds it, the production key certifies it.
        ProvisioningResult result = await SecurityKit.Station(product).ProvisionAsync(host.Network, host.Device, guard.Token);
        Assert.Equal(ProvisioningOutcome.Provisioned, result.Outcome);
        DeviceCertificate certificate = Assert.IsType<DeviceCertificate>(result.Certificate);
        Assert.Equal(product.Uid, certificate.Uid);
        GetProvisioningStatusResponse provisioned = await SecurityKit.StatusAsync(host, guard.Token);
        Assert.Equal((DeviceLifecycle.Provisioned, true, true), (provisioned.Lifecycle, provisioned.Locked, provisioned.HasIdentityKey));
        Assert.Equal(certificate.ToArray(), provisioned.Certificate);
        // The key the certificate names is the one in the chip's key storage (and nowhere in its flash).
        EcP256PrivateKey key = Assert.IsType<EcP256PrivateKey>(dut.ExtractIdentityKey());
        Assert.Equal(key.PublicKey.ToUncompressedPoint(), certificate.GetUncompressedPublicKey());
        Assert.False(ContainsScalar(dut.Snapshot(), key), "the identity private key is in the flash");

        // It authenticates, with a fresh challenge each time: a recorded answer is worthless against another.
        AuthenticatedDevice authenticated = await SecurityKit.Authenticator().AuthenticateAsync(host.Network, await host.ReadAsync(guard.Token), guard.Token);
        Assert.Equal(certificate.ToArray(), authenticated.Certificate.ToArray());
        byte[] recorded = ProvisioningMessages.NewNonce();
        AuthenticateResponse answer;
        using (ProvisioningClient client = SecurityKit.Client(host))
            answer = await client.AuthenticateAsync(new AuthenticateRequest(recorded), null, guard.Token);
        DeviceAuthenticator verifier = SecurityKit.Authenticator();
        Assert.Equal(product.Uid, verifier.Verify(product.Uid, product.VendorId, product.DeviceClassId, recorded, answer.Certificate, answer.Signature).Uid);
        Assert.Equal(DeviceAuthenticationFailure.BadChallengeSignature, Assert.Throws<DeviceAuthenticationException>(() =>
            verifier.Verify(product.Uid, product.VendorId, product.DeviceClassId, ProvisioningMessages.NewNonce(), answer.Certificate, answer.Signature)).Reason);

        // The image encrypted and bound for this device alone installs, decrypted while it is written.
        FirmwareImage own = await SecurityKit.EncryptedAsync(product, payload, V2, 2, [(authenticated.Uid, authenticated.PublicKey)], bind: true);
        UpdateResult updated = await host.Updater.UpdateApplicationAsync(await host.ReadAsync(guard.Token), own, null, guard.Token);
        Assert.Equal(V2, updated.VersionAfter);
        DeviceInfo running = await host.ReadAsync(guard.Token);
        Assert.False(running.IsInBootloader);
        Assert.Equal(V2, running.ApplicationVersion);
        SecurityKit.AssertApplicationHolds(dut, payload);

        // Provisioned: the station finds it so (from its application) and changes nothing.
        ProvisioningResult again = await SecurityKit.Station(product).ProvisionAsync(host.Network, running, guard.Token);
        Assert.Equal(ProvisioningOutcome.AlreadyProvisioned, again.Outcome);
        Assert.Equal(certificate.ToArray(), (await SecurityKit.StatusAsync(host, guard.Token)).Certificate);
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Certificates_that_are_not_exactly_its_own_are_refused_and_it_stays_blank_without_a_byte_written(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 21) { RequireProvisioning = true };
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, withApplication: false));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        long operations = await dut.FlashOperationsAsync();

        // A stolen blank device at an attacker's station: the attacker's "production key" is not one the bootloader ships.
        var forged = await Assert.ThrowsAsync<ProvisioningException>(() => SecurityKit.Station(product, ForgedProductionKey).ProvisionAsync(host.Network, host.Device, guard.Token));
        Assert.Equal(ProvisioningError.UnknownIssuer, forged.DeviceError);

        // Genuine production signatures, but not for this device, this key, this product or this lifecycle.
        GetProvisioningStatusResponse status = await SecurityKit.StatusAsync(host, guard.Token);
        Assert.True(status.HasIdentityKey); // the attacker's station had it make one; it stays uncertified
        byte[] ownKey = status.PublicKey;
        byte[] otherKey = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint()[1..];
        DeviceUid otherUid = new ConformanceProduct(family, 22).Uid;
        var cases = new (DeviceCertificate Certificate, ProvisioningError Expected)[]
        {
            (Certify(otherUid, product.VendorId, product.DeviceClassId, ownKey), ProvisioningError.WrongDevice),
            (Certify(product.Uid, product.VendorId, product.DeviceClassId, otherKey), ProvisioningError.WrongPublicKey),
            (Certify(product.Uid, product.VendorId + 1, product.DeviceClassId, ownKey), ProvisioningError.WrongProduct),
            (Certify(product.Uid, product.VendorId, product.DeviceClassId, ownKey, DeviceLifecycle.Blank), ProvisioningError.WrongLifecycle),
            (Certify(product.Uid, product.VendorId, product.DeviceClassId, ownKey, signer: ForgedProductionKey, issuer: ProductionKey), ProvisioningError.BadCertificateSignature),
        };
        using (ProvisioningClient client = SecurityKit.Client(host))
        {
            foreach ((DeviceCertificate certificate, ProvisioningError expected) in cases)
            {
                var error = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(() => client.InstallCertificateAsync(new InstallCertificateRequest(certificate.ToArray()), null, guard.Token));
                Assert.Equal((ushort)expected, error.ErrorCode);
            }
        }
        Assert.Equal(operations, await dut.FlashOperationsAsync());
        GetProvisioningStatusResponse after = await SecurityKit.StatusAsync(host, guard.Token);
        Assert.Equal((DeviceLifecycle.Blank, false), (after.Lifecycle, after.Locked));
        Assert.Equal(ownKey, after.PublicKey);
        // The genuine station still provisions it.
        Assert.Equal(ProvisioningOutcome.Provisioned, (await SecurityKit.Station(product).ProvisionAsync(host.Network, await host.ReadAsync(guard.Token), guard.Token)).Outcome);
    }

    /// <summary>
    /// A power cut before or inside each flash operation of InstallCertificate (body, commit marker, write protection):
    /// the device comes back blank or provisioned with a certificate for its own key, and the next station run
    /// provisions it (or finds it provisioned and completes the lock), after which it authenticates. One cut per device
    /// and chip here; every cut point under <c>Category=Exhaustive</c>.
    /// </summary>
    [Theory]
    [MemberData(nameof(CutSlice))]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task A_power_cut_during_InstallCertificate_leaves_it_blank_or_provisioned_and_the_next_run_completes(DeviceImplementation implementation, FlashFamily family, long operation, double? fraction) =>
        CutDuringProvisioningAsync(implementation, family, new CutPoint(operation, fraction));

    [Theory]
    [MemberData(nameof(CutSweep))]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task Every_power_cut_during_InstallCertificate_leaves_it_blank_or_provisioned_and_the_next_run_completes(DeviceImplementation implementation, FlashFamily family, long operation, double? fraction) =>
        CutDuringProvisioningAsync(implementation, family, new CutPoint(operation, fraction));

    /// <summary>The CI slice: inside the commit marker (F4) and inside the lock (L4), both implementations.</summary>
    public static TheoryData<DeviceImplementation, FlashFamily, long, double?> CutSlice() => new()
    {
        { DeviceImplementation.CSharp, FlashFamily.Stm32F4, 1, 0.5 },
        { DeviceImplementation.C, FlashFamily.Stm32F4, 1, 0.5 },
        { DeviceImplementation.CSharp, FlashFamily.Stm32L4, 2, 0.5 },
        { DeviceImplementation.C, FlashFamily.Stm32L4, 2, 0.5 },
    };

    /// <summary>Before and inside each of the three operations, on both chips, for both implementations.</summary>
    public static TheoryData<DeviceImplementation, FlashFamily, long, double?> CutSweep()
    {
        var data = new TheoryData<DeviceImplementation, FlashFamily, long, double?>();
        foreach (DeviceImplementation implementation in new[] { DeviceImplementation.CSharp, DeviceImplementation.C })
            foreach (FlashFamily family in new[] { FlashFamily.Stm32F4, FlashFamily.Stm32L4 })
                for (long operation = 0; operation < 3; operation++)
                {
                    data.Add(implementation, family, operation, null);
                    data.Add(implementation, family, operation, 0.3);
                }
        return data;
    }

    private static async Task CutDuringProvisioningAsync(DeviceImplementation implementation, FlashFamily family, CutPoint cut)
    {
        var product = new ConformanceProduct(family, 23) { RequireProvisioning = true };
        using CancellationTokenSource guard = Guard();
        // Nothing writes flash before InstallCertificate: the key is made in the key storage, not in flash.
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, withApplication: false), cut);
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        try
        {
            await SecurityKit.Station(product, giveUpSoon: true).ProvisionAsync(host.Network, host.Device, guard.Token);
        }
        catch (Exception e) when (e is ProvisioningException or Csa.Rpc.RpcException or Csa.DataLink.DataLinkException or DeviceNotFoundException)
        {
            // The device lost its power under the command (it may have completed it on a resend after power-on).
        }
        while (dut.PowerCuts == 0)
            await Task.Delay(20, guard.Token);
        Assert.Equal(1, dut.PowerCuts);

        GetProvisioningStatusResponse status = await StatusWhenBackAsync(host, guard.Token);
        EcP256PrivateKey? key = dut.ExtractIdentityKey();
        if (status.Lifecycle == DeviceLifecycle.Provisioned)
            Assert.Equal(key!.PublicKey.ToUncompressedPoint(), DeviceCertificate.Parse(status.Certificate).GetUncompressedPublicKey());
        else
            Assert.Equal((DeviceLifecycle.Blank, 0), (status.Lifecycle, status.Certificate.Length));

        ProvisioningResult second = await SecurityKit.Station(product).ProvisionAsync(host.Network, await host.ReadAsync(guard.Token), guard.Token);
        Assert.True(second.Succeeded, $"{second.Outcome}: {second.Error}");
        GetProvisioningStatusResponse done = await SecurityKit.StatusAsync(host, guard.Token);
        Assert.Equal((DeviceLifecycle.Provisioned, true), (done.Lifecycle, done.Locked));
        Assert.Equal(dut.ExtractIdentityKey()!.PublicKey.ToUncompressedPoint(), DeviceCertificate.Parse(done.Certificate).GetUncompressedPublicKey());
        await SecurityKit.Authenticator().AuthenticateAsync(host.Network, await host.ReadAsync(guard.Token), guard.Token);
    }

    /// <summary>The status once the device answers again after its power came back (found again by its unique id).</summary>
    internal static async Task<GetProvisioningStatusResponse> StatusWhenBackAsync(ConformanceHost host, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await SecurityKit.StatusAsync(host, cancellationToken);
            }
            catch (Exception e) when (e is DeviceNotFoundException or Csa.Rpc.RpcTimeoutException or Csa.DataLink.DataLinkException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static DeviceCertificate Certify(DeviceUid uid, uint vendor, uint deviceClass, byte[] publicKey, DeviceLifecycle lifecycle = DeviceLifecycle.Provisioned,
        EcP256PrivateKey? signer = null, EcP256PrivateKey? issuer = null)
    {
        EcP256PrivateKey issuing = issuer ?? ProductionKey;
        DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(uid, vendor, deviceClass, 7, DateTimeOffset.UnixEpoch.AddSeconds(0x6B062500),
            issuing.PublicKey.KeyId.Span, publicKey, lifecycle);
        byte[] signature = new EcdsaP256Signer(signer ?? issuing).Sign(unsigned.SignedBytes.Span);
        return unsigned.WithSignature(signature);
    }

    /// <summary>True when the 32-byte scalar of <paramref name="key"/> appears anywhere in the flash.</summary>
    internal static bool ContainsScalar(FlashSnapshot flash, EcP256PrivateKey key)
    {
        byte[] scalar = key.ExportScalar();
        return flash.Main.AsSpan().IndexOf(scalar) >= 0 || flash.Otp.AsSpan().IndexOf(scalar) >= 0;
    }
}
