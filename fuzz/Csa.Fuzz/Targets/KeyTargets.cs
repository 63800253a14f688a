using System.Text;
using Csa.Crypto;
using Csa.Crypto.Internal;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// PEM key files (docs/security.md 2, "Key files"): private and public key PEM text. Contract: KeyFormatException only;
/// a key that loads writes back (ToPem) to a text that loads to the same key.
/// </summary>
internal sealed class PemKeyTarget : FuzzTarget
{
    public override string Name => "pem-key";

    public override string Description => "EcP256PrivateKey.FromPem and EcP256PublicKey.FromPem on hostile text";

    public override TargetSpeed Speed => TargetSpeed.Slow;

    public override IReadOnlyList<byte[]> Dictionary =>
        [.. new[] { "-----BEGIN ", "-----END ", "PRIVATE KEY", "PUBLIC KEY", "EC PRIVATE KEY", "EC PARAMETERS", "ENCRYPTED PRIVATE KEY", "-----\n", "=", "\n", "Proc-Type: 4,ENCRYPTED\n" }.Select(Encoding.ASCII.GetBytes)];

    public override IEnumerable<byte[]> Seeds()
    {
        yield return Encoding.ASCII.GetBytes(SeedMaterial.SigningKey.ToPem());
        yield return Encoding.ASCII.GetBytes(SeedMaterial.SigningKey.PublicKey.ToPem());
        yield return Encoding.ASCII.GetBytes(SeedMaterial.DeviceKey.PublicKey.ToPem() + SeedMaterial.DeviceKey.ToPem());
        // SEC 1, as `openssl ecparam -genkey` writes it (with its EC PARAMETERS block)
        yield return Encoding.ASCII.GetBytes("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + Sec1Pem());
    }

    private static string Sec1Pem()
    {
        // SEC 1 ECPrivateKey { version 1, privateKey, [0] prime256v1 } around the signing key's scalar.
        byte[] d = SeedMaterial.SigningKey.ExportScalar();
        byte[] der = [0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20, .. d, 0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        return PemBlocks.Write("EC PRIVATE KEY", der);
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        int outcome = 0;
        try
        {
            EcP256PrivateKey key = EcP256PrivateKey.FromPem(text);
            if (!EcP256PrivateKey.FromPem(key.ToPem()).PublicKey.Equals(key.PublicKey))
                throw new ContractViolation("a private key that loads does not survive ToPem and FromPem");
        }
        catch (KeyFormatException e)
        {
            outcome = 1 + (int)e.Error;
        }
        try
        {
            EcP256PublicKey key = EcP256PublicKey.FromPem(text);
            if (!EcP256PublicKey.FromPem(key.ToPem()).Equals(key))
                throw new ContractViolation("a public key that loads does not survive ToPem and FromPem");
        }
        catch (KeyFormatException e)
        {
            outcome = outcome * 64 + 1 + (int)e.Error;
        }
        return outcome;
    }

    public override long AllocationBudget(int length) => 1024 * 1024 + 256L * length;
}

/// <summary>
/// DER keys and signatures: PKCS#8 and SEC 1 private keys, SubjectPublicKeyInfo, raw points, and DER ECDSA signatures
/// (openssl interop). The first byte selects the reader. Contract: KeyFormatException only (TryFromDer never throws);
/// a DER signature that converts re-encodes to the same bytes (strict DER).
/// </summary>
internal sealed class DerKeyTarget : FuzzTarget
{
    public override string Name => "der-key";

    public override string Description => "FromPkcs8, SEC 1, FromSubjectPublicKeyInfo, FromUncompressedPoint, EcdsaP256SignatureEncoding.TryFromDer";


    public override int MaxInputLength => 1024;

    public override IEnumerable<byte[]> Seeds()
    {
        yield return [0, .. SeedMaterial.SigningKey.ToPkcs8()];
        yield return [1, 0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20, .. SeedMaterial.SigningKey.ExportScalar(), 0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
        yield return [2, .. SeedMaterial.SigningKey.PublicKey.ToSubjectPublicKeyInfo()];
        yield return [3, .. SeedMaterial.DeviceKey.PublicKey.ToUncompressedPoint()];
        yield return [4, .. EcdsaP256SignatureEncoding.ToDer(new EcdsaP256Signer(SeedMaterial.SigningKey).Sign([1, 2, 3]))];
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            return -1;
        byte[] der = input[1..].ToArray();
        int which = input[0] % 5;
        try
        {
            switch (which)
            {
                case 0:
                    EcP256PrivateKey.FromPkcs8(der);
                    break;
                case 1:
                    _ = KeyEncoding.ReadPrivateKeyDer(der); // what EcP256PrivateKey.Load does with a DER file (PKCS#8, else SEC 1)
                    break;
                case 2:
                    EcP256PublicKey.FromSubjectPublicKeyInfo(der);
                    break;
                case 3:
                    EcP256PublicKey.FromUncompressedPoint(der);
                    break;
                default:
                    if (EcdsaP256SignatureEncoding.TryFromDer(der, out byte[]? raw) && !EcdsaP256SignatureEncoding.ToDer(raw!).AsSpan().SequenceEqual(der))
                        throw new ContractViolation("a DER signature that converts re-encodes to other bytes (not strict DER)");
                    break;
            }
            return which * 100;
        }
        catch (KeyFormatException e)
        {
            return which * 100 + 1 + (int)e.Error;
        }
    }

    public override long AllocationBudget(int length) => 1024 * 1024 + 256L * length;
}

/// <summary>
/// The device's unwrap of a hostile wrapped-key block (docs/security.md 5): the input's first 32 bytes are the context,
/// the rest the block. Contract: never throws; false for anything but a genuine wrap, and then no key.
/// </summary>
internal sealed class EciesUnwrapTarget : FuzzTarget
{
    private readonly AesCtrEciesPayloadDecryptor _decryptor = new(SeedMaterial.DeviceKey);

    public override string Name => "ecies-unwrap";

    public override string Description => "AesCtrEciesPayloadDecryptor.TryUnwrapKey (context || wrapped block) with the device's key";


    public override int MaxInputLength => 512;

    public override IEnumerable<byte[]> Seeds()
    {
        Csa.Bootloader.Images.FirmwareImage encrypted = SeedMaterial.Images.Single(i => i.Manifest.Encryption != Csa.Bootloader.Images.ImageEncryption.None);
        byte[] context = System.Security.Cryptography.SHA256.HashData(encrypted.ManifestBytes.Span);
        yield return [.. context, .. encrypted.FindWrappedKey(SeedMaterial.Uid)!.WrappedKey.Span];
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        ReadOnlySpan<byte> context = input[..Math.Min(32, input.Length)];
        ReadOnlySpan<byte> block = input[context.Length..];
        bool ok = _decryptor.TryUnwrapKey(block, context, out byte[] key);
        if (!ok && key is { Length: > 0 } && key.AsSpan().ContainsAnyExcept((byte)0))
            throw new ContractViolation("a refused unwrap handed out key bytes");
        return ok ? 1 : 0;
    }

    public override long AllocationBudget(int length) => 2 * 1024 * 1024 + 256L * length;
}
