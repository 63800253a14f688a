using System.Security.Cryptography;

namespace Csa.Crypto.Internal;

/// <summary>One PEM block: its label and its decoded DER contents.</summary>
internal readonly record struct PemBlock(string Label, byte[] Der);

/// <summary>Splits PEM text (RFC 7468) into its blocks. Text outside the blocks (comments, openssl's "EC PARAMETERS") is allowed.</summary>
internal static class PemBlocks
{
    /// <summary>
    /// Reads every block in <paramref name="text"/>. Throws <see cref="KeyFormatException"/> when there is no
    /// block at all, when a block carries RFC 1421 encryption headers, or when a block's base64 is broken.
    /// </summary>
    public static List<PemBlock> Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);

        // Windows editors often save a UTF-8 byte order mark; it is not part of the PEM and RFC 7468 parsers stop at it.
        text = text.TrimStart('\uFEFF');
        var blocks = new List<PemBlock>();
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            string label = new(rest[fields.Label]);
            byte[] der = new byte[fields.DecodedDataLength];
            if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out int written) || written != der.Length)
            {
                throw new KeyFormatException(KeyFormatError.MalformedEncoding, $"The base64 inside the PEM block '{label}' is malformed.");
            }

            blocks.Add(new PemBlock(label, der));
            rest = rest[fields.Location.End..];
        }

        if (blocks.Count == 0)
        {
            // Traditional openssl encryption puts "Proc-Type: 4,ENCRYPTED" headers into the block, which RFC 7468
            // parsers (correctly) refuse; say so instead of "not PEM", because the file plainly is PEM.
            if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            {
                throw new KeyFormatException(
                    KeyFormatError.Encrypted,
                    "The key is encrypted with a passphrase (openssl traditional format). Decrypt it first, e.g. `openssl pkey -in key.pem -out plain.pem`, and keep the plain key in an HSM or a protected store.");
            }

            if (text.Contains("-----BEGIN ", StringComparison.Ordinal))
            {
                throw new KeyFormatException(KeyFormatError.MalformedEncoding, "The text has a PEM BEGIN line but no well-formed PEM block (check the END line and the base64).");
            }

            throw new KeyFormatException(KeyFormatError.NotPem, "The text is not PEM: no '-----BEGIN ...-----' / '-----END ...-----' block found.");
        }

        return blocks;
    }

    /// <summary>Formats DER as a PEM block with 64-character lines and a trailing newline.</summary>
    public static string Write(string label, byte[] der) => new string(PemEncoding.Write(label, der)) + "\n";
}
