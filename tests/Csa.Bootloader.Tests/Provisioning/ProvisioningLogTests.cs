using System.Collections.Concurrent;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Crypto;
using Csa.Simulator.Firmware;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// The station logs one entry per device and outcome through <see cref="ProvisioningStationOptions.LoggerFactory"/>: the
/// manufacturing log of a line, beside the result rows and the records store.
/// </summary>
public sealed class ProvisioningLogTests
{
    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Station_LogsEachDevice_Provisioned_AlreadyProvisioned_AndRefused()
    {
        DeviceProfile profile = ProvisioningKit.Profile(7);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        var log = new RecordingLog();
        ProvisioningStationOptions options = ProvisioningKit.Station().Options with { LoggerFactory = log };
        using CancellationTokenSource guard = Rig.Guard();

        var station = new ProvisioningStation(ProvisioningKit.Signer, EcdsaP256SignatureVerifier.Instance, options);
        ProvisioningResult first = (await station.ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token)).Single();
        ProvisioningResult again = (await station.ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token)).Single();
        var foreign = new ProvisioningStation(new PemProductionSigner(ProvisioningKit.ForgedProductionKey), EcdsaP256SignatureVerifier.Instance, options);
        ProvisioningResult refused = (await foreign.ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token)).Single();

        Assert.Equal((ProvisioningOutcome.Provisioned, ProvisioningOutcome.AlreadyProvisioned, ProvisioningOutcome.Failed), (first.Outcome, again.Outcome, refused.Outcome));
        string uid = profile.Uid.ToString();
        Assert.Collection(log.Entries,
            e => Assert.Equal((4101, LogLevel.Information, true), (e.Id, e.Level, e.Text.Contains(uid, StringComparison.Ordinal) && e.Text.Contains($"serial {first.Certificate!.SerialNumber}", StringComparison.Ordinal))),
            e => Assert.Equal((4102, LogLevel.Information, true), (e.Id, e.Level, e.Text.Contains(uid, StringComparison.Ordinal))),
            e => Assert.Equal((4103, LogLevel.Warning, true), (e.Id, e.Level, e.Exception is ProvisioningException { Reason: ProvisioningFailure.ProvisionedByAnotherKey })));
        Assert.All(log.Entries, e => Assert.Equal(typeof(ProvisioningStation).FullName, e.Category));
    }

    private sealed record Entry(string Category, int Id, LogLevel Level, string Text, Exception? Exception);

    private sealed class RecordingLog : ILoggerFactory
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyCollection<Entry> Entries => _entries;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, eventId.Id, logLevel, formatter(state, exception), exception));
        }
    }
}
