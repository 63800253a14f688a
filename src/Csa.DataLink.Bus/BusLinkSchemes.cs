using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using System.Globalization;
using Csa.DataLink.Bus.Emulation;
using Csa.DataLink.Bus.Internal;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Bus;

/// <summary>
/// The <c>i2c:</c> and <c>spi:</c> link schemes (docs/transports.md section 7.8): one link per device,
/// <c>i2c:/dev/i2c-1?address=0x42</c> and <c>spi:/dev/spidev0.0?mode=0&amp;speed=1000000</c>, or the same on an
/// emulated bus published by name (<c>i2c:NAME?address=0x42</c>, <c>spi:NAME.0</c>). <see cref="Register"/> adds them
/// to <see cref="TransportFactory"/>; the data link also loads this package by itself the first time it meets one of
/// the schemes, when the application ships it.
/// </summary>
public static class BusLinkSchemes
{
    /// <summary>The parameters both schemes understand.</summary>
    private static readonly string[] s_common = ["maxTransfer", "readAhead", "poll", "idlePoll", "offlineAfter", "ready", "readyChip", "readyActive"];
    private static readonly string[] s_i2c = ["address", .. s_common];
    private static readonly string[] s_spi = ["mode", "speed", .. s_common];
    private static readonly object s_gate = new();
    private static readonly Dictionary<int, GpioController> s_boardControllers = [];

    // The data link core runs this (through the type's name) when it meets i2c: or spi: unregistered.
    static BusLinkSchemes() => RegisterCore();

    /// <summary>Registers <c>i2c:</c> and <c>spi:</c> with <see cref="TransportFactory"/> where they are not registered (idempotent).</summary>
    public static void Register() => RegisterCore();

    private static void RegisterCore()
    {
        lock (s_gate)
        {
            if (!TransportFactory.IsSchemeRegistered("i2c"))
                TransportFactory.RegisterScheme("i2c", (uri, ct) => OpenAsync(uri, ct, spi: false));
            if (!TransportFactory.IsSchemeRegistered("spi"))
                TransportFactory.RegisterScheme("spi", (uri, ct) => OpenAsync(uri, ct, spi: true));
        }
    }

    /// <summary>Throws unless <paramref name="address"/> is a 7-bit address a device may use (0x08..0x77).</summary>
    internal static void CheckI2cAddress(int address, string paramName)
    {
        if (address is < 0x08 or > 0x77)
            throw new ArgumentOutOfRangeException(paramName, address, $"0x{address:X2} is not an I2C device address: 7-bit addresses 0x08..0x77 are free, the others are reserved by the I2C specification.");
    }

    /// <summary>What an <c>i2c:</c> or <c>spi:</c> URI says, checked, before anything is opened.</summary>
    internal sealed record BusUri(bool IsSpi, int? BusNumber, string? EmulatedName, int AddressOrChipSelect, SpiMode Mode, int Speed, BusLinkOptions Options, int? ReadyPin, int ReadyChip, PinValue ReadyActive)
    {
        public string DevicePath => IsSpi ? $"/dev/spidev{BusNumber}.{AddressOrChipSelect}" : $"/dev/i2c-{BusNumber}";
    }

