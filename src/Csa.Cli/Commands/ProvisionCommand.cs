using System.CommandLine;
using System.Globalization;
using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Updates;
using Csa.Cli.Devices;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Rpc;
using Spectre.Console;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa provision</c>: the production station (docs/security.md section 10). Discovers the devices on the links, has
/// each blank device make its identity key, issues its certificate with the production key, stores and locks it, and
/// authenticates the device; writes one record per device (JSON lines) for the manufacturer's database.
/// </summary>
internal static class ProvisionCommand
{
    public static Command Create(CliConsole console)
    {
        var options = new DeviceOptions();
        var key = new Option<FileInfo>("--production-key", "-k") { Description = "The production private key (PEM or DER; development: keep it in an HSM in production)", Required = true };
        var vendor = new Option<string>("--vendor") { Description = "The vendor id certificates name (decimal or 0x hex)", Required = true };
        var deviceClass = new Option<string>("--device-class") { Description = "The device class id certificates name (decimal or 0x hex)", Required = true };
        var parallel = new Option<int>("--parallel", "-p") { Description = "At most this many devices at once", DefaultValueFactory = _ => 4 };
        var record = new Option<FileInfo?>("--record", "-r") { Description = "Append one JSON line per device to this file (for the manufacturer's database); the records already in it are checked first: a unique id certified with another key, or a key certified for another unique id, is refused" };
        var noRecordCheck = new Option<bool>("--no-record-check") { Description = "Do not refuse devices that contradict the records already in the --record file" };
        var allowList = new Option<FileInfo?>("--allow-list") { Description = "Certify only the unique ids in this file (one per line, 24 hex digits; # comments), e.g. the boards the electronics manufacturer delivered" };
        var command = new Command("provision", "Provision blank devices: identity key made on the device, certificate signed by the production key, provisioning locked")
        {
            key, vendor, deviceClass, parallel, record, noRecordCheck, allowList,
        };
        options.AddTo(command);
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            int maxParallel = context.ParseResult.GetValue(parallel);
            if (maxParallel < 1)
                throw CliException.Usage("--parallel must be at least 1");
            uint vendorId = ParseId(context.ParseResult.GetValue(vendor)!, "--vendor");
            uint classId = ParseId(context.ParseResult.GetValue(deviceClass)!, "--device-class");
            FileInfo keyFile = context.ParseResult.GetValue(key)!;
            if (!keyFile.Exists)
                throw CliException.File($"production key not found: {keyFile.FullName}");
            PemProductionSigner signer;
            try
            {
                signer = PemProductionSigner.FromKeyFile(keyFile.FullName);
            }
            catch (KeyFormatException e)
            {
                throw CliException.Invalid($"--production-key {keyFile.FullName}: {e.Message} (give the production PRIVATE key)", e);
            }

            // The record is the manufacturer's only copy of what was issued: make sure it can be written before any
            // device is provisioned and locked.
            FileInfo? recordFile = context.ParseResult.GetValue(record);
            if (recordFile is not null)
                CheckRecordFileWritable(recordFile.FullName);
            Func<DeviceUid, byte[], CancellationToken, Task<bool>>? authorize = await AuthorizerAsync(recordFile,
                context.ParseResult.GetValue(noRecordCheck), context.ParseResult.GetValue(allowList), cancellationToken).ConfigureAwait(false);
            var station = new ProvisioningStation(signer, EcdsaP256SignatureVerifier.Instance,
                new ProvisioningStationOptions { VendorId = vendorId, DeviceClassId = classId, AuthorizeDevice = authorize });

            // The same links, timeouts and device selection as every device command (--device / --all; all by default).
            await using DeviceSession session = await DeviceSession.OpenAsync(context, options.Read(context.ParseResult), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DeviceInfo> devices = options.ReadSelection(context.ParseResult).Apply(session.Devices, defaultAll: true);
            IReadOnlyList<ProvisioningResult> results = await station.ProvisionAllAsync(session.Network, devices, maxParallel, null, cancellationToken).ConfigureAwait(false);
            ProvisioningRecord[] records = results.Select(r => r.ToRecord()).ToArray();

            // Results first, so that even if the record cannot be appended now the issued certificates are on screen.
            int provisioned = results.Count(r => r.Succeeded);
            ProvisioningResult[] notProvisioned = results.Where(r => !r.Succeeded).ToArray();
            if (notProvisioned.Length > 0)
            {
                context.SetFailure($"{notProvisioned.Length} of {results.Count} devices were not provisioned",
                    notProvisioned.Select(r => ErrorDocument.DeviceError(r.Uid.ToString(), r.Exception, r.Outcome.ToString())).ToArray());
            }
            if (context.Json)
                context.WriteJson(new { productionKeyId = signer.ProductionPublicKey.KeyIdHex, provisioned, failed = results.Count - provisioned, devices = records });
            else
                WriteTable(context, records, signer.ProductionPublicKey.KeyIdHex);
            foreach (ProvisioningResult failed in results.Where(r => !r.Succeeded))
                context.Console.Error.WriteLine(ErrorReporter.DeviceLine(failed.Uid.ToString(), failed.Exception is { } e ? ErrorReporter.Describe(e).Message : failed.Outcome.ToString()));

            if (recordFile is not null)
            {
                try
                {
                    await ProvisioningRecordFile.AppendJsonLinesAsync(recordFile.FullName, records, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw CliException.File($"cannot append to the record file {recordFile.FullName}: {e.Message} (the results above are not recorded)", e);
                }
            }
            return ExitCodeOf(results);
        });
    }

