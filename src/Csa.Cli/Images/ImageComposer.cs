using Csa.Bootloader.Images;
using Csa.Crypto;
using Spectre.Console;

namespace Csa.Cli.Images;

/// <summary>
/// Makes images through the SDK's <see cref="ImageBuilder"/>, for <c>build</c> and for the commands that change an
/// existing image (<c>sign</c>, <c>encrypt</c>), which rebuild it from its plaintext payload and its manifest's
/// fields: every field the image had is kept, only the authentication or encryption changes. Everything the
/// builder would refuse is caught first with a message in the tool's own terms.
/// </summary>
internal static class ImageComposer
{
    private const int StatusThreshold = 64;

    /// <summary>The settings that reproduce <paramref name="manifest"/>'s target, version and binding.</summary>
    public static ImageSettings SettingsOf(ImageManifest manifest)
    {
        var settings = new ImageSettings
        {
            Kind = manifest.Kind,
            VendorId = manifest.VendorId,
            DeviceClassId = manifest.DeviceClassId,
            Version = manifest.Version,
            SecurityCounter = manifest.SecurityCounter,
            LoadAddress = manifest.LoadAddress,
        };
        foreach (DeviceUid device in manifest.BoundDevices)
            settings.BoundDevices.Add(device);
        return settings;
    }

    /// <summary>The plaintext payload of a plaintext image as a firmware source at its load address.</summary>
    public static FirmwareSource SourceOf(FirmwareImage image) =>
        FirmwareSource.FromBinary(image.Payload.Span, image.Manifest.LoadAddress);

    public static async Task<FirmwareImage> ComposeAsync(
        ImageSettings settings, FirmwareSource source, IImageSigner signer, IReadOnlyList<ImageRecipient> recipients,
        CommandContext context, CancellationToken cancellationToken)
    {
        if (settings.BoundDevices.Count > ImageFormat.MaxBindingCount)
            throw CliException.Usage($"--bind-uid: an image can be bound to at most {ImageFormat.MaxBindingCount} devices, not {settings.BoundDevices.Count}");
        DeviceUid? twice = settings.BoundDevices.GroupBy(d => d).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (twice is { } duplicate)
            throw CliException.Usage($"--bind-uid: device {duplicate} is given twice");
        if (recipients.Count > ImageFormat.MaxKeyBlockEntries)
            throw CliException.Usage($"--encrypt-for: an image's key block holds at most {ImageFormat.MaxKeyBlockEntries} devices, not {recipients.Count}");

        // A bound image is refused by every device not in its list, so a key wrapped for such a device is
        // wasted and almost certainly a mistake in a production batch file.
        if (settings.BoundDevices.Count > 0)
        {
            foreach (ImageRecipient recipient in recipients)
            {
                if (!settings.BoundDevices.Contains(recipient.Device))
                    context.Warn($"device {recipient.Device} gets a wrapped key but the image is not bound to it; that device will refuse the image");
            }
        }

        var builder = new ImageBuilder(settings);
        try
        {
            if (recipients.Count == 0)
                return await builder.BuildAsync(source, signer, cancellationToken).ConfigureAwait(false);
            ImageLog.Encrypting(ImageLog.Of(context), recipients.Count);
            Task<FirmwareImage> Encrypt() => builder.BuildAsync(source, signer, new AesCtrEciesPayloadEncryptor(), recipients, cancellationToken);

            // A production batch (thousands of ECIES wraps) takes seconds: show that work is going on, on a terminal only.
            if (context.Console.IsInteractive && !context.Json && recipients.Count >= StatusThreshold)
                return await context.Out.Status().StartAsync($"Encrypting and wrapping the key for {recipients.Count} devices...", _ => Encrypt()).ConfigureAwait(false);
            return await Encrypt().ConfigureAwait(false);
        }
        catch (KeyFormatException e)
        {
            throw CliException.Invalid($"a device public key is not usable: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage(e.Message.Split(" (Parameter", 2)[0]);
        }
    }
}
