using System.Diagnostics;
using Csa.DataLink.Bus.Internal;

namespace Csa.DataLink.Bus.Tests;

/// <summary>The C CRC-8 printed in docs/transports.md section 7.3, compiled with gcc: it must agree with the SDK on the check value and on random inputs.</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Category", "Interop")]
public sealed class CReferenceCrc8Tests
{
    private const string Harness = """
        #include <stdio.h>
        #include <string.h>
        int main(void) {
            char line[4096];
            while (fgets(line, sizeof line, stdin)) {
                uint8_t bytes[2048]; size_t n = 0; unsigned v;
                for (char *p = line; sscanf(p, "%2x", &v) == 1 && n < sizeof bytes; p += 2) bytes[n++] = (uint8_t)v;
                printf("%02X\n", crc8_smbus(bytes, n));
            }
            return 0;
        }
        """;

    [Fact]
    public async Task TheDocumentsCrc8_AgreesWithTheSdk()
    {
        string gcc = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("gcc is needed for this test (apt-get install gcc libc6-dev).");
        string[] doc = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "transports.md"));
        int start = Array.IndexOf(doc, "```c");
        Assert.True(start >= 0, "transports.md has no ```c block");
        int end = Array.IndexOf(doc, "```", start + 1);
        string directory = Directory.CreateTempSubdirectory("csa-bus-c").FullName;
        try
        {
            string source = Path.Combine(directory, "crc8.c");
            string program = Path.Combine(directory, "crc8");
            await File.WriteAllTextAsync(source, "#include <stdint.h>\n#include <stddef.h>\n" + string.Join('\n', doc[(start + 1)..end]) + "\n" + Harness);
            (int compiled, string compilerOutput) = await RunAsync(gcc, $"-std=c99 -Wall -Werror -O1 -o \"{program}\" \"{source}\"", "");
            Assert.True(compiled == 0, compilerOutput);

            var random = new Random(8);
            List<byte[]> inputs = [.. Enumerable.Range(0, 200).Select(i => { byte[] b = new byte[random.Next(1, 300)]; random.NextBytes(b); return b; })];
            inputs.Insert(0, "123456789"u8.ToArray());
            (int exit, string output) = await RunAsync(program, "", string.Join('\n', inputs.Select(Convert.ToHexString)) + "\n");
            Assert.Equal(0, exit);
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("F4", lines[0]);
            Assert.Equal(inputs.Select(b => Crc8Smbus.Compute(b).ToString("X2")), lines);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string input)
    {
        using Process process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
