using System.Buffers.Binary;
using Csa.Bootloader.Provisioning;
using Csa.DataLink;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>What the provisioning region holds.</summary>
internal enum IdentityRecordState
{
    /// <summary>Erased: a blank device.</summary>
    Erased,

    /// <summary>Anything but a committed record (an interrupted write or erase): still a blank device, region must be erased before use.</summary>
    Torn,

    /// <summary>A committed record: a provisioned device.</summary>
    Committed,
}

/// <summary>
/// The provisioning record at the start of the Provisioning region (docs/security.md section 10.5): a 184-byte body
/// (magic "CSID", format 1, certificate length 176, the certificate) written in one program operation, then an 8-byte
/// commit marker ("CSIC" and the CRC-32/MPEG-2 of the body) written in a second. Only a complete marker over a complete
/// body makes the device provisioned, so a power cut at any flash operation leaves it blank or provisioned.
/// </summary>
internal static class IdentityRecord
{
    /// <summary>"CSID" little-endian.</summary>
    public const uint BodyMagic = 0x44495343;

    /// <summary>"CSIC" little-endian.</summary>
    public const uint CommitMagic = 0x43495343;

    public const int BodySize = 8 + DeviceCertificate.Length;

    public const int CommitSize = 8;

    public const int Size = BodySize + CommitSize;

    public static byte[] EncodeBody(ReadOnlySpan<byte> certificate)
    {
        var body = new byte[BodySize];
        BinaryPrimitives.WriteUInt32LittleEndian(body, BodyMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(6), DeviceCertificate.Length);
        certificate.CopyTo(body.AsSpan(8));
        return body;
    }

    public static byte[] EncodeCommit(ReadOnlySpan<byte> body)
    {
        var commit = new byte[CommitSize];
        BinaryPrimitives.WriteUInt32LittleEndian(commit, CommitMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(commit.AsSpan(4), Crc32Mpeg2.Compute(body));
        return commit;
    }

    public static (IdentityRecordState State, DeviceCertificate? Certificate) Read(SimulatedFlash flash, MemoryRegion region)
    {
        var record = new byte[Size];
        try
        {
            flash.Read(region.Address, record);
        }
        catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
        {
            return (IdentityRecordState.Torn, null);
        }
        ReadOnlySpan<byte> body = record.AsSpan(0, BodySize);
        ReadOnlySpan<byte> commit = record.AsSpan(BodySize, CommitSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(body) == BodyMagic
            && BinaryPrimitives.ReadUInt16LittleEndian(body[4..]) == 1
            && BinaryPrimitives.ReadUInt16LittleEndian(body[6..]) == DeviceCertificate.Length
            && BinaryPrimitives.ReadUInt32LittleEndian(commit) == CommitMagic
            && BinaryPrimitives.ReadUInt32LittleEndian(commit[4..]) == Crc32Mpeg2.Compute(body)
            && DeviceCertificate.TryParse(body[8..], out DeviceCertificate? certificate, out _, out _))
            return (IdentityRecordState.Committed, certificate);
        return flash.IsBlank(region)
            ? (IdentityRecordState.Erased, null)
            : (IdentityRecordState.Torn, null);
    }
}
