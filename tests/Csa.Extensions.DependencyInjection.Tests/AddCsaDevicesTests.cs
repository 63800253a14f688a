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
        IConfiguration csa = Configuration(("Csa:Links:0", bench.Link), ("Csa:Network:Retry:Timeout", "00:00:03"), ("Csa:Updates:RestartTimeout", "00:00:45"),
            ("Csa:Updates:EnterBootloaderWaitSeconds", "60"));
        await using ServiceProvider provider = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug))
            .AddCsaDevices(csa.GetSection("Csa"))
            .BuildServiceProvider();

        Assert.Equal(TimeSpan.FromSeconds(3), provider.GetRequiredService<IOptions<DeviceNetworkOptions>>().Value.Retry.Timeout);
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
    [InlineData("Retry.Attempts", "Csa:Links:0", "tcp://127.0.0.1:1", "Csa:Network:Retry:Attempts", "0")]
    public async Task BadConfiguration_IsAnOptionsValidationException_NamingIt(string expected, params string[] pairs)
    {
        IConfiguration csa = Configuration(pairs.Chunk(2).Select(p => (p[0], p[1])).ToArray());
        await using ServiceProvider provider = new ServiceCollection().AddCsaDevices(csa.GetSection("Csa")).BuildServiceProvider();
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => provider.GetRequiredService<CsaDevices>().GetNetworkAsync());
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task InCode_ConfigureCsaUpdates_ChangesTheBoundRecord_ThenTheContainerLogs_AndABadChangeIsAValidationError()
    {
        IConfiguration csa = Configuration(("Csa:Links:0", "tcp://127.0.0.1:1"), ("Csa:Updates:Retry:Attempts", "5"));
        IImageVerifier verifier = Crc32ImageAuthenticator.Instance;
        await using ServiceProvider provider = new ServiceCollection()
            .AddLogging()
            .AddCsaDevices(csa.GetSection("Csa"))
            .ConfigureCsaUpdates(o => o with { TrustedVerifiers = [verifier], Retry = o.Retry with { Timeout = TimeSpan.FromSeconds(4) } })
            .BuildServiceProvider();

        UpdateOptions options = provider.GetRequiredService<CsaDevices>().UpdateOptions;
        Assert.Equal((TimeSpan.FromSeconds(4), 5), (options.Retry.Timeout, options.Retry.Attempts));
        Assert.Same(verifier, Assert.Single(options.TrustedVerifiers));
        Assert.Same(provider.GetRequiredService<ILoggerFactory>(), options.LoggerFactory);
        // Binding made a record of its own: the defaults every other user shares are untouched.
        Assert.Equal((3, 3), (RetryPolicy.Default.Attempts, UpdateOptions.Default.Retry.Attempts));

        await using ServiceProvider bad = new ServiceCollection()
            .AddCsaDevices(o => o.Links.Add("tcp://127.0.0.1:1"))
            .ConfigureCsaUpdates(o => o with { MaxResumeAttempts = -1 })
            .BuildServiceProvider();
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<CsaDevices>().UpdateOptions);
        Assert.Contains("MaxResumeAttempts", error.Message);
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
