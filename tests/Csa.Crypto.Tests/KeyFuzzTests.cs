using System.Text;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X9;

namespace Csa.Crypto.Tests;

/// <summary>
/// Bounded, deterministic fuzzing of every key entry point (PEM text, DER, files, raw points and scalars): valid keys
/// of every kind are truncated, bit-flipped, have their DER length fields rewritten (long, short, indefinite) and
/// bytes replaced or inserted; whatever the damage, the only exception that may escape is
/// <see cref="KeyFormatException"/>, never BouncyCastle's, FormatException, InvalidOperationException or
/// Asn1ParsingException.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
[Trait("Requirement", "REQ-KEY-EXPOSURE")]
[Trait("Threat", "THREAT.KEY.EXPOSURE")]
public sealed class KeyFuzzTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>One valid key encoding of each kind the SDK reads: (name, DER, PEM label, is private).</summary>
    private static List<(string Name, byte[] Der, string Label, bool Private)> Corpus()
    {
        // A fixed scalar: the fuzzing is the same on every run.
        EcP256PrivateKey key = EcP256PrivateKey.FromScalar(Convert.FromHexString("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));
        byte[] point = key.PublicKey.ToUncompressedPoint();
        byte[] compressed = [(byte)(0x02 | (point[64] & 1)), .. point[1..33]];
        var curve = new X962Parameters(P256.CurveOid);
        byte[] sec1Named = new ECPrivateKeyStructure(256, key.D, new DerBitString(point), curve).GetDerEncoded();
        byte[] sec1Bare = new ECPrivateKeyStructure(256, key.D, null, null).GetDerEncoded();
        byte[] spkiCompressed = new Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo(
            new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(P256.EcPublicKeyOid, P256.CurveOid), compressed).GetDerEncoded();
        return
        [
            ("pkcs8", key.ToPkcs8(), "PRIVATE KEY", true),
            ("sec1", sec1Named, "EC PRIVATE KEY", true),
            ("sec1-bare", sec1Bare, "EC PRIVATE KEY", true),
            ("spki", key.PublicKey.ToSubjectPublicKeyInfo(), "PUBLIC KEY", false),
            ("spki-compressed", spkiCompressed, "PUBLIC KEY", false),
            ("ec-parameters", curve.GetDerEncoded(), "EC PARAMETERS", false),
        ];
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        if (bytes.Length < 3)
            return [.. bytes, (byte)random.Next(256)]; // too short to cut or rewrite: grow it
        switch (random.Next(6))
        {
            case 0: // truncation
                return bytes[..random.Next(bytes.Length)];
            case 1: // bit flips
                for (int i = random.Next(1, 4); i > 0; i--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 2: // a length field rewritten: the byte after a tag, as short, long or indefinite form
                int[] lengths = [.. Enumerable.Range(0, bytes.Length - 1).Where(i => bytes[i] is 0x30 or 0x02 or 0x03 or 0x04 or 0x06 or 0xA0 or 0xA1)];
                if (lengths.Length == 0)
                    goto default;
                int at = lengths[random.Next(lengths.Length)] + 1;
                byte[] form = random.Next(5) switch
                {
                    0 => [0x80], // indefinite
                    1 => [0x81, (byte)random.Next(256)],
                    2 => [0x82, (byte)random.Next(256), (byte)random.Next(256)],
                    3 => [0x84, 0xFF, 0xFF, 0xFF, (byte)random.Next(256)],
                    _ => [(byte)random.Next(128)],
                };
                return [.. bytes.AsSpan(0, at), .. form, .. bytes.AsSpan(at + 1)];
            case 3: // random bytes over a stretch
                int start = random.Next(bytes.Length);
                random.NextBytes(bytes.AsSpan(start, Math.Min(bytes.Length - start, random.Next(1, 16))));
                return bytes;
            case 4: // the indefinite-length form, truncated: a BER constructed encoding cut short
                return [0x30, 0x80, .. bytes.AsSpan(2, random.Next(bytes.Length - 2))];
            default: // insertion
                int where = random.Next(bytes.Length + 1);
                var extra = new byte[random.Next(1, 8)];
                random.NextBytes(extra);
                return [.. bytes.AsSpan(0, where), .. extra, .. bytes.AsSpan(where)];
        }
    }

    /// <summary>Runs <paramref name="read"/>; anything but success or KeyFormatException fails the test, naming the input.</summary>
    private static void OnlyKeyFormatException(string what, byte[] input, Action read)
    {
        try
        {
            read();
        }
        catch (KeyFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
            Assert.True(Enum.IsDefined(e.Error), what);
        }
        catch (Exception e)
        {
            Assert.Fail($"{what} escaped as {e.GetType().FullName}: {e.Message}\ninput: {Convert.ToHexString(input)}");
        }
    }

    private void EveryEntryPoint(string what, byte[] der, string label, int round)
    {
        string pem = PemBlocks.Write(label, der);
        // A PEM that also carries openssl's EC PARAMETERS block, mutated itself half the time.
        string withParameters = PemBlocks.Write("EC PARAMETERS", new X962Parameters(P256.CurveOid).GetDerEncoded()) + pem;
        string derFile = _temp.File($"fuzz-{round % 8}.der");
        string pemFile = _temp.File($"fuzz-{round % 8}.pem");
        File.WriteAllBytes(derFile, der);
        File.WriteAllText(pemFile, pem);

        OnlyKeyFormatException($"{what} PublicKey.FromPem", der, () => EcP256PublicKey.FromPem(pem));
        OnlyKeyFormatException($"{what} PublicKey.FromSubjectPublicKeyInfo", der, () => EcP256PublicKey.FromSubjectPublicKeyInfo(der));
        OnlyKeyFormatException($"{what} PublicKey.Load(DER)", der, () => EcP256PublicKey.Load(derFile));
        OnlyKeyFormatException($"{what} PublicKey.Load(PEM)", der, () => EcP256PublicKey.Load(pemFile));
        OnlyKeyFormatException($"{what} PublicKey.FromUncompressedPoint", der, () => EcP256PublicKey.FromUncompressedPoint(der));
        OnlyKeyFormatException($"{what} PublicKey.TryFromUncompressedPoint", der, () => EcP256PublicKey.TryFromUncompressedPoint(der, out _));
        OnlyKeyFormatException($"{what} PrivateKey.FromPem", der, () => EcP256PrivateKey.FromPem(pem));
        OnlyKeyFormatException($"{what} PrivateKey.FromPem(EC PARAMETERS)", der, () => EcP256PrivateKey.FromPem(withParameters));
        OnlyKeyFormatException($"{what} PrivateKey.FromPkcs8", der, () => EcP256PrivateKey.FromPkcs8(der));
        OnlyKeyFormatException($"{what} PrivateKey.Load(DER)", der, () => EcP256PrivateKey.Load(derFile));
        OnlyKeyFormatException($"{what} PrivateKey.Load(PEM)", der, () => EcP256PrivateKey.Load(pemFile));
        OnlyKeyFormatException($"{what} PrivateKey.FromScalar", der, () => EcP256PrivateKey.FromScalar(der.Length >= 32 ? der[^32..] : der));
        OnlyKeyFormatException($"{what} EcdsaP256Signer.FromKeyFile", der, () => EcdsaP256Signer.FromKeyFile(derFile));
        OnlyKeyFormatException($"{what} PemProductionSigner.FromKeyFile", der, () => PemProductionSigner.FromKeyFile(pemFile));
    }

    [Fact]
    public void MutatedDerOfEveryKeyKind_RaisesOnlyKeyFormatExceptionFromEveryEntryPoint()
    {
        var random = new Random(20260107);
        foreach ((string name, byte[] der, string label, _) in Corpus())
        {
            for (int round = 0; round < 250; round++)
                EveryEntryPoint($"{name} round {round}", Mutate(der, random), label, round);
        }
    }

    [Fact]
    [Trait("Category", "Exhaustive")]
    public void ManyMoreMutations_RaiseOnlyKeyFormatException()
    {
        var random = new Random(7468);
        foreach ((string name, byte[] der, string label, _) in Corpus())
        {
            for (int round = 0; round < 5000; round++)
                EveryEntryPoint($"{name} round {round}", Mutate(Mutate(der, random), random), label, round);
        }
    }

    [Fact]
    public void MutatedPemText_RaisesOnlyKeyFormatException()
    {
        var random = new Random(1421);
        foreach ((string name, byte[] der, string label, _) in Corpus())
        {
            byte[] pem = Encoding.ASCII.GetBytes(PemBlocks.Write(label, der));
            for (int round = 0; round < 200; round++)
            {
                byte[] text = Mutate(pem, random);
                string path = _temp.File("text.pem");
                File.WriteAllBytes(path, text);
                string s = Encoding.UTF8.GetString(text);
                OnlyKeyFormatException($"{name} text round {round} PublicKey.FromPem", text, () => EcP256PublicKey.FromPem(s));
                OnlyKeyFormatException($"{name} text round {round} PrivateKey.FromPem", text, () => EcP256PrivateKey.FromPem(s));
                OnlyKeyFormatException($"{name} text round {round} PublicKey.Load", text, () => EcP256PublicKey.Load(path));
                OnlyKeyFormatException($"{name} text round {round} PrivateKey.Load", text, () => EcP256PrivateKey.Load(path));
            }
        }
    }

    [Fact]
    public void RandomBytes_RaiseOnlyKeyFormatException()
    {
        var random = new Random(5915);
        for (int round = 0; round < 300; round++)
        {
            byte[] bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && round % 2 == 0)
                bytes[0] = 0x30; // looks like DER
            EveryEntryPoint($"random round {round}", bytes, "PUBLIC KEY", round);
            EveryEntryPoint($"random round {round}", bytes, "PRIVATE KEY", round);
        }
    }
}