    /// <summary>Parses and checks <paramref name="uri"/>.</summary>
    /// <exception cref="LinkUriException">A bad target or parameter.</exception>
    internal static BusUri Parse(LinkUri uri)
    {
        bool spi = uri.Scheme == "spi";
        if (uri.HasAuthority)
            throw new LinkUriException(uri.Text, spi ? "an SPI URI has the form spi:/dev/spidevB.C?mode=0&speed=1000000" : "an I2C URI has the form i2c:/dev/i2c-N?address=0x42");
        uri.RequireKnownParameters(spi ? s_spi : s_i2c);
        string target = uri.Path;
        int? busNumber = null;
        string? emulated = null;
        int addressOrCs;
        if (spi)
        {
            (busNumber, emulated, addressOrCs) = ParseSpiTarget(uri, target);
        }
        else
        {
            (busNumber, emulated) = ParseI2cTarget(uri, target);
            addressOrCs = ParseAddress(uri);
        }
        int maxTransfer = uri.GetInt32("maxTransfer", BusLinkOptions.Default.MaxTransfer, 1, spi ? 4090 : 8192);
        TimeSpan poll = uri.GetDuration("poll", BusLinkOptions.Default.BusyPollInterval);
        TimeSpan idle = uri.GetDuration("idlePoll", BusLinkOptions.Default.IdlePollInterval);
        if (idle < poll)
            throw new LinkUriException(uri.Text, $"idlePoll ({idle.TotalMilliseconds} ms) is shorter than poll ({poll.TotalMilliseconds} ms)");
        var options = new BusLinkOptions
        {
            Name = uri.Text,
            MaxTransfer = maxTransfer,
            ReadAhead = uri.GetInt32("readAhead", 0, 0, maxTransfer),
            BusyPollInterval = poll,
            IdlePollInterval = idle,
            OfflineAfter = uri.GetDuration("offlineAfter", BusLinkOptions.Default.OfflineAfter),
        };
        int? readyPin = uri.Parameters.ContainsKey("ready") ? uri.GetInt32("ready", 0, 0, 1023) : null;
        int readyChip = uri.GetInt32("readyChip", 0, 0, 255);
        if (readyPin is null && (uri.Parameters.ContainsKey("readyChip") || uri.Parameters.ContainsKey("readyActive")))
            throw new LinkUriException(uri.Text, "readyChip and readyActive need ready=LINE (the ready line's GPIO number)");
        PinValue active = uri.GetString("readyActive", "low")!.ToLowerInvariant() switch
        {
            "low" or "0" => PinValue.Low,
            "high" or "1" => PinValue.High,
            string other => throw new LinkUriException(uri.Text, $"readyActive '{other}' is not low or high"),
        };
        SpiMode mode = SpiMode.Mode0;
        int speed = 0;
        if (spi)
        {
            mode = (SpiMode)uri.GetInt32("mode", 0, 0, 3);
            speed = uri.GetInt32("speed", 1_000_000, 1000, 100_000_000);
        }
        return new BusUri(spi, busNumber, emulated, addressOrCs, mode, speed, options, readyPin, readyChip, active);
    }

