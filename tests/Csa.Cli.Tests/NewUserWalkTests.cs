using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;

namespace Csa.Cli.Tests;

/// <summary>
/// A new user's first hour, automated: the solution's packages packed to a local feed from a copy of the sources, the
/// tool installed from it (<c>dotnet tool install Csa.Cli</c>), a fresh console project outside the repository that
/// references the packages (its own RPC interface through the packaged generator, the updater, the service operations,
/// a <c>sim:</c> URI without a registration call) built and run against <c>csa sim --tcp</c>. And what NuGet shows of
/// the packages: a README, the project's URL, no path of the machine that built them in the PDBs.
/// </summary>
/// <remarks>One test, about two minutes on a loaded 2-core machine; <c>--filter Category!=NewUserWalk</c> leaves it out of a quick local run.</remarks>
public sealed class NewUserWalkTests : IDisposable
{
    private static readonly TimeSpan StepGuard = TimeSpan.FromMinutes(6);
    private readonly string _root = DeviceTestKit.NewDirectory();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A tool process may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }

    [Fact]
    [Trait("Category", "NewUserWalk")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RPC")]
    public async Task PackToALocalFeed_InstallTheTool_AFreshProjectBuildsAndUpdatesADeviceThatCsaSimServes()
    {
        string version = $"0.1.0-walk.{DateTime.UtcNow:yyyyMMddHHmmss}";
        string sources = CopySources(Path.Combine(_root, "checkout"));
        string feed = Path.Combine(_root, "feed");
        await RunAsync(sources, "dotnet", "new", "sln", "-n", "walk", "--format", "sln");
        await RunAsync(sources, "dotnet", ["sln", "walk.sln", "add", .. Directory.GetFiles(Path.Combine(sources, "src"), "*.csproj", SearchOption.AllDirectories)]);
        try
        {
            await RunAsync(sources, "dotnet", "pack", "walk.sln", "-c", "Release", "-o", feed, $"-p:Version={version}", "-nologo");
            CheckPackages(feed, sources);

            // The tool, as the README says: dotnet tool install Csa.Cli (here into a folder of its own, from the feed).
            string tools = Path.Combine(_root, "tools");
            await RunAsync(_root, "dotnet", "tool", "install", "Csa.Cli", "--tool-path", tools, "--add-source", feed, "--version", version);
            string csa = Path.Combine(tools, OperatingSystem.IsWindows() ? "csa.exe" : "csa");

            // A fresh project outside the repository, from the docs alone.
            string app = Path.Combine(_root, "station");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><add key="local" value="{feed}" /></packageSources></configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "station.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings><TreatWarningsAsErrors>true</TreatWarningsAsErrors><NuGetAudit>false</NuGetAudit></PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Csa.Bootloader" Version="{version}" />
                    <PackageReference Include="Csa.Crypto" Version="{version}" />
                    <PackageReference Include="Csa.Simulator" Version="{version}" />
                    <AdditionalFiles Include="station.rpc.json" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "station.rpc.json"), StationInterface);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), StationProgram);

            using Process sim = Start(_root, csa, "sim", "--tcp", "0", "--json", "--flash-timing", "instant", "--state", Path.Combine(_root, "bench"));
            try
            {
                (string uri, string key) = ReadSimDocument(sim);
                string output = await RunAsync(app, "dotnet", "run", "--", uri, key);
                Assert.Contains("interface Station 0x0120", output);
                Assert.Contains("found 1 device(s) on " + uri, output);
                Assert.Contains("updated 100043005153463432303231 to 2.5.0+0", output);
                Assert.Contains("verify: holds and runs it", output);
                Assert.Contains("sim: 2 virtual device(s)", output);

                // The tool from the same feed sees what the program did.
                string info = await RunAsync(_root, csa, "info", "--json", "--link", uri);
                using JsonDocument document = JsonDocument.Parse(info);
                Assert.Equal("2.5.0+0", document.RootElement.GetProperty("devices")[0].GetProperty("application").GetString());
            }
            finally
            {
                sim.Kill(entireProcessTree: true);
                await sim.WaitForExitAsync();
            }
        }
        finally
        {
            // This run's packages out of the user's package cache.
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom ? custom
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (string package in Directory.Exists(cache) ? Directory.GetDirectories(cache, "csa.*") : [])
            {
                string walked = Path.Combine(package, version);
                if (Directory.Exists(walked))
                    Directory.Delete(walked, recursive: true);
            }
        }
    }

    /// <summary>Every package: a README, the project's URL and repository (not a path), PDBs without the build machine's paths.</summary>
    private static void CheckPackages(string feed, string sources)
    {
        string[] packages = Directory.GetFiles(feed, "*.nupkg");
        Assert.Contains(packages, p => Path.GetFileName(p).StartsWith("Csa.Cli.", StringComparison.Ordinal));
        Assert.Contains(packages, p => Path.GetFileName(p).StartsWith("Csa.Extensions.DependencyInjection.", StringComparison.Ordinal));
        foreach (string package in packages)
        {
            using ZipArchive zip = ZipFile.OpenRead(package);
            ZipArchiveEntry nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            XDocument spec = XDocument.Load(nuspec.Open());
            XNamespace ns = spec.Root!.Name.Namespace;
            XElement metadata = spec.Root.Element(ns + "metadata")!;
            string name = Path.GetFileName(package);
            Assert.True(metadata.Element(ns + "readme")?.Value == "README.md" && zip.GetEntry("README.md") is { Length: > 200 }, $"{name}: no README");
            Assert.StartsWith("https://", metadata.Element(ns + "projectUrl")?.Value ?? "", StringComparison.Ordinal);
            Assert.StartsWith("https://", metadata.Element(ns + "repository")?.Attribute("url")?.Value ?? "", StringComparison.Ordinal);
        }
        foreach (string symbols in Directory.GetFiles(feed, "*.snupkg"))
        {
            using ZipArchive zip = ZipFile.OpenRead(symbols);
            foreach (ZipArchiveEntry pdb in zip.Entries.Where(e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal)))
            {
                using var memory = new MemoryStream();
                pdb.Open().CopyTo(memory);
                memory.Position = 0;
                using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(memory);
                MetadataReader reader = provider.GetMetadataReader();
                foreach (DocumentHandle handle in reader.Documents)
                {
                    string document = reader.GetString(reader.GetDocument(handle).Name);
                    Assert.False(document.StartsWith(sources, StringComparison.Ordinal), $"{Path.GetFileName(symbols)}: {document}");
                }
            }
        }
    }

    /// <summary>What a checkout has that packing needs: the build settings and src/ (and the sample the tool embeds).</summary>
    private static string CopySources(string target)
    {
        string repo = Path.GetDirectoryName(ImageTestSupport.RepoFile("Directory.Build.props"))!;
        foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "samples/python/update_device.py" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, file))!);
            File.Copy(Path.Combine(repo, file), Path.Combine(target, file));
        }
        foreach (string file in Directory.EnumerateFiles(Path.Combine(repo, "src"), "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(repo, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        return target;
    }

    private static (string Uri, string Key) ReadSimDocument(Process sim)
    {
        var text = new System.Text.StringBuilder();
        while (sim.StandardOutput.ReadLine() is { } line)
        {
            text.AppendLine(line);
            if (line == "}")
                break;
        }
        using JsonDocument document = JsonDocument.Parse(text.ToString());
        return (document.RootElement.GetProperty("endpoints")[0].GetProperty("uri").GetString()!, document.RootElement.GetProperty("signingKey").GetString()!);
    }

    private static Process Start(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // Not the test host's MSBuild: a user's shell has none of it.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["CI"] = null; // a user's machine: no ContinuousIntegrationBuild
        return Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
    }

    private static async Task<string> RunAsync(string directory, string program, params string[] arguments)
    {
        using Process process = Start(directory, program, arguments);
        using var guard = new CancellationTokenSource(StepGuard);
        Task<string> output = process.StandardOutput.ReadToEndAsync(guard.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(guard.Token);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        string all = await output;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} (exit {process.ExitCode}):\n{all}\n{await error}");
        return all;
    }

    private const string StationInterface = """
        {
          "name": "Station",
          "id": "0x0120",
          "version": 1,
          "namespace": "Station.Rpc",
          "description": "A customer's own interface, generated by the packaged Csa.Rpc generator.",
          "commands": [
            { "name": "GetCount", "id": 1, "idempotent": true, "description": "The count.", "response": [ { "name": "count", "type": "u32", "description": "How many." } ] }
          ]
        }
        """;

    private const string StationProgram = """
        using Csa.Bootloader.Images;
        using Csa.Bootloader.Updates;
        using Csa.Crypto;

        string uri = args[0];
        EcP256PrivateKey key = EcP256PrivateKey.Load(args[1]);
        Console.WriteLine($"interface Station 0x{Station.Rpc.StationInterface.Id:X4}");

        // The update, as the README's quick start does it, with an image built and signed here.
        var settings = new ImageSettings { Kind = ImageKind.Application, VendorId = 0x00C5A000, DeviceClassId = 1, Version = new FirmwareVersion(2, 5, 0, 0), SecurityCounter = 2 };
        byte[] payload = new byte[12_000];
        new Random(7).NextBytes(payload);
        FirmwareImage image = await new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, 0x08060000), new EcdsaP256Signer(key));
        await using (DeviceNetwork network = await DeviceNetwork.ConnectAsync(uri))
        {
            IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();
            Console.WriteLine($"found {devices.Count} device(s) on {uri}");
            UpdateResult result = new FirmwareUpdater(network).UpdateApplication(devices[0], image, null);
            Console.WriteLine($"updated {result.Device} to {result.VersionAfter}");
            InstalledImageCheck check = await new DeviceMaintenance(network).VerifyAsync(devices[0], image);
            Console.WriteLine(check.Matches ? "verify: holds and runs it" : $"verify: {check.Problem}");
        }

        // Virtual devices by URI, without registering anything: the package is referenced.
        await using (DeviceNetwork bench = await DeviceNetwork.ConnectAsync("sim:chain?devices=2"))
            Console.WriteLine($"sim: {(await bench.DiscoverAsync()).Count} virtual device(s)");
        """;
}
