using System.Diagnostics;
using System.Text;
using Csa.Rpc.Tooling;
using Csa.Rpc.Device;

namespace Csa.Rpc.Generator.Tests;

/// <summary>
/// The C header is checked the way firmware uses it: compiled with gcc in strict C99, decoding payloads the
/// C# encoder produced and re-encoding them to the same bytes.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class CHeaderTests
{
    private static string DeviceHeader() => CBindingGenerator.Generate(RpcInterfaceFiles.Device, new CBindingOptions { SourceName = "device.rpc.json" }).Header.Text;

    private static string PumpHeader() => CBindingGenerator.Generate(File.ReadAllText(TestPaths.SamplePumpFile), new CBindingOptions { SourceName = "sample-pump.rpc.json", Prefix = "pump" }).Header.Text;

    [Fact]
    public void Bindings_match_golden_files()
    {
        // Every generated file of three interfaces: the codec header and the binding to the C stack.
        foreach (CBinding binding in new[]
        {
            CBindingGenerator.Generate(RpcInterfaceFiles.Device, new CBindingOptions { SourceName = "device.rpc.json" }),
            CBindingGenerator.Generate(File.ReadAllText(TestPaths.SamplePumpFile), new CBindingOptions { SourceName = "sample-pump.rpc.json", Prefix = "pump" }),
            CBindingGenerator.Generate(File.ReadAllText(TestPaths.AllTypesFile), new CBindingOptions { SourceName = "all-types.rpc.json" }),
        })
        {
            foreach (CGeneratedFile file in binding.Files)
                Golden.AssertMatches(file.FileName, file.Text);
        }
    }

    [Fact]
    public void Binding_files_are_named_after_the_interface_file()
    {
        CBinding binding = CBindingGenerator.Generate(File.ReadAllText(TestPaths.SamplePumpFile), new CBindingOptions { SourceName = "/x/sample-pump.rpc.json", Prefix = "pump" });
        Assert.Equal(["sample-pump.rpc.h", "sample-pump.rpc.binding.h", "sample-pump.rpc.binding.c"], binding.Files.Select(f => f.FileName));
        Assert.Equal("pump", binding.Prefix);
        Assert.Contains("#include \"sample-pump.rpc.h\"", binding.BindingHeader.Text, StringComparison.Ordinal);
        Assert.Contains("#include \"sample-pump.rpc.binding.h\"", binding.BindingSource.Text, StringComparison.Ordinal);
        Assert.Equal("device.rpc.h", CBindingGenerator.Generate(RpcInterfaceFiles.Device).Header.FileName);
    }

    [Fact]
    public void Embedded_device_interface_is_the_source_file()
    {
        Assert.Equal(File.ReadAllText(TestPaths.DeviceInterfaceFile), RpcInterfaceFiles.Device);
        Assert.Empty(RpcInterfaceValidator.Validate(RpcInterfaceFiles.Device));
    }

    [Fact]
    public void Invalid_file_throws_with_every_problem_and_its_line()
    {
        var error = Assert.Throws<RpcInterfaceFormatException>(() => CBindingGenerator.Generate("{ \"name\": \"X\",\n \"id\": -1, \"version\": 1 }", new CBindingOptions { SourceName = "x.rpc.json" }));

        RpcInterfaceDiagnostic problem = Assert.Single(error.Diagnostics);
        Assert.Equal(("CSARPC009", 2, 8), (problem.Id, problem.Line, problem.Column));
        Assert.Contains("x.rpc.json", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CBindingGenerator.Generate(RpcInterfaceFiles.Device, new CBindingOptions { Prefix = "Bad-Prefix" }));
    }

    [Fact]
    public async Task C_decoder_reads_CSharp_payloads_and_reencodes_identical_bytes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "csa-rpcgen-c-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "device.rpc.h"), DeviceHeader());
            File.WriteAllText(Path.Combine(dir, "sample-pump.rpc.h"), PumpHeader());
            File.WriteAllText(Path.Combine(dir, "all-types.rpc.h"), CBindingGenerator.Generate(File.ReadAllText(TestPaths.AllTypesFile)).Header.Text);
            File.WriteAllText(Path.Combine(dir, "main.c"), BuildProgram(out int cases));

            (int compileExit, string compileOutput) = await RunAsync("gcc", dir, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-o", "roundtrip", "main.c");
            Assert.True(compileExit == 0, "gcc failed:\n" + compileOutput);
            (int runExit, string runOutput) = await RunAsync(Path.Combine(dir, "roundtrip"), dir);

            Assert.True(runExit == 0, "C round trip failed:\n" + runOutput);
            Assert.Equal(cases, runOutput.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));

            // The headers declare extern "C" for C++ firmware; they must compile there as well.
            File.WriteAllText(Path.Combine(dir, "cpp.cpp"), "#include \"device.rpc.h\"\n#include \"sample-pump.rpc.h\"\n#include \"all-types.rpc.h\"\nint cpp_check() { device_reset_request_t r; r.mode = DEVICE_RESET_MODE_BOOTLOADER; r.delay_milliseconds = 1u; uint8_t b[DEVICE_MAX_PAYLOAD_SIZE]; return device_reset_request_encode(&r, b, sizeof b); }\n");
            (int cppExit, string cppOutput) = await RunAsync("g++", dir, "-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", "-o", "cpp.o", "cpp.cpp");
            Assert.True(cppExit == 0, "g++ failed:\n" + cppOutput);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A firmware that accepts less than the interface allows gives a field a smaller capacity in its static
    /// configuration (nanopb's max_size; the chip bootloader sizes the Bootloader interface's Write data to its packets):
    /// the struct shrinks, values up to the capacity round-trip, a longer one neither decodes nor encodes, and a capacity
    /// above the interface's maxLength does not compile.
    /// </summary>
    [Fact]
    public async Task A_configured_capacity_sizes_the_field_and_refuses_longer_values()
    {
        string dir = Path.Combine(Path.GetTempPath(), "csa-rpcgen-cap-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string fits = Hex(Wire.Encode(SamplePumpTests.SampleStart() with { Notes = new byte[] { 1, 2, 3, 4 } }));
            string longer = Hex(Wire.Encode(SamplePumpTests.SampleStart() with { Notes = new byte[] { 1, 2, 3, 4, 5 } }));
            File.WriteAllText(Path.Combine(dir, "sample-pump.rpc.h"), PumpHeader());
            File.WriteAllText(Path.Combine(dir, "small.h"), "#define CSA_CFG_PUMP_START_INFUSION_REQUEST_NOTES_MAX_LENGTH 4u\n");
            File.WriteAllText(Path.Combine(dir, "too-large.h"), "#define CSA_CFG_PUMP_START_INFUSION_REQUEST_NOTES_MAX_LENGTH 65u\n");
            File.WriteAllText(Path.Combine(dir, "main.c"), $$"""
                #include <stdio.h>
                #include <string.h>
                #include "sample-pump.rpc.h"

                static const uint8_t fits[] = { {{fits}} };
                static const uint8_t longer[] = { {{longer}} };

                int main(void)
                {
                    pump_start_infusion_request_t m;
                    uint8_t out[PUMP_START_INFUSION_REQUEST_MAX_SIZE];
                    int failed = 0;
                    if (sizeof m.notes != 4u) { printf("FAIL capacity %u\n", (unsigned)sizeof m.notes); failed = 1; }
                    if (pump_start_infusion_request_decode(&m, fits, sizeof fits) != (int32_t)sizeof fits) { printf("FAIL decode 4\n"); failed = 1; }
                    if (pump_start_infusion_request_encode(&m, out, sizeof out) != (int32_t)sizeof fits || memcmp(out, fits, sizeof fits) != 0) { printf("FAIL encode 4\n"); failed = 1; }
                    if (pump_start_infusion_request_decode(&m, longer, sizeof longer) != -1) { printf("FAIL decode 5\n"); failed = 1; }
                    (void)pump_start_infusion_request_decode(&m, fits, sizeof fits);
                    m.notes_len = 5u;
                    if (pump_start_infusion_request_encode(&m, out, sizeof out) != -1) { printf("FAIL encode 5\n"); failed = 1; }
                    if (!failed) printf("ok\n");
                    return failed;
                }
                """);

            (int compileExit, string compileOutput) = await RunAsync("gcc", dir, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1",
                "-DCSA_CONFIG_FILE=\"small.h\"", "-o", "capacity", "main.c");
            Assert.True(compileExit == 0, "gcc failed:\n" + compileOutput);
            (int runExit, string runOutput) = await RunAsync(Path.Combine(dir, "capacity"), dir);
            Assert.True(runExit == 0, "C capacity check failed:\n" + runOutput);
            Assert.Contains("ok", runOutput, StringComparison.Ordinal);

            (int tooLargeExit, string tooLargeOutput) = await RunAsync("gcc", dir, "-std=c99", "-DCSA_CONFIG_FILE=\"too-large.h\"", "-c", "-o", "too-large.o", "main.c");
            Assert.NotEqual(0, tooLargeExit);
            Assert.Contains("CSA_CFG_PUMP_START_INFUSION_REQUEST_NOTES_MAX_LENGTH must be 1..64", tooLargeOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string BuildProgram(out int cases)
    {
        var vectors = new List<(string CType, string Bytes)>
        {
            ("device_get_identity_response", Hex(Wire.Encode(DeviceVectors.Identity))),
            ("device_get_versions_response", Hex(Wire.Encode(new GetVersionsResponse(ImageKind.Bootloader, BootloaderSlot.B, new ImageVersion(1, 2, 0x0304, 0x05060708), new ImageVersion(0, 0, 0, 0), false, 0xFFFFFFFF, 1)))),
            ("device_get_capabilities_response", Hex(Wire.Encode(new GetCapabilitiesResponse(256, 4, 4096, (FeatureFlags)0x8000003F)))),
            ("device_reset_request", Hex(Wire.Encode(new ResetRequest(ResetMode.Bootloader, 100)))),
            ("device_enter_bootloader_request", Hex(Wire.Encode(new EnterBootloaderRequest(0xFFFF)))),
            ("device_get_identity_request", Hex(Wire.Encode(new GetIdentityRequest()))),
            ("device_heartbeat_event", Hex(Wire.Encode(new HeartbeatEvent(DeviceState.Fault, ImageKind.Application, 0xFFFFFFFF)))),
            ("device_state_changed_event", Hex(Wire.Encode(new StateChangedEvent(DeviceState.Running, DeviceState.Updating)))),
            ("pump_start_infusion_request", Hex(Wire.Encode(SamplePumpTests.SampleStart()))),
            ("pump_start_infusion_request", Hex(Wire.Encode(SamplePumpTests.SampleStart() with { DrugName = new string('\u00e9', 12), Notes = Array.Empty<byte>() }))),
            ("pump_get_status_response", Hex(Wire.Encode(new GetStatusResponse(PumpState.Alarm, 0x12345678, 0, AlarmFlags.DoorOpen | AlarmFlags.AirInLine)))),
            ("pump_alarm_raised_event", Hex(Wire.Encode(new AlarmRaisedEvent(AlarmFlags.Occlusion, -1234, 0x0102030405060708)))),
            ("pump_alarm_raised_event", Hex(Wire.Encode(new AlarmRaisedEvent(AlarmFlags.None, short.MinValue, ulong.MaxValue)))),
            ("pump_stop_infusion_response", Hex(Wire.Encode(new StopInfusionResponse()))),
            ("all_types_everything_request", Hex(Wire.Encode(AllTypesVectors.Extremes(low: true)))),
            ("all_types_everything_request", Hex(Wire.Encode(AllTypesVectors.Extremes(low: false)))),
            ("all_types_full_event", Hex(Wire.Encode(new Csa.Rpc.Tests.AllTypes.FullEvent(new Csa.Rpc.Tests.AllTypes.Outer(new Csa.Rpc.Tests.AllTypes.Inner(-1, new byte[] { 1, 2, 3, 4 }), "")))))
        };
        cases = vectors.Count + 1;

        var c = new StringBuilder();
        c.Append("""
            #include <stdio.h>
            #include <string.h>
            #include "device.rpc.h"
            #include "sample-pump.rpc.h"
            #include "all-types.rpc.h"

            static int failures = 0;
            #define CHECK(cond, what) do { if (!(cond)) { printf("FAIL %s: %s\n", what, #cond); failures++; } } while (0)
            #define ROUNDTRIP(type, name, ...) do { \
                static const uint8_t in[] = { __VA_ARGS__ }; \
                type##_t msg; uint8_t out[type##_t_MAX_BUF]; int32_t n; \
                memset(&msg, 0xA5, sizeof msg); \
                n = type##_decode(&msg, in, sizeof in); \
                CHECK(n == (int32_t)sizeof in, name " decode"); \
                n = type##_encode(&msg, out, sizeof out); \
                CHECK(n == (int32_t)sizeof in && memcmp(in, out, sizeof in) == 0, name " re-encode"); \
                if (sizeof in > 0u) { \
                    CHECK(type##_decode(&msg, in, sizeof in - 1u) == -1, name " truncated"); \
                    CHECK(type##_encode(&msg, out, sizeof in - 1u) == -1, name " small buffer"); \
                } \
                { uint8_t longer[sizeof in + 1u]; memcpy(longer, in, sizeof in); longer[sizeof in] = 0u; \
                  CHECK(type##_decode(&msg, longer, sizeof longer) == -1, name " trailing byte"); } \
                printf("ok %s\n", name); \
            } while (0)
            #define EMPTY(type, name) do { \
                type##_t msg; uint8_t out[1]; static const uint8_t one[1] = { 0u }; \
                CHECK(type##_decode(&msg, one, 0u) == 0, name " decode"); \
                CHECK(type##_encode(&msg, out, sizeof out) == 0, name " encode"); \
                CHECK(type##_decode(&msg, one, 1u) == -1, name " trailing byte"); \
                printf("ok %s\n", name); \
            } while (0)

            """);
        foreach (string type in vectors.Select(v => v.CType).Distinct())
            c.Append($"#define {type}_t_MAX_BUF ({type.ToUpperInvariant()}_MAX_SIZE + 1u)\n");
        c.Append("\nint main(void)\n{\n");
        for (int i = 0; i < vectors.Count; i++)
        {
            (string type, string bytes) = vectors[i];
            c.Append(bytes.Length == 0
                ? $"    EMPTY({type}, \"{type}#{i}\");\n"
                : $"    ROUNDTRIP({type}, \"{type}#{i}\", {bytes});\n");
        }

        // Field values as firmware sees them, from the first vectors.
        string identity = Hex(Wire.Encode(DeviceVectors.Identity));
        string alarm = Hex(Wire.Encode(new AlarmRaisedEvent(AlarmFlags.Occlusion, -1234, 0x0102030405060708)));
        string status = Hex(Wire.Encode(new GetStatusResponse(PumpState.Alarm, 1, 2, AlarmFlags.None)));
        c.Append($$"""
                {
                    static const uint8_t id_in[] = { {{identity}} };
                    static const uint8_t alarm_in[] = { {{alarm}} };
                    static uint8_t status_in[] = { {{status}} };
                    device_get_identity_response_t id;
                    pump_alarm_raised_event_t alarm;
                    pump_get_status_response_t st;
                    CHECK(device_get_identity_response_decode(&id, id_in, sizeof id_in) > 0, "identity");
                    CHECK(id.vendor_id == 0x00C5A001u && id.device_class == 0x42u && id.mcu_device_id == 0x0413u, "identity ids");
                    CHECK(id.uid[0] == 0x2Au && id.uid[11] == 0x38u && id.hardware_revision == 3u, "identity uid");
                    CHECK(id.product_name_len == 6u && strcmp(id.product_name, "Pump-X") == 0, "identity name");
                    CHECK(pump_alarm_raised_event_decode(&alarm, alarm_in, sizeof alarm_in) > 0, "alarm");
                    CHECK(alarm.sensor_reading == -1234 && alarm.timestamp_milliseconds == 0x0102030405060708ull, "alarm values");
                    CHECK(alarm.alarms == PUMP_ALARM_FLAGS_OCCLUSION, "alarm flags");
                    CHECK(pump_get_status_response_decode(&st, status_in, sizeof status_in) > 0 && st.state == PUMP_PUMP_STATE_ALARM, "status");
                    status_in[0] = 9u;
                    CHECK(pump_get_status_response_decode(&st, status_in, sizeof status_in) == -1, "undefined enum refused");
                    st.state = (pump_pump_state_t)9u;
                    CHECK(pump_get_status_response_encode(&st, status_in, sizeof status_in) == -1, "undefined enum not encoded");
                    CHECK(DEVICE_INTERFACE_ID == 0x0001u && DEVICE_CMD_GET_IDENTITY == 1u && PUMP_INTERFACE_ID == 0x0100u, "ids");
                    printf("ok field values\n");
                }
                return failures == 0 ? 0 : 1;
            }

            """);
        return c.ToString();
    }

    private static string Hex(byte[] bytes) => string.Join(", ", bytes.Select(b => $"0x{b:X2}"));

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start " + file);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120)); // hang guard only
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>Values at both ends of every range of the all-types interface.</summary>
internal static class AllTypesVectors
{
    public static Csa.Rpc.Tests.AllTypes.EverythingRequest Extremes(bool low)
    {
        var inner = new Csa.Rpc.Tests.AllTypes.Inner(low ? int.MinValue : int.MaxValue, low ? new byte[4] : new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
        var outer = new Csa.Rpc.Tests.AllTypes.Outer(inner, low ? string.Empty : "\u00e9\u00e9\u00e9\u00e9");
        return new Csa.Rpc.Tests.AllTypes.EverythingRequest(
            A: low ? byte.MinValue : byte.MaxValue,
            B: low ? ushort.MinValue : ushort.MaxValue,
            C: low ? uint.MinValue : uint.MaxValue,
            D: low ? ulong.MinValue : ulong.MaxValue,
            E: low ? sbyte.MinValue : sbyte.MaxValue,
            F: low ? short.MinValue : short.MaxValue,
            G: low ? int.MinValue : int.MaxValue,
            H: low ? long.MinValue : long.MaxValue,
            Flag: !low,
            Small: low ? Csa.Rpc.Tests.AllTypes.Small.Zero : Csa.Rpc.Tests.AllTypes.Small.Max,
            Medium: low ? Csa.Rpc.Tests.AllTypes.Medium.One : Csa.Rpc.Tests.AllTypes.Medium.Max,
            Large: low ? 0 : (Csa.Rpc.Tests.AllTypes.Large)0xFFFFFFFF,
            FixedBytes: low ? new byte[3] : new byte[] { 0xFF, 0xFE, 0xFD },
            VarBytes: low ? Array.Empty<byte>() : new byte[] { 1, 2, 3, 4, 5 },
            Text: low ? string.Empty : "0123456789",
            Outer: outer,
            Numbers: low ? new short[] { short.MinValue, -1, 0 } : new short[] { short.MaxValue, 1, 0 },
            Modes: new[] { Csa.Rpc.Tests.AllTypes.Medium.Max, Csa.Rpc.Tests.AllTypes.Medium.One },
            Flags: new[] { low, !low },
            Outers: new[] { outer, outer },
            Class: 42,
            Int: 43);
    }
}