    private static (int? Bus, string? Emulated) ParseI2cTarget(LinkUri uri, string target)
    {
        const string Form = "the bus is /dev/i2c-N, a bus number N, or the name of an emulated bus";
        if (target.StartsWith("/dev/i2c-", StringComparison.Ordinal))
            return (ParseBusNumber(uri, target["/dev/i2c-".Length..], Form), null);
        if (target.Length > 0 && target.All(char.IsAsciiDigit))
            return (ParseBusNumber(uri, target, Form), null);
        if (target.Length > 0 && char.IsAsciiLetter(target[0]) && target.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return (null, target);
        throw new LinkUriException(uri.Text, target.Length == 0 ? $"the bus is missing ({Form})" : $"'{target}' is not an I2C bus ({Form})");
    }

    private static (int? Bus, string? Emulated, int ChipSelect) ParseSpiTarget(LinkUri uri, string target)
    {
        const string Form = "the device is /dev/spidevB.C, B.C (bus B, chip select C), or NAME.C for an emulated bus";
        string rest = target.StartsWith("/dev/spidev", StringComparison.Ordinal) ? target["/dev/spidev".Length..] : target;
        int dot = rest.LastIndexOf('.');
        string busPart = dot >= 0 ? rest[..dot] : rest;
        string csPart = dot >= 0 ? rest[(dot + 1)..] : "";
        if (busPart.Length == 0 || csPart.Length == 0 || !csPart.All(char.IsAsciiDigit) || csPart.Length > 3 || int.Parse(csPart, CultureInfo.InvariantCulture) > 255)
            throw new LinkUriException(uri.Text, target.Length == 0 ? $"the SPI device is missing ({Form})" : $"'{target}' is not an SPI device ({Form})");
        int cs = int.Parse(csPart, CultureInfo.InvariantCulture);
        if (busPart.All(char.IsAsciiDigit))
            return (ParseBusNumber(uri, busPart, Form), null, cs);
        if (!ReferenceEquals(rest, target) || !char.IsAsciiLetter(busPart[0]) || !busPart.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new LinkUriException(uri.Text, $"'{target}' is not an SPI device ({Form})");
        return (null, busPart, cs);
    }

    private static int ParseBusNumber(LinkUri uri, string text, string form) =>
        text.Length is > 0 and <= 4 && text.All(char.IsAsciiDigit)
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : throw new LinkUriException(uri.Text, $"'{text}' is not a bus number ({form})");

    private static int ParseAddress(LinkUri uri)
    {
        string text = uri.GetString("address") ?? throw new LinkUriException(uri.Text, "the device's address is missing (address=0x42: its 7-bit I2C address, 0x08..0x77)");
        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!int.TryParse(hex ? text[2..] : text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out int address) || text.Length > 6)
            throw new LinkUriException(uri.Text, $"the address '{text}' is not a number (write 0x42 or 66)");
        if (address is < 0x08 or > 0x77)
            throw new LinkUriException(uri.Text, $"the address 0x{address:X2} is not a device address: 7-bit I2C addresses 0x08..0x77 are free, the others are reserved by the I2C specification{(address > 0x7F ? " (10-bit addresses are not supported)" : "")}");
        return address;
    }

    private static Task<ILinkTransport> OpenAsync(LinkUri uri, CancellationToken cancellationToken, bool spi)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BusUri parsed = Parse(uri);
        return Task.FromResult<ILinkTransport>(parsed.EmulatedName is { } name ? OpenEmulated(uri, parsed, name) : OpenReal(uri, parsed));
    }

    private static BusLinkTransport OpenEmulated(LinkUri uri, BusUri parsed, string name)
    {
        if (parsed.IsSpi)
        {
            if (!EmulatedBusDirectory.TryGet(name, out EmulatedSpiBus? bus))
                throw NoEmulatedBus<EmulatedSpiBus>(uri, name, "SPI");
            GpioController? controller = parsed.ReadyPin is null ? null : bus!.CreateReadyLineController();
            return BusLinkTransport.ForSpi(bus!.CreateDevice(new SpiConnectionSettings(bus.Options.BusId, parsed.AddressOrChipSelect) { Mode = parsed.Mode, ClockFrequency = parsed.Speed }),
                WithReady(parsed, controller, ownsController: true));
        }
        else
        {
            if (!EmulatedBusDirectory.TryGet(name, out EmulatedI2cBus? bus))
                throw NoEmulatedBus<EmulatedI2cBus>(uri, name, "I2C");
            GpioController? controller = parsed.ReadyPin is null ? null : bus!.CreateReadyLineController();
            return BusLinkTransport.ForI2c(bus!.CreateDevice(parsed.AddressOrChipSelect), WithReady(parsed, controller, ownsController: true));
        }
    }

    private static BusOpenException NoEmulatedBus<T>(LinkUri uri, string name, string kind)
    {
        string[] names = [.. EmulatedBusDirectory.Names<T>()];
        return new BusOpenException(uri.Text, name, BusOpenError.NotFound,
            $"no emulated {kind} bus is published as '{name}' ({(names.Length == 0 ? "none is" : "published: " + string.Join(", ", names))}); a real bus is named {(kind == "SPI" ? "/dev/spidevB.C" : "/dev/i2c-N")}");
    }

    private static BusLinkOptions WithReady(BusUri parsed, GpioController? controller, bool ownsController) =>
        controller is null || parsed.ReadyPin is not int pin
            ? parsed.Options
            : parsed.Options with { Ready = new ReadyLine(controller, pin) { ActiveLevel = parsed.ReadyActive, OwnsController = ownsController } };

