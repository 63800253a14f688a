using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Crypto;

namespace Csa.Cli.Devices;

/// <summary>Reading the image and key files device commands take, with one-line errors.</summary>
internal static class ImageFiles
{
    /// <summary>Reads an image file: missing is exit 3, malformed exit 4 (<see cref="ImageFormatException"/>).</summary>
    public static async Task<FirmwareImage> ReadAsync(string path, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw CliException.File($"{full} is a directory, not an image file");
        if (!File.Exists(full))
            throw CliException.File($"image file not found: {full}");
        try
        {
            return await ImageReader.ReadFileAsync(full, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageFormatException ex)
        {
            throw CliException.Invalid($"{Path.GetFileName(full)} is not a valid image: {ex.Message}", ex);
        }
    }

    /// <summary>The options every updating command shares, with verifiers for the local pre-check from <c>--trust</c> files.</summary>
    public static UpdateOptions UpdateOptions(CommandContext context, LinkSettings settings, IReadOnlyList<string> trustFiles, bool abortOnCancel,
        IReadOnlyList<string>? productionKeyFiles = null)
    {
        RetryPolicy sdk = Csa.Bootloader.Updates.UpdateOptions.Default.Retry;
        var options = new UpdateOptions
        {
            LoggerFactory = context.LoggerFactory,
            AbortOnCancel = abortOnCancel,
            // A slower command timeout than the tool's default for updates is the user's choice; never shorter than the SDK's.
            Retry = new RetryPolicy { Timeout = settings.CommandTimeout > sdk.Timeout ? settings.CommandTimeout : sdk.Timeout, Attempts = settings.CommandAttempts },
        };
        if (trustFiles.Count > 0)
        {
            var keys = new List<EcP256PublicKey>();
            foreach (string file in trustFiles)
            {
                string full = Path.GetFullPath(file);
                if (!File.Exists(full))
                    throw CliException.File($"trusted key file not found: {full}");
                keys.Add(Images.ImageInputs.ReadPublicKey(full));
            }
            options = options with { TrustedVerifiers = [new EcdsaP256Verifier(keys)] };
        }
        if (productionKeyFiles is { Count: > 0 })
        {
            // Every device proves, by signing a fresh challenge with its identity key, that it holds a certificate
            // from one of these production keys before a byte of firmware is sent (REQ-AUTH-DEV); a clone gets exit 8.
            EcP256PublicKey[] anchors = productionKeyFiles.Select(file => Images.ImageInputs.ReadPublicKey(RequireFile(file, "production public key"))).ToArray();
            options = options with { DeviceAuthenticator = new Csa.Bootloader.Provisioning.DeviceAuthenticator(EcdsaP256SignatureVerifier.TrustAnchor(anchors)) };
        }
        return options;
    }

    private static string RequireFile(string file, string what)
    {
        string full = Path.GetFullPath(file);
        return File.Exists(full) ? full : throw CliException.File($"{what} not found: {full}");
    }
}
