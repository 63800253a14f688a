using System.CommandLine;
using System.Diagnostics;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Cli.Simulation;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa demo</c>: the whole product in one process. A daisy chain of three devices (two STM32F4s and an STM32L4 that
/// only accepts encrypted images bound to it; one of them, device 1 unless <c>--c-device</c> says otherwise, runs the C
/// firmware of firmware/ in a csa-device process, the others are C# virtual devices) is enumerated; a signing key and new images are made on the spot; every application is
/// updated, then the bootloaders of device 0 and of the C device through their second copies, with progress; then
/// every device is asked what it runs. Exits 0 only when each runs its new versions. Without cmake or a C compiler (or
/// outside the repository) the C device cannot be built: the demo says so and runs the C# virtual device in its place.
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
        var cProgram = new Option<string?>("--c-device-program") { Description = $"The csa-device program the C device runs (default: ${CDeviceProgram.EnvironmentVariable}, else built from the repository's firmware/ with CMake)" };
        var cDevice = new Option<int>("--c-device") { Description = "The chain position (0-2) that runs the C firmware; 2 is the encrypted, device-bound STM32L4", DefaultValueFactory = _ => 1 };
        var command = new Command("demo", "Update a daisy chain of three devices, one of them running the C firmware, end to end (keys, signed and encrypted images, applications and bootloaders) and check the result")
        {
            baud, timing, size, cProgram, cDevice,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            int appSize = parse.GetValue(size);
            if (appSize is < 1024 or > 512 * 1024)
                throw CliException.Usage($"--app-size {appSize}: 1024..524288 bytes");
            if (parse.GetValue(baud) < 0)
                throw CliException.Usage("--baud must be 0 or more");
            int cIndex = parse.GetValue(cDevice);
            if (cIndex is < 0 or > 2)
                throw CliException.Usage($"--c-device {cIndex}: a chain position 0..2");
            FlashTimingProfile flashTiming = SimulationSpec.ParseTiming(parse.GetValue(timing)!) ?? throw CliException.Usage($"--flash-timing '{parse.GetValue(timing)}': typical, worst or instant");
            var clock = Stopwatch.StartNew();
            string? program = null, leftOut = null;
            try
            {
                program = await CDeviceProgram.LocateAsync(parse.GetValue(cProgram), text => Say(context, text), cancellationToken).ConfigureAwait(false);
            }
            catch (CDeviceUnavailableException e)
            {
                // Only what a machine lacks (cmake, a compiler, the sources) leaves the C device out; a build that fails fails the demo.
                leftOut = e.Message;
                context.Warn($"the chain runs without its C device: {e.Message}");
            }
            var spec = new SimulationSpec
            {
                Devices = 3,
                Topology = SimulationTopology.Chain,
                Baud = parse.GetValue(baud),
                Timing = flashTiming,
                CDevices = program is null ? new HashSet<int>() : new HashSet<int> { cIndex },
                CDeviceProgram = program,
            };
            return await RunAsync(context, spec, appSize, clock, leftOut, cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Device 2 is an STM32L4 that only takes encrypted images bound to it; the others are plain STM32F4s. Every device has
    /// an identity key (a C device gets it in its key storage).
    /// </summary>
    private static DeviceProfile Profile(SimulationSpec spec, SimulationKeys keys, int index)
    {
        bool locked = index == 2;
        bool c = spec.CDevices.Contains(index);
        FlashFamily family = locked ? FlashFamily.Stm32L4 : FlashFamily.Stm32F4;
        return new DeviceProfile
        {
            MemoryMap = locked ? MemoryMap.Stm32L4_1M : MemoryMap.Stm32F4_1M,
            Uid = VirtualFleet.UidFor(family, index),
            ProductName = locked ? (c ? "Infusion pump (L4, encrypted, C)" : "Infusion pump (L4, encrypted)") : c ? $"Infusion pump (F4, C) #{index}" : $"Infusion pump (F4) #{index}",
            TrustedSigningKeys = keys.Trusted,
            IdentityKey = keys.IdentityKey(index),
            RequireDeviceBinding = locked,
            RequireEncryption = locked,
            FlashTiming = spec.Timing,
        };
    }

    private static async Task<int> RunAsync(CommandContext context, SimulationSpec spec, int appSize, Stopwatch clock, string? cDeviceLeftOut, CancellationToken cancellationToken)
    {
        string kinds = spec.CDevices.Count == 0 ? $"{spec.Devices} C# virtual devices" : $"{spec.Devices - spec.CDevices.Count} C# virtual devices and device {string.Join(", ", spec.CDevices)} on the C firmware";
        Say(context, $"Building a daisy chain of {kinds} ({(spec.Baud == 0 ? "in-memory cables" : $"{spec.Baud} baud cables")}, {spec.Timing.ToString().ToLowerInvariant()} flash timing) and a fresh signing key...");
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
        DeviceFactory factory = fleet.Factory;
        var images = new Dictionary<DeviceUid, FirmwareImage>();
        foreach (DeviceInfo device in before)
        {
            DeviceProfile profile = fleet.Devices.Single(d => d.Profile.Uid == device.Uid).Profile;
            bool locked = profile.RequireEncryption;
            images[device.Uid] = await factory.BuildImageAsync(profile, RegionKind.Application, NewApplication,
                new FactoryImageOptions { Size = appSize, BindToDevice = locked, Encrypt = locked }, cancellationToken).ConfigureAwait(false);
        }
        // Bootloaders: device 0's and the C device's, each through its copy B.
        DeviceInfo[] bootloaderDevices = [.. before.Where((_, i) => i == 0 || spec.CDevices.Contains(i))];
        var bootloaderImages = new Dictionary<DeviceUid, FirmwareImage>();
        foreach (DeviceInfo device in bootloaderDevices)
        {
            DeviceProfile profile = fleet.Devices.Single(d => d.Profile.Uid == device.Uid).Profile;
            bool locked = profile.RequireEncryption; // the locked device takes its bootloader encrypted and bound too
            bootloaderImages[device.Uid] = await factory.BuildImageAsync(profile, RegionKind.BootloaderB, NewBootloader,
                new FactoryImageOptions { Size = factory.Options.Firmware.BootloaderSize, BindToDevice = locked, Encrypt = locked }, cancellationToken).ConfigureAwait(false);
        }
        Say(context, $"Signed with key {fleet.Keys.SigningKey.PublicKey.KeyIdHex}: application {NewApplication} ({appSize} bytes) for every device " +
            $"(bound to and encrypted for {before[2].Uid}), bootloader {NewBootloader} for copy B of {string.Join(" and ", bootloaderDevices.Select(d => d.Uid))}.");

        var updater = new FirmwareUpdater(network, new UpdateOptions { LoggerFactory = context.LoggerFactory });
        Dictionary<DeviceUid, DeviceInfo> byUid = before.ToDictionary(d => d.Uid);
        (IReadOnlyList<InstallResult> applications, IReadOnlyList<InstallResult> bootloaders) = await UpdateProgressView.RunAsync(context,
            uid => $"{byUid[uid].Address} {byUid[uid].ProductName}", async progress =>
            {
                IReadOnlyList<InstallResult> rows = await updater.InstallAsync(before, (d, _) => Task.FromResult(images[d.Uid]), before.Count, progress, cancellationToken).ConfigureAwait(false);
                var now = new List<DeviceInfo>();
                foreach (DeviceInfo device in bootloaderDevices)
                    now.Add(await network.FindAsync(device.Uid, cancellationToken).ConfigureAwait(false));
                IReadOnlyList<InstallResult> bl = await updater.InstallAsync(now, (d, _) => Task.FromResult(bootloaderImages[d.Uid]), now.Count, progress, cancellationToken).ConfigureAwait(false);
                return (rows, bl);
            }).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        // Trust nothing the updater said: ask every device, over the Device interface, what it runs now.
        var summary = new List<DemoDeviceJson>();
        foreach (DeviceInfo old in before)
        {
            DeviceInfo now = await network.FindAsync(old.Uid, cancellationToken).ConfigureAwait(false);
            InstallResult app = applications.Single(r => r.Device == old.Uid);
            InstallResult? bootloader = bootloaders.SingleOrDefault(r => r.Device == old.Uid);
            bool ok = !now.IsInBootloader && now.ApplicationValid && now.ApplicationVersion == NewApplication
                && (bootloader is null || now.BootloaderVersion == NewBootloader);
            long bytes = (app.Result?.BytesSent ?? 0) + (bootloader?.Result?.BytesSent ?? 0);
            double seconds = (app.Duration + (bootloader?.Duration ?? TimeSpan.Zero)).TotalSeconds;
            bool c = fleet.Devices.Single(d => d.Profile.Uid == old.Uid).RunsCFirmware;
            summary.Add(new DemoDeviceJson(old.Uid.ToString(), now.Address.ToString(), old.ProductName, c ? "c" : "csharp",
                old.ApplicationValid ? old.ApplicationVersion.ToString() : null, now.ApplicationValid ? now.ApplicationVersion.ToString() : null,
                old.BootloaderVersion.ToString(), now.BootloaderVersion.ToString(), now.ActiveBootloader.ToString(),
                bytes, Math.Round(seconds, 3), seconds > 0 ? Math.Round(bytes / seconds) : 0, ok,
                ok ? null : Why(app, bootloader, now)));
        }

        bool succeeded = summary.All(s => s.Verified);
        if (!succeeded)
        {
            context.SetFailure($"{summary.Count(s => !s.Verified)} of {summary.Count} devices do not run their new firmware",
                summary.Where(s => !s.Verified).Select(s => new DeviceErrorJson(s.Uid, ExitCodes.Failed, ExitCodes.NameOf(ExitCodes.Failed), s.Problem ?? "failed")).ToArray());
        }
        if (context.Json)
        {
            ResultJson[] updates = [.. applications.Select(r => ResultJson.From(r, "application")), .. bootloaders.Select(r => ResultJson.From(r, "bootloader"))];
            context.WriteJson(new { succeeded, seconds = Math.Round(clock.Elapsed.TotalSeconds, 3), cDeviceLeftOut, devices = summary, updates });
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("device", "address", "firmware", "application", "bootloader", "bytes", "time", "throughput", "runs it");
            foreach (DemoDeviceJson s in summary)
            {
                table.AddRow(s.Uid, s.Address, s.Firmware == "c" ? "C" : "C#", $"{DeviceTables.Version(s.ApplicationBefore)} -> {DeviceTables.Version(s.ApplicationAfter)}",
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

    private sealed record DemoDeviceJson(string Uid, string Address, string Product, string Firmware, string? ApplicationBefore, string? ApplicationAfter,
        string BootloaderBefore, string BootloaderAfter, string ActiveBootloader, long Bytes, double Seconds, double BytesPerSecond, bool Verified, string? Problem);
}
