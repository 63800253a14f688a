using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Cli.Records;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa install IMAGE|DIRECTORY</c>: production install (REQ-INST) on every device found (or the chosen ones), many at
/// once, one image for all or one per device from a directory (<c>UID.csai</c>, else <c>default.csai</c>); a results
/// table; non-zero when any device failed.
/// </summary>
internal static class InstallCommand
{
    /// <summary>The file a directory's devices without their own image get.</summary>
    public const string DefaultImageName = "default.csai";

    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var source = new Argument<string>("image-or-directory")
        {
            Description = "One image for every device, or a directory of per-device images named UID.csai (24 hex digits), with default.csai for the rest",
        };
        var parallel = new Option<int>("--parallel", "-p") { Description = "Devices installed at once", DefaultValueFactory = _ => 4 };
        var expect = new Option<int?>("--expect") { Description = "Fail (exit 5) before installing anything unless exactly this many devices answer" };
        var trust = new Option<string[]>("--trust") { Description = "A public key (PEM) to check signatures with before sending (repeatable)", Arity = ArgumentArity.OneOrMore };
        var authenticate = new Option<string[]>("--authenticate") { Description = "A production public key (PEM): every device must prove it holds a certificate from it before anything is sent (repeatable)", Arity = ArgumentArity.OneOrMore };
        var noMulticast = new Option<bool>("--no-multicast") { Description = "Write each device by itself, even where several could take one transfer (docs/updates.md section 10a)" };
        var command = options.AddTo(new Command("install", "Production install: firmware onto many devices at once, with a results table; non-zero when any device failed")
        {
            source, parallel, expect, trust, authenticate, noMulticast,
        });
        var recordsOptions = new RecordsOptions();
        recordsOptions.AddTo(command);
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            int maxParallel = parse.GetValue(parallel);
            if (maxParallel < 1)
                throw CliException.Usage($"--parallel {maxParallel}: at least 1");
            string path = Path.GetFullPath(parse.GetValue(source)!);
            Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageFor;
            string target;
            if (Directory.Exists(path))
            {
                Dictionary<DeviceUid, string> perDevice = IndexDirectory(path);
                string fallback = Path.Combine(path, DefaultImageName);
                if (perDevice.Count == 0 && !File.Exists(fallback))
                    throw CliException.File($"{path} holds no images (UID.csai or {DefaultImageName})");
                imageFor = (device, ct) => perDevice.TryGetValue(device.Uid, out string? file)
                    ? ImageFiles.ReadAsync(file, ct)
                    : File.Exists(fallback) ? ImageFiles.ReadAsync(fallback, ct)
                    : throw CliException.File($"no image for device {device.Uid} in {path} ({device.Uid}.csai or {DefaultImageName})");
                target = "per device";
            }
            else
            {
                FirmwareImage image = await ImageFiles.ReadAsync(path, cancellationToken).ConfigureAwait(false);
                imageFor = (_, _) => Task.FromResult(image);
                target = DeviceTables.TargetOf(image);
            }

            LinkSettings settings = options.Read(parse);
            UpdateOptions updateOptions = ImageFiles.UpdateOptions(context, settings, parse.GetValue(trust) ?? [], abortOnCancel: false, parse.GetValue(authenticate))
                with { Multicast = !parse.GetValue(noMulticast) };
            await using RecordsSession? records = await RecordsSession.OpenAsync(context, recordsOptions, cancellationToken).ConfigureAwait(false);
            await using DeviceSession session = await DeviceSession.OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(expect) is { } expected && session.Devices.Count != expected)
                throw new CliException(ExitCodes.Unreachable, $"{session.Devices.Count} device(s) answered, --expect {expected}: nothing was installed");
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(parse).Apply(session.Devices, defaultAll: true);
            var updater = new FirmwareUpdater(session.Network, updateOptions);
            Dictionary<DeviceUid, DeviceInfo> byUid = chosen.ToDictionary(d => d.Uid);
            // Devices that share a payload take one transfer (multicast, docs/updates.md section 10a, unless --no-multicast);
            // the rest are written by themselves, --parallel at once.
            IReadOnlyList<InstallResult> rows = await UpdateProgressView.RunAsync(context, uid => $"{byUid[uid].Address} {uid}",
                progress => RecordedRuns.UpdateManyAsync(updater, chosen, imageFor, maxParallel, progress, records, "install", cancellationToken)).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException(cancellationToken);
            int code = UpdateRows.Report(context, rows, target, single: false);
            return records?.AdjustExitCode(code) ?? code;
        });
    }

    private static Dictionary<DeviceUid, string> IndexDirectory(string directory)
    {
        var map = new Dictionary<DeviceUid, string>();
        foreach (string file in Directory.EnumerateFiles(directory, "*.csai"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (name.Length == 2 * DeviceUid.Length && name.All(char.IsAsciiHexDigit))
                map[DeviceUid.Parse(name)] = file;
        }
        return map;
    }
}
