using System.CommandLine;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Cli.Records;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa update IMAGE [IMAGE2]</c>: updates the application (REQ-UPD-APP) or the bootloader (REQ-UPD-BL, the other copy,
/// or both with <c>--both-copies</c>) of the chosen devices, with progress, and confirms each runs the new version.
/// </summary>
internal static class UpdateCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var images = new Argument<string[]>("image")
        {
            Description = "The image file (.csai); for --both-copies one image per bootloader copy (each is linked for one copy's address)",
            Arity = new ArgumentArity(1, 2),
        };
        var bootloader = new Option<bool>("--bootloader") { Description = "Expect bootloader images (refuses an application image, so a script cannot mix them up)" };
        var bothCopies = new Option<bool>("--both-copies") { Description = "Bootloader: write the other copy, restart into it, then write the copy that ran before" };
        var parallel = new Option<int>("--parallel", "-p") { Description = "Devices updated at once", DefaultValueFactory = _ => 4 };
        var trust = new Option<string[]>("--trust") { Description = "A public key (PEM) to check signatures with before sending (repeatable; the device checks anyway)", Arity = ArgumentArity.OneOrMore };
        var authenticate = new Option<string[]>("--authenticate") { Description = "A production public key (PEM): every device must prove it holds a certificate from it before anything is sent (repeatable)", Arity = ArgumentArity.OneOrMore };
        var abort = new Option<bool>("--abort-on-cancel") { Description = "On Ctrl+C, drop an unfinished update on the device instead of leaving it resumable" };
        var noMulticast = new Option<bool>("--no-multicast") { Description = "Write each device by itself, even where several could take one transfer (docs/updates.md section 10a)" };
        var command = options.AddTo(new Command("update", "Update the application or the bootloader of devices, with progress; exits 0 only when each runs the new version")
        {
            images, bootloader, bothCopies, parallel, trust, authenticate, abort, noMulticast,
        });
        var recordsOptions = new RecordsOptions();
        recordsOptions.AddTo(command);
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            ParseResult parse = context.ParseResult;
            string[] files = parse.GetValue(images) ?? [];
            bool both = parse.GetValue(bothCopies);
            int maxParallel = parse.GetValue(parallel);
            if (maxParallel < 1)
                throw CliException.Usage($"--parallel {maxParallel}: at least 1");
            if (files.Length == 2 && !both)
                throw CliException.Usage("two images are only for --both-copies (one per bootloader copy)");

            var loaded = new List<FirmwareImage>();
            foreach (string file in files)
                loaded.Add(await ImageFiles.ReadAsync(file, cancellationToken).ConfigureAwait(false));
            bool isBootloader = loaded[0].Manifest.Kind == ImageKind.Bootloader;
            if (loaded.Any(i => (i.Manifest.Kind == ImageKind.Bootloader) != isBootloader))
                throw CliException.Invalid("the two images are of different kinds");
            if (parse.GetValue(bootloader) && !isBootloader)
                throw CliException.Invalid($"{Path.GetFileName(files[0])} is an application image, but --bootloader was given");
            if (both && !isBootloader)
                throw CliException.Usage("--both-copies is for bootloader images");

            LinkSettings settings = options.Read(parse);
            UpdateOptions updateOptions = ImageFiles.UpdateOptions(context, settings, parse.GetValue(trust) ?? [], parse.GetValue(abort), parse.GetValue(authenticate))
                with { Multicast = !parse.GetValue(noMulticast) };
            await using RecordsSession? records = await RecordsSession.OpenAsync(context, recordsOptions, cancellationToken).ConfigureAwait(false);
            await using DeviceSession session = await DeviceSession.OpenAsync(context, settings, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> chosen = options.ReadSelection(parse).Apply(session.Devices, defaultAll: false);
            var updater = new FirmwareUpdater(session.Network, updateOptions);
            string target = DeviceTables.TargetOf(loaded[0]);

            Dictionary<DeviceUid, DeviceInfo> byUid = chosen.ToDictionary(d => d.Uid);
            // Application images: one transfer for the devices that can share it (multicast, unless --no-multicast), the
            // rest each by itself; bootloader images: each device through its copies. --parallel devices at once.
            IReadOnlyList<InstallResult> rows = await UpdateProgressView.RunAsync(context, uid => $"{byUid[uid].Address} {uid}", progress => isBootloader
                ? RecordedRuns.UpdateBootloadersAsync(updater, chosen, loaded, both, maxParallel, progress, records, cancellationToken)
                : RecordedRuns.UpdateManyAsync(updater, chosen, loaded[0], maxParallel, progress, records, cancellationToken)).ConfigureAwait(false);

            int code = UpdateRows.Report(context, rows, target, single: chosen.Count == 1);
            return records?.AdjustExitCode(code) ?? code;
        });
    }
}
