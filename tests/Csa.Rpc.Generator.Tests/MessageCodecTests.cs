using Csa.Rpc.Device;

namespace Csa.Rpc.Generator.Tests;

/// <summary>Generated Write/Read: exact bytes, round trips, and typed errors for every kind of bad input.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class MessageCodecTests
{
    [Fact]
    public void Start_infusion_request_round_trips_with_content_equality()
    {
        StartInfusionRequest request = SamplePumpTests.SampleStart();

        byte[] bytes = Wire.Encode(request);
        StartInfusionRequest decoded = Wire.Decode<StartInfusionRequest>(bytes);

        Assert.Equal(request, decoded);
        Assert.Equal(request.GetHashCode(), decoded.GetHashCode());
        Assert.NotSame(request.ProgramId, decoded.ProgramId);
        Assert.NotEqual(request, decoded with { ProgramId = new byte[16] });
        Assert.NotEqual(request, decoded with { Steps = new[] { new ProtocolStep(1000, 60), new ProtocolStep(2500, 3600), new ProtocolStep(0, 1) } });
        Assert.Contains("ProgramId = A0A1A2A3A4A5A6A7A8A9AAABACADAEAF", request.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_field_type_has_the_documented_layout()
    {
        // Hand-computed: string u16 len + UTF-8, fixed 16 bytes, 3 x (u32 + u16), u32, bytes u16 len + data.
        string expected =
            "0700" + "4865706172696E" +
            "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF" +
            "E80300003C00" + "C4090000100E" + "000000000000" +
            "90D00300" +
            "0200" + "DEAD";

        Assert.Equal(expected, Wire.Hex(Wire.Encode(SamplePumpTests.SampleStart())));
        Assert.Equal(expected, DocVectors.Read("StartInfusionRequest"));
        Assert.Equal("00FB" + "2EFB" + "0807060504030201", Wire.Hex(Wire.Encode(new AlarmRaisedEvent((AlarmFlags)0xFB00, -1234, 0x0102030405060708))));
        Assert.Empty(Wire.Encode(new StopInfusionRequest()));
    }

    [Fact]
    public void The_generated_size_bounds_are_the_encodings_of_the_smallest_and_the_largest_values()
    {
        StartInfusionRequest sample = SamplePumpTests.SampleStart();
        StartInfusionRequest smallest = sample with { DrugName = "", Notes = [] };
        StartInfusionRequest largest = sample with { DrugName = new string('x', 24), Notes = new byte[64] };

        Assert.Equal(StartInfusionRequest.MinEncodedSize, Wire.Encode(smallest).Length);
        Assert.Equal(StartInfusionRequest.MaxEncodedSize, Wire.Encode(largest).Length);
        Assert.Throws<RpcEncodeException>(() => Wire.Encode(largest with { Notes = new byte[65] }));
        Assert.Equal((0, 0), (StopInfusionRequest.MinEncodedSize, StopInfusionRequest.MaxEncodedSize));
        Assert.Equal(AlarmRaisedEvent.MaxEncodedSize, Wire.Encode(new AlarmRaisedEvent(AlarmFlags.None, 0, 0)).Length);
        Assert.Equal(AlarmRaisedEvent.MinEncodedSize, AlarmRaisedEvent.MaxEncodedSize);
    }

    [Fact]
    public void Every_truncation_and_any_trailing_byte_is_a_decode_error()
    {
        byte[] bytes = Wire.Encode(SamplePumpTests.SampleStart());
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<RpcDecodeException>(() => Wire.Decode<StartInfusionRequest>(bytes.AsSpan(0, length)));

        var error = Assert.Throws<RpcDecodeException>(() => Wire.Decode<StartInfusionRequest>([.. bytes, 0]));
        Assert.Contains("StartInfusionRequest", error.Message, StringComparison.Ordinal);
        Assert.Throws<RpcDecodeException>(() => Wire.Decode<StopInfusionRequest>(new byte[] { 1 }));
    }

    [Fact]
    public void Undefined_enum_values_are_refused_but_flag_bits_are_kept()
    {
        byte[] status = Wire.Encode(new GetStatusResponse(PumpState.Alarm, 1, 2, AlarmFlags.None));
        status[0] = 9;
        var decodeError = Assert.Throws<RpcDecodeException>(() => Wire.Decode<GetStatusResponse>(status));
        Assert.Contains("GetStatusResponse.state", decodeError.Message, StringComparison.Ordinal);

        var encodeError = Assert.Throws<RpcEncodeException>(() => Wire.Encode(new GetStatusResponse((PumpState)9, 1, 2, AlarmFlags.None)));
        Assert.Contains("PumpState", encodeError.Message, StringComparison.Ordinal);

        var flags = new GetStatusResponse(PumpState.Idle, 1, 2, (AlarmFlags)0x8001);
        Assert.Equal(flags, Wire.Decode<GetStatusResponse>(Wire.Encode(flags)));
    }

    [Fact]
    public void Bool_other_than_zero_or_one_is_a_decode_error()
    {
        var versions = new GetVersionsResponse(ImageKind.Application, BootloaderSlot.B, new ImageVersion(1, 2, 3, 4), new ImageVersion(5, 6, 7, 8), true, 9, 1);
        byte[] bytes = Wire.Encode(versions);
        Assert.Equal(versions, Wire.Decode<GetVersionsResponse>(bytes));

        bytes[18] = 2; // applicationValid: 1 + 1 + 8 + 8 bytes before it
        Assert.Throws<RpcDecodeException>(() => Wire.Decode<GetVersionsResponse>(bytes));
    }

    [Fact]
    public void Fields_that_violate_their_declaration_are_encode_errors_naming_the_field()
    {
        StartInfusionRequest good = SamplePumpTests.SampleStart();

        AssertEncodeError(good with { DrugName = new string('x', 25) }, "drugName");
        AssertEncodeError(good with { DrugName = new string('\u00e9', 13) }, "drugName"); // 26 UTF-8 bytes
        AssertEncodeError(good with { DrugName = null! }, "drugName");
        AssertEncodeError(good with { ProgramId = new byte[15] }, "programId");
        AssertEncodeError(good with { Steps = good.Steps[..2] }, "steps");
        AssertEncodeError(good with { Steps = new ProtocolStep[] { new(1, 1), null!, new(1, 1) } }, "steps");
        AssertEncodeError(good with { Notes = new byte[65] }, "notes");
        Assert.Equal(good with { DrugName = new string('\u00e9', 12) }, Wire.Decode<StartInfusionRequest>(Wire.Encode(good with { DrugName = new string('\u00e9', 12) })));

        static void AssertEncodeError(StartInfusionRequest request, string field)
        {
            var error = Assert.Throws<RpcEncodeException>(() => Wire.Encode(request));
            Assert.Contains("StartInfusionRequest." + field, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Oversized_length_prefix_and_bad_utf8_are_decode_errors()
    {
        byte[] bytes = Wire.Encode(SamplePumpTests.SampleStart());
        byte[] longName = (byte[])bytes.Clone();
        longName[0] = 25; // drugName claims 25 bytes, max 24
        Assert.Contains("at most 24", Assert.Throws<RpcDecodeException>(() => Wire.Decode<StartInfusionRequest>(longName)).Message, StringComparison.Ordinal);

        byte[] badUtf8 = (byte[])bytes.Clone();
        badUtf8[2] = 0xFF;
        Assert.Throws<RpcDecodeException>(() => Wire.Decode<StartInfusionRequest>(badUtf8));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_type_round_trips_at_both_ends_of_its_range(bool low)
    {
        Csa.Rpc.Tests.AllTypes.EverythingRequest request = AllTypesVectors.Extremes(low);

        byte[] bytes = Wire.Encode(request);
        Csa.Rpc.Tests.AllTypes.EverythingRequest decoded = Wire.Decode<Csa.Rpc.Tests.AllTypes.EverythingRequest>(bytes);

        Assert.Equal(request, decoded);
        Assert.Equal(request.GetHashCode(), decoded.GetHashCode());
        Assert.Equal(low ? long.MinValue : long.MaxValue, decoded.H);
        Assert.Equal(low ? sbyte.MinValue : sbyte.MaxValue, decoded.E);
    }

    [Fact]
    public void Device_messages_have_the_bytes_the_documentation_shows()
    {
        foreach ((string name, byte[] bytes) in DeviceVectors.All())
        {
            string documented = DocVectors.Read(name);
            Assert.Equal(documented, Wire.Hex(bytes));
        }
    }
}

/// <summary>The example device messages whose bytes docs/rpc-interfaces.md shows.</summary>
internal static class DeviceVectors
{
    public static GetIdentityResponse Identity { get; } = new(
        VendorId: 0x00C5A001,
        DeviceClass: 0x00000042,
        Uid: Convert.FromHexString("2A0030000B51333234363838"),
        McuDeviceId: 0x0413,
        HardwareRevision: 3,
        ProductName: "Pump-X");

    /// <summary>What an STM32F4 1 MB Csa device answers: ECDSA, encryption, downgrade protection, binding honoured and two copies; nothing required.</summary>
    public static GetUpdateRulesResponse UpdateRules { get; } = new(
        BootloaderFeatures: FeatureFlags.Signatures | FeatureFlags.Encryption | FeatureFlags.DowngradeProtection | FeatureFlags.DeviceBinding | FeatureFlags.BootloaderUpdate,
        Requirements: ImageRequirements.None,
        Application: new ImageSlot(0x08060000, 651_264),
        BootloaderA: new ImageSlot(0x08020000, 126_976),
        BootloaderB: new ImageSlot(0x08040000, 126_976));

    public static IEnumerable<(string Name, byte[] Bytes)> All()
    {
        yield return ("GetIdentityResponse", Wire.Encode(Identity));
        yield return ("ResetRequest", Wire.Encode(new ResetRequest(ResetMode.Bootloader, 100)));
        yield return ("HeartbeatEvent", Wire.Encode(new HeartbeatEvent(DeviceState.Running, ImageKind.Application, 123456)));
        yield return ("GetCapabilitiesResponse", Wire.Encode(new GetCapabilitiesResponse(256, 4, 4096, FeatureFlags.Signatures | FeatureFlags.BootloaderUpdate)));
        yield return ("GetUpdateRulesResponse", Wire.Encode(UpdateRules));
    }
}

/// <summary>Reads "name: HEX" vectors from the fenced block of docs/rpc-interfaces.md.</summary>
internal static class DocVectors
{
    public static string Read(string name)
    {
        foreach (string line in File.ReadLines(TestPaths.DocFile))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith(name + ":", StringComparison.Ordinal))
                return trimmed[(name.Length + 1)..].Replace(" ", string.Empty, StringComparison.Ordinal).Trim();
        }

        throw new InvalidOperationException($"docs/rpc-interfaces.md has no vector '{name}:'");
    }
}