    /// <summary>Fails (exit 3) unless <paramref name="path"/> can be appended to: an existing file or a new one in an existing directory.</summary>
    private static void CheckRecordFileWritable(string path)
    {
        if (Directory.Exists(path))
            throw CliException.File($"the record file {path} is a directory");
        bool existed = File.Exists(path);
        try
        {
            using (new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.File($"cannot write the record file {path}: {e.Message}", e);
        }
        if (!existed)
            File.Delete(path); // leave no empty file behind if nothing gets provisioned
    }

    /// <summary>
    /// The station's trust decision (docs/security.md section 10.6): the records of earlier runs (unless switched off) and
    /// the allow list, both asked before the production key signs. Null when neither is given.
    /// </summary>
    private static async Task<Func<DeviceUid, byte[], CancellationToken, Task<bool>>?> AuthorizerAsync(FileInfo? recordFile, bool noRecordCheck, FileInfo? allowListFile,
        CancellationToken cancellationToken)
    {
        ProvisionedDeviceRegistry? registry = null;
        DeviceAllowList? allowList = null;
        try
        {
            if (recordFile is not null && !noRecordCheck)
                registry = await ProvisionedDeviceRegistry.LoadAsync([recordFile.FullName], cancellationToken).ConfigureAwait(false);
            if (allowListFile is not null)
            {
                if (!allowListFile.Exists)
                    throw CliException.File($"allow list not found: {allowListFile.FullName}");
                allowList = await DeviceAllowList.LoadAsync(allowListFile.FullName, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ProvisioningRecordFormatException e)
        {
            throw CliException.Invalid(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.File($"cannot read {e.Message}", e);
        }
        if (registry is null && allowList is null)
            return null;
        return async (uid, publicKey, ct) =>
            (allowList is null || await allowList.AuthorizeAsync(uid, publicKey, ct).ConfigureAwait(false))
            && (registry is null || await registry.AuthorizeAsync(uid, publicKey, ct).ConfigureAwait(false));
    }

    private static int ExitCodeOf(IReadOnlyList<ProvisioningResult> results)
    {
        ProvisioningResult[] failed = results.Where(r => !r.Succeeded).ToArray();
        if (failed.Length == 0)
            return ExitCodes.Success;
        if (failed.All(r => r.Outcome == ProvisioningOutcome.Cancelled))
            return ExitCodes.Cancelled;
        // Devices that only stopped answering were unreachable; a refusal or a failed check is an authentication failure.
        return failed.All(r => r.Exception is DataLinkException or RpcTimeoutException) ? ExitCodes.Unreachable : ExitCodes.AuthenticationFailed;
    }

    private static void WriteTable(CommandContext context, ProvisioningRecord[] records, string keyId)
    {
        var table = new Table().AddColumns("device", "outcome", "serial", "identity key id", "error");
        foreach (ProvisioningRecord r in records)
        {
            string keyIdOfDevice = r.PublicKey.Length == 130 ? EcP256PublicKey.FromUncompressedPoint(Convert.FromHexString(r.PublicKey)).KeyIdHex : "-";
            table.AddRow(Markup.Escape(r.Uid), Markup.Escape(r.Outcome), r.SerialNumber == 0 ? "-" : r.SerialNumber.ToString(CultureInfo.InvariantCulture),
                keyIdOfDevice, Markup.Escape(r.Error));
        }
        context.Out.Write(table);
        context.WriteLine($"{records.Count(r => r.Outcome is "Provisioned" or "AlreadyProvisioned")} of {records.Length} device(s) provisioned with production key {keyId}");
    }

    private static uint ParseId(string text, string option) =>
        Images.ImageOptionParsers.TryParseUInt32(text, out uint value)
            ? value
            : throw CliException.Usage($"{option} '{text}': a 32-bit number, decimal or 0x hex (digits may be grouped with _)");
}
