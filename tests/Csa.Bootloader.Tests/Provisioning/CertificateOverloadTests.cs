using System.Buffers;
using Csa.Bootloader.Provisioning;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// One input, one answer: <see cref="DeviceCertificate.TryParse(ReadOnlySpan{byte}, out DeviceCertificate?, out DeviceCertificateError, out int)"/>
/// and the <see cref="ReadOnlySequence{T}"/> overloads report the same error at the same offset for every
/// prefix, extension and damaged byte of a certificate, however the sequence is split (issue 13 item 10).
/// </summary>
[Trait("Requirement", "REQ-AUTH-DEV")]
[Trait("Requirement", "REQ-PROD-KEYS")]
public sealed class CertificateOverloadTests
{
    private static void SameAnswer(byte[] input, string what)
    {
        bool spanOk = DeviceCertificate.TryParse(input, out _, out DeviceCertificateError spanError, out int spanOffset);
        foreach (ReadOnlySequence<byte> sequence in new[]
        {
            new ReadOnlySequence<byte>(input),
            input.Length > 2 ? Segments.Split(input, 1, input.Length / 2) : new ReadOnlySequence<byte>(input),
        })
        {
            bool seqOk = DeviceCertificate.TryParse(sequence, out _, out DeviceCertificateError seqError, out int seqOffset);
            Assert.True((spanOk, spanError, spanOffset) == (seqOk, seqError, seqOffset),
                $"{what}: span says ({spanOk}, {spanError}, {spanOffset}), sequence says ({seqOk}, {seqError}, {seqOffset})");
            Assert.False(DeviceCertificate.TryParse(sequence, out _, out DeviceCertificateError shortForm) ^ spanOk);
            Assert.Equal(spanError, shortForm);
        }
    }

    [Fact]
    public void Every_prefix_of_a_certificate_gets_the_same_error_from_both_overloads()
    {
        byte[] good = SecurityDoc.Golden("device-certificate");
        for (int length = 0; length <= good.Length; length++)
            SameAnswer(good[..length], $"{length}-byte prefix");
    }

    [Fact]
    public void A_short_input_with_a_wrong_magic_is_bad_magic_from_both_overloads()
    {
        // The defect: 8 bytes of garbage were BadMagic from the span and Truncated from the sequence.
        byte[] input = [0x44, 0x33, 0x22, 0x11, 0x01, 0x00, 0xB0, 0x00];
        Assert.False(DeviceCertificate.TryParse(new ReadOnlySequence<byte>(input), out _, out DeviceCertificateError error));
        Assert.Equal(DeviceCertificateError.BadMagic, error);
        SameAnswer(input, "8 bytes, wrong magic");
    }

    [Fact]
    public void Longer_inputs_and_damaged_bytes_get_the_same_error_from_both_overloads()
    {
        byte[] good = SecurityDoc.Golden("device-certificate");
        SameAnswer([.. good, 0], "one trailing byte");
        SameAnswer([.. good, .. new byte[1000]], "a kilobyte trailing");
        byte[] badMagicLong = [.. good, 1, 2, 3];
        badMagicLong[0] ^= 0xFF;
        SameAnswer(badMagicLong, "wrong magic and trailing bytes");
        for (int i = 0; i < 40; i++)
        {
            byte[] damaged = (byte[])good.Clone();
            damaged[i] ^= 0x5A;
            SameAnswer(damaged, $"byte {i} damaged");
            SameAnswer(damaged[..(i + 3)], $"byte {i} damaged, cut after {i + 3}");
        }
    }
}
