using Csa.Crypto.Internal;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Csa.Crypto;

/// <summary>Generates P-256 keys for every <see cref="KeyRole"/> from the operating system's CSPRNG.</summary>
public static class KeyGenerator
{
    /// <summary>
    /// Generates a fresh key for <paramref name="role"/>. All roles use P-256; the role is checked so a caller
    /// states which key it makes, and docs/security.md says where each kind must be kept.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is not a defined role.</exception>
    public static EcP256PrivateKey Generate(KeyRole role) => Generate(role, new SecureRandom());

    internal static EcP256PrivateKey Generate(KeyRole role, SecureRandom random)
    {
        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown key role.");
        }

        // ECKeyPairGenerator draws d uniformly from [1, n-1] (rejection sampling) and also rejects scalars of
        // abnormally low NAF weight, which guards against a broken random source producing structured keys.
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(P256.Domain, random));
        var pair = generator.GenerateKeyPair();
        var d = ((ECPrivateKeyParameters)pair.Private).D;
        byte[] scalar = new byte[P256.FieldLength];
        P256.WriteScalar(d, scalar);
        try
        {
            return EcP256PrivateKey.FromScalar(scalar);
        }
        finally
        {
            Array.Clear(scalar);
        }
    }
}
