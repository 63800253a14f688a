using System.Buffers;
using System.Reflection;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Fuzz.Engine;
using Csa.Rpc;

namespace Csa.Fuzz.Targets;

/// <summary>
/// Every generated message decoder (the records of every shipped *.rpc.json: Device, Bootloader, Provisioning, the
/// demo application): the first input byte picks the message, the rest is its payload. Contract: Read throws
/// RpcDecodeException only, and a payload it accepts is written back byte for byte by the generated writer (one
/// encoding per value).
/// </summary>
internal sealed class RpcMessageTarget : FuzzTarget
{
    private delegate void Decoder(ReadOnlySpan<byte> payload);

    private static readonly Lazy<IReadOnlyList<(Type Type, Decoder Decode)>> Messages = new(FindMessages);

    public override string Name => "rpc-messages";

    public override string Description => $"the generated Read of each of {Messages.Value.Count} message records (first byte selects), then Write must give the same bytes";

    /// <summary>The message types, in a fixed order (by full name).</summary>
    public static IReadOnlyList<Type> MessageTypes => [.. Messages.Value.Select(m => m.Type)];

    public override IEnumerable<byte[]> Seeds()
    {
        // Each message's shortest payload of one repeated byte (0, then 1, 2, ...: enumerations that start at 1, length
        // prefixes) that the decoder accepts and the generated writer writes back byte for byte (DecodeAndCheck).
        for (int i = 0; i < Messages.Value.Count; i++)
        {
            byte[]? seed = null;
            for (int fill = 0; fill <= 4 && seed is null; fill++)
            {
                for (int length = 0; length <= 1200 && seed is null; length++)
                {
                    byte[] candidate = new byte[length];
                    Array.Fill(candidate, (byte)fill);
                    try
                    {
                        Messages.Value[i].Decode(candidate);
                        seed = candidate;
                    }
                    catch (Exception e) when (e is RpcDecodeException or ContractViolation)
                    {
                    }
                }
            }
            if (seed is not null)
                yield return [(byte)i, .. seed];
        }

        // Realistic messages, written by the generated writers: the update and provisioning commands with real content.
        FirmwareImage image = SeedMaterial.Images[^1];
        yield return Seed(new BeginUpdateRequest(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(),
            image.FindWrappedKey(SeedMaterial.Uid)!.WrappedKey.ToArray()));
        yield return Seed(new WriteRequest(0, image.Payload[..64].ToArray()));
        byte[] certificate = SeedMaterial.Certificate().ToArray();
        yield return Seed(new GetProvisioningStatusResponse(SeedMaterial.Uid.ToArray(), DeviceLifecycle.Provisioned, true, true,
            SeedMaterial.DeviceKey.PublicKey.ToUncompressedPoint()[1..], certificate));
        yield return Seed(new InstallCertificateRequest(certificate));
    }

    private static byte[] Seed<T>(T message) where T : IRpcMessage<T>
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new RpcWriter(output);
        message.Write(ref writer);
        int index = Messages.Value.Select(m => m.Type).ToList().IndexOf(typeof(T));
        return [(byte)index, .. output.WrittenSpan];
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            return -1;
        int index = input[0] % Messages.Value.Count;
        try
        {
            Messages.Value[index].Decode(input[1..]);
            return index * 2;
        }
        catch (RpcDecodeException)
        {
            return index * 2 + 1;
        }
    }

    private static List<(Type, Decoder)> FindMessages()
    {
        Assembly[] assemblies =
        [
            typeof(RpcPacket).Assembly,
            typeof(Csa.Bootloader.Images.ImageReader).Assembly,
            typeof(Csa.Simulator.Device.VirtualDevice).Assembly,
        ];
        MethodInfo decode = typeof(RpcMessageTarget).GetMethod(nameof(DecodeAndCheck), BindingFlags.NonPublic | BindingFlags.Static)!;
        var found = new List<(Type, Decoder)>();
        foreach (Type type in assemblies.SelectMany(a => a.GetTypes()).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            bool isMessage = type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRpcMessage<>) && i.GetGenericArguments()[0] == type);
            if (isMessage && !type.IsAbstract)
                found.Add((type, decode.MakeGenericMethod(type).CreateDelegate<Decoder>()));
        }
        return found;
    }

    private static void DecodeAndCheck<T>(ReadOnlySpan<byte> payload) where T : IRpcMessage<T>
    {
        var reader = new RpcReader(payload);
        T message = T.Read(ref reader);
        var output = new ArrayBufferWriter<byte>(Math.Max(1, payload.Length));
        var writer = new RpcWriter(output);
        try
        {
            message.Write(ref writer);
        }
        catch (RpcEncodeException e)
        {
            throw new ContractViolation($"{typeof(T).Name}: the decoder accepted a value the writer refuses: {e.Message}");
        }
        if (!output.WrittenSpan.SequenceEqual(payload))
            throw new ContractViolation($"{typeof(T).Name}: {payload.Length} bytes decode to a value that writes as {output.WrittenCount} other bytes");
    }
}
