using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Spectre.Console;

namespace Csa.Cli.Devices;

/// <summary>One device as <c>--json</c> shows it (devices, info, and the rows of update results).</summary>
internal sealed record DeviceJson(
    string Uid,
    string Address,
    string Link,
    int Position,
    string Product,
    string Vendor,
    string DeviceClass,
    string Mcu,
    int HardwareRevision,
    string Running,
    string? Application,
    bool ApplicationValid,
    string Bootloader,
    string ActiveBootloader,
    uint SecurityCounter,
    int ProtocolVersion,
    int MaxFrameSize,
    int PathFrameSize,
    int ReceiveBuffers,
    int MaxPacketSize,
    IReadOnlyList<string> Features,
    RulesJson? UpdateRules,
    BootloaderJson? BootloaderStatus)
{
    public static DeviceJson From(DeviceInfo d) => new(
        d.Uid.ToString(),
        d.Address.ToString(),
        d.LinkName,
        d.ChainPosition,
        d.ProductName,
        $"0x{d.VendorId:X8}",
        $"0x{d.DeviceClassId:X8}",
        $"0x{d.McuDeviceId:X3}",
        d.HardwareRevision,
        d.IsInBootloader ? "bootloader" : "application",
        d.ApplicationValid ? d.ApplicationVersion.ToString() : null,
        d.ApplicationValid,
        d.BootloaderVersion.ToString(),
        d.ActiveBootloader.ToString(),
        d.SecurityCounter,
        d.ProtocolVersion,
        d.MaxFrameSize,
        d.PathFrameSize,
        d.ReceiveBuffers,
        d.MaxPacketSize,
        JsonNames.Flags(d.Features),
        d.Rules is { } r ? RulesJson.From(r) : null,
        d.Bootloader is { } b ? BootloaderJson.From(b) : null);
}

/// <summary>What the device's bootloader installs (Device.GetUpdateRules), known while the application runs too.</summary>
internal sealed record RulesJson(IReadOnlyList<string> BootloaderFeatures, IReadOnlyList<string> Requirements, SlotJson Application, SlotJson BootloaderA, SlotJson BootloaderB)
{
    public static RulesJson From(UpdateRules r) => new(JsonNames.Flags(r.BootloaderFeatures), JsonNames.Flags(r.Requirements),
        SlotJson.From(r.Application), SlotJson.From(r.BootloaderA), SlotJson.From(r.BootloaderB));
}

/// <summary>A region an image goes into: its start (the image's load address) and the largest payload it takes.</summary>
internal sealed record SlotJson(string Start, uint MaxPayloadSize)
{
    public static SlotJson From(ImageRegion region) => new($"0x{region.Start:X8}", region.Size);
}

/// <summary>The bootloader's status (only when a bootloader answered).</summary>
internal sealed record BootloaderJson(string RunningCopy, string StayReason, string Phase, uint BytesCommitted, uint PayloadSize, IReadOnlyList<RegionJson> Regions)
{
    public static BootloaderJson From(BootloaderStatus s) => new(JsonNames.Of(s.RunningCopy), JsonNames.Of(s.StayReason), JsonNames.Of(s.Phase),
        s.BytesCommitted, s.PayloadSize, s.Regions.Select(r => new RegionJson(JsonNames.Of(r.Region), JsonNames.Of(r.State), $"0x{r.Start:X8}", r.Size, r.Version.ToString(), r.SecurityCounter)).ToArray());
}

internal sealed record RegionJson(string Region, string State, string Start, uint Size, string Version, uint SecurityCounter);

/// <summary>One row of an update or install: what happened to one device.</summary>
internal sealed record ResultJson(
    string Uid,
    string Address,
    string Product,
    string Target,
    bool Succeeded,
    string? Error,
    int? ExitCode,
    string? VersionBefore,
    string? VersionAfter,
    long Bytes,
    long BytesResumed,
    int Resumes,
    double Seconds,
    double BytesPerSecond)
{
    public static ResultJson From(InstallResult row, string target)
    {
        int? code = row.Error is null ? null : ErrorReporter.Describe(row.Error).ExitCode;
        double seconds = row.Duration.TotalSeconds;
        long bytes = row.Result?.PayloadBytes ?? row.BytesSent;
        return new ResultJson(row.Device.ToString(), row.Address.ToString(), row.ProductName, target, row.Succeeded,
            row.Succeeded ? null : row.Error is null ? row.FailureReason : ErrorReporter.Describe(row.Error).Message, code,
            row.VersionBefore?.ToString(), row.VersionAfter?.ToString(), bytes, row.Result?.BytesResumed ?? 0, row.Result?.ResumeCount ?? 0,
            Math.Round(seconds, 3), seconds > 0 ? Math.Round(row.BytesSent / seconds) : 0);
    }
}

