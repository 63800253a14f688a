namespace Csa.Bootloader.Images.Internal;

/// <summary>The contiguous bytes a firmware file (HEX, S-record, ELF) describes, gaps filled with 0xFF.</summary>
internal sealed record LoadedFirmware(byte[] Data, uint StartAddress, uint? EntryPoint);
