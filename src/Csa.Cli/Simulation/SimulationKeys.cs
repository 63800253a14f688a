using Csa.Crypto;

namespace Csa.Cli.Simulation;

/// <summary>
/// The keys of a simulation: the signing key its devices trust (their factory images are signed with it, and the user
/// signs updates with it) and one identity key per device (the recipient of encrypted images). Loaded from the
/// <see cref="SimulationStore"/> when there, generated and written there otherwise, kept in memory without a store.
/// </summary>
internal sealed class SimulationKeys
{
    private readonly SimulationStore? _store;
    private readonly Dictionary<int, EcP256PrivateKey> _identities = [];

    private SimulationKeys(EcP256PrivateKey signing, string? signingPath, IReadOnlyList<EcP256PublicKey> trusted, SimulationStore? store)
    {
        SigningKey = signing;
        SigningKeyPath = signingPath;
        Trusted = trusted;
        _store = store;
    }

    /// <summary>The private key factory images are signed with; the devices trust its public key.</summary>
    public EcP256PrivateKey SigningKey { get; }

    /// <summary>Where <see cref="SigningKey"/> is on disk; null when it lives only in this process.</summary>
    public string? SigningKeyPath { get; }

    /// <summary>Where the public half of <see cref="SigningKey"/> is on disk (beside the private one); null when it is not there.</summary>
    public string? SigningPublicKeyPath => SigningKeyPath is not null && File.Exists(Path.ChangeExtension(SigningKeyPath, ".pub.pem"))
        ? Path.ChangeExtension(SigningKeyPath, ".pub.pem")
        : null;

    /// <summary>The production keys whose certificates the devices accept; empty for a product without provisioning.</summary>
    public IReadOnlyList<EcP256PublicKey> ProductionAnchors { get; private init; } = [];

    /// <summary>Every public key the devices trust: the signing key's first.</summary>
    public IReadOnlyList<EcP256PublicKey> Trusted { get; }

    /// <summary>Loads or makes the keys for <paramref name="spec"/>.</summary>
    public static SimulationKeys Load(SimulationSpec spec)
    {
        EcP256PrivateKey signing;
        string? path;
        if (spec.SigningKeyPath is { } given)
        {
            path = SimulationStore.FullPath(given, "the signing key");
            signing = Images.ImageInputs.ReadPrivateKey(RequireFile(path, "signing key"));
        }
        else if (spec.Store is { } store)
        {
            path = store.SigningKeyPath;
            store.EnsureDirectory();
            signing = LoadOrCreate(path, KeyRole.FirmwareSigning);
        }
        else
        {
            path = null;
            signing = KeyGenerator.Generate(KeyRole.FirmwareSigning);
        }

        var trusted = new List<EcP256PublicKey> { signing.PublicKey };
        foreach (string file in spec.TrustedKeyPaths)
        {
            EcP256PublicKey key = Images.ImageInputs.ReadPublicKey(RequireFile(SimulationStore.FullPath(file, "a trusted public key"), "trusted public key"));
            if (!trusted.Contains(key))
                trusted.Add(key);
        }
        var production = new List<EcP256PublicKey>();
        foreach (string file in spec.ProductionKeyPaths)
            production.Add(Images.ImageInputs.ReadPublicKey(RequireFile(SimulationStore.FullPath(file, "a production public key"), "production public key")));
        return new SimulationKeys(signing, path, trusted, spec.Store) { ProductionAnchors = production };
    }

    /// <summary>The identity key of device <paramref name="index"/> (persisted in the store when there is one).</summary>
    public EcP256PrivateKey IdentityKey(int index)
    {
        lock (_identities)
        {
            if (_identities.TryGetValue(index, out EcP256PrivateKey? known))
                return known;
            EcP256PrivateKey key = _store is { } store
                ? LoadOrCreate(store.IdentityKeyPath(index), KeyRole.DeviceIdentity)
                : KeyGenerator.Generate(KeyRole.DeviceIdentity);
            _identities[index] = key;
            return key;
        }
    }

    private static EcP256PrivateKey LoadOrCreate(string path, KeyRole role)
    {
        if (File.Exists(path))
            return Images.ImageInputs.ReadPrivateKey(path);
        EcP256PrivateKey key = KeyGenerator.Generate(role);
        key.Save(path);
        key.PublicKey.Save(Path.ChangeExtension(path, ".pub.pem"), overwrite: true);
        return key;
    }

    private static string RequireFile(string path, string what) =>
        File.Exists(path) ? path : throw CliException.File($"{what} not found: {path}");
}
