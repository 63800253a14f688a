using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// Random damage of any kind gets a typed answer: the parser throws only <see cref="ImageFormatException"/>,
/// the validator only <see cref="ImageRejectedException"/>, and a damaged image is never accepted.
/// </summary>
[Trait("Requirement", "REQ-TAMPER")]
[Trait("Threat", "THREAT.MFST.MODIFICATION")]
public sealed class RobustnessTests
{
    private static void Hammer(byte[] original, ImagePolicy policy, int rounds, int seed)
    {
        var random = new Random(seed);
        var validator = new ImageValidator(policy);
        Assert.True(validator.TryValidate(ImageReader.Parse(original), out _), "the undamaged image must be accepted, or refusals prove nothing");
        int reachedTheValidator = 0;
        for (int round = 0; round < rounds; round++)
        {
            byte[] image = Damage(original, random);
            if (image.AsSpan().SequenceEqual(original))
                continue;
            FirmwareImage? parsed;
            try
            {
                parsed = ImageReader.Parse(image);
            }
            catch (ImageFormatException)
            {
                continue;
            }
            reachedTheValidator++;
            Assert.False(validator.TryValidate(parsed, out _), $"round {round}: a damaged image was accepted");
        }
        // Damage the parser cannot see (payload bytes, signature bytes) must reach the validator and be refused there.
        Assert.True(reachedTheValidator > rounds / 10, $"only {reachedTheValidator} of {rounds} damaged images reached the validator");
    }

    private static byte[] Damage(byte[] original, Random random)
    {
        byte[] image = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0: // scattered byte changes
                for (int i = random.Next(1, 6); i > 0; i--)
                    image[random.Next(image.Length)] = (byte)random.Next(256);
                return image;
            case 1: // a random burst
                int at = random.Next(image.Length);
                random.NextBytes(image.AsSpan(at, Math.Min(image.Length - at, random.Next(1, 40))));
                return image;
            case 2: // cut somewhere
                return image[..random.Next(image.Length)];
            default: // insert bytes somewhere
                int where = random.Next(image.Length + 1);
                var extra = new byte[random.Next(1, 20)];
                random.NextBytes(extra);
                return [.. image.AsSpan(0, where), .. extra, .. image.AsSpan(where)];
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public void Randomly_damaged_signed_images_are_never_accepted()
    {
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();
        Hammer(Golden.Read("golden-ecdsa.hex"), ImageFactory.Policy(key, 8), 3000, 1);
    }

    [Fact]
    public void Randomly_damaged_crc_images_are_never_accepted()
    {
        Hammer(Golden.Read("golden-crc.hex"), ImageFactory.Policy(Crc32ImageAuthenticator.Instance, 7), 3000, 2);
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Randomly_damaged_encrypted_images_are_never_accepted_by_their_device()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        FirmwareImage image = await ImageFactory.Encrypted(key, 100);
        Hammer(image.ToArray(), ImageFactory.Policy(key), 3000, 3);
    }

    [Fact]
    public void Random_bytes_are_refused_with_a_format_error()
    {
        var random = new Random(4);
        for (int i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (bytes.Length >= 4 && random.Next(2) == 0)
                "CSAI"u8.CopyTo(bytes);
            Assert.False(ImageReader.TryParse(bytes, out _, out ImageFormatException? error));
            Assert.True(Enum.IsDefined(error!.Error));
        }
    }

    [Fact]
    public void Random_text_is_refused_by_the_intel_hex_reader_with_a_line_number()
    {
        var random = new Random(5);
        const string alphabet = ":0123456789ABCDEFabcdefg \n";
        int withLine = 0;
        for (int i = 0; i < 2000; i++)
        {
            char[] chars = new char[random.Next(0, 120)];
            for (int c = 0; c < chars.Length; c++)
                chars[c] = alphabet[random.Next(alphabet.Length)];
            string text = new(chars);

            // No random text here is a valid file (it would need a data record and an end-of-file record, each with
            // its checksum): every one is refused, and the refusal points at a line whenever the text has one.
            IntelHexFormatException e = Assert.Throws<IntelHexFormatException>(() => FirmwareSource.FromIntelHex(text));
            Assert.True(Enum.IsDefined(e.Error), $"text {i}: {e.Error}");
            string[] lines = text.Split('\n');
            if (lines.All(string.IsNullOrWhiteSpace))
            {
                Assert.Equal(0, e.LineNumber); // nothing to point at: the file as a whole
                continue;
            }
            Assert.InRange(e.LineNumber, 1, lines.Length);
            Assert.False(string.IsNullOrWhiteSpace(lines[e.LineNumber - 1]), $"text {i}: line {e.LineNumber} named by {e.Error} is blank");
            Assert.StartsWith($"Intel HEX line {e.LineNumber}:", e.Message, StringComparison.Ordinal);
            withLine++;
        }
        Assert.True(withLine > 1900, $"{withLine} of 2000 refusals named a line");
    }
}
