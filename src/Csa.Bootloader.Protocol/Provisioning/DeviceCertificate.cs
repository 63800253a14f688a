using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// A device certificate: the production key's statement that the device with this unique id, of this vendor and
/// class, holds the identity key pair whose public key it names. A fixed-layout little-endian binary of 176 bytes that
/// C firmware reads as a struct (not X.509: a bootloader has no ASN.1 parser to get wrong). Byte layout and golden
/// vector: docs/security.md section 10.2. The codec is pure (no I/O, no cryptography); signatures are checked through
/// <see cref="ProductionTrustAnchor"/>.
/// </summary>
public sealed class DeviceCertificate : IEquatable<DeviceCertificate>
{
    /// <summary>Bytes in a certificate.</summary>
    public const int Length = 176;

    /// <summary>Bytes covered by the signature (everything before it).</summary>
    public const int SignedLength = 112;

    /// <summary>The magic number: bytes 43 53 41 43, ASCII "CSAC", read as a little-endian u32.</summary>
    public const uint Magic = 0x43415343;

    /// <summary>The format version this codec reads and writes.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>Key algorithm 1: ECDSA / ECDH on NIST P-256.</summary>
    public const byte KeyAlgorithmP256 = 1;

    /// <summary>Bytes in the identity public key field (X || Y, 32-byte big-endian coordinates).</summary>
    public const int PublicKeyLength = 64;

    /// <summary>Bytes in the signature (r || s).</summary>
    public const int SignatureLength = 64;

    /// <summary>Bytes in the issuer key id.</summary>
    public const int KeyIdLength = 8;

    internal const int UidOffset = 8;
    internal const int VendorOffset = 20;
    internal const int ClassOffset = 24;
    internal const int LifecycleOffset = 28;
    internal const int AlgorithmOffset = 29;
    internal const int ReservedOffset = 30;
    internal const int SerialOffset = 32;
    internal const int IssuedOffset = 36;
    internal const int IssuerOffset = 40;
    internal const int PublicKeyOffset = 48;
    internal const int SignatureOffset = 112;

    private readonly byte[] _bytes;

