using System.Buffers.Binary;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Rpc;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// BeginUpdate offers the SDK's pre-check would never send: malformed and crafted manifests (most of them signed by the
/// trusted key, so only the malformation is wrong), authentication blocks of the wrong length or content, sent to the
/// bootloader of both implementations with a raw client. Each must be refused with the error docs/device-model.md 6.3
/// gives (a malformed manifest BadManifest before anything else, then the authentication), and the flash must be
/// byte-identical afterwards, journal included: a refusal writes nothing.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class HostileManifestConformanceTests
{
    /// <summary>One hostile offer: the manifest and authentication block sent, and the error both devices must answer.</summary>
    private sealed record Offer(string Name, byte[] Manifest, byte[] Authentication, BootloaderError Expected);

    private static byte[] Sign(byte[] manifest) => new EcdsaP256Signer(SigningKey).Sign(manifest);

    private static byte[] With(byte[] manifest, Action<byte[]> change)
    {
        byte[] copy = (byte[])manifest.Clone();
        change(copy);
        return copy;
    }

    /// <summary>A manifest with <paramref name="change"/> applied, signed again by the trusted key.</summary>
    private static Offer Signed(string name, byte[] manifest, Action<byte[]> change, BootloaderError expected)
    {
        byte[] m = With(manifest, change);
        return new Offer(name, m, Sign(m), expected);
    }

    private static IEnumerable<Offer> Offers(ConformanceProduct product)
    {
        var good = Image(product, RegionKind.Application, V2, counter: 2);
        byte[] m = good.ManifestBytes.ToArray();
        byte[] auth = good.AuthenticationBlock.ToArray();
        byte[] uid = product.Uid.ToArray();
        byte[] bound = [.. With(m, b => { b[11] = 2; BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), 96 + 24); }), .. uid, .. uid];

        yield return new Offer("empty manifest", [], auth, BootloaderError.BadManifest);
        yield return new Offer("truncated to 60 bytes", m[..60], auth, BootloaderError.BadManifest);
        yield return Signed("bad magic", m, b => b[0] ^= 0xFF, BootloaderError.BadManifest);
        yield return Signed("format version 2", m, b => b[4] = 2, BootloaderError.BadManifest);
        yield return Signed("length field says one binding, none present", m, b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), 108), BootloaderError.BadManifest);
        yield return Signed("binding count 1 without its UID", m, b => b[11] = 1, BootloaderError.BadManifest);
        yield return new Offer("one trailing byte", [.. m, 0x00], Sign([.. m, 0x00]), BootloaderError.BadManifest);
        yield return Signed("image kind 3", m, b => b[8] = 3, BootloaderError.BadManifest);
        yield return Signed("authentication 7", m, b => b[9] = 7, BootloaderError.BadManifest);
        yield return Signed("encryption 9", m, b => b[10] = 9, BootloaderError.BadManifest);
        yield return Signed("binding count 33", m, b => b[11] = 33, BootloaderError.BadManifest);
        yield return Signed("payload size 0", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), 0), BootloaderError.BadManifest);
        yield return Signed("payload size above 2 MiB", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), 2 * 1024 * 1024 + 1), BootloaderError.BadManifest);
        yield return Signed("load address + size past 4 GiB", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), 0xFFFF_F000), BootloaderError.BadManifest);
        yield return Signed("a nonce on a plaintext image", m, b => b[72] = 1, BootloaderError.BadManifest);
        yield return Signed("a CRC-32 manifest that names a key", m, b => b[9] = 1, BootloaderError.BadManifest);
        yield return new Offer("the same UID bound twice", bound, Sign(bound), BootloaderError.BadManifest);
        yield return new Offer("480 bytes of 0xFF", Enumerable.Repeat((byte)0xFF, 480).ToArray(), auth, BootloaderError.BadManifest);
        // Well formed, not authentic.
        yield return new Offer("another manifest's signature", With(m, b => b[28] ^= 1), auth, BootloaderError.BadSignature);
        yield return new Offer("signature r = 0, s = 0", m, new byte[64], BootloaderError.BadSignature);
        yield return new Offer("signature of 63 bytes", m, auth[..63], BootloaderError.BadSignature);
        yield return new Offer("no authentication block", m, [], BootloaderError.BadSignature);
        yield return Signed("a key id nobody trusts", m, b => b[88] ^= 0x55, BootloaderError.UnknownKey);
        yield return Signed("a key id of zeros", m, b => b.AsSpan(88, 8).Clear(), BootloaderError.UnknownKey);
        // Authentic, for another product or place: refused after the authentication, before the erase.
        yield return Signed("bound to another chip", bound, b => { b[96] ^= 1; b[108] ^= 2; }, BootloaderError.NotBoundToThisDevice);
        yield return Signed("vendor 0", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), 0), BootloaderError.WrongTarget);
        yield return Signed("load address of copy B", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(32), product.Map.BootloaderB.Address), BootloaderError.WrongLocation);
        yield return Signed("payload one byte over the largest", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), (uint)product.Map.Application.Size - 4096 + 1), BootloaderError.WrongLocation);
        yield return Signed("security counter 0 on a device at 1", m, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), 0), BootloaderError.SecurityCounterTooLow);
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task Hostile_offers_are_refused_with_the_documented_error_and_write_nothing(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 20);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        using (Csa.Rpc.Device.DeviceClient client = host.Network.CreateDeviceClient(host.Device))
            await client.EnterBootloaderAsync(60, guard.Token);
        DeviceInfo bootloader = await UpdateConformanceTests.WaitForBootloaderAsync(host, guard.Token);
        FlashSnapshot before = dut.Snapshot();
        using var raw = new BootloaderClient(host.Network.Client, bootloader.Address);

        var wrong = new List<string>();
        int offers = 0;
        foreach (Offer offer in Offers(product))
        {
            offers++;
            BootloaderError? got = null;
            string detail = "accepted";
            try
            {
                await raw.BeginUpdateAsync(UpdateTarget.Application, offer.Manifest, offer.Authentication, [], guard.Token);
            }
            catch (RpcErrorException e) when (BootloaderInterface.TryGetError(e, out BootloaderError error))
            {
                got = error;
                detail = $"{error}: {e.Message}";
            }
            catch (RpcErrorException e)
            {
                detail = $"RPC error {e.Message}";
            }
            if (got != offer.Expected)
                wrong.Add($"{offer.Name}: expected {offer.Expected}, got {detail}");
        }

        Assert.True(wrong.Count == 0, $"{implementation} {family}: {wrong.Count} of {offers} offers answered otherwise than documented:\n{string.Join("\n", wrong)}");
        // Nothing was erased or written, the journal included; the device still waits with its application valid.
        Assert.Empty(dut.Snapshot().DifferingRegions(before));
        BootloaderStatus status = BootloaderStatus.FromResponse(await raw.GetStatusAsync(guard.Token));
        Assert.Equal(UpdatePhase.Idle, status.Phase);
        Assert.Equal(RegionState.Valid, status.GetRegion(RegionKind.Application).State);
    }
}
