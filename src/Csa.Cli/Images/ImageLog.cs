using Microsoft.Extensions.Logging;

namespace Csa.Cli.Images;

/// <summary>What the image and key commands log with --verbose (source-generated, silent otherwise).</summary>
internal static partial class ImageLog
{
    public static ILogger Of(CommandContext context) => context.LoggerFactory.CreateLogger("Csa.Cli.Images");

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Firmware {Path}: {Length} bytes at 0x{LoadAddress:X8}")]
    public static partial void FirmwareRead(ILogger logger, string path, int length, uint loadAddress);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Debug, Message = "Key {Path}: key id {KeyId}")]
    public static partial void KeyLoaded(ILogger logger, string path, string keyId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Debug, Message = "Image {Path}: {Summary}")]
    public static partial void ImageRead(ILogger logger, string path, string summary);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Wrote {Path} ({Length} bytes)")]
    public static partial void Wrote(ILogger logger, string path, int length);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Debug, Message = "Encrypting for {Count} device(s)")]
    public static partial void Encrypting(ILogger logger, int count);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Debug, Message = "Verifying against {Count} trusted key(s){Crc}")]
    public static partial void Verifying(ILogger logger, int count, string crc);
}