    private DeviceCertificate(byte[] bytes)
    {
        _bytes = bytes;
        Uid = DeviceUid.FromBytes(bytes.AsSpan(UidOffset, DeviceUid.Length));
        VendorId = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(VendorOffset));
        DeviceClassId = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(ClassOffset));
        Lifecycle = (DeviceLifecycle)bytes[LifecycleOffset];
        SerialNumber = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(SerialOffset));
        IssuedAt = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(IssuedOffset)));
    }

    /// <summary>The device's 96-bit MCU unique id.</summary>
    public DeviceUid Uid { get; }

    /// <summary>The vendor id (the one images name).</summary>
    public uint VendorId { get; }

    /// <summary>The device class id (the one images name).</summary>
    public uint DeviceClassId { get; }

    /// <summary>The lifecycle the certificate grants (<see cref="DeviceLifecycle.Provisioned"/>).</summary>
    public DeviceLifecycle Lifecycle { get; }

    /// <summary>The serial number the station assigned (nonzero).</summary>
    public uint SerialNumber { get; }

    /// <summary>When the station issued it (whole seconds, UTC). Informational: a bootloader has no trusted clock.</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>The 8-byte key id of the production key that signed it (SHA-256 of its uncompressed point, first 8 bytes).</summary>
    public ReadOnlyMemory<byte> IssuerKeyId => _bytes.AsMemory(IssuerOffset, KeyIdLength);

    /// <summary>The identity public key as X || Y (64 bytes).</summary>
    public ReadOnlyMemory<byte> PublicKey => _bytes.AsMemory(PublicKeyOffset, PublicKeyLength);

    /// <summary>The signature r || s over SHA-256 of the first 112 bytes.</summary>
    public ReadOnlyMemory<byte> Signature => _bytes.AsMemory(SignatureOffset, SignatureLength);

    /// <summary>The first 112 bytes: what the production key signs.</summary>
    public ReadOnlyMemory<byte> SignedBytes => _bytes.AsMemory(0, SignedLength);

    /// <summary>The identity public key as the 65-byte uncompressed point 0x04 || X || Y.</summary>
    public byte[] GetUncompressedPublicKey()
    {
        var point = new byte[1 + PublicKeyLength];
        point[0] = 0x04;
        PublicKey.Span.CopyTo(point.AsSpan(1));
        return point;
    }

    /// <summary>SHA-256 of the whole certificate (bound into the authentication message).</summary>
    public byte[] ComputeDigest() => SHA256.HashData(_bytes);

    /// <summary>SHA-256 of the signed part (what the production key signs).</summary>
    public byte[] ComputeSignedDigest() => SHA256.HashData(_bytes.AsSpan(0, SignedLength));

    /// <summary>
    /// Builds a certificate whose signature field is zero; sign <see cref="ComputeSignedDigest"/> and complete it with
    /// <see cref="WithSignature"/> (what Csa.Bootloader's <c>ProvisioningStation</c> does).
    /// </summary>
    /// <param name="uid">The device's unique id.</param>
    /// <param name="vendorId">The vendor id.</param>
    /// <param name="deviceClassId">The device class id.</param>
    /// <param name="serialNumber">A nonzero serial number.</param>
    /// <param name="issuedAt">The issue time (truncated to whole seconds; between 1970 and 2106).</param>
    /// <param name="issuerKeyId">The production key's 8-byte key id.</param>
    /// <param name="publicKey">The identity public key: 64 bytes X || Y or the 65-byte uncompressed point.</param>
    /// <param name="lifecycle">The lifecycle granted (Provisioned).</param>
    /// <exception cref="ArgumentException">A field has the wrong size or value.</exception>
    public static DeviceCertificate CreateUnsigned(DeviceUid uid, uint vendorId, uint deviceClassId, uint serialNumber, DateTimeOffset issuedAt,
        ReadOnlySpan<byte> issuerKeyId, ReadOnlySpan<byte> publicKey, DeviceLifecycle lifecycle = DeviceLifecycle.Provisioned)
    {
        if (serialNumber == 0)
            throw new ArgumentOutOfRangeException(nameof(serialNumber), "A certificate's serial number is nonzero.");
        if (issuerKeyId.Length != KeyIdLength)
            throw new ArgumentException($"A key id is {KeyIdLength} bytes, not {issuerKeyId.Length}.", nameof(issuerKeyId));
        if (publicKey.Length == PublicKeyLength + 1 && publicKey[0] == 0x04)
            publicKey = publicKey[1..];
        if (publicKey.Length != PublicKeyLength)
            throw new ArgumentException($"The identity public key is 64 bytes X || Y or the 65-byte uncompressed point, not {publicKey.Length} bytes.", nameof(publicKey));
        if (!Enum.IsDefined(lifecycle))
            throw new ArgumentOutOfRangeException(nameof(lifecycle), lifecycle, "Not a defined lifecycle.");
        long seconds = issuedAt.ToUnixTimeSeconds();
        if (seconds is < 0 or > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(issuedAt), issuedAt, "The issue time must lie between 1970 and 2106 (u32 seconds).");
        var bytes = new byte[Length];
        Span<byte> b = bytes;
        BinaryPrimitives.WriteUInt32LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], Length);
        uid.CopyTo(b[UidOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(b[VendorOffset..], vendorId);
        BinaryPrimitives.WriteUInt32LittleEndian(b[ClassOffset..], deviceClassId);
        b[LifecycleOffset] = (byte)lifecycle;
        b[AlgorithmOffset] = KeyAlgorithmP256;
        BinaryPrimitives.WriteUInt32LittleEndian(b[SerialOffset..], serialNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(b[IssuedOffset..], (uint)seconds);
        issuerKeyId.CopyTo(b[IssuerOffset..]);
        publicKey.CopyTo(b[PublicKeyOffset..]);
        return new DeviceCertificate(bytes);
    }

    /// <summary>This certificate with <paramref name="signature"/> (64 bytes r || s) in its signature field.</summary>
    /// <exception cref="ArgumentException">The signature is not 64 bytes.</exception>
    public DeviceCertificate WithSignature(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureLength)
            throw new ArgumentException($"A P-256 signature r || s is {SignatureLength} bytes, not {signature.Length}.", nameof(signature));
        byte[] bytes = (byte[])_bytes.Clone();
        signature.CopyTo(bytes.AsSpan(SignatureOffset));
        return new DeviceCertificate(bytes);
    }

    /// <summary>Parses exactly one certificate.</summary>
    /// <exception cref="DeviceCertificateFormatException">A rule is broken; <see cref="DeviceCertificateFormatException.Error"/> says which.</exception>
    public static DeviceCertificate Parse(ReadOnlySpan<byte> bytes)
    {
        if (TryParse(bytes, out DeviceCertificate? certificate, out DeviceCertificateError error, out int offset))
            return certificate;
        throw new DeviceCertificateFormatException(error, offset, Describe(error, offset, bytes.Length));
    }

    /// <summary>
    /// Parses exactly one certificate from a possibly multi-segment buffer; the same rules, in the same order, as the
    /// span overload, so one input gets one answer whichever way it arrives.
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> input, [NotNullWhen(true)] out DeviceCertificate? certificate, out DeviceCertificateError error) =>
        TryParse(input, out certificate, out error, out _);

    /// <summary>Like <see cref="TryParse(in ReadOnlySequence{byte}, out DeviceCertificate?, out DeviceCertificateError)"/>, and says at which byte offset the broken rule is.</summary>
    public static bool TryParse(in ReadOnlySequence<byte> input, [NotNullWhen(true)] out DeviceCertificate? certificate, out DeviceCertificateError error, out int offset)
    {
        // One byte past a certificate is all any rule looks at: the header fields come first, then "too long".
        Span<byte> copy = stackalloc byte[Length + 1];
        int take = (int)Math.Min(input.Length, Length + 1);
        input.Slice(0, take).CopyTo(copy);
        return TryParse(copy[..take], out certificate, out error, out offset);
    }

    /// <summary>Parses exactly one certificate; on failure says which rule is broken and at which byte offset.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out DeviceCertificate? certificate, out DeviceCertificateError error, out int offset)
    {
        certificate = null;
        (error, offset) = Validate(bytes);
        if (offset >= 0)
            return false;
        certificate = new DeviceCertificate(bytes.ToArray());
        return true;
    }

    private static (DeviceCertificateError Error, int Offset) Validate(ReadOnlySpan<byte> b)
    {
        // Checked in byte order so the first broken rule is reported; a short input is Truncated where it ends.
        if (b.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(b) != Magic)
            return b.Length < 4 ? (DeviceCertificateError.Truncated, b.Length) : (DeviceCertificateError.BadMagic, 0);
        if (b.Length < 8)
            return (DeviceCertificateError.Truncated, b.Length);
        if (BinaryPrimitives.ReadUInt16LittleEndian(b[4..]) != FormatVersion)
            return (DeviceCertificateError.UnsupportedVersion, 4);
        if (BinaryPrimitives.ReadUInt16LittleEndian(b[6..]) != Length)
            return (DeviceCertificateError.BadLength, 6);
        if (b.Length < Length)
            return (DeviceCertificateError.Truncated, b.Length);
        if (b.Length > Length)
            return (DeviceCertificateError.TrailingData, Length);
        if (!Enum.IsDefined((DeviceLifecycle)b[LifecycleOffset]))
            return (DeviceCertificateError.BadLifecycle, LifecycleOffset);
        if (b[AlgorithmOffset] != KeyAlgorithmP256)
            return (DeviceCertificateError.UnsupportedKeyAlgorithm, AlgorithmOffset);
        if (b[ReservedOffset] != 0 || b[ReservedOffset + 1] != 0)
            return (DeviceCertificateError.ReservedNotZero, ReservedOffset);
        if (BinaryPrimitives.ReadUInt32LittleEndian(b[SerialOffset..]) == 0)
            return (DeviceCertificateError.ZeroSerialNumber, SerialOffset);
        return (default, -1);
    }

    private static string Describe(DeviceCertificateError error, int offset, int length) => error switch
    {
        DeviceCertificateError.Truncated => $"A device certificate is {Length} bytes; the input ends after {length}.",
        DeviceCertificateError.TrailingData => $"A device certificate is {Length} bytes; the input has {length}.",
        DeviceCertificateError.BadMagic => "Not a device certificate: bytes 0-3 are not \"CSAC\".",
        DeviceCertificateError.UnsupportedVersion => "The certificate's format version (bytes 4-5) is not 1.",
        DeviceCertificateError.BadLength => $"The certificate's length field (bytes 6-7) is not {Length}.",
        DeviceCertificateError.BadLifecycle => "The certificate's lifecycle (byte 28) is not a defined lifecycle.",
        DeviceCertificateError.UnsupportedKeyAlgorithm => "The certificate's key algorithm (byte 29) is not 1 (P-256).",
        DeviceCertificateError.ReservedNotZero => "The certificate's reserved bytes 30-31 are not zero.",
        DeviceCertificateError.ZeroSerialNumber => "The certificate's serial number (bytes 32-35) is zero.",
        _ => $"The certificate is malformed at byte {offset}.",
    };

    /// <summary>Writes the 176 bytes.</summary>
    public void Write(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_bytes);
    }

    /// <summary>A copy of the 176 bytes.</summary>
    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>The 176 bytes as uppercase hex.</summary>
    public string ToHex() => Convert.ToHexString(_bytes);

    /// <inheritdoc />
    public bool Equals(DeviceCertificate? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as DeviceCertificate);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Uid, SerialNumber);

    /// <inheritdoc />
    public override string ToString() => $"device certificate #{SerialNumber} for {Uid} (vendor 0x{VendorId:X8}, class 0x{DeviceClassId:X8}, {Lifecycle}, issuer {Convert.ToHexString(IssuerKeyId.Span).ToLowerInvariant()})";
}
