using System.Diagnostics;
using Csa.DataLink.Tests.Support;

namespace Csa.DataLink.Tests;

/// <summary>
/// The C encoder and decoder printed in docs/protocol.md, compiled with gcc and run on the golden vectors: the
/// document's own code must agree with the SDK byte for byte.
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Category", "Interop")]
public class CReferenceTests
{
    [Fact]
    public async Task C_code_from_the_document_decodes_and_reencodes_every_golden_vector_and_rejects_the_bad_ones()
    {
        string gcc = FindOnPath("gcc")
            ?? throw new InvalidOperationException("gcc is needed for this test (apt-get install gcc libc6-dev).");
        string directory = Directory.CreateTempSubdirectory("csa-datalink-c").FullName;
        try
        {
            string source = Path.Combine(directory, "decoder.c");
            string program = Path.Combine(directory, "decoder");
            await File.WriteAllTextAsync(source,
                "#include <stdint.h>\n#include <stddef.h>\n" + ExtractCBlock() + "\n" +
                await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "CReference", "harness.c")));
            (int compiled, string compilerOutput) = await RunAsync(gcc, $"-std=c99 -Wall -Werror -O1 -o \"{program}\" \"{source}\"", "");
            Assert.True(compiled == 0, compilerOutput);

            IReadOnlyList<GoldenFrame> frames = GoldenVectors.Frames;
            IReadOnlyList<RejectedFrame> rejected = GoldenVectors.Rejected;
            string input = string.Join('\n', frames.Select(f => Convert.ToHexString(f.Encoded)).Concat(rejected.Select(r => Convert.ToHexString(r.Encoded)))) + "\n";
            (int exit, string output) = await RunAsync(program, "", input);
            Assert.Equal(0, exit);

            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(frames.Count + rejected.Count, lines.Length);
            for (int i = 0; i < frames.Count; i++)
                Assert.Equal($"OK {Convert.ToHexString(frames[i].Decoded)} {Convert.ToHexString(frames[i].Encoded)}", lines[i]);
            for (int i = 0; i < rejected.Count; i++)
            {
                string expected = rejected[i].Reason switch
                {
                    FrameDropReason.CrcMismatch => "REJECT crc",
                    FrameDropReason.UnsupportedVersion => "REJECT version",
                    FrameDropReason.Malformed => "REJECT",
                    var other => throw new InvalidOperationException($"no C mapping for {other}"),
                };
                Assert.StartsWith(expected, lines[frames.Count + i], StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string ExtractCBlock()
    {
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "protocol.md"));
        int start = Array.IndexOf(lines, "```c");
        Assert.True(start >= 0, "protocol.md has no ```c block");
        int end = Array.IndexOf(lines, "```", start + 1);
        return string.Join('\n', lines[(start + 1)..end]);
    }

    private static string? FindOnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string input)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TestNetwork.HangGuard);
        return (process.ExitCode, await output + await errors);
    }
}
