using Csa.Crypto;

namespace Csa.Simulator.Firmware;

/// <summary>
/// The chip's read-protected key storage: where the device's identity private key lives, bound to the silicon like
/// the unique id (a secure element, or an MCU's protected key store such as flash under RDP level 2 with the key area
/// hidden from the application). It is deliberately NOT part of the flash image (<see cref="Flash.FlashImageFile"/>,
/// <see cref="Flash.SimulatedFlash.Clone"/>): a cloner who copies every byte of a genuine device's flash gets its
/// certificate but not this key, so the clone cannot answer an authentication challenge (REQ-AUTH-DEV). The firmware
/// uses the key only to sign and to unwrap content keys; no command returns it. docs/security.md section 10.1.
/// </summary>
public sealed class SecureKeyStorage
{
    private readonly object _gate = new();
    private EcP256PrivateKey? _identityKey;
    private byte[]? _certifiedDigest;
    private readonly string? _filePath;

    /// <summary>An empty key storage, as the chip leaves the electronics manufacturer.</summary>
    public SecureKeyStorage()
    {
    }

    /// <summary>
    /// A key storage that already holds <paramref name="identityKey"/>: a device whose key was made earlier (restored
    /// from a previous run), or, in security tests, an attacker's device that holds a key of the attacker's choosing.
    /// </summary>
    public SecureKeyStorage(EcP256PrivateKey identityKey)
    {
        ArgumentNullException.ThrowIfNull(identityKey);
        _identityKey = identityKey;
    }

    /// <summary>
    /// A key storage kept in <paramref name="filePath"/> (PEM, owner-only on Unix), so a simulated device keeps its identity
    /// across process restarts, as the silicon does: the key is loaded when the file exists and written, atomically,
    /// whenever the device makes a new one. Keep it apart from the flash file: a copy of the flash file is a clone without
    /// the key.
    /// </summary>
    /// <exception cref="KeyFormatException">The file exists but is not a P-256 private key.</exception>
    public SecureKeyStorage(string filePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        _filePath = filePath;
        if (File.Exists(filePath))
            _identityKey = EcP256PrivateKey.Load(filePath);
        string marker = CertifiedMarkerPath(filePath);
        if (_identityKey is not null && File.Exists(marker))
        {
            string text = File.ReadAllText(marker).Trim();
            _certifiedDigest = text.Length == 64 && text.All(Uri.IsHexDigit)
                ? Convert.FromHexString(text)
                : throw new KeyFormatException(KeyFormatError.MalformedEncoding, $"The certified marker {marker} does not hold a SHA-256 in hex.");
        }
    }

    /// <summary>
    /// True once a certificate for the identity key was committed (the device records it in its key storage at the
    /// commit point of provisioning). From then on the key is never replaced: GenerateIdentityKey is refused, and a
    /// Provisioning region that no longer holds a valid record for it is damage, not a blank device.
    /// </summary>
    public bool IsCertified
    {
        get
        {
            lock (_gate)
                return _certifiedDigest is not null;
        }
    }

    /// <summary>SHA-256 of the certificate committed for the identity key, or null.</summary>
    public byte[]? CertifiedCertificateDigest
    {
        get
        {
            lock (_gate)
                return (byte[]?)_certifiedDigest?.Clone();
        }
    }

    /// <summary>Records that <paramref name="certificateDigest"/> certifies the identity key (persisted beside the key file).</summary>
    internal void MarkCertified(ReadOnlySpan<byte> certificateDigest)
    {
        lock (_gate)
        {
            if (_identityKey is null)
                throw new InvalidOperationException("No identity key to certify.");
            if (_certifiedDigest is not null && certificateDigest.SequenceEqual(_certifiedDigest))
                return;
            if (_filePath is not null)
            {
                // Written whole, then moved over: a crash leaves the old marker or the new one.
                string marker = CertifiedMarkerPath(_filePath), temporary = marker + ".tmp";
                File.WriteAllText(temporary, Convert.ToHexString(certificateDigest) + "\n");
                File.Move(temporary, marker, overwrite: true);
            }
            _certifiedDigest = certificateDigest.ToArray();
        }
    }

    private static string CertifiedMarkerPath(string keyFile) => keyFile + ".certified";

    /// <summary>The file the key is kept in; null for a key storage in memory.</summary>
    public string? FilePath => _filePath;

    /// <summary>True when an identity key pair exists.</summary>
    public bool HasIdentityKey
    {
        get
        {
            lock (_gate)
                return _identityKey is not null;
        }
    }

    /// <summary>The identity public key, or null.</summary>
    public EcP256PublicKey? IdentityPublicKey
    {
        get
        {
            lock (_gate)
                return _identityKey?.PublicKey;
        }
    }

    internal EcP256PrivateKey? IdentityKey
    {
        get
        {
            lock (_gate)
                return _identityKey;
        }
    }

    /// <summary>
    /// The attacker model of REQ-KEY-EXPOSURE: what an attacker who decaps the chip and reads out its protected storage
    /// (fault injection, microprobing) gets. Tests use it to show that one device's secrets gain nothing against any
    /// other device. The firmware never calls it.
    /// </summary>
    public EcP256PrivateKey? ExtractByInvasiveAttack()
    {
        lock (_gate)
            return _identityKey;
    }

    /// <summary>Makes a fresh identity key pair with the chip's TRNG (the OS CSPRNG here), replacing an uncertified one.</summary>
    /// <exception cref="InvalidOperationException">The key is certified: it is never replaced.</exception>
    internal EcP256PrivateKey GenerateIdentityKey()
    {
        EcP256PrivateKey key = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        lock (_gate)
        {
            if (_certifiedDigest is not null)
                throw new InvalidOperationException("The identity key is certified and cannot be replaced.");
            // Persist first: a key the device answers with must survive a restart of the simulation.
            if (_filePath is not null)
                key.Save(_filePath, overwrite: true);
            _identityKey = key;
        }
        return key;
    }
}
