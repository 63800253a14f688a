using System.CommandLine;
using System.Diagnostics;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Cli.Simulation;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa demo</c>: the whole product in one process. A daisy chain of three virtual devices (two STM32F4, one STM32L4
/// that only accepts encrypted images bound to it) is enumerated; a signing key and new images are made on the spot;
/// every application is updated and device 0's bootloader too, with progress; then every device is asked what it runs.
/// Exits 0 only when each runs its new version.
/// </summary>
internal static class DemoCommand
{
    private static readonly FirmwareVersion NewApplication = new(2, 0, 0, 0);
    private static readonly FirmwareVersion NewBootloader = new(1, 1, 0, 0);

    public static Command Create(CliConsole console)
    {
        var baud = new Option<int>("--baud") { Description = "Bit rate of the chain's cables (emulated UART lines); 0 = in-memory, no limit", DefaultValueFactory = _ => 921_600 };
        var timing = new Option<string>("--flash-timing") { Description = "typical (datasheet erase and program times), worst or instant", DefaultValueFactory = _ => "typical" };
        var size = new Option<int>("--app-size") { Description = "Bytes of each new application image", DefaultValueFactory = _ => 64 * 1024 };
        var command = new Command("demo", "Update a virtual daisy chain of three devices end to end (keys, signed and encrypted images, applications and a bootloader) and check the result")
        {
            baud, timing, size,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            int appSize = parse.GetValue(size);
            if (appSize is < 1024 or > 512 * 1024)
                throw CliException.Usage($"--app-size {appSize}: 1024..524288 bytes");
            if (parse.GetValue(baud) < 0)
                throw CliException.Usage("--baud must be 0 or more");
            var spec = new SimulationSpec
            {
                Devices = 3,
                Topology = SimulationTopology.Chain,
                Baud = parse.GetValue(baud),
                Timing = SimulationSpec.ParseTiming(parse.GetValue(timing)!) ?? throw CliException.Usage($"--flash-timing '{parse.GetValue(timing)}': typical, worst or instant"),
            };
            var clock = Stopwatch.StartNew();
            return await RunAsync(context, spec, appSize, clock, cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>Device 2 is an STM32L4 that only takes encrypted images bound to it; the others are plain STM32F4s.</summary>
    private static DeviceProfile Profile(SimulationSpec spec, SimulationKeys keys, int index)
    {
        bool locked = index == 2;
        FlashFamily family = locked ? FlashFamily.Stm32L4 : FlashFamily.Stm32F4;
        return new DeviceProfile
        {
            MemoryMap = locked ? MemoryMap.Stm32L4_1M : MemoryMap.Stm32F4_1M,
            Uid = VirtualFleet.UidFor(family, index),
            ProductName = locked ? "Infusion pump (L4, encrypted)" : $"Infusion pump (F4) #{index}",
            TrustedSigningKeys = keys.Trusted,
            IdentityKey = keys.IdentityKey(index),
            RequireDeviceBinding = locked,
            RequireEncryption = locked,
            FlashTiming = spec.Timing,
        };
    }

    private static async Task<int> RunAsync(CommandContext context, SimulationSpec spec, int appSize, Stopwatch clock, CancellationToken cancellationToken)
    {
        Say(context, $"Building a daisy chain of {spec.Devices} virtual devices ({(spec.Baud == 0 ? "in-memory cables" : $"{spec.Baud} baud cables")}, {spec.Timing.ToString().ToLowerInvariant()} flash timing) and a fresh signing key...");
        await using VirtualFleet fleet = await VirtualFleet.CreateAsync(spec, (keys, i) => Profile(spec, keys, i), loggerFactory: context.LoggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
        IReadOnlyList<DataLink.ILinkTransport> ports = await fleet.WireInProcessAsync(cancellationToken).ConfigureAwait(false);
        await using DeviceNetwork network = await DeviceNetwork.ConnectTransportsAsync(ports, new DeviceNetworkOptions { LoggerFactory = context.LoggerFactory }, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<DeviceInfo> before = await network.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        if (before.Count != spec.Devices)
            throw new CliException(ExitCodes.Failed, $"enumeration found {before.Count} of the {spec.Devices} devices on the chain");
        if (!context.Json)
        {
            context.Out.Write(DeviceTables.Devices(before));
        }

        // New images, made as a vendor's signing service would: signed by the key the devices trust; the locked device's
        // image is bound to its unique id and encrypted for its identity key.
        var signer = new EcdsaP256Signer(fleet.Keys.SigningKey);
        var images = new Dictionary<DeviceUid, FirmwareImage>();
        foreach (DeviceInfo device in before)
        {
            DeviceProfile profile = fleet.Devices.Single(d => d.Profile.Uid == device.Uid).Profile;
            bool locked = profile.RequireEncryption;
            images[device.Uid] = await SimulatedFirmware.BuildAsync(profile, ImageKind.Application, profile.MemoryMap.Application.Address, NewApplication,
                appSize, signer, bindToDevice: locked, encryptFor: locked ? profile.IdentityKey!.PublicKey : null, cancellationToken).ConfigureAwait(false);
        }
        DeviceInfo bootloaderDevice = before[0];
        DeviceProfile bootloaderProfile = fleet.Devices[0].Profile;
        FirmwareImage bootloaderImage = await SimulatedFirmware.BuildAsync(bootloaderProfile, ImageKind.Bootloader, bootloaderProfile.MemoryMap.BootloaderB.Address,
            NewBootloader, SimulatedFirmware.BootloaderSize, signer, cancellationToken: cancellationToken).ConfigureAwait(false);
        Say(context, $"Signed with key {fleet.Keys.SigningKey.PublicKey.KeyIdHex}: application {NewApplication} ({appSize} bytes) for every device " +
            $"(bound to and encrypted for {before[2].Uid}), bootloader {NewBootloader} for copy B of {bootloaderDevice.Uid}.");

        var updater = new FirmwareUpdater(network, new UpdateOptions { LoggerFactory = context.LoggerFactory });
        Dictionary<DeviceUid, DeviceInfo> byUid = before.ToDictionary(d => d.Uid);
        (IReadOnlyList<InstallResult> applications, InstallResult bootloader) = await UpdateProgressView.RunAsync(context,
            uid => $"{byUid[uid].Address} {byUid[uid].ProductName}", async progress =>
            {
                IReadOnlyList<InstallResult> rows = await updater.InstallAsync(before, (d, _) => Task.FromResult(images[d.Uid]), before.Count, progress, cancellationToken).ConfigureAwait(false);
                IReadOnlyList<InstallResult> bl = await UpdateRunner.RunAsync([await network.FindAsync(bootloaderDevice.Uid, cancellationToken).ConfigureAwait(false)], 1,
                    (d, ct) => updater.UpdateBootloaderAsync(d, bootloaderImage, false, progress, ct), cancellationToken).ConfigureAwait(false);
                return (rows, bl[0]);
            }).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        // Trust nothing the updater said: ask every device, over the Device interface, what it runs now.
        var summary = new List<DemoDeviceJson>();
        foreach (DeviceInfo old in before)
        {
            DeviceInfo now = await network.FindAsync(old.Uid, cancellationToken).ConfigureAwait(false);
            InstallResult app = applications.Single(r => r.Device == old.Uid);
            bool wantsBootloader = old.Uid == bootloaderDevice.Uid;
            bool ok = !now.IsInBootloader && now.ApplicationValid && now.ApplicationVersion == NewApplication
                && (!wantsBootloader || now.BootloaderVersion == NewBootloader);
            long bytes = (app.Result?.BytesSent ?? 0) + (wantsBootloader ? bootloader.Result?.BytesSent ?? 0 : 0);
            double seconds = (app.Duration + (wantsBootloader ? bootloader.Duration : TimeSpan.Zero)).TotalSeconds;
            summary.Add(new DemoDeviceJson(old.Uid.ToString(), now.Address.ToString(), old.ProductName,
                old.ApplicationValid ? old.ApplicationVersion.ToString() : null, now.ApplicationValid ? now.ApplicationVersion.ToString() : null,
                old.BootloaderVersion.ToString(), now.BootloaderVersion.ToString(), now.ActiveBootloader.ToString(),
                bytes, Math.Round(seconds, 3), seconds > 0 ? Math.Round(bytes / seconds) : 0, ok,
                ok ? null : Why(app, wantsBootloader ? bootloader : null, now)));
        }

        bool succeeded = summary.All(s => s.Verified);
        if (!succeeded)
        {
            context.SetFailure($"{summary.Count(s => !s.Verified)} of {summary.Count} devices do not run their new firmware",
                summary.Where(s => !s.Verified).Select(s => new DeviceErrorJson(s.Uid, ExitCodes.Failed, ExitCodes.NameOf(ExitCodes.Failed), s.Problem ?? "failed")).ToArray());
        }
        if (context.Json)
        {
            ResultJson[] updates = [.. applications.Select(r => ResultJson.From(r, "application")), ResultJson.From(bootloader, "bootloader")];
            context.WriteJson(new { succeeded, seconds = Math.Round(clock.Elapsed.TotalSeconds, 3), devices = summary, updates });
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("device", "address", "application", "bootloader", "bytes", "time", "throughput", "runs it");
            foreach (DemoDeviceJson s in summary)
            {
                table.AddRow(s.Uid, s.Address, $"{DeviceTables.Version(s.ApplicationBefore)} -> {DeviceTables.Version(s.ApplicationAfter)}",
                    $"{DeviceTables.Version(s.BootloaderBefore)} -> {DeviceTables.Version(s.BootloaderAfter)} ({s.ActiveBootloader})", DeviceTables.Bytes(s.Bytes), $"{s.Seconds:0.00} s",
                    $"{s.BytesPerSecond / 1024:0.0} KiB/s", s.Verified ? "[green]yes[/]" : $"[red]NO[/]: {Markup.Escape(s.Problem ?? "")}");
            }
            context.Out.Write(table);
            context.WriteLine(succeeded
                ? $"All {summary.Count} devices run their new firmware ({clock.Elapsed.TotalSeconds:0.0} s in all)."
                : $"{summary.Count(s => !s.Verified)} of {summary.Count} devices do not run their new firmware.");
        }
        foreach (DemoDeviceJson s in summary.Where(s => !s.Verified))
            context.Console.Error.WriteLine($"csa: error: device {s.Uid}: {s.Problem}");
        return succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static string Why(InstallResult app, InstallResult? bootloader, DeviceInfo now)
    {
        if (!app.Succeeded)
            return $"application update failed: {app.FailureReason}";
        if (bootloader is { Succeeded: false })
            return $"bootloader update failed: {bootloader.FailureReason}";
        return $"reports application {(now.ApplicationValid ? now.ApplicationVersion.ToString() : "none")}, bootloader {now.BootloaderVersion}, running the {(now.IsInBootloader ? "bootloader" : "application")}";
    }

    private static void Say(CommandContext context, string text)
    {
        if (!context.Json)
            context.WriteLine(text);
    }

    private sealed record DemoDeviceJson(string Uid, string Address, string Product, string? ApplicationBefore, string? ApplicationAfter,
        string BootloaderBefore, string BootloaderAfter, string ActiveBootloader, long Bytes, double Seconds, double BytesPerSecond, bool Verified, string? Problem);
}
