using System.Security.Cryptography;
using Csa.Simulator.Flash.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Simulator.Flash;

/// <summary>
/// The flash of a simulated STM32F4 or STM32L4, with the chip's geometry, programming rules, protections, OTP,
/// unique ID and timing, plus power-cut injection and wear counting. Thread-safe; the controller runs one
/// operation at a time.
/// </summary>
/// <remarks>
/// Every operation exists in two forms. The synchronous one (<see cref="Program(uint, ReadOnlySpan{byte})"/>,
/// <see cref="EraseSector"/>...) applies the operation at once and only adds its duration to
/// <see cref="FlashStatistics.BusyTime"/>, for callers that charge time themselves. The asynchronous one
/// (<see cref="ProgramAsync(uint, ReadOnlyMemory{byte}, CancellationToken)"/>, <see cref="EraseSectorAsync"/>...) keeps the banks it uses busy
/// (<see cref="BusyBanks"/>) for the operation's duration on the configured <see cref="TimeProvider"/> and
/// lands the operation when that time is over, so a <see cref="CutPower"/> in between tears it. Waits are taken in
/// whole milliseconds (what timers resolve); the sub-millisecond rest is carried into the next wait, so the clock
/// advances by the summed durations to within one millisecond while <see cref="FlashStatistics.BusyTime"/> is exact.
/// </remarks>
public sealed partial class SimulatedFlash
{
    private readonly object _gate = new();
    private readonly FlashStore _store;
    private readonly FlashTiming _timing;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _tearRandom;
    private PendingOperation? _pending;
    private PowerCutPlan? _plan;
    private long _operationsSinceArmed;
    private bool _powered = true;
    private CancellationTokenSource _powerLoss = new();
    private FlashStatistics _stats = new();
    private TimeSpan _waitCarry;

    /// <summary>Creates an erased flash of <paramref name="geometry"/>.</summary>
    /// <exception cref="ArgumentException">The options hold an invalid unique ID or program size.</exception>
    public SimulatedFlash(FlashGeometry geometry, SimulatedFlashOptions? options = null)
        : this(geometry, options ?? new SimulatedFlashOptions(), store: null)
    {
    }

    internal SimulatedFlash(FlashGeometry geometry, SimulatedFlashOptions options, FlashStore? store)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.ProgramSize))
            throw new ArgumentException($"{options.ProgramSize} is not a program size.", nameof(options));
        if (!Enum.IsDefined(options.TimingProfile))
            throw new ArgumentException($"{options.TimingProfile} is not a timing profile.", nameof(options));
        Geometry = geometry;
        Options = options;
        _timing = FlashTiming.For(geometry.Family);
        _time = options.TimeProvider ?? throw new ArgumentException("The time provider is null.", nameof(options));
        _logger = options.Logger ?? NullLogger.Instance;
        _tearRandom = new Random(options.TearSeed);
        _store = store ?? new FlashStore(geometry, CreateUniqueId(options.UniqueId));
    }

    /// <summary>The flash layout.</summary>
    public FlashGeometry Geometry { get; }

    /// <summary>The settings the flash was created with.</summary>
    public SimulatedFlashOptions Options { get; }

    /// <summary>The datasheet figures the operations take.</summary>
    public FlashTiming Timing => _timing;

    /// <summary>
    /// The bytes one program access writes: the F4 parallelism (<see cref="SimulatedFlashOptions.ProgramSize"/>)
    /// or 8 on L4. Programs must be aligned to it and a whole number of it long.
    /// </summary>
    public int ProgramUnitSize => Geometry.Family == FlashFamily.Stm32L4 ? 8 : (int)Options.ProgramSize;

    /// <summary>The 96-bit unique device ID (a copy).</summary>
    public byte[] UniqueId => (byte[])_store.UniqueId.Clone();

    /// <summary>The option bytes in force.</summary>
    public FlashOptionBytes OptionBytes
    {
        get { lock (_gate) return _store.OptionBytes; }
    }

    /// <summary>Whether the device has power. False after a power cut until <see cref="PowerOn"/>.</summary>
    public bool IsPowered
    {
        get { lock (_gate) return _powered; }
    }

    /// <summary>Whether an asynchronous operation is in progress.</summary>
    public bool IsBusy
    {
        get { lock (_gate) return _pending is not null; }
    }

    /// <summary>
    /// The banks an operation in progress keeps busy: code fetch and reads from them stall until it ends, so device
    /// logic running from such a bank is frozen meanwhile. Empty when idle.
    /// </summary>
    public IReadOnlyList<int> BusyBanks
    {
        get { lock (_gate) return _pending?.Banks ?? []; }
    }

    /// <summary>What the flash did so far.</summary>
    public FlashStatistics Statistics
    {
        get { lock (_gate) return _stats; }
    }

    /// <summary>The sectors (pages) erased more often than the datasheet endurance, ascending.</summary>
    public IReadOnlyList<int> WornSectors
    {
        get
        {
            lock (_gate)
                return Enumerable.Range(0, _store.EraseCycles.Length)
                    .Where(i => _store.EraseCycles[i] > Geometry.EnduranceCycles).ToArray();
        }
    }

    /// <summary>Whether <paramref name="bank"/> is kept busy by the operation in progress.</summary>
    public bool IsBankBusy(int bank)
    {
        lock (_gate)
            return _pending?.Banks.Contains(bank) ?? false;
    }

    /// <summary>How many times sector (page) <paramref name="sectorIndex"/> was erased (interrupted erases included).</summary>
    public int GetEraseCycles(int sectorIndex)
    {
        lock (_gate)
        {
            CheckSectorIndex(sectorIndex);
            return _store.EraseCycles[sectorIndex];
        }
    }

    /// <summary>Zeroes the statistics (wear counters are flash state and stay).</summary>
    public void ResetStatistics()
    {
        lock (_gate)
            _stats = new FlashStatistics();
    }

    /// <summary>
    /// A copy of this flash (content, OTP, UID, option bytes, wear, ECC state) with the same options, powered,
    /// idle, with no power cut armed and fresh statistics: a second device in the same state.
    /// </summary>
    public SimulatedFlash Clone()
    {
        lock (_gate)
            return new SimulatedFlash(Geometry, Options, _store.Clone());
    }

    internal FlashStore SnapshotStore()
    {
        lock (_gate)
            return _store.Clone();
    }

    private static byte[] CreateUniqueId(IReadOnlyList<byte>? configured)
    {
        if (configured is null)
            return RandomNumberGenerator.GetBytes(FlashGeometry.UniqueIdSize);
        if (configured.Count != FlashGeometry.UniqueIdSize)
            throw new ArgumentException($"The unique ID is {configured.Count} bytes; it must be {FlashGeometry.UniqueIdSize} (96 bits).", nameof(configured));
        return configured.ToArray();
    }

    private void CheckSectorIndex(int sectorIndex)
    {
        if (sectorIndex < 0 || sectorIndex >= Geometry.Sectors.Count)
            throw new FlashProgrammingException(FlashError.AddressOutOfRange, 0,
                $"{Geometry.Name} has no {Geometry.SectorTerm} {sectorIndex} (it has {Geometry.Sectors.Count}, numbered from 0).");
    }

    private FlashProgrammingException Error(FlashError error, uint address, string message) => new(error, address, message);
}
