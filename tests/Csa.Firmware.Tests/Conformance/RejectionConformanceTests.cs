using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// Every security rejection, through the host SDK, against both implementations: refused with a typed error by the
/// host's pre-check before the device leaves its application, and with the pre-check off by the device itself before
/// it erases anything; either way the device runs its old application again and its flash is byte-identical
/// (outside the state journal, which entering the bootloader and coming back write).
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class RejectionConformanceTests
{
    public sealed record Case(string Name, ImageRejection? Local, BootloaderError Device, uint DeviceCounter = 1, bool RequireBinding = false);

    private static readonly Dictionary<string, Case> s_cases = new[]
    {
        new Case("crc-on-signature-device", ImageRejection.UnsupportedAuthentication, BootloaderError.BadSignature),
        new Case("untrusted-signing-key", ImageRejection.UnknownKey, BootloaderError.UnknownKey),
        new Case("tampered-manifest", ImageRejection.BadSignature, BootloaderError.BadSignature),
        new Case("bound-to-another-device", ImageRejection.NotBoundToThisDevice, BootloaderError.NotBoundToThisDevice),
        new Case("unbound-on-a-binding-product", ImageRejection.NotBoundToThisDevice, BootloaderError.NotBoundToThisDevice, RequireBinding: true),
        new Case("downgrade", ImageRejection.SecurityCounterTooLow, BootloaderError.SecurityCounterTooLow, DeviceCounter: 5),
        new Case("wrong-device-class", ImageRejection.WrongDeviceClass, BootloaderError.WrongTarget),
        new Case("wrong-vendor", ImageRejection.WrongVendor, BootloaderError.WrongTarget),
        new Case("bootloader-image-as-application", ImageRejection.WrongImageKind, BootloaderError.WrongTarget),
        new Case("wrong-load-address", ImageRejection.WrongLoadAddress, BootloaderError.WrongLocation),
        new Case("too-large-for-region", ImageRejection.TooLargeForRegion, BootloaderError.WrongLocation),
        new Case("too-large-for-the-largest-payload", ImageRejection.TooLargeForRegion, BootloaderError.WrongLocation),
        // An encrypted image: the C device has no decryptor yet (docs/device-model.md section 8), the C# device has no
        // identity key in this product; neither can unwrap the content key, and says so the same way.
        new Case("encrypted-for-a-key-the-device-does-not-hold", ImageRejection.UnsupportedEncryption, BootloaderError.KeyUnwrapFailed),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string, bool, DeviceImplementation, FlashFamily> Cases()
    {
        var data = new TheoryData<string, bool, DeviceImplementation, FlashFamily>();
        foreach (string name in s_cases.Keys)
        {
            foreach (bool preCheck in new[] { true, false })
            {
                foreach (DeviceImplementation implementation in new[] { DeviceImplementation.CSharp, DeviceImplementation.C })
                {
                    foreach (FlashFamily family in new[] { FlashFamily.Stm32F4, FlashFamily.Stm32L4 })
                        data.Add(name, preCheck, implementation, family);
                }
            }
        }
        return data;
    }

    private static FirmwareImage BadImage(string name, ConformanceProduct product)
    {
        ConformanceProduct other = product with { Index = 99 };
        return name switch
        {
            "crc-on-signature-device" => Image(product, RegionKind.Application, V2, signer: Crc32ImageAuthenticator.Instance),
            "untrusted-signing-key" => Image(product, RegionKind.Application, V2, signer: new EcdsaP256Signer(UntrustedSigningKey)),
            "tampered-manifest" => Tampered(Image(product, RegionKind.Application, V2)),
            "bound-to-another-device" => Image(product, RegionKind.Application, V2, tweak: s => s.BoundDevices.Add(other.Uid)),
            "unbound-on-a-binding-product" => Image(product, RegionKind.Application, V2, counter: 2),
            "downgrade" => Image(product, RegionKind.Application, V2, counter: 2),
            "wrong-device-class" => Image(product, RegionKind.Application, V2, tweak: s => s.DeviceClassId = 0x99),
            "wrong-vendor" => Image(product, RegionKind.Application, V2, tweak: s => s.VendorId = 0x0BAD0000),
            "bootloader-image-as-application" => Image(product, RegionKind.Application, V2, tweak: s => s.Kind = ImageKind.Bootloader),
            "wrong-load-address" => Image(product, RegionKind.Application, V2, loadAddress: product.Map.Application.Address + 0x2_0000),
            "too-large-for-region" => Image(product, RegionKind.Application, V2, size: product.Map.Application.Size + 16),
            "too-large-for-the-largest-payload" => Image(product, RegionKind.Application, V2, size: product.Map.Application.Size - 4096 + 16),
            "encrypted-for-a-key-the-device-does-not-hold" => Encrypted(product),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    /// <summary>The version field changed after signing: the signature no longer holds.</summary>
    internal static FirmwareImage Tampered(FirmwareImage image)
    {
        byte[] bytes = image.ToArray();
        bytes[20] ^= 0x01;
        return ImageReader.Parse(bytes);
    }

    private static FirmwareImage Encrypted(ConformanceProduct product)
    {
        var settings = new ImageSettings
        {
            Kind = ImageKind.Application,
            VendorId = product.VendorId,
            DeviceClassId = product.DeviceClassId,
            Version = V2,
            SecurityCounter = 2,
        };
        var payload = new byte[20_000];
        new Random(7).NextBytes(payload);
        EcP256PublicKey someoneElse = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey;
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, product.Map.Application.Address), new EcdsaP256Signer(SigningKey),
            new AesCtrEciesPayloadEncryptor(), [new ImageRecipient(product.Uid, someoneElse.ToUncompressedPoint())]).GetAwaiter().GetResult();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task A_bad_image_is_refused_typed_and_the_device_keeps_running_its_untouched_application(string name, bool localPreCheck, DeviceImplementation implementation, FlashFamily family)
    {
        Case @case = s_cases[name];
        var product = new ConformanceProduct(family, 10) { RequireBinding = @case.RequireBinding };
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, applicationCounter: @case.DeviceCounter));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, ConformanceHost.Options(localPreCheck, maxResumeAttempts: 0), guard.Token);
        FlashSnapshot before = dut.Snapshot();
        FirmwareImage image = BadImage(name, product);

        Exception thrown = await Record.ExceptionAsync(() => host.Updater.UpdateApplicationAsync(host.Device, image, null, guard.Token));
        var e = thrown as UpdateRejectedException ?? throw new Xunit.Sdk.XunitException($"Expected a rejection; got {thrown}\n{dut.Log}");

        if (localPreCheck && @case.Local is { } local)
        {
            Assert.True(e.RejectedLocally, e.Message);
            Assert.Equal(local, e.LocalRejection);
            Assert.False(e.ApplicationRestarted);
            // The application told the host everything the check needs: the device never left it, nothing was written.
            Assert.Empty(dut.Snapshot().DifferingRegions(before));
        }
        else
        {
            Assert.False(e.RejectedLocally);
            Assert.Equal(@case.Device, e.DeviceError);
            Assert.False(string.IsNullOrWhiteSpace(e.DeviceMessage));
            Assert.True(e.ApplicationRestarted, e.Message);
            // Refused before anything was erased: only the journal (the request to stay, then its end) changed.
            Assert.Subset(new HashSet<string>(["StateJournalA", "StateJournalB"]), new HashSet<string>(dut.Snapshot().DifferingRegions(before)));
        }
        // REQ-UPD-APP: a refused update leaves the device in service, its old application running.
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.False(now.IsInBootloader);
        Assert.True(now.ApplicationValid);
        Assert.Equal(V1, now.ApplicationVersion);
        Assert.Equal(product.Uid, e.Device);
    }

    /// <summary>
    /// The same bad images, offered by a raw client (no host pre-check) to a device that already waits in its
    /// bootloader, so that nothing but the offer itself can have touched the flash: each is refused with the error the
    /// updater test expects, and afterwards the whole flash, the state journal and the OTP counter floor included, is
    /// byte-identical to what it was before the first offer.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task Every_bad_image_offered_to_the_waiting_bootloader_is_refused_and_the_flash_stays_byte_identical(DeviceImplementation implementation, FlashFamily family)
    {
        using CancellationTokenSource guard = Guard();
        var wrong = new List<string>();
        int offered = 0;
        // One device per product setting the cases need (binding required; a device whose counter is already 5).
        foreach (IGrouping<(bool RequireBinding, uint DeviceCounter), Case> group in s_cases.Values.GroupBy(c => (c.RequireBinding, c.DeviceCounter)))
        {
            var product = new ConformanceProduct(family, 13) { RequireBinding = group.Key.RequireBinding };
            await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, applicationCounter: group.Key.DeviceCounter));
            await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
            using (Csa.Rpc.Device.DeviceClient client = host.Network.CreateDeviceClient(host.Device))
                await client.EnterBootloaderAsync(60, guard.Token);
            DeviceInfo bootloader = await UpdateConformanceTests.WaitForBootloaderAsync(host, guard.Token);
            FlashSnapshot before = dut.Snapshot();
            using var raw = new BootloaderClient(host.Network.Client, bootloader.Address);
            foreach (Case @case in group)
            {
                offered++;
                FirmwareImage image = BadImage(@case.Name, product);
                byte[] wrappedKey = image.FindWrappedKey(product.Uid)?.WrappedKey.ToArray() ?? [];
                string got = "accepted";
                try
                {
                    await raw.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), wrappedKey, guard.Token);
                }
                catch (Csa.Rpc.RpcErrorException e) when (BootloaderInterface.TryGetError(e, out BootloaderError error))
                {
                    if (error == @case.Device && !string.IsNullOrWhiteSpace(e.Message))
                        continue;
                    got = $"{error}: {e.Message}";
                }
                wrong.Add($"{@case.Name}: expected {@case.Device}, got {got}");
            }
            Assert.True(dut.Snapshot().DifferingRegions(before) is { Count: 0 }, $"{implementation} {family}: the refusals changed {string.Join(", ", dut.Snapshot().DifferingRegions(before))}");
            BootloaderStatus status = BootloaderStatus.FromResponse(await raw.GetStatusAsync(guard.Token));
            Assert.Equal(UpdatePhase.Idle, status.Phase);
            Assert.Equal(RegionState.Valid, status.GetRegion(RegionKind.Application).State);
        }
        Assert.Equal(s_cases.Count, offered);
        Assert.True(wrong.Count == 0, $"{implementation} {family}: {wrong.Count} of {offered} offers answered otherwise:\n{string.Join("\n", wrong)}");
    }

    /// <summary>
    /// The host's writes behind BeginUpdate (docs/updates.md section 3.1: a device that ran its application gets the first
    /// window of writes before BeginUpdate has answered): when BeginUpdate is refused, the writes that follow it find no
    /// session, each is answered NoUpdateInProgress, and the flash (the state journal and the OTP floor included) is
    /// byte-identical to what it was before the offer. A raw client sends BeginUpdate and the writes together, without
    /// waiting, as the updater does.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task A_refused_BeginUpdate_with_writes_behind_it_keeps_none_of_them(DeviceImplementation implementation, FlashFamily family)
    {
        using CancellationTokenSource guard = Guard();
        var wrong = new List<string>();
        foreach (string name in new[] { "downgrade", "tampered-manifest", "bound-to-another-device" })
        {
            Case @case = s_cases[name];
            var product = new ConformanceProduct(family, 14);
            await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, applicationCounter: @case.DeviceCounter));
            await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
            using (Csa.Rpc.Device.DeviceClient client = host.Network.CreateDeviceClient(host.Device))
                await client.EnterBootloaderAsync(60, guard.Token);
            DeviceInfo bootloader = await UpdateConformanceTests.WaitForBootloaderAsync(host, guard.Token);
            FlashSnapshot before = dut.Snapshot();
            using var raw = new BootloaderClient(host.Network.Client, bootloader.Address);
            FirmwareImage image = BadImage(name, product);
            // One write fewer than the device's receive buffers: BeginUpdate takes one.
            int writes = Math.Max(1, (int)bootloader.ReceiveBuffers - 1);
            int chunk = 512;
            Task<BeginUpdateResponse> offered = raw.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), [], guard.Token);
            var written = new List<Task<WriteResponse>>();
            for (int i = 0; i < writes; i++)
                written.Add(raw.WriteAsync((uint)(i * chunk), image.Payload.Slice(i * chunk, chunk).ToArray(), guard.Token));

            Exception? refusal = await Record.ExceptionAsync(() => offered);
            if (refusal is not Csa.Rpc.RpcErrorException e || !BootloaderInterface.TryGetError(e, out BootloaderError error) || error != @case.Device)
                wrong.Add($"{name}: BeginUpdate answered {refusal?.Message ?? "accepted"}, expected {@case.Device}");
            for (int i = 0; i < writes; i++)
            {
                Exception? answer = await Record.ExceptionAsync(() => written[i]);
                if (answer is not Csa.Rpc.RpcErrorException w || !BootloaderInterface.TryGetError(w, out BootloaderError code) || code != BootloaderError.NoUpdateInProgress)
                    wrong.Add($"{name}: write {i} answered {answer?.Message ?? "accepted"}, expected NoUpdateInProgress");
            }
            IReadOnlyList<string> changed = dut.Snapshot().DifferingRegions(before);
            if (changed.Count != 0)
                wrong.Add($"{name}: the refusal and the writes behind it changed {string.Join(", ", changed)}");
            BootloaderStatus status = BootloaderStatus.FromResponse(await raw.GetStatusAsync(guard.Token));
            if (status.Phase != UpdatePhase.Idle || status.GetRegion(RegionKind.Application).State != RegionState.Valid)
                wrong.Add($"{name}: afterwards phase {status.Phase}, application {status.GetRegion(RegionKind.Application).State}");
        }
        Assert.True(wrong.Count == 0, $"{implementation} {family}:\n{string.Join("\n", wrong)}");
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task A_tampered_payload_is_written_then_refused_and_never_runs(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 11);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, ConformanceHost.Options(localPreCheck: false, maxResumeAttempts: 0), guard.Token);
        FirmwareImage good = Image(product, RegionKind.Application, V2, size: 30_000, counter: 2);
        byte[] bytes = good.ToArray();
        bytes[good.ManifestBytes.Length + (good.Payload.Length / 2)] ^= 0x01;
        FirmwareImage tampered = ImageReader.Parse(bytes);

        var e = await Assert.ThrowsAsync<UpdateRejectedException>(() => host.Updater.UpdateApplicationAsync(host.Device, tampered, null, guard.Token));

        // The device finds out only over what it wrote (the payload hash): the region is not valid, the bootloader stays.
        Assert.Equal(BootloaderError.PayloadHashMismatch, e.DeviceError);
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.True(now.IsInBootloader);
        Assert.False(now.ApplicationValid);
        Assert.Contains(now.Bootloader!.StayReason, new[] { StayReason.NoValidApplication, StayReason.Requested, StayReason.UpdateInProgress });
        // A good image still installs afterwards.
        UpdateResult result = await host.Updater.UpdateApplicationAsync(now, good, null, guard.Token);
        Assert.Equal(V2, result.VersionAfter);
    }

    /// <summary>
    /// A bootloader never writes its own copy: an image linked for the running copy, offered for the other one by a
    /// raw client (the SDK refuses it before sending), is refused by the device before anything is erased.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task An_image_for_the_running_bootloader_copy_is_refused_and_the_copy_untouched(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 12);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        using (Csa.Rpc.Device.DeviceClient client = host.Network.CreateDeviceClient(host.Device))
            await client.EnterBootloaderAsync(60, guard.Token);
        DeviceInfo bootloader = await UpdateConformanceTests.WaitForBootloaderAsync(host, guard.Token);
        Assert.Equal(RegionKind.BootloaderA, bootloader.Bootloader!.RunningCopy);
        FlashSnapshot before = dut.Snapshot();
        FirmwareImage forA = Image(product, RegionKind.BootloaderA, V2, size: 16_000, counter: 2);
        using var raw = new BootloaderClient(host.Network.Client, bootloader.Address);

        var e = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(() => raw.BeginUpdateAsync(UpdateTarget.OtherBootloader, forA.ManifestBytes.ToArray(), forA.AuthenticationBlock.ToArray(), [], guard.Token));
        Assert.True(BootloaderInterface.TryGetError(e, out BootloaderError error) && error == BootloaderError.WrongLocation, e.Message);
        var kind = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(() => raw.BeginUpdateAsync(UpdateTarget.Application, forA.ManifestBytes.ToArray(), forA.AuthenticationBlock.ToArray(), [], guard.Token));
        Assert.True(BootloaderInterface.TryGetError(kind, out error) && error == BootloaderError.WrongTarget, kind.Message);

        Assert.Empty(dut.Snapshot().DifferingRegions(before));
    }
}
