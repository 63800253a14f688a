using System.Security.Cryptography;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// The devices already certified, by unique id and identity public key, from the manufacturer's record files
/// (<see cref="ProvisioningRecordFile"/>): a ready <see cref="ProvisioningStationOptions.AuthorizeDevice"/> that refuses
/// a unique id already certified with another key (a second chip claiming a genuine device's id) and a key already
/// certified for another unique id (one key offered under two ids). The same id with the same key again is allowed (a
/// repeated run that finds the device provisioned, or a lock to complete). Only rows that certified a key count
/// (outcome Provisioned or AlreadyProvisioned with a public key); failed rows certified nothing. Thread-safe; devices
/// certified in this process are added with <see cref="Add(DeviceUid, byte[])"/> (the station's result rows, <see cref="AddRange"/>).
/// </summary>
public sealed class ProvisionedDeviceRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<DeviceUid, string> _keyOfUid = [];
    private readonly Dictionary<string, DeviceUid> _uidOfKey = new(StringComparer.Ordinal);

    /// <summary>How many (unique id, key) pairs are known.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _keyOfUid.Count;
        }
    }

    /// <summary>
    /// Loads the certified devices from record files (JSON lines or CSV, as <see cref="ProvisioningRecordFile.ReadAsync"/>
    /// reads them); a missing file holds none.
    /// </summary>
    /// <exception cref="ProvisioningRecordFormatException">A file holds a malformed record, or two records contradict each other.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static async Task<ProvisionedDeviceRegistry> LoadAsync(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var registry = new ProvisionedDeviceRegistry();
        foreach (string path in paths)
        {
            if (!File.Exists(path))
                continue;
            IReadOnlyList<ProvisioningRecord> records = await ProvisioningRecordFile.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < records.Count; i++)
            {
                try
                {
                    registry.Add(records[i]);
                }
                catch (ProvisioningException e)
                {
                    throw new ProvisioningRecordFormatException(path, i + 1, $"record {i + 1} contradicts an earlier one: {e.Message}", e);
                }
                catch (FormatException e)
                {
                    throw new ProvisioningRecordFormatException(path, i + 1, $"record {i + 1} is malformed: {e.Message}", e);
                }
            }
        }
        return registry;
    }

    /// <summary>Adds a record if it certified a key (other rows are ignored).</summary>
    /// <exception cref="FormatException">The record's unique id or public key is malformed.</exception>
    /// <exception cref="ProvisioningException">The pair contradicts a known one (<see cref="ProvisioningFailure.NotAuthorized"/>).</exception>
    public void Add(ProvisioningRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Outcome is not (nameof(ProvisioningOutcome.Provisioned) or nameof(ProvisioningOutcome.AlreadyProvisioned)) || record.PublicKey.Length == 0)
            return;
        byte[] key = Convert.FromHexString(record.PublicKey);
        if (key.Length != 65 || key[0] != 0x04)
            throw new FormatException($"the public key of {record.Uid} is not a 65-byte uncompressed point");
        Add(DeviceUid.Parse(record.Uid), key);
    }

    /// <summary>Adds the certified rows of a station run.</summary>
    /// <exception cref="ProvisioningException">A pair contradicts a known one.</exception>
    public void AddRange(IEnumerable<ProvisioningResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        foreach (ProvisioningResult result in results)
        {
            if (result.Succeeded && result.Certificate is { } certificate)
                Add(result.Uid, certificate.GetUncompressedPublicKey());
        }
    }

    /// <summary>Records that <paramref name="uid"/> is certified with <paramref name="publicKey"/> (65-byte uncompressed point).</summary>
    /// <exception cref="ProvisioningException">The id is known with another key, or the key with another id.</exception>
    public void Add(DeviceUid uid, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        string key = Convert.ToHexString(publicKey);
        lock (_gate)
        {
            Check(uid, key);
            _keyOfUid[uid] = key;
            _uidOfKey[key] = uid;
        }
    }

    /// <summary>True when <paramref name="uid"/> may be certified with <paramref name="publicKey"/> (see <see cref="AuthorizeAsync"/>).</summary>
    public bool IsAllowed(DeviceUid uid, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        string key = Convert.ToHexString(publicKey);
        lock (_gate)
        {
            try
            {
                Check(uid, key);
                return true;
            }
            catch (ProvisioningException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// The <see cref="ProvisioningStationOptions.AuthorizeDevice"/> hook: true for a new unique id with a new key, or a
    /// known pair again.
    /// </summary>
    /// <exception cref="ProvisioningException">Refused (<see cref="ProvisioningFailure.NotAuthorized"/>); the message says which record it contradicts.</exception>
    public Task<bool> AuthorizeAsync(DeviceUid uid, byte[] publicKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        cancellationToken.ThrowIfCancellationRequested();
        string key = Convert.ToHexString(publicKey);
        lock (_gate)
            Check(uid, key);
        return Task.FromResult(true);
    }

    private void Check(DeviceUid uid, string key)
    {
        if (_keyOfUid.TryGetValue(uid, out string? known) && !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(known), Convert.FromHexString(key)))
            throw new ProvisioningException(uid, ProvisioningFailure.NotAuthorized,
                $"Device {uid} is already certified with another identity key ({known[2..18].ToLowerInvariant()}…): a second chip claims its unique id, or the device lost its key; not certified again.");
        if (_uidOfKey.TryGetValue(key, out DeviceUid owner) && owner != uid)
            throw new ProvisioningException(uid, ProvisioningFailure.NotAuthorized,
                $"The identity key offered by device {uid} is already certified for device {owner}: not certified for a second unique id.");
    }
}