    private static BusLinkTransport OpenReal(LinkUri uri, BusUri parsed)
    {
        string path = parsed.DevicePath;
        if (!OperatingSystem.IsLinux())
            throw new BusOpenException(uri.Text, path, BusOpenError.NotSupported, "I2C and SPI links need Linux's i2c-dev / spidev interfaces");
        CheckDeviceNode(uri, path, parsed.IsSpi);
        GpioController? controller = parsed.ReadyPin is int pin ? BoardController(uri, parsed.ReadyChip, pin) : null;
        try
        {
            if (parsed.IsSpi)
            {
                SpiDevice device = SpiDevice.Create(new SpiConnectionSettings(parsed.BusNumber!.Value, parsed.AddressOrChipSelect) { Mode = parsed.Mode, ClockFrequency = parsed.Speed });
                return BusLinkTransport.ForSpi(device, WithReady(parsed, controller, ownsController: false));
            }
            I2cDevice i2c = I2cDevice.Create(new I2cConnectionSettings(parsed.BusNumber!.Value, parsed.AddressOrChipSelect));
            return BusLinkTransport.ForI2c(i2c, WithReady(parsed, controller, ownsController: false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new BusOpenException(uri.Text, path, ex is UnauthorizedAccessException ? BusOpenError.AccessDenied : BusOpenError.Other, $"cannot open {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Finds out before opening whether the node exists, is a device, and may be opened; lists the buses there are when it is missing.</summary>
    private static void CheckDeviceNode(LinkUri uri, string path, bool spi)
    {
        if (Directory.Exists(path))
            throw new BusOpenException(uri.Text, path, BusOpenError.NotABus, $"{path} is a directory, not a bus device");
        if (!File.Exists(path))
        {
            string[] present = Directory.Exists("/dev") ? [.. Directory.GetFiles("/dev", spi ? "spidev*" : "i2c-*").Order(StringComparer.Ordinal)] : [];
            string kind = spi ? "SPI" : "I2C";
            throw new BusOpenException(uri.Text, path, BusOpenError.NotFound,
                $"the {kind} bus device {path} does not exist ({kind} devices on this machine: {(present.Length == 0 ? $"none; is the {kind} interface enabled and its driver ({(spi ? "spidev" : "i2c-dev")}) loaded?" : string.Join(", ", present))})");
        }
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.None);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new BusOpenException(uri.Text, path, BusOpenError.AccessDenied, $"access to {path} denied (add the user to its group, e.g. {(spi ? "spi" : "i2c")}, or change its mode)", ex);
        }
        catch (IOException ex) when (ex.HResult is 16 or 11)
        {
            throw new BusOpenException(uri.Text, path, BusOpenError.InUse, $"{path} is in use by another program", ex);
        }
        catch (IOException ex)
        {
            throw new BusOpenException(uri.Text, path, BusOpenError.Other, $"cannot open {path}: {ex.Message}", ex);
        }
    }

    /// <summary>One controller per GPIO chip for the whole process: links sharing a ready line share it.</summary>
    private static GpioController BoardController(LinkUri uri, int chip, int pin)
    {
        lock (s_gate)
        {
            if (s_boardControllers.TryGetValue(chip, out GpioController? existing))
                return existing;
            try
            {
                GpioController controller = chip == 0 ? new GpioController() : new GpioController(new System.Device.Gpio.Drivers.LibGpiodDriver(chip));
                if (pin >= controller.PinCount)
                {
                    int count = controller.PinCount;
                    controller.Dispose();
                    throw new BusOpenException(uri.Text, $"gpiochip{chip}", BusOpenError.ReadyLineUnavailable, $"the ready line {pin} does not exist (gpiochip{chip} has lines 0..{count - 1})");
                }
                s_boardControllers[chip] = controller;
                return controller;
            }
            catch (Exception ex) when (ex is not BusOpenException)
            {
                throw new BusOpenException(uri.Text, $"gpiochip{chip}", BusOpenError.ReadyLineUnavailable, $"cannot open GPIO chip {chip} for the ready line: {ex.Message}", ex);
            }
        }
    }
}
