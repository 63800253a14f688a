using System.Text;
using Csa.DataLink.Transports;
using Csa.DataLink.Transports.Internal;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// Link URIs (docs/transports.md 5), as `--link` and DeviceNetwork.ConnectUrisAsync take them, and their conversion to
/// TCP and serial settings (without opening anything). Contract: TryParse never throws and agrees with Parse, which
/// throws LinkUriException only; the conversions throw LinkUriException only.
/// </summary>
internal sealed class LinkUriTarget : FuzzTarget
{
    public override string Name => "link-uri";

    public override string Description => "LinkUri.TryParse / Parse, then BuiltInSchemes.ToTcp / ToSerial";

    public override int MaxInputLength => 512;

    public override IReadOnlyList<byte[]> Dictionary =>
        [.. new[] { "tcp://", "serial:", "sim:", "://", "?", "&", "=", "%", "%2F", "[::1]", ":5555", "baud=", "parity=", "stopbits=", "connectTimeout=", "nodelay=", "devices=", "127.0.0.1", "/dev/ttyUSB0", "COM3" }.Select(Encoding.UTF8.GetBytes)];

    public override IEnumerable<byte[]> Seeds() =>
        new[]
        {
            "tcp://127.0.0.1:5555", "tcp://[::1]:5000?connectTimeout=2000&nodelay=true", "serial:/dev/ttyUSB0?baud=115200",
            "serial:COM3?baud=921600&parity=even&databits=8&stopbits=1&handshake=none", "sim:chain?devices=3", "serial:/dev/pts/4?baud=115200&dtr=true",
        }.Select(Encoding.UTF8.GetBytes);

    public override int Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        bool ok = LinkUri.TryParse(text, out LinkUri? uri, out string? problem);
        try
        {
            LinkUri.Parse(text);
            if (!ok)
                throw new ContractViolation($"Parse accepted what TryParse refused ({problem})");
        }
        catch (LinkUriException)
        {
            if (ok)
                throw new ContractViolation("Parse refused what TryParse accepted");
        }
        if (!ok)
            return 1;
        try
        {
            switch (uri!.Scheme)
            {
                case "tcp":
                    BuiltInSchemes.ToTcp(uri);
                    return 2;
                case "serial":
                    BuiltInSchemes.ToSerial(uri);
                    return 3;
                default:
                    return 4;
            }
        }
        catch (LinkUriException)
        {
            return 5 + uri!.Scheme.Length % 3;
        }
    }
}
