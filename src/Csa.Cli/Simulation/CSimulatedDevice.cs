using System.Globalization;
using System.Net;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Microsoft.Extensions.Logging;

namespace Csa.Cli.Simulation;

/// <summary>
/// The C firmware (firmware/apps/csa-device: pre-bootloader, bootloader and demo application over a simulated flash) as
/// a member of a simulation. Its process starts at the first power-on, with the profile's settings on its command
/// line, factory-programmed with the same images a C# device gets when its flash is blank. Its links are TCP: the
/// upstream one either serves the host itself (<see cref="ServeUpstream"/>: <c>csa sim</c>'s endpoint) or listens on
/// loopback and is bridged to the cable plugged into it; the downstream one connects to a loopback listener bridged to
/// the cable to the next device. A power cut is the device's own (SIGUSR1); it powers itself on again after the
/// simulation's off time.
/// </summary>
internal sealed class CSimulatedDevice : SimulatedDevice
{
    private readonly string _program;
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _factoryDirectory;
    private readonly ILogger _logger;
    private readonly List<IAsyncDisposable> _bridges = [];
    private ILinkTransport? _upstreamCable;
    private ILinkTransport? _downstreamCable;
    private string? _servedUpstream;
    private IPAddress? _servedAddress;
    private CDeviceProcess? _process;

    private CSimulatedDevice(int index, DeviceProfile profile, string program, IReadOnlyList<string> arguments, string? flashFile, string factoryDirectory, ILogger logger)
        : base(index, profile)
    {
        _program = program;
        _arguments = arguments;
        FlashFilePath = flashFile;
        _factoryDirectory = factoryDirectory;
        _logger = logger;
    }

    public override bool RunsCFirmware => true;

    public override string State => _process?.State ?? "Off";

    public override string? FlashFilePath { get; }

    /// <summary>What the device said so far (its standard error).</summary>
    public string Log => _process?.Log ?? string.Empty;

    /// <summary>Where a host reaches a device that serves its upstream link itself: <c>tcp://HOST:PORT</c> or <c>serial:/dev/pts/N</c>.</summary>
    public string ServedUri => _process is null || _servedUpstream is null
        ? throw new InvalidOperationException($"{Name} serves no upstream link")
        : _servedUpstream == "pty" ? $"serial:{_process.UpstreamPtyPath}" : $"tcp://{new IPEndPoint(_servedAddress!, _process.UpstreamTcpPort)}";

