using Csa.Bootloader.Images;

using System.Text.RegularExpressions;

namespace Csa.Bootloader.Tests.Images;

/// <summary>Reads the golden hex files and the copies of them in docs/image-format.md.</summary>
internal static partial class Golden
{
    public const uint VendorId = 0x0000C5A0;
    public const uint DeviceClassId = 0x00000401;
    public const uint LoadAddress = 0x08020000;

    public static readonly byte[] Payload = Convert.FromHexString(
        "00800020C1000208C9000208CB000208CD000208CF000208D100020800000000");

    public static readonly DeviceUid[] BoundUids =
    [
        DeviceUid.Parse("3A0024000D51343138393836"),
        DeviceUid.Parse("1F0031001247363035353533"),
    ];

    public static string TestDataPath(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    public static string ReadHexText(string name) => File.ReadAllText(TestDataPath(name));

    public static byte[] Read(string name) => ParseHex(ReadHexText(name));

    /// <summary>Hex bytes separated by whitespace; lines starting with '#' are comments.</summary>
    public static byte[] ParseHex(string text)
    {
        var digits = string.Concat(text.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Replace(" ", "", StringComparison.Ordinal)));
        return Convert.FromHexString(digits);
    }

    public static string DocPath() => RepositoryFiles.Doc("image-format.md");

    /// <summary>The text of the fenced block that follows the marker <c>&lt;!-- golden: name --&gt;</c> in the doc.</summary>
    public static string DocBlock(string name)
    {
        string doc = File.ReadAllText(DocPath()).Replace("\r\n", "\n", StringComparison.Ordinal);
        Match m = Regex.Match(doc, "<!-- golden: " + Regex.Escape(name) + " -->\\s*```[a-z]*\\n(.*?)```", RegexOptions.Singleline);
        if (!m.Success)
            throw new InvalidOperationException($"docs/image-format.md has no golden block for {name}.");
        return m.Groups[1].Value;
    }

    public static ImageSettings CrcSettings() => new()
    {
        Kind = ImageKind.Application,
        VendorId = VendorId,
        DeviceClassId = DeviceClassId,
        Version = new FirmwareVersion(1, 2, 3, 45),
        SecurityCounter = 7,
        LoadAddress = LoadAddress,
    };

    public static ImageSettings EcdsaSettings()
    {
        var s = new ImageSettings
        {
            Kind = ImageKind.Application,
            VendorId = VendorId,
            DeviceClassId = DeviceClassId,
            Version = new FirmwareVersion(2, 0, 0, 1),
            SecurityCounter = 8,
            LoadAddress = LoadAddress,
        };
        foreach (DeviceUid uid in BoundUids)
            s.BoundDevices.Add(uid);
        return s;
    }
}
