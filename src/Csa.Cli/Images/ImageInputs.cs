using Csa.Bootloader.Images;
using Csa.Crypto;

namespace Csa.Cli.Images;

/// <summary>
/// Reads the inputs of the image and key commands and turns every way they can be wrong into one clear line:
/// a missing file is exit 3 and names the file; a malformed image, key or HEX file is exit 4 and says which file
/// and what is wrong with it.
/// </summary>
internal static class ImageInputs
{
    public static async Task<FirmwareImage> ReadImageAsync(string path, CancellationToken cancellationToken)
    {
        byte[] bytes = await ReadBytesAsync(path, "image", cancellationToken).ConfigureAwait(false);
        try
        {
            return ImageReader.Parse(bytes);
        }
        catch (ImageFormatException e)
        {
            throw CliException.Invalid($"{path} is not a valid Csa image: {e.Message}", e);
        }
    }

    /// <summary>
    /// The firmware of <c>csa image build</c>, told by content (<see cref="FirmwareSource.DetectFormat"/>) unless
    /// <paramref name="format"/> names it: ELF, Intel HEX or S-record (the address comes from the file and
    /// <paramref name="loadAddress"/>, when given, must agree), else a raw binary at <paramref name="loadAddress"/>.
    /// A file named as HEX, S-record or ELF whose content is none of them is read as what its name says, so the
    /// error says what is wrong with it rather than packing it as raw bytes.
    /// </summary>
    public static async Task<FirmwareSource> ReadFirmwareAsync(string path, uint? loadAddress, FirmwareFileFormat format, CancellationToken cancellationToken)
    {
        byte[] bytes = await ReadBytesAsync(path, "firmware", cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0)
            throw CliException.Invalid($"{path}: the firmware file is empty");
        if (format == FirmwareFileFormat.Auto)
        {
            format = FirmwareSource.DetectFormat(bytes);
            if (format == FirmwareFileFormat.Binary && FormatNamedBy(path) is { } named)
                format = named;
        }
        if (format == FirmwareFileFormat.Binary)
        {
            if (loadAddress is null)
                throw CliException.Usage($"{path} is a raw binary, which does not say where it is linked: give --load-address (e.g. 0x08020000), or use the ELF, Intel HEX or S-record file");
            if (bytes.Length > ImageFormat.MaxPayloadSize)
                throw CliException.Invalid($"{path}: the firmware is {bytes.Length} bytes; an image holds at most {ImageFormat.MaxPayloadSize} (2 MiB)");
            if ((ulong)loadAddress.Value + (ulong)bytes.Length > 0x1_0000_0000UL)
                throw CliException.Invalid($"{path}: {bytes.Length} bytes at 0x{loadAddress.Value:X8} run past the end of the 32-bit address space");
            return FirmwareSource.FromBinary(bytes, loadAddress.Value);
        }

        FirmwareSource source;
        try
        {
            // An ELF file is checked against the load region that starts at --load-address, when given.
            source = format == FirmwareFileFormat.Elf ? FirmwareSource.FromElf(bytes, loadAddress) : FirmwareSource.Parse(bytes, format);
        }
        catch (FirmwareFormatException e)
        {
            throw CliException.Invalid($"{path}: {e.Message}", e);
        }
        if (loadAddress is { } wanted && wanted != source.LoadAddress)
            throw CliException.Usage($"--load-address 0x{wanted:X8} disagrees with {path}, whose data starts at 0x{source.LoadAddress:X8}: firmware linked for one address must not be installed at another");
        return source;
    }

    /// <summary>The format a firmware file's extension names, if any: a file whose content looks like none of them is read as that, so its error is that format's.</summary>
    private static FirmwareFileFormat? FormatNamedBy(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".hex" or ".ihex" or ".ihx" => FirmwareFileFormat.IntelHex,
        ".srec" or ".s19" or ".s28" or ".s37" or ".mot" or ".sx" => FirmwareFileFormat.SRecord,
        ".elf" or ".axf" or ".out" => FirmwareFileFormat.Elf,
        _ => null,
    };

    public static EcP256PrivateKey ReadPrivateKey(string path)
    {
        RequireFile(path, "key");
        try
        {
            return EcP256PrivateKey.Load(path);
        }
        catch (KeyFormatException e)
        {
            throw CliException.Invalid($"{path} is not a P-256 private key: {e.Message}", e);
        }
    }

