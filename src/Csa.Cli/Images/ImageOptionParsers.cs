using System.CommandLine.Parsing;
using System.Globalization;
using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Images;

/// <summary>
/// Parsers for the values the image and key commands take. A value that does not parse becomes a parse error,
/// which the frame reports as one line and exit 2 before the command runs.
/// </summary>
internal static class ImageOptionParsers
{
    /// <summary>A 32-bit number as hex with a 0x prefix (<c>0x08020000</c>) or decimal (<c>50592</c>).</summary>
    public static bool TryParseUInt32(string text, out uint value)
    {
        value = 0;
        text = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return text.Length > 2 && uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static uint UInt32(ArgumentResult result)
    {
        string text = SingleToken(result);
        if (TryParseUInt32(text, out uint value))
            return value;
        result.AddError($"{NameOf(result)}: '{text}' is not a 32-bit number (decimal, or hex with 0x, e.g. 0x08020000)");
        return 0;
    }

    public static uint? OptionalUInt32(ArgumentResult result) => result.Tokens.Count == 0 ? null : UInt32(result);

    public static FirmwareVersion Version(ArgumentResult result)
    {
        string text = SingleToken(result);
        if (FirmwareVersion.TryParse(text, out FirmwareVersion version))
            return version;
        result.AddError($"{NameOf(result)}: '{text}' is not a version: expected major.minor.patch[+build], e.g. 1.2.3+45 (major, minor 0-255, patch 0-65535)");
        return default;
    }

    public static ImageKind Kind(ArgumentResult result)
    {
        string text = SingleToken(result);
        switch (text.Trim().ToLowerInvariant())
        {
            case "app" or "application":
                return ImageKind.Application;
            case "bootloader" or "bl":
                return ImageKind.Bootloader;
            default:
                result.AddError($"{NameOf(result)}: '{text}' is not an image kind: use application (app) or bootloader (bl)");
                return ImageKind.Application;
        }
    }

    public static ImageKind? OptionalKind(ArgumentResult result) => result.Tokens.Count == 0 ? null : Kind(result);

    public static FirmwareFileFormat InputFormat(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
            return FirmwareFileFormat.Auto;
        string text = SingleToken(result);
        switch (text.Trim().ToLowerInvariant())
        {
            case "auto":
                return FirmwareFileFormat.Auto;
            case "bin" or "binary" or "raw":
                return FirmwareFileFormat.Binary;
            case "hex" or "ihex":
                return FirmwareFileFormat.IntelHex;
            case "srec" or "s-record" or "s19" or "s28" or "s37":
                return FirmwareFileFormat.SRecord;
            case "elf":
                return FirmwareFileFormat.Elf;
            default:
                result.AddError($"{NameOf(result)}: '{text}' is not a firmware format: use auto, bin, ihex, srec or elf");
                return FirmwareFileFormat.Auto;
        }
    }

    public static KeyRole Role(ArgumentResult result)
    {
        string text = SingleToken(result);
        switch (text.Trim().ToLowerInvariant())
        {
            case "firmware-signing":
                return KeyRole.FirmwareSigning;
            case "production":
                return KeyRole.Production;
            case "device-identity":
                return KeyRole.DeviceIdentity;
            default:
                result.AddError($"{NameOf(result)}: '{text}' is not a key role: use firmware-signing, production or device-identity");
                return KeyRole.FirmwareSigning;
        }
    }

    /// <summary><c>START:SIZE</c>, e.g. <c>0x08020000:0x60000</c>: the flash region an image is installed into.</summary>
    public static ImageRegion? OptionalRegion(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
            return null;
        string text = SingleToken(result);
        string[] parts = text.Split(':');
        if (parts.Length == 2 && TryParseUInt32(parts[0], out uint start) && TryParseUInt32(parts[1], out uint size) && size > 0
            && (ulong)start + size <= 0x1_0000_0000UL)
            return new ImageRegion(start, size);
        result.AddError($"{NameOf(result)}: '{text}' is not a region START:SIZE inside the 32-bit address space, e.g. 0x08020000:0x60000");
        return null;
    }

    public static DeviceUid Uid(ArgumentResult result) => ParseUid(result, SingleToken(result));

    public static DeviceUid? OptionalUid(ArgumentResult result) => result.Tokens.Count == 0 ? null : Uid(result);

    public static DeviceUid[] Uids(ArgumentResult result)
    {
        var uids = new DeviceUid[result.Tokens.Count];
        for (int i = 0; i < uids.Length; i++)
            uids[i] = ParseUid(result, result.Tokens[i].Value);
        return uids;
    }

    /// <summary><c>UID=PUBLIC-KEY-FILE</c>: a device an encrypted image is made for.</summary>
    public static RecipientSpec[] Recipients(ArgumentResult result)
    {
        var specs = new RecipientSpec[result.Tokens.Count];
        for (int i = 0; i < specs.Length; i++)
        {
            string text = result.Tokens[i].Value;
            int equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == text.Length - 1)
            {
                result.AddError($"{NameOf(result)}: '{text}' is not UID=PUBLIC-KEY-FILE (the device's 24-hex-digit unique ID, '=', its device-identity public key file)");
                return [];
            }
            specs[i] = new RecipientSpec(ParseUid(result, text[..equals]), text[(equals + 1)..]);
        }
        return specs;
    }

    private static DeviceUid ParseUid(ArgumentResult result, string text)
    {
        try
        {
            return DeviceUid.Parse(text);
        }
        catch (FormatException e)
        {
            result.AddError($"{NameOf(result)}: {e.Message}");
            return default;
        }
    }

    private static string SingleToken(ArgumentResult result) => result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;

    private static string NameOf(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}

/// <summary>One <c>--encrypt-for UID=FILE</c> value before its key file is read.</summary>
internal sealed record RecipientSpec(DeviceUid Device, string PublicKeyPath);
