namespace Csa.Fuzz.Engine;

/// <summary>How long one input takes: fast targets reach 10^7 inputs in the long run, slow ones (files, EC points) fewer.</summary>
internal enum TargetSpeed
{
    Fast,
    Slow,
}

/// <summary>
/// One parser that hostile input reaches, with its contract. <see cref="Run"/> hands the input to the parser and
/// returns an outcome code (which typed error, or accepted); it catches exactly the exception types the parser
/// documents and nothing else, so any other exception escaping it breaks the contract and is a finding (a crash).
/// Memory: <see cref="AllocationBudget"/> bounds the bytes one input may allocate.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The name on the command line and in reports: "frame", "image", ...</summary>
    public abstract string Name { get; }

    /// <summary>What is fuzzed, through which API, and what the contract is.</summary>
    public abstract string Description { get; }

    public virtual TargetSpeed Speed => TargetSpeed.Fast;

    /// <summary>Longer inputs are cut to this length.</summary>
    public virtual int MaxInputLength => 4096;

    /// <summary>Tokens the mutator may insert (keywords of a text format).</summary>
    public virtual IReadOnlyList<byte[]> Dictionary => [];

    /// <summary>Seed inputs made by the project's own writers (codecs, builders, key and file writers).</summary>
    public abstract IEnumerable<byte[]> Seeds();

    /// <summary>Runs the parser on one input; returns an outcome code (a typed error's value, or 0 for accepted).</summary>
    public abstract int Run(ReadOnlySpan<byte> input);

    /// <summary>The most one input of <paramref name="length"/> bytes may allocate: linear in the input, never driven by a length field.</summary>
    public virtual long AllocationBudget(int length) => 64 * 1024 + 64L * length;
}