    public static EcP256PublicKey ReadPublicKey(string path)
    {
        RequireFile(path, "public key");
        try
        {
            return EcP256PublicKey.Load(path);
        }
        catch (KeyFormatException e) when (e.Error == KeyFormatError.NotPublicKey)
        {
            throw CliException.Invalid($"{path} holds a private key where a public key belongs: give its .pub.pem (csa keys show {path} prints it)", e);
        }
        catch (KeyFormatException e)
        {
            throw CliException.Invalid($"{path} is not a P-256 public key: {e.Message}", e);
        }
    }

    /// <summary>Loads the device public key of each <c>--encrypt-for</c> value.</summary>
    public static ImageRecipient[] ReadRecipients(IReadOnlyList<RecipientSpec> specs)
    {
        var seen = new HashSet<DeviceUid>();
        var recipients = new ImageRecipient[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            if (!seen.Add(specs[i].Device))
                throw CliException.Usage($"--encrypt-for: device {specs[i].Device} is given twice");
            EcP256PublicKey key = ReadPublicKey(specs[i].PublicKeyPath);
            recipients[i] = new ImageRecipient(specs[i].Device, key.ToUncompressedPoint());
        }
        return recipients;
    }

    /// <summary>
    /// A recipients file (<c>--recipients FILE</c>), for production batches: one device per line, its unique ID and
    /// its device-identity public key, either a key file (relative to the list's folder) or the 130 hex digits of
    /// the uncompressed point; blank lines and lines starting with '#' are skipped.
    /// </summary>
    public static async Task<List<ImageRecipient>> ReadRecipientsFileAsync(string path, CancellationToken cancellationToken)
    {
        RequireFile(path, "recipients");
        string[] lines;
        try
        {
            lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.File($"cannot read recipients file {path}: {e.Message}", e);
        }
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var recipients = new List<ImageRecipient>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            string[] fields = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            string where = $"{path} line {i + 1}";
            if (fields.Length != 2)
                throw CliException.Invalid($"{where}: expected 'UID PUBLIC-KEY' (a 24-hex-digit unique ID, then a key file or 130 hex digits), got {fields.Length} field(s)");
            DeviceUid device;
            try
            {
                device = DeviceUid.Parse(fields[0]);
            }
            catch (FormatException e)
            {
                throw CliException.Invalid($"{where}: {e.Message}", e);
            }
            recipients.Add(new ImageRecipient(device, ReadRecipientKey(fields[1], folder, where)));
        }
        if (recipients.Count == 0)
            throw CliException.Invalid($"{path} lists no devices");
        return recipients;
    }

    private static byte[] ReadRecipientKey(string field, string folder, string where)
    {
        if (field.Length == 2 * EcP256PublicKey.UncompressedPointLength && field.All(Uri.IsHexDigit))
        {
            try
            {
                return EcP256PublicKey.FromUncompressedPoint(Convert.FromHexString(field)).ToUncompressedPoint();
            }
            catch (KeyFormatException e)
            {
                throw CliException.Invalid($"{where}: {e.Message}", e);
            }
        }
        return ReadPublicKey(Path.Combine(folder, field)).ToUncompressedPoint();
    }

    /// <summary>Every device of <paramref name="specs"/> and of the recipients file, each once.</summary>
    public static async Task<ImageRecipient[]> ReadAllRecipientsAsync(IReadOnlyList<RecipientSpec> specs, string? recipientsFile, CancellationToken cancellationToken)
    {
        var all = new List<ImageRecipient>(ReadRecipients(specs));
        if (recipientsFile is not null)
            all.AddRange(await ReadRecipientsFileAsync(recipientsFile, cancellationToken).ConfigureAwait(false));
        DeviceUid? twice = all.GroupBy(r => r.Device).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (twice is { } duplicate)
            throw CliException.Usage($"device {duplicate} is listed twice as a recipient");
        return [.. all];
    }

    private static async Task<byte[]> ReadBytesAsync(string path, string what, CancellationToken cancellationToken)
    {
        RequireFile(path, what);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.File($"cannot read {what} file {path}: {e.Message}", e);
        }
    }

    private static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path))
            throw CliException.File($"{what} file {path} is a directory");
        if (!File.Exists(path))
            throw CliException.File($"{what} file not found: {path}");
    }
}
