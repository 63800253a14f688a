using System.CommandLine;
using System.Net;
using Csa.Cli.Simulation;
using Csa.Simulator.Device;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa sim</c>: virtual devices for other programs, on TCP or pseudo-terminals, until Ctrl+C or SIGTERM; SIGUSR1 or
/// the 'p' key cuts their power (and switches it back on).
/// </summary>
internal static class SimCommand
{
    public static Command Create(CliConsole console)
    {
        var tcp = new Option<int?>("--tcp") { Description = "Serve on TCP PORT (0 picks a free port; a star uses PORT, PORT+1, ...)" };
        var pty = new Option<bool>("--pty") { Description = "Serve on a pseudo-terminal (Linux): prints the device path to open as a serial port; a star gets one each" };
        var host = new Option<string>("--host") { Description = "Address TCP listens on", DefaultValueFactory = _ => "127.0.0.1" };
        var devices = new Option<int>("--devices", "-n") { Description = "How many devices", DefaultValueFactory = _ => 1 };
        var topology = new Option<string?>("--topology") { Description = "single, chain or star (default: single for one device, else chain)" };
        var family = new Option<string>("--family") { Description = "f4 (STM32F4, 1 MB) or l4 (STM32L4, 1 MB)", DefaultValueFactory = _ => "f4" };
        var flash = new Option<string?>("--flash") { Description = "Persist flash in FILE (device N>0 in FILE.N) and keys beside it; an existing file is loaded" };
        var state = new Option<string?>("--state") { Description = "Persist flash and keys in DIRECTORY (the layout sim:?state= uses)" };
        var baud = new Option<int>("--baud") { Description = "Bit rate of the cables between chained devices (0: no limit)", DefaultValueFactory = _ => 0 };
        var timing = new Option<string>("--flash-timing") { Description = "typical (datasheet), worst or instant", DefaultValueFactory = _ => "typical" };
        var buffers = new Option<string>("--buffers") { Description = $"Receive buffers each device advertises ({SimulationSpec.MinReceiveBuffers}..{SimulationSpec.MaxReceiveBuffers}): the host keeps this many writes in flight", DefaultValueFactory = _ => "4" };
        var key = new Option<string?>("--key") { Description = "Private signing key (PEM) the devices trust and their factory images are signed with (default: a generated development key, whose path is printed)" };
        var trust = new Option<string[]>("--trust") { Description = "Another public key (PEM) the devices trust (repeatable)", Arity = ArgumentArity.OneOrMore };
        var production = new Option<string[]>("--production-trust") { Description = "A production public key (PEM): the devices start blank and take firmware only after csa provision (repeatable)", Arity = ArgumentArity.OneOrMore };
        var offTime = new Option<string>("--power-off-time") { Description = "How long a power cut lasts before the power comes back", DefaultValueFactory = _ => "1s" };
        var cDevice = new Option<string[]>("--c-device")
        {
            Description = "Device N (0 = nearest the host; repeatable, or N,M) runs the C firmware (firmware/apps/csa-device: pre-bootloader, bootloader, demo application) instead of the C# virtual device",
            Arity = ArgumentArity.OneOrMore,
        };
        var cProgram = new Option<string?>("--c-device-program") { Description = $"The csa-device program the C devices run (default: ${CDeviceProgram.EnvironmentVariable}, else built from the repository's firmware/ with CMake)" };
        var command = new Command("sim", "Run virtual devices for other programs on TCP or a pseudo-terminal, until Ctrl+C; SIGUSR1 or 'p' cuts their power")
        {
            tcp, pty, host, devices, topology, family, flash, state, baud, timing, buffers, key, trust, production, offTime, cDevice, cProgram,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            int? tcpPort = parse.GetValue(tcp);
            bool usePty = parse.GetValue(pty);
            if ((tcpPort is not null) == usePty)
                throw CliException.Usage("give --tcp PORT or --pty (a device has one upstream port, so not both)");
            if (tcpPort is < 0 or > 65535)
                throw CliException.Usage($"--tcp {tcpPort}: a port is 0..65535");
            if (usePty && !OperatingSystem.IsLinux())
                throw CliException.Usage("--pty needs Linux; use --tcp");
            if (!IPAddress.TryParse(parse.GetValue(host), out IPAddress? address))
                throw CliException.Usage($"--host '{parse.GetValue(host)}' is not an IP address");
            string? flashFile = parse.GetValue(flash);
            string? stateDir = parse.GetValue(state);
            if (flashFile is not null && stateDir is not null)
                throw CliException.Usage("give --flash or --state, not both");
            int count = parse.GetValue(devices);
            TimeSpan powerOff = Devices.DeviceOptions.ParseDuration(parse.GetValue(offTime)!, "--power-off-time");
            IReadOnlySet<int> cDevices = SimulationSpec.ParseCDevices(parse.GetValue(cDevice) ?? [], Math.Max(count, 1), "--c-device");
            string? program = null;
            if (cDevices.Count > 0)
            {
                try
                {
                    program = await CDeviceProgram.LocateAsync(parse.GetValue(cProgram), text => Notice(context, text), cancellationToken).ConfigureAwait(false);
                }
                catch (CDeviceUnavailableException e)
                {
                    throw CliException.File($"--c-device: {e.Message}");
                }
            }
            string temporaryKeys = NewTemporaryKeyDirectory();
            var spec = new SimulationSpec
            {
                Devices = count,
                Topology = parse.GetValue(topology) is { } t
                    ? SimulationSpec.ParseTopology(t) is { } parsed && parsed is not (SimulationTopology.I2c or SimulationTopology.Spi)
                        ? parsed
                        : throw CliException.Usage(SimulationSpec.ParseTopology(t) is null
                            ? $"--topology '{t}': single, chain or star"
                            : $"--topology '{t}': csa sim serves devices to other processes over TCP or a pseudo-terminal, and an I2C or SPI bus cannot be served that way (a master reaches its slaves through the kernel's bus driver); build an emulated bus inside the command instead: --link 'sim:{t.ToLowerInvariant()}?devices=N' (docs/transports.md section 7.9)")
                    : count == 1 ? SimulationTopology.Single : SimulationTopology.Chain,
                Family = SimulationSpec.ParseFamily(parse.GetValue(family)!) ?? throw CliException.Usage($"--family '{parse.GetValue(family)}': f4 or l4"),
                Timing = SimulationSpec.ParseTiming(parse.GetValue(timing)!) ?? throw CliException.Usage($"--flash-timing '{parse.GetValue(timing)}': typical, worst or instant"),
                Baud = parse.GetValue(baud),
                ReceiveBuffers = SimulationSpec.ParseBuffers(parse.GetValue(buffers)!) ?? throw CliException.Usage(SimulationSpec.BuffersProblem($"--buffers '{parse.GetValue(buffers)}'")),
                Store = flashFile is not null ? SimulationStore.BesideFlashFile(flashFile)
                    : stateDir is not null ? SimulationStore.InDirectory(stateDir)
                    : SimulationStore.KeysOnly(temporaryKeys),
                SigningKeyPath = parse.GetValue(key),
                TrustedKeyPaths = parse.GetValue(trust) ?? [],
                ProductionKeyPaths = parse.GetValue(production) ?? [],
                CDevices = cDevices,
                CDeviceProgram = program,
                PowerOffTime = powerOff,
            };

            await using VirtualFleet fleet = await VirtualFleet.CreateAsync(spec, serving: true, loggerFactory: context.LoggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
            // Each device facing the host gets its endpoint: a C# device through a server of this process, a C device
            // serves its upstream link itself (its endpoint is known once its process runs).
            var endpointOf = new List<(Func<string> Uri, string[] Served)>();
            IReadOnlyList<SimulatedDevice> facing = fleet.WireForServing();
            for (int i = 0; i < facing.Count; i++)
            {
                SimulatedDevice device = facing[i];
                string[] served = spec.Topology == SimulationTopology.Star ? [device.Profile.Uid.ToString()] : fleet.Devices.Select(d => d.Profile.Uid.ToString()).ToArray();
                int p = 0;
                if (!usePty)
                {
                    p = tcpPort!.Value == 0 ? 0 : tcpPort.Value + i;
                    if (p > 65535)
                        throw CliException.Usage($"--tcp {tcpPort}: {facing.Count} ports do not fit below 65536");
                }
                if (device is CSimulatedDevice c)
                {
                    c.ServeUpstream(usePty ? "pty" : $"tcp-listen:{address}:{p}", address);
                    endpointOf.Add((() => c.ServedUri, served));
                }
                else if (usePty)
                {
                    PseudoTerminalDevicePort port = PseudoTerminalDevicePort.Open(((VirtualSimulatedDevice)device).Device);
                    fleet.Own(port);
                    endpointOf.Add((() => port.Uri, served));
                }
                else
                {
                    TcpDeviceServer server = TcpDeviceServer.Start(((VirtualSimulatedDevice)device).Device, new IPEndPoint(address, p));
                    fleet.Own(server);
                    endpointOf.Add((() => server.Uri, served));
                }
            }
            await fleet.PowerOnAllAsync(cancellationToken).ConfigureAwait(false);
            List<EndpointJson> endpoints = [.. endpointOf.Select(e => new EndpointJson(e.Uri(), e.Served))];

            // Listen before announcing: a script may send SIGUSR1 as soon as it has read the endpoint, and SIGUSR1's
            // default action would end the process.
            using var power = new PowerSwitch(listenToKeys: context.Console.IsInteractive && !Console.IsInputRedirected);
            SimulationStore store = spec.Store!;
            string signingKey = fleet.Keys.SigningKeyPath ?? store.SigningKeyPath;
            if (context.Json)
            {
                context.WriteJsonNow(new
                {
                    endpoints,
                    topology = spec.Topology.ToString().ToLowerInvariant(),
                    family = spec.Family == FlashFamily.Stm32F4 ? "f4" : "l4",
                    receiveBuffers = spec.ReceiveBuffers,
                    devices = fleet.Devices.Select((d, i) => new
                    {
                        index = i,
                        uid = d.Profile.Uid.ToString(),
                        product = d.Profile.ProductName,
                        firmware = d.RunsCFirmware ? "c" : "csharp",
                        state = d.State,
                        flashFile = d.FlashFilePath,
                        identityPublicKey = d.Profile.IdentityKey is null && d.RunsCFirmware ? null : store.IdentityPublicKeyPath(i),
                    }).ToArray(),
                    signingKey,
                    signingPublicKey = fleet.Keys.SigningPublicKeyPath,
                });
            }
            else
            {
                foreach (EndpointJson endpoint in endpoints)
                    context.WriteLine($"{endpoint.Uri}  {(endpoint.Devices.Length == 1 ? $"device {endpoint.Devices[0]}" : $"chain of {endpoint.Devices.Length}: {string.Join(" ", endpoint.Devices)}")}");
                context.WriteLine($"signing key: {signingKey} (sign images with it; the devices trust it)");
                if (store.PersistFlash)
                    context.WriteLine($"flash: {store.Description}");
                if (spec.ProductionKeyPaths.Count > 0)
                    context.WriteLine("the devices are blank: provision them first (csa provision --production-key ...), then they take firmware");
                if (cDevices.Count > 0)
                    context.WriteLine($"C firmware ({program}) on device(s) {string.Join(", ", cDevices.Order())}");
                context.WriteLine($"{fleet.Devices.Count} {(spec.Family == FlashFamily.Stm32F4 ? "STM32F4" : "STM32L4")} device(s), {spec.Topology.ToString().ToLowerInvariant()}, {spec.Timing.ToString().ToLowerInvariant()} flash timing, {spec.ReceiveBuffers} receive buffers: Ctrl+C stops, SIGUSR1{(context.Console.IsInteractive ? " or 'p'" : "")} cuts the power");
            }

            try
            {
                await foreach (string reason in power.Requests.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await fleet.CutPowerAllAsync().ConfigureAwait(false);
                    Notice(context, $"power cut ({reason}); back on in {powerOff.TotalSeconds:0.###} s");
                    await Task.Delay(powerOff, cancellationToken).ConfigureAwait(false);
                    await fleet.PowerOnAllAsync(cancellationToken).ConfigureAwait(false);
                    Notice(context, $"power on: {string.Join(", ", fleet.Devices.Select(d => $"{d.Name} {d.State}"))}");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM: the normal way to stop a simulation.
            }
            if (!context.Json)
                context.WriteLine(store.PersistFlash ? $"stopped; flash saved in {store.Description}" : "stopped");
            // Without --flash/--state the devices die with the process, and so does the point of their development keys:
            // remove the private keys from the temporary directory rather than leave them lying around.
            if (flashFile is null && stateDir is null && spec.SigningKeyPath is null && Directory.Exists(temporaryKeys))
            {
                try
                {
                    Directory.Delete(temporaryKeys, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    context.Warn($"could not remove {temporaryKeys}: {e.Message}");
                }
            }
            return ExitCodes.Success;
        });
    }

    private static int s_simulations;

    /// <summary>
    /// Where a simulation without --flash or --state keeps its development keys for as long as it runs: one directory per
    /// simulation, so that two run by one process (an application or a test host that runs the command in-process) never
    /// share keys, nor delete each other's when the first stops. The csa command's one simulation is TMP/csa-sim-PID.
    /// </summary>
    private static string NewTemporaryKeyDirectory()
    {
        int n = Interlocked.Increment(ref s_simulations);
        return Path.Combine(Path.GetTempPath(), n == 1 ? $"csa-sim-{Environment.ProcessId}" : $"csa-sim-{Environment.ProcessId}-{n}");
    }

    /// <summary>Power events: on standard output as text, on standard error with --json (stdout holds the one document).</summary>
    private static void Notice(CommandContext context, string text)
    {
        if (context.Json)
            context.Console.Error.WriteLine($"csa sim: {text}");
        else
            context.WriteLine(text);
    }

    private sealed record EndpointJson(string Uri, string[] Devices);
}