/// <summary>The tables the device commands print on a terminal.</summary>
internal static class DeviceTables
{
    public static Table Devices(IReadOnlyList<DeviceInfo> devices)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("address", "unique id", "product", "link", "running", "application", "bootloader", "security counter");
        foreach (DeviceInfo d in devices)
        {
            table.AddRow(d.Address.ToString(), d.Uid.ToString(), Markup.Escape(d.ProductName), Markup.Escape($"{d.LinkName} #{d.ChainPosition}"),
                d.IsInBootloader ? "bootloader" : "application",
                d.ApplicationValid ? Version(d.ApplicationVersion) : "none",
                $"{Version(d.BootloaderVersion)} ({d.ActiveBootloader})", d.SecurityCounter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return table;
    }

    public static Table Info(DeviceInfo d)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("property", "value");
        table.Title = new TableTitle(Markup.Escape($"{d.ProductName} {d.Uid}"));
        void Row(string name, string value) => table.AddRow(name, Markup.Escape(value));
        Row("address", $"{d.Address} (link {d.LinkName}, position {d.ChainPosition})");
        Row("unique id", d.Uid.ToString());
        Row("vendor / class", $"0x{d.VendorId:X8} / 0x{d.DeviceClassId:X8}");
        Row("MCU / hardware revision", $"0x{d.McuDeviceId:X3} / {d.HardwareRevision}");
        Row("running", d.IsInBootloader ? "bootloader" : "application");
        Row("application", d.ApplicationValid ? d.ApplicationVersion.ToString() : "none (not valid)");
        Row("bootloader", $"{d.BootloaderVersion}, copy {d.ActiveBootloader}");
        Row("security counter", d.SecurityCounter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("protocol version", d.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("frames", $"max {d.MaxFrameSize} bytes (path {d.PathFrameSize}), {d.ReceiveBuffers} receive buffers, packets up to {d.MaxPacketSize} bytes");
        Row("features", d.Features.ToString());
        if (d.Rules is { } rules)
        {
            Row("bootloader features", rules.BootloaderFeatures.ToString());
            Row("image requirements", rules.Requirements.ToString());
            Row("  application", Slot(rules.Application));
            Row("  bootloader A", Slot(rules.BootloaderA));
            Row("  bootloader B", Slot(rules.BootloaderB));
        }
        if (d.Bootloader is { } b)
        {
            Row("bootloader status", $"copy {b.RunningCopy} runs, stays because {b.StayReason}, update phase {b.Phase} ({b.BytesCommitted}/{b.PayloadSize} bytes)");
            foreach (RegionInfo r in b.Regions)
                Row($"  {r.Region}", $"0x{r.Start:X8} {r.Size / 1024} KB, {r.State}, version {r.Version}, counter {r.SecurityCounter}");
        }
        return table;
    }

    private static string Slot(ImageRegion region) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"images linked for 0x{region.Start:X8}, payload up to {region.Size} bytes (--region 0x{region.Start:X8}:0x{region.Size:X})");

    public static Table Results(IReadOnlyList<ResultJson> rows)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("device", "address", "target", "result", "before", "after", "bytes", "time", "throughput");
        foreach (ResultJson r in rows)
        {
            table.AddRow(r.Uid, r.Address, r.Target,
                r.Succeeded ? "[green]ok[/]" : $"[red]failed[/]: {Markup.Escape(r.Error ?? "")}",
                Version(r.VersionBefore), Version(r.VersionAfter), Bytes(r.Bytes), $"{r.Seconds:0.00} s",
                r.Succeeded ? $"{r.BytesPerSecond / 1024:0.0} KiB/s" : "-");
        }
        return table;
    }

    /// <summary>A version for a table: <c>major.minor.patch</c>, with <c>+build</c> only when the build is not 0.</summary>
    public static string Version(FirmwareVersion version) =>
        version.Build == 0 ? $"{version.Major}.{version.Minor}.{version.Patch}" : version.ToString();

    /// <summary>As <see cref="Version(FirmwareVersion)"/> for a version string from a JSON row ("-" for none).</summary>
    public static string Version(string? version) =>
        version is null ? "-" : FirmwareVersion.TryParse(version, out FirmwareVersion v) ? Version(v) : version;

    public static string Bytes(long bytes) => bytes >= 10 * 1024 ? $"{bytes / 1024.0:0.0} KiB" : $"{bytes} B";

    /// <summary>The image's kind as results name it.</summary>
    public static string TargetOf(FirmwareImage image) => image.Manifest.Kind == ImageKind.Bootloader ? "bootloader" : "application";
}
