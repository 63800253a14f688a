using Spectre.Console;

namespace Csa.Cli.Images;

/// <summary>The terminal rendering of <see cref="ImageDescription"/>: a field table, then sections and keys.</summary>
internal static class ImageTables
{
    private const int MaxKeyRows = 16;

    public static void Render(IAnsiConsole console, ImageDescription d)
    {
        ManifestDescription m = d.Manifest;
        var fields = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{d.File} ({d.Size} bytes)"));
        fields.AddColumn("field");
        fields.AddColumn("value");
        void Row(string name, string value) => fields.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("kind", m.Kind);
        Row("version", m.Version);
        Row("security counter", m.SecurityCounter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("vendor id", m.VendorId);
        Row("device class id", m.DeviceClassId);
        Row("load address", m.LoadAddress);
        Row("payload size", $"{m.PayloadSize} bytes");
        Row("payload SHA-256", m.PayloadSha256);
        Row("authentication", d.Authentication.State switch
        {
            "awaitingSignature" => $"{m.Authentication}, key {d.Authentication.KeyId}, NOT YET SIGNED (csa image sign)",
            "signed" => $"{m.Authentication}, key {d.Authentication.KeyId}",
            _ => $"{m.Authentication} (integrity only, no signature)",
        });
        Row("encryption", m.Encryption == "none" ? "none" : $"{m.Encryption}, nonce {m.Nonce}");
        Row("bound devices", m.BoundDevices.Count == 0 ? "none (any device of the class)" : string.Join(Environment.NewLine, m.BoundDevices));
        Row("format version", m.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("manifest SHA-256", d.Integrity.ManifestSha256);
        Row("image SHA-256", d.Sha256);
        if (d.Integrity.CrcValid is { } crc)
            Row("CRC-32", crc ? "matches the manifest" : "DOES NOT MATCH the manifest");
        Row("payload hash", d.Integrity.PayloadHashMatches switch
        {
            true => "matches the payload",
            false => "DOES NOT MATCH the payload",
            null => "not checked (encrypted; csa image verify --device-uid --device-key)",
        });
        if (d.Authentication.State == "signed")
            Row("signature", "not checked here (csa image verify --trust PUB.pem)");
        console.Write(fields);

        var sections = new Table().Border(TableBorder.Simple);
        sections.AddColumn("section");
        sections.AddColumn(new TableColumn("offset").RightAligned());
        sections.AddColumn(new TableColumn("length").RightAligned());
        foreach (SectionDescription s in d.Sections)
            sections.AddRow(s.Name, s.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        console.Write(sections);

        if (d.WrappedKeys.Count > 0)
        {
            var keys = new Table().Border(TableBorder.Simple).Title($"key block: {d.WrappedKeys.Count} device(s)");
            keys.AddColumn("device UID");
            keys.AddColumn(new TableColumn("wrapped key").RightAligned());
            foreach (WrappedKeyDescription k in d.WrappedKeys.Take(MaxKeyRows))
                keys.AddRow(k.Device, $"{k.Length} bytes");
            console.Write(keys);

            // A production batch holds thousands of entries; the terminal shows the head, --json lists them all.
            if (d.WrappedKeys.Count > MaxKeyRows)
                console.WriteLine($"... and {d.WrappedKeys.Count - MaxKeyRows} more device(s) (--json lists all)");
        }
    }
}
