using Csa.Bootloader.Images;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// The unique ids the electronics manufacturer delivered (one per board, e.g. read out at its end-of-line test): a ready
/// <see cref="ProvisioningStationOptions.AuthorizeDevice"/> that certifies only those. A board that claims any other id
/// (a chip swapped in, a counterfeit) gets no certificate.
/// </summary>
public sealed class DeviceAllowList
{
    private readonly HashSet<DeviceUid> _uids;

    /// <summary>Creates the list from <paramref name="uids"/>.</summary>
    public DeviceAllowList(IEnumerable<DeviceUid> uids)
    {
        ArgumentNullException.ThrowIfNull(uids);
        _uids = [.. uids];
    }

    /// <summary>The unique ids on the list.</summary>
    public IReadOnlyCollection<DeviceUid> Uids => _uids;

    /// <summary>True when <paramref name="uid"/> is on the list.</summary>
    public bool Contains(DeviceUid uid) => _uids.Contains(uid);

    /// <summary>
    /// Reads a list file: one unique id per line (24 hex digits, as <see cref="DeviceUid.Parse"/> reads them); blank
    /// lines and lines starting with <c>#</c> are ignored; surrounding white space is allowed.
    /// </summary>
    /// <exception cref="ProvisioningRecordFormatException">A line is not a unique id (the message names the line).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static async Task<DeviceAllowList> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string[] lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        var uids = new List<DeviceUid>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            try
            {
                uids.Add(DeviceUid.Parse(line));
            }
            catch (FormatException e)
            {
                throw new ProvisioningRecordFormatException(path, i + 1, $"line {i + 1} is not a unique id: '{line}' ({e.Message})", e);
            }
        }
        return new DeviceAllowList(uids);
    }

    /// <summary>The <see cref="ProvisioningStationOptions.AuthorizeDevice"/> hook: true when the unique id is on the list.</summary>
    /// <exception cref="ProvisioningException">Not on the list (<see cref="ProvisioningFailure.NotAuthorized"/>).</exception>
    public Task<bool> AuthorizeAsync(DeviceUid uid, byte[] publicKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_uids.Contains(uid))
            throw new ProvisioningException(uid, ProvisioningFailure.NotAuthorized, $"Device {uid} is not on the allow list of delivered devices: not certified.");
        return Task.FromResult(true);
    }
}
