using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

[Trait("Requirement", "REQ-TAMPER")]
public sealed class PayloadHasherTests
{
    private static async Task<ImageManifest> Manifest(int size) =>
        (await ImageFactory.Signed(Crc32ImageAuthenticator.Instance, size)).Manifest;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(256)]
    [InlineData(1000)]
    public async Task Offset_ordered_chunks_of_any_size_reproduce_the_manifest_hash(int chunk)
    {
        ImageManifest m = await Manifest(5000);
        byte[] payload = ImageFactory.Payload(5000);
        using var hasher = new PayloadHasher(m);
        for (int offset = 0; offset < payload.Length; offset += chunk)
            hasher.Append(offset, payload.AsSpan(offset, Math.Min(chunk, payload.Length - offset)));
        Assert.True(hasher.IsComplete);
        hasher.Complete();
    }

    [Fact]
    public async Task Resent_chunks_are_hashed_once()
    {
        ImageManifest m = await Manifest(3000);
        byte[] payload = ImageFactory.Payload(3000);
        using var hasher = new PayloadHasher(m);
        hasher.Append(0, payload.AsSpan(0, 1000));
        hasher.Append(0, payload.AsSpan(0, 1000));     // whole duplicate
        hasher.Append(500, payload.AsSpan(500, 1500)); // half duplicate
        Assert.Equal(2000, hasher.HashedLength);
        hasher.Append(2000, payload.AsSpan(2000));
        hasher.Complete();
    }

    [Fact]
    public async Task A_gap_is_refused_because_sha256_cannot_skip_ahead()
    {
        using var hasher = new PayloadHasher(await Manifest(100));
        hasher.Append(0, new byte[10]);
        Assert.Throws<ArgumentOutOfRangeException>(() => hasher.Append(11, new byte[10]));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.EXTRA")]
    public async Task Writing_past_the_declared_size_is_a_size_mismatch()
    {
        using var hasher = new PayloadHasher(await Manifest(100));
        hasher.Append(0, new byte[90]);
        var e = Assert.Throws<ImageRejectedException>(() => hasher.Append(90, new byte[11]));
        Assert.Equal(ImageRejection.PayloadSizeMismatch, e.Reason);
        e = Assert.Throws<ImageRejectedException>(() => hasher.Append(500, new byte[1]));
        Assert.Equal(ImageRejection.PayloadSizeMismatch, e.Reason);
    }

    [Fact]
    public async Task Completing_early_is_a_size_mismatch()
    {
        ImageManifest m = await Manifest(100);
        using var hasher = new PayloadHasher(m);
        hasher.Append(0, ImageFactory.Payload(100).AsSpan(0, 99));
        Assert.Equal(ImageRejection.PayloadSizeMismatch, Assert.Throws<ImageRejectedException>(hasher.Complete).Reason);
    }

    [Fact]
    public async Task A_changed_byte_is_a_hash_mismatch()
    {
        ImageManifest m = await Manifest(100);
        byte[] payload = ImageFactory.Payload(100);
        payload[99] ^= 0x40;
        using var hasher = new PayloadHasher(m);
        hasher.Append(0, payload);
        Assert.Equal(ImageRejection.PayloadHashMismatch, Assert.Throws<ImageRejectedException>(hasher.Complete).Reason);
    }

    [Fact]
    public async Task CheckPayload_refuses_a_payload_of_the_wrong_length()
    {
        ImageManifest m = await Manifest(100);
        var validator = new ImageValidator(new ImagePolicy());
        var e = Assert.Throws<ImageRejectedException>(() => validator.CheckPayload(m, ImageFactory.Payload(101)));
        Assert.Equal(ImageRejection.PayloadSizeMismatch, e.Reason);
        validator.CheckPayload(m, ImageFactory.Payload(100));
    }
}
