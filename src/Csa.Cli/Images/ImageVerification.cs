using Csa.Bootloader.Images;

namespace Csa.Cli.Images;

/// <summary>What <c>csa image verify</c> checks against and reports: the policy and the outcome of each check.</summary>
internal sealed record VerifyReport(
    string File,
    bool Valid,
    string? Reason,
    string? Message,
    string Authentication,
    string? KeyId,
    IReadOnlyList<string> TrustedKeyIds,
    bool AcceptsCrc,
    IReadOnlyList<VerifyCheck> Checks);

/// <summary>One check: its name, "passed", "failed", "skipped" (not asked for) or "notReached" (an earlier check failed).</summary>
internal sealed record VerifyCheck(string Name, string Result, string Detail);

/// <summary>
/// Runs the SDK's <see cref="ImageValidator"/> (the same code the virtual device runs) and names each check it
/// made, in the order docs/image-format.md section 6 gives, so the user sees what held and what was not checked.
/// </summary>
internal static class ImageVerification
{
    private static readonly string[] Order =
        ["authenticity", "kind", "vendor", "deviceClass", "binding", "securityCounter", "region", "encryptionRequired", "keyUnwrap", "payloadHash"];

    /// <summary>What the user asked to check beyond authenticity and integrity.</summary>
    public sealed record Expectations(
        uint? VendorId, uint? DeviceClassId, ImageKind? Kind, DeviceUid? DeviceUid, uint? MinimumSecurityCounter,
        ImageRegion? Region, bool RequireEncryption, bool HasDeviceKey);

    public static VerifyReport Run(
        FirmwareImage image, string file, ImagePolicy policy, Expectations expect, IReadOnlyList<string> trustedKeyIds, bool acceptsCrc)
    {
        ImageManifest m = image.Manifest;

        // An unset expectation is not checked: the policy takes the image's own value (ImagePolicy's ids are not
        // optional). The validator still authenticates the manifest before it compares anything.
        policy.VendorId = expect.VendorId ?? m.VendorId;
        policy.DeviceClassId = expect.DeviceClassId ?? m.DeviceClassId;
        policy.ExpectedKind = expect.Kind;
        policy.DeviceUid = expect.DeviceUid;
        policy.MinimumSecurityCounter = expect.MinimumSecurityCounter;
        policy.TargetRegion = expect.Region;
        policy.RequireEncryption = expect.RequireEncryption;

        bool encrypted = m.Encryption != ImageEncryption.None;
        var enabled = new Dictionary<string, string?>
        {
            ["authenticity"] = m.Authentication == ImageAuthentication.Crc32
                ? "CRC-32 of the manifest (integrity only)"
                : $"ECDSA P-256 signature by key {ImageDescription.Lower(m.KeyId.Span)}",
            ["kind"] = expect.Kind is { } k ? $"expected {ImageDescription.Name(k)}" : null,
            ["vendor"] = expect.VendorId is { } v ? $"expected {ImageDescription.Hex32(v)}" : null,
            ["deviceClass"] = expect.DeviceClassId is { } c ? $"expected {ImageDescription.Hex32(c)}" : null,
            ["binding"] = expect.DeviceUid is { } u ? $"device {u}" + (m.IsDeviceBound ? "" : " (image is unbound)") : null,
            ["securityCounter"] = expect.MinimumSecurityCounter is { } floor ? $"{m.SecurityCounter} >= {floor}" : null,
            ["region"] = expect.Region is { } r ? $"linked for 0x{r.Start:X8}, fits {r.Size} bytes" : null,
            ["encryptionRequired"] = expect.RequireEncryption ? "the image must be encrypted" : null,
            ["keyUnwrap"] = encrypted && expect.DeviceUid is { } d
                ? expect.HasDeviceKey ? $"wrapped key for {d} unwraps with the device key" : $"key block has an entry for {d}"
                : null,
            ["payloadHash"] = !encrypted || (expect.DeviceUid is not null && expect.HasDeviceKey)
                ? "SHA-256 of the plaintext payload equals the manifest's" : null,
        };

        string? failedCheck = null;
        ImageRejectedException? rejection = null;
        bool payloadVerified = false;
        try
        {
            ImageValidationResult result = new ImageValidator(policy).Validate(image);
            payloadVerified = result.PayloadHashVerified;
        }
        catch (ImageRejectedException e)
        {
            rejection = e;
            failedCheck = CheckOf(e.Reason);
        }
        if (rejection is null && !payloadVerified)
            enabled["payloadHash"] = null;

        var checks = new List<VerifyCheck>();
        bool reached = true;
        foreach (string name in Order)
        {
            string? detail = enabled[name];
            if (name == failedCheck)
            {
                checks.Add(new VerifyCheck(name, "failed", rejection!.Message));
                reached = false;
            }
            else if (detail is null)
            {
                checks.Add(new VerifyCheck(name, "skipped", SkipReason(name, encrypted)));
            }
            else
            {
                checks.Add(new VerifyCheck(name, reached ? "passed" : "notReached", detail));
            }
        }

        return new VerifyReport(
            Path.GetFileName(file), rejection is null, rejection?.Reason.ToString(), rejection?.Message,
            ImageDescription.Name(m.Authentication),
            m.Authentication == ImageAuthentication.Crc32 ? null : ImageDescription.Lower(m.KeyId.Span),
            trustedKeyIds, acceptsCrc, checks);
    }

    private static string CheckOf(ImageRejection reason) => reason switch
    {
        ImageRejection.WrongImageKind => "kind",
        ImageRejection.WrongVendor => "vendor",
        ImageRejection.WrongDeviceClass => "deviceClass",
        ImageRejection.NotBoundToThisDevice => "binding",
        ImageRejection.SecurityCounterTooLow => "securityCounter",
        ImageRejection.WrongLoadAddress or ImageRejection.TooLargeForRegion => "region",
        ImageRejection.EncryptionRequired => "encryptionRequired",
        ImageRejection.NoKeyForThisDevice or ImageRejection.UnsupportedEncryption or ImageRejection.KeyUnwrapFailed => "keyUnwrap",
        ImageRejection.PayloadHashMismatch or ImageRejection.PayloadSizeMismatch => "payloadHash",
        _ => "authenticity",
    };

    private static string SkipReason(string name, bool encrypted) => name switch
    {
        "kind" => "no --kind given",
        "vendor" => "no --vendor given",
        "deviceClass" => "no --device-class given",
        "binding" => "no --device-uid given",
        "securityCounter" => "no --min-security-counter given",
        "region" => "no --region given",
        "encryptionRequired" => "no --require-encryption given",
        "keyUnwrap" => encrypted ? "needs --device-uid (and --device-key to unwrap)" : "the image is not encrypted",
        "payloadHash" => "the payload is encrypted: needs --device-uid and --device-key",
        _ => "",
    };
}
