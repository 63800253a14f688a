using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Csa.Extensions.DependencyInjection.Tests;

/// <summary><c>services.AddCsaDevices(configuration)</c>: options bound from configuration, logging from the container, the devices reached.</summary>
public sealed class AddCsaDevicesTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task FromConfiguration_TheNetworkReachesTheDevices_AndAnUpdateRuns_LoggingThroughTheContainer()
    {
        await using VirtualBench bench = await VirtualBench.StartAsync(new VirtualBenchOptions { Devices = 2 });
        var logs = new ListLoggerProvider();
        IConfiguration csa = Configuration(("Csa:Links:0", bench.Link), ("Csa:Network:CommandTimeout", "00:00:03"), ("Csa:Updates:RestartTimeout", "00:00:45"),
            ("Csa:Updates:EnterBootloaderWaitSeconds", "60"));
        await using ServiceProvider provider = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug))
            .AddCsaDevices(csa.GetSection("Csa"))
            .BuildServiceProvider();

        Assert.Equal(TimeSpan.FromSeconds(3), provider.GetRequiredService<IOptions<DeviceNetworkOptions>>().Value.CommandTimeout);
        CsaDevices devices = provider.GetRequiredService<CsaDevices>();
        Assert.Equal((TimeSpan.FromSeconds(45), (ushort)60), (devices.UpdateOptions.RestartTimeout, devices.UpdateOptions.EnterBootloaderWaitSeconds));
        DeviceNetwork network = await devices.GetNetworkAsync();
        Assert.Same(network, await devices.GetNetworkAsync());
        IReadOnlyList<DeviceInfo> found = await network.DiscoverAsync();
        Assert.Equal(2, found.Count);

        FirmwareUpdater updater = await devices.GetUpdaterAsync();
        UpdateResult result = await updater.UpdateApplicationAsync(found[1], await bench.BuildApplicationAsync(new FirmwareVersion(2, 0, 0, 0)));
        Assert.Equal(new FirmwareVersion(2, 0, 0, 0), result.VersionAfter);
        Assert.True((await (await devices.GetMaintenanceAsync()).VerifyAsync(found[1], await bench.BuildApplicationAsync(new FirmwareVersion(2, 0, 0, 0)))).Matches);
        Assert.Contains(logs.Categories, c => c.StartsWith("Csa.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("no link is configured")]
    [InlineData("is malformed", "Csa:Links:0", "not a uri")]
    [InlineData("CommandAttempts", "Csa:Links:0", "tcp://127.0.0.1:1", "Csa:Network:CommandAttempts", "0")]
    public async Task BadConfiguration_IsAnOptionsValidationException_NamingIt(string expected, params string[] pairs)
    {
        IConfiguration csa = Configuration(pairs.Chunk(2).Select(p => (p[0], p[1])).ToArray());
        await using ServiceProvider provider = new ServiceCollection().AddCsaDevices(csa.GetSection("Csa")).BuildServiceProvider();
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => provider.GetRequiredService<CsaDevices>().GetNetworkAsync());
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task LinksInCode_AndTheContainerClosesThem()
    {
        await using VirtualBench bench = await VirtualBench.StartAsync();
        ServiceProvider provider = new ServiceCollection().AddCsaDevices(o => o.Links.Add(bench.Link)).BuildServiceProvider();
        CsaDevices devices = provider.GetRequiredService<CsaDevices>();
        Assert.Single(await (await devices.GetNetworkAsync()).DiscoverAsync());
        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => devices.GetNetworkAsync());
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<string> _categories = [];

        public IEnumerable<string> Categories => _categories;

        public ILogger CreateLogger(string categoryName)
        {
            _categories.Add(categoryName);
            return Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        }

        public void Dispose()
        {
        }
    }
}
