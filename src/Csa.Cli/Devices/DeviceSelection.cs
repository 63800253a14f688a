using System.Globalization;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;

namespace Csa.Cli.Devices;

/// <summary>Which devices a command acts on: <c>--device UID|ADDRESS</c> (repeatable) or <c>--all</c>.</summary>
internal sealed record DeviceSelection(IReadOnlyList<string> Devices, bool All)
{
    /// <summary>
    /// The chosen devices, in discovery order. Without --device or --all: every device when <paramref name="defaultAll"/>,
    /// else the only device found (more than one is a usage error that lists them).
    /// </summary>
    /// <exception cref="CliException">Both --device and --all, a malformed value, or a device that was not found (exit 5).</exception>
    public IReadOnlyList<DeviceInfo> Apply(IReadOnlyList<DeviceInfo> found, bool defaultAll)
    {
        if (All && Devices.Count > 0)
            throw CliException.Usage("give either --device or --all, not both");
        if (All || (Devices.Count == 0 && defaultAll))
            return found;
        if (Devices.Count == 0)
        {
            if (found.Count == 1)
                return found;
            throw CliException.Usage($"{found.Count} devices found ({string.Join(", ", found.Select(d => $"{d.Uid} at {d.Address}"))}): choose with --device <uid|address> or use --all");
        }

        var chosen = new List<DeviceInfo>();
        foreach (string text in Devices)
        {
            Func<DeviceInfo, bool> match = Matcher(text);
            DeviceInfo device = found.FirstOrDefault(match)
                ?? throw new CliException(ExitCodes.Unreachable, $"device {text} not found among the {found.Count} device(s) that answered ({string.Join(", ", found.Select(d => $"{d.Uid} at {d.Address}"))})");
            if (!chosen.Contains(device))
                chosen.Add(device);
        }
        return found.Where(chosen.Contains).ToArray();
    }

    private static Func<DeviceInfo, bool> Matcher(string text)
    {
        string t = text.Trim();
        // A unique id may be written with separators (10-00-43-..., 10:00:43:...), as image build --bind-uid takes it.
        string digits = new string(t.Where(char.IsAsciiHexDigit).ToArray());
        if (digits.Length == 2 * DeviceUid.Length && t.All(c => char.IsAsciiHexDigit(c) || c is '-' or ':' or ' ' or '_'))
        {
            try
            {
                DeviceUid uid = DeviceUid.Parse(digits);
                return d => d.Uid == uid;
            }
            catch (FormatException)
            {
                // Not a unique id: maybe an address below.
            }
        }
        bool hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (byte.TryParse(hex ? t[2..] : t, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out byte address)
            && address is >= 0x01 and <= 0xEF)
            return d => d.Address.Value == address;
        throw CliException.Usage($"--device '{text}' is neither a unique id (24 hex digits) nor an address (0x01..0xEF)");
    }
}