    /// <summary>
    /// Makes the device of <paramref name="profile"/>: its command line, and the factory images (made by
    /// <paramref name="factory"/>, as a blank C# device gets them) in a temporary folder unless its flash file already exists.
    /// </summary>
    /// <remarks>
    /// <c>keyStorage</c> is the chip's key storage file (the C# SecureKeyStorage's format, kept apart from the flash file),
    /// or null: the key storage lives in the process.
    /// </remarks>
    /// <exception cref="CliException">A profile the C firmware cannot be (a usage error naming the setting).</exception>
    public static async Task<CSimulatedDevice> CreateAsync(int index, DeviceProfile profile, string program, SimulationSpec spec, TimeSpan powerOffTime,
        bool serving, string? flashFile, string? keyStorage, DeviceFactory factory, ILogger logger, CancellationToken cancellationToken)
    {
        string family = profile.MemoryMap == MemoryMap.Stm32F4_1M ? "f4"
            : profile.MemoryMap == MemoryMap.Stm32L4_1M ? "l4"
            : throw CliException.Usage($"device {index}: the C firmware has the STM32F4 1 MB and STM32L4 1 MB memory maps only");
        if (profile.TrustedSigningKeys.Count > 4)
            throw CliException.Usage($"device {index}: the C firmware trusts at most 4 signing keys, not {profile.TrustedSigningKeys.Count}");
        if (profile.ProductionTrustAnchors.Count > 2)
            throw CliException.Usage($"device {index}: the C firmware ships at most 2 production keys, not {profile.ProductionTrustAnchors.Count}");
        string folder = Directory.CreateTempSubdirectory("csa-c-device-").FullName;

        var arguments = new List<string>
        {
            "--family", family,
            "--uid", profile.Uid.ToString(),
            "--product-name", profile.ProductName,
            "--vendor-id", $"0x{profile.VendorId:X8}",
            "--device-class", profile.DeviceClassId.ToString(CultureInfo.InvariantCulture),
            "--hardware-revision", profile.HardwareRevision.ToString(CultureInfo.InvariantCulture),
            "--max-frame", profile.MaxFrameSize.ToString(CultureInfo.InvariantCulture),
            "--rx-buffers", profile.ReceiveBuffers.ToString(CultureInfo.InvariantCulture),
            "--max-packet", profile.MaxPacketSize.ToString(CultureInfo.InvariantCulture),
            "--flash-timing", spec.Timing switch { FlashTimingProfile.Instant => "instant", FlashTimingProfile.WorstCase => "worst", _ => "typical" },
            "--power-off-ms", ((long)powerOffTime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "--heartbeat-ms", serving ? "5000" : "0",
        };
        if (!serving)
            arguments.Add("--no-telemetry");
        if (profile.Authentication == ImageAuthentication.Crc32)
            arguments.Add("--crc-only");
        foreach (EcP256PublicKey key in profile.TrustedSigningKeys)
            arguments.AddRange(["--trust", Convert.ToHexString(key.ToUncompressedPoint().AsSpan(1))]);
        if (!profile.DowngradePrevention)
            arguments.Add("--no-downgrade-prevention");
        if (profile.RequireDeviceBinding)
            arguments.Add("--require-binding");
        if (!profile.EraseAhead)
            arguments.Add("--no-erase-ahead");
        if (profile.Forwarding == ForwardingMode.StoreAndForward)
            arguments.Add("--store-and-forward"); // the C device forwards cut-through by default too (protocol.md 6.3.1)
        if (profile.RequireEncryption)
            arguments.Add("--require-encryption");
        // Device identity (docs/security.md 10, firmware.md section 15): production keys, the key storage, and the key a
        // product without provisioning is given in production.
        foreach (EcP256PublicKey key in profile.ProductionTrustAnchors)
            arguments.AddRange(["--production-key", Convert.ToHexString(key.ToUncompressedPoint().AsSpan(1))]);
        if (profile.RequireProvisioning)
            arguments.Add("--require-provisioning");
        if (keyStorage is not null)
            arguments.AddRange(["--key-storage", keyStorage]);
        if (profile.IdentityKey is { } identity)
        {
            string identityFile = Path.Combine(folder, "identity-key.pem");
            identity.Save(identityFile, overwrite: true);
            arguments.AddRange(["--identity-key", identityFile]);
        }
        if (flashFile is not null)
            arguments.AddRange(["--flash", flashFile]);
        if (flashFile is null || !File.Exists(flashFile))
        {
            // A blank chip: what the production programmer writes, the same images a blank C# device gets.
            FactoryFirmware firmware = factory.Options.Firmware;
            FirmwareImage bootloader = await factory.BuildImageAsync(profile, RegionKind.BootloaderA, firmware.BootloaderVersion,
                new FactoryImageOptions { Size = firmware.BootloaderSize, BindToDevice = profile.RequireDeviceBinding }, cancellationToken).ConfigureAwait(false);
            FirmwareImage application = await factory.BuildImageAsync(profile, RegionKind.Application, firmware.ApplicationVersion,
                new FactoryImageOptions { Size = firmware.ApplicationSize ?? 48 * 1024, BindToDevice = profile.RequireDeviceBinding }, cancellationToken).ConfigureAwait(false);
            string bootloaderFile = Path.Combine(folder, "bootloader-a.csai"), applicationFile = Path.Combine(folder, "application.csai");
            await File.WriteAllBytesAsync(bootloaderFile, bootloader.ToArray(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(applicationFile, application.ToArray(), cancellationToken).ConfigureAwait(false);
            arguments.AddRange(["--factory-bootloader", bootloaderFile, "--factory-application", applicationFile]);
        }
        return new CSimulatedDevice(index, profile, program, arguments, flashFile, folder, logger);
    }

    /// <summary>Its upstream link serves the host itself: <c>tcp-listen:HOST:PORT</c> on <paramref name="address"/>, or <c>pty</c>.</summary>
    public void ServeUpstream(string link, IPAddress? address)
    {
        _servedUpstream = link;
        _servedAddress = address;
    }

    public override void AttachUpstream(ILinkTransport transport) => _upstreamCable = transport;

    public override void AttachDownstream(ILinkTransport transport) => _downstreamCable = transport;

    public override async Task PowerOnAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            // After a cut the C device powers itself on again, after the simulation's off time: wait for it.
            await _process.WaitUntilPoweredAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        var arguments = new List<string>(_arguments) { "--upstream", _servedUpstream ?? "tcp-listen:127.0.0.1:0" };
        TcpLinkListener? downstream = null;
        try
        {
            if (_downstreamCable is not null)
            {
                downstream = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
                arguments.AddRange(["--downstream", $"tcp:127.0.0.1:{downstream.LocalEndPoint.Port}"]);
            }
            _process = await CDeviceProcess.StartAsync(_program, arguments, Name, _logger, cancellationToken).ConfigureAwait(false);
            if (_upstreamCable is not null)
            {
                TcpTransport wire = await TcpTransport.ConnectAsync("127.0.0.1", _process.UpstreamTcpPort, cancellationToken: cancellationToken).ConfigureAwait(false);
                _bridges.Add(new TransportBridge(_upstreamCable, wire));
            }
            if (downstream is not null)
            {
                TcpTransport wire = await downstream.AcceptAsync(cancellationToken).ConfigureAwait(false);
                _bridges.Add(new TransportBridge(wire, _downstreamCable!));
            }
        }
        finally
        {
            if (downstream is not null)
                await downstream.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override Task CutPowerAsync()
    {
        _process?.CutPower();
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_process is not null)
            await _process.DisposeAsync().ConfigureAwait(false);
        foreach (IAsyncDisposable bridge in _bridges)
            await bridge.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_factoryDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a temporary folder the system cleans up
        }
    }
}
