namespace Csa.Simulator.Flash.Internal;

/// <summary>
/// Everything the flash remembers across a power cut: main array, OTP, UID, option bytes, wear and the L4
/// ECC-broken double words. One ECC flag per double word (8 bytes); unused on F4, which has no flash ECC.
/// </summary>
internal sealed class FlashStore
{
    public FlashStore(FlashGeometry geometry, byte[] uniqueId)
    {
        Geometry = geometry;
        Main = new byte[geometry.Size];
        Main.AsSpan().Fill(FlashGeometry.ErasedValue);
        Otp = new byte[geometry.OtpSize];
        Otp.AsSpan().Fill(FlashGeometry.ErasedValue);
        UniqueId = uniqueId;
        EraseCycles = new int[geometry.Sectors.Count];
        MainEccBroken = new bool[geometry.Size / 8];
        OtpEccBroken = new bool[geometry.OtpSize / 8];
    }

    public FlashGeometry Geometry { get; }

    public byte[] Main { get; }

    public byte[] Otp { get; }

    public byte[] UniqueId { get; }

    public int[] EraseCycles { get; }

    public bool[] MainEccBroken { get; }

    public bool[] OtpEccBroken { get; }

    public FlashOptionBytes OptionBytes { get; set; } = FlashOptionBytes.Factory;

    public bool HasEcc => Geometry.Family == FlashFamily.Stm32L4;

    public FlashStore Clone()
    {
        var copy = new FlashStore(Geometry, (byte[])UniqueId.Clone()) { OptionBytes = OptionBytes };
        Main.CopyTo(copy.Main, 0);
        Otp.CopyTo(copy.Otp, 0);
        EraseCycles.CopyTo(copy.EraseCycles, 0);
        MainEccBroken.CopyTo(copy.MainEccBroken, 0);
        OtpEccBroken.CopyTo(copy.OtpEccBroken, 0);
        return copy;
    }

    /// <summary>Erases a range of the main array: all 0xFF, ECC consistent again.</summary>
    public void EraseMain(int offset, int length)
    {
        Main.AsSpan(offset, length).Fill(FlashGeometry.ErasedValue);
        MainEccBroken.AsSpan(offset / 8, length / 8).Clear();
    }
}

/// <summary>A programmable range resolved from an address: the main array or the OTP area.</summary>
internal readonly record struct FlashArea(byte[] Data, bool[] EccBroken, int Offset, bool IsOtp);
