using Csa.Fuzz;
using Csa.Fuzz.Engine;
using Csa.Fuzz.Targets;

namespace Csa.Fuzz.Tests;

/// <summary>The engine finds what it is for, replays exactly, and the targets cover what docs/security.md 11 lists.</summary>
public sealed class EngineTests
{
    /// <summary>A parser with two planted bugs: an undocumented exception behind a two-byte pattern, and a length field it allocates.</summary>
    private sealed class PlantedBugs : FuzzTarget
    {
        public override string Name => "planted";

        public override string Description => "test target";

        public override IEnumerable<byte[]> Seeds()
        {
            yield return [1, 2, 3, 4, 5, 6, 7, 8];
        }

        public override int Run(ReadOnlySpan<byte> input)
        {
            if (input.Length >= 2 && input[0] == 0xFF && input[1] == 0x00)
                throw new InvalidOperationException("planted");
            if (input.Length >= 4 && input[0] == 0x80)
                return new byte[((input[1] << 8) | input[2]) << 4].Length; // allocation driven by a length field (up to 1 MiB)
            return input.Length > 0 ? input[0] : -1; // the outcome a parser's first check would give: what guides the engine
        }

        public override long AllocationBudget(int length) => 4096 + (16L * length);
    }

    [Fact]
    public void An_undocumented_exception_and_a_length_driven_allocation_are_both_found()
    {
        FuzzReport report = FuzzRunner.Run(new PlantedBugs(), new FuzzRunOptions { Inputs = 50_000, Seed = 3, MaxFailures = 1000 });
        Assert.Contains(report.Failures, f => f.Kind == "crash" && f.Detail.Contains("planted", StringComparison.Ordinal) && f.Input[0] == 0xFF && f.Input[1] == 0x00);
        Assert.Contains(report.Failures, f => f.Kind == "memory" && f.Input[0] == 0x80);
    }

    [Fact]
    public void The_same_seed_replays_the_same_run()
    {
        FuzzReport a = FuzzRunner.Run(FuzzTargets.Find("image"), new FuzzRunOptions { Inputs = 5_000, Seed = 11 });
        FuzzReport b = FuzzRunner.Run(FuzzTargets.Find("image"), new FuzzRunOptions { Inputs = 5_000, Seed = 11 });
        Assert.Equal((a.CorpusSize, a.Outcomes), (b.CorpusSize, b.Outcomes));
    }

    [Fact]
    public void Every_generated_message_decoder_is_a_target_with_a_seed_from_its_own_writer()
    {
        IReadOnlyList<Type> messages = RpcMessageTarget.MessageTypes;
        foreach (string name in new[] { "GetIdentityResponse", "BeginUpdateRequest", "WriteRequest", "GetStatusResponse", "AuthenticateResponse", "InstallCertificateRequest" })
            Assert.Contains(messages, t => t.Name == name);
        Assert.Equal(messages.Count, new RpcMessageTarget().Seeds().Select(s => s[0]).Distinct().Count());
    }

    [Fact]
    public void The_targets_are_the_parsers_docs_security_md_section_11_lists()
    {
        string[] expected =
        [
            "frame", "reassembly", "rpc-packet", "rpc-messages", "image", "intel-hex", "s-record", "elf", "firmware-file", "pem-key", "der-key",
            "ecies-unwrap", "device-certificate", "provisioning-records", "flash-state", "link-uri", "rpc-json",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), FuzzTargets.Create().Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (FuzzTarget t in FuzzTargets.Create())
        {
            Assert.NotEmpty(t.Seeds());
            (t as IDisposable)?.Dispose();
        }
    }
}
