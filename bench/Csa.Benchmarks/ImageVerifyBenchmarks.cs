using BenchmarkDotNet.Attributes;
using Csa.Bootloader.Images;

namespace Csa.Benchmarks;

/// <summary>
/// What a host pre-check (and the virtual device) spends on a 1 MiB image: parsing, the before-erase check
/// (ECDSA P-256 verification of the manifest), the after-write SHA-256 of the payload fed in 4 KiB chunks,
/// and all of it together. Throughput in MB/s = 1.048576 / (mean time in seconds).
///   dotnet run -c Release --project bench/Csa.Benchmarks -- --filter '*ImageVerify*'
/// </summary>
[MemoryDiagnoser]
public class ImageVerifyBenchmarks
{
    private const int PayloadSize = 1024 * 1024;
    private const int WriteChunk = 4096;

    private ImageBenchmarkEcdsa _key = null!;
    private byte[] _imageBytes = null!;
    private FirmwareImage _image = null!;
    private ImageValidator _validator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = new ImageBenchmarkEcdsa();
        var payload = new byte[PayloadSize];
        new Random(42).NextBytes(payload);
        var settings = new ImageSettings
        {
            VendorId = 0xC5A0,
            DeviceClassId = 0x0401,
            Version = new FirmwareVersion(1, 0, 0, 1),
            SecurityCounter = 1,
            LoadAddress = 0x08020000,
        };
        _image = new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, 0x08020000), _key).GetAwaiter().GetResult();
        _imageBytes = _image.ToArray();
        var policy = new ImagePolicy
        {
            VendorId = 0xC5A0,
            DeviceClassId = 0x0401,
            MinimumSecurityCounter = 1,
            TargetRegion = new ImageRegion(0x08020000, 0x001E0000) // application region of a 2 MB STM32F4,
        };
        policy.TrustedVerifiers.Add(_key);
        _validator = new ImageValidator(policy);
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark]
    public int Parse() => ImageReader.Parse((ReadOnlyMemory<byte>)_imageBytes).Length;

    [Benchmark]
    public uint CheckBeforeErase() =>
        _validator.CheckBeforeErase(_image.ManifestBytes.Span, _image.AuthenticationBlock.Span).PayloadSize;

    [Benchmark]
    public long HashPayloadInWriteChunks()
    {
        using PayloadHasher hasher = _validator.CreatePayloadHasher(_image.Manifest);
        ReadOnlySpan<byte> payload = _image.Payload.Span;
        for (int offset = 0; offset < payload.Length; offset += WriteChunk)
            hasher.Append(offset, payload.Slice(offset, Math.Min(WriteChunk, payload.Length - offset)));
        hasher.Complete();
        return hasher.HashedLength;
    }

    [Benchmark(Baseline = true)]
    public bool ParseVerifyAndHash()
    {
        FirmwareImage image = ImageReader.Parse((ReadOnlyMemory<byte>)_imageBytes);
        return _validator.Validate(image).PayloadHashVerified;
    }
}
