using System.Security.Cryptography;

namespace Csa.Bootloader.Images;

/// <summary>
/// The after-write check: an incremental SHA-256 over the plaintext payload, fed in offset order as the
/// device writes it, compared with the manifest's hash at the end. Feed it what was actually written (read
/// back from flash), so that the hash vouches for the flash contents. A chunk that repeats bytes already
/// hashed (a resent write) contributes only its new tail; a chunk that leaves a gap is refused, because
/// SHA-256 cannot skip ahead.
/// </summary>
public sealed class PayloadHasher : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _expected;
    private readonly long _size;
    private bool _completed;

    /// <summary>Creates a hasher for the payload that <paramref name="manifest"/> describes.</summary>
    public PayloadHasher(ImageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        _expected = manifest.PayloadSha256.ToArray();
        _size = manifest.PayloadSize;
    }

    /// <summary>The number of payload bytes hashed so far (the next offset expected).</summary>
    public long HashedLength { get; private set; }

    /// <summary>The payload size the manifest declares.</summary>
    public long PayloadSize => _size;

    /// <summary>True when every payload byte has been hashed.</summary>
    public bool IsComplete => HashedLength == _size;

    /// <summary>Hashes <paramref name="plaintext"/>, which starts at byte <paramref name="offset"/> of the payload.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is past <see cref="HashedLength"/> (a gap) or negative.</exception>
    /// <exception cref="ImageRejectedException">The chunk runs past the declared payload size (<see cref="ImageRejection.PayloadSizeMismatch"/>).</exception>
    public void Append(long offset, ReadOnlySpan<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        long end = offset + plaintext.Length;
        if (end > _size)
            throw new ImageRejectedException(ImageRejection.PayloadSizeMismatch,
                $"A write reaches payload byte {end - 1} but the manifest declares only {_size} bytes");
        if (offset > HashedLength)
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"Payload bytes {HashedLength}..{offset - 1} have not been hashed yet; feed the payload in offset order.");
        if (end <= HashedLength)
            return;
        _hash.AppendData(plaintext[(int)(HashedLength - offset)..]);
        HashedLength = end;
    }

    /// <summary>Hashes a chunk given as an array (the form Python passes).</summary>
    public void Append(long offset, byte[] plaintext)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        Append(offset, plaintext.AsSpan());
    }

    /// <summary>
    /// Finishes: succeeds only when the whole payload was hashed and its SHA-256 equals the manifest's.
    /// The hasher cannot be used afterwards.
    /// </summary>
    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.PayloadSizeMismatch"/> or <see cref="ImageRejection.PayloadHashMismatch"/>.</exception>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (!IsComplete)
            throw new ImageRejectedException(ImageRejection.PayloadSizeMismatch,
                $"Only {HashedLength} of the {_size} payload bytes were written");
        _completed = true;
        byte[] actual = _hash.GetHashAndReset();
        if (!CryptographicOperations.FixedTimeEquals(actual, _expected))
            throw new ImageRejectedException(ImageRejection.PayloadHashMismatch,
                $"The written payload's SHA-256 is {Convert.ToHexString(actual)} but the manifest says {Convert.ToHexString(_expected)}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _completed = true;
        _hash.Dispose();
    }
}
