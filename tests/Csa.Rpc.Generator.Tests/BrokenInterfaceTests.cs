using Microsoft.CodeAnalysis;

namespace Csa.Rpc.Generator.Tests;

/// <summary>
/// A broken interface file in a project that uses the interface: the build reports the file's own error, not a pile of
/// "type not found" errors (CS0246) for every use of the client, the server base and the messages.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class BrokenInterfaceTests
{
    private const string Uses = """
        using System.Threading.Tasks;
        using Csa.DataLink;
        using Csa.Rpc;
        namespace App;
        public static class Station
        {
            public static async Task<PumpClient> StartAsync(IRpcInvoker invoker)
            {
                var pump = new PumpClient(invoker, new NodeAddress(1));
                StartResponse started = await pump.StartAsync(new StartRequest());
                _ = started;
                PumpError error = default;
                Mode mode = default;
                _ = (error, mode);
                return pump;
            }
        }
        public sealed class Server : PumpServerBase { }
        """;

    [Theory]
    [InlineData("CSARPC007", """{ "name": "Pump", "id": 256, "version": 1, "enums": [ { "name": "Mode", "underlying": "u8", "values": [] } ], "commands": [ { "name": "Start", "id": 1, "idempotent": true, "request": [ { "name": "rate", "type": "u24" } ] } ] }""")]
    [InlineData("CSARPC004", """{ "name": "Pump", "id": 256, "version": 1, "enums": [ { "name": "Mode", "underlying": "u8", "values": [] } ], "commands": [ { "name": "Start", "id": 1, "idempotent": true, "descripton": "typo" } ] }""")]
    public void The_files_error_is_reported_and_the_projects_uses_of_the_interface_still_bind(string id, string json)
    {
        (GeneratorDriverRunResult run, Compilation output) = GeneratorHarness.Run([new InMemoryAdditionalText("/p/pump.rpc.json", json)], "App", Uses);

        Assert.Contains(run.Diagnostics, d => d.Id == id && d.Severity == DiagnosticSeverity.Error);
        Diagnostic[] compiler = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(compiler.Length == 0, string.Join("\n", compiler.Select(d => d.ToString())));
        Assert.Contains(run.GeneratedTrees, t => t.FilePath.EndsWith("pump.stub.rpc.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_that_is_not_even_json_gets_no_stand_ins_only_its_error()
    {
        (GeneratorDriverRunResult run, _) = GeneratorHarness.RunText("{ \"name\": ", "/p/pump.rpc.json");
        Assert.Contains(run.Diagnostics, d => d.Id == "CSARPC001");
        Assert.Empty(run.GeneratedTrees);
    }
}
