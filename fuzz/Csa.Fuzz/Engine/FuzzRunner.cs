using System.Diagnostics;

namespace Csa.Fuzz.Engine;

/// <summary>An input that broke the contract: an undocumented exception, or more memory than the budget.</summary>
/// <param name="Kind">"crash" (an exception escaped) or "memory" (the allocation budget was exceeded).</param>
/// <param name="Detail">The exception type and message, or the bytes allocated against the budget.</param>
/// <param name="Input">The input, to reproduce it (<c>csa-fuzz repro</c>).</param>
internal sealed record FuzzFailure(string Kind, string Detail, byte[] Input);

/// <summary>What a run did.</summary>
internal sealed record FuzzReport(string Target, long Inputs, IReadOnlyList<FuzzFailure> Failures, int CorpusSize, int Outcomes, int Edges,
    long Hangs, TimeSpan Slowest, TimeSpan Elapsed)
{
    /// <summary>Inputs that were slow once but fast when re-run (the machine, not the parser).</summary>
    public long Stalls { get; init; }

    /// <summary>Distinct failures (by kind and detail's first line): the same bug found many times counts once.</summary>
    public int DistinctFailures => Failures.Select(f => f.Kind + f.Detail.Split('\n')[0]).Distinct().Count();
}

/// <summary>Options of one in-process run.</summary>
internal sealed record FuzzRunOptions
{
    public long Inputs { get; init; } = 10_000;

    public int Seed { get; init; } = 1;

    /// <summary>An input slower than this counts as a hang (long runs only; null in CI, which asserts no wall-clock limit).</summary>
    public TimeSpan? HangThreshold { get; init; }

    /// <summary>Keep at most this many failures (all are counted in the report's inputs).</summary>
    public int MaxFailures { get; init; } = 20;

    /// <summary>Corpus cap: past it, new inputs replace random entries (seeds are kept).</summary>
    public int MaxCorpus { get; init; } = 4096;

    /// <summary>Where failing inputs are written (null: kept in memory only).</summary>
    public string? FailureFolder { get; init; }

    /// <summary>Progress every this many inputs (0: none).</summary>
    public long ProgressEvery { get; init; }

    public Action<string>? Log { get; init; }
}

/// <summary>
/// The in-process engine: mutates the corpus (seeds first), runs the target on each input on this thread, checks the
/// contract (no undocumented exception, allocation within budget), and keeps inputs that reached a new outcome code or
/// new edge coverage. Deterministic for a given seed when the target is.
/// </summary>
internal static class FuzzRunner
{
    private static TimeSpan Fastest(FuzzTarget target, byte[] input, int runs)
    {
        TimeSpan best = TimeSpan.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                target.Run(input);
            }
            catch (Exception)
            {
                // already recorded by the first run
            }
            TimeSpan took = Stopwatch.GetElapsedTime(started);
            if (took < best)
                best = took;
        }
        return best;
    }

    public static FuzzReport Run(FuzzTarget target, FuzzRunOptions options)
    {
        var random = new Random(options.Seed);
        var mutator = new Mutator(random, target.Dictionary);
        List<byte[]> seeds = [.. target.Seeds().Select(s => s.Length > target.MaxInputLength ? s[..target.MaxInputLength] : s)];
        if (seeds.Count == 0)
            seeds.Add([]);
        var corpus = new List<byte[]>(seeds);
        var outcomes = new HashSet<int>();
        var failures = new List<FuzzFailure>();
        using var coverage = new CoverageMap();
        long hangs = 0;
        long stalls = 0;
        TimeSpan slowest = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        long inputs = 0;

        // Every seed runs once as it is, then mutants.
        for (long i = 0; i < options.Inputs; i++)
        {
            byte[] input = i < seeds.Count ? seeds[(int)i] : mutator.Mutate(corpus[random.Next(corpus.Count)], corpus, target.MaxInputLength);
            coverage.Reset();
            long before = GC.GetAllocatedBytesForCurrentThread();
            long started = Stopwatch.GetTimestamp();
            int outcome;
            try
            {
                outcome = target.Run(input);
            }
            catch (Exception e)
            {
                Record(new FuzzFailure("crash", $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}", input));
                outcome = int.MinValue + e.GetType().GetHashCode() % 1000;
            }
            TimeSpan took = Stopwatch.GetElapsedTime(started);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            inputs++;
            if (took > slowest)
                slowest = took;
            if (options.HangThreshold is { } hang && took > hang)
            {
                // A shared machine stalls a low-priority process now and then: only an input that is slow every time is a hang.
                TimeSpan again = Fastest(target, input, 3);
                if (again > hang)
                {
                    hangs++;
                    Record(new FuzzFailure("hang", $"{again.TotalMilliseconds:0} ms at best of 3 re-runs (threshold {hang.TotalMilliseconds:0} ms)", input));
                }
                else
                {
                    stalls++;
                }
            }
            long budget = target.AllocationBudget(input.Length);
            if (allocated > budget)
                Record(new FuzzFailure("memory", $"{allocated} bytes allocated for a {input.Length}-byte input; the budget is {budget}", input));

            bool fresh = outcomes.Add(outcome) | coverage.Merge();
            if (fresh && i >= seeds.Count)
            {
                if (corpus.Count < options.MaxCorpus)
                    corpus.Add(input);
                else
                    corpus[seeds.Count + random.Next(corpus.Count - seeds.Count)] = input;
            }
            if (options.ProgressEvery > 0 && inputs % options.ProgressEvery == 0)
                options.Log?.Invoke($"{target.Name}: {inputs} inputs, corpus {corpus.Count}, outcomes {outcomes.Count}, edges {coverage.Edges}, failures {failures.Count}, {inputs / Math.Max(total.Elapsed.TotalSeconds, 1e-3):0}/s");
        }
        return new FuzzReport(target.Name, inputs, failures, corpus.Count, outcomes.Count, coverage.Edges, hangs, slowest, total.Elapsed) { Stalls = stalls };

        void Record(FuzzFailure failure)
        {
            if (failures.Count >= options.MaxFailures)
                return;
            failures.Add(failure);
            if (options.FailureFolder is { } folder)
            {
                Directory.CreateDirectory(folder);
                string name = $"{target.Name}-{failure.Kind}-{failures.Count:000}";
                File.WriteAllBytes(Path.Combine(folder, name + ".bin"), failure.Input);
                File.WriteAllText(Path.Combine(folder, name + ".txt"), failure.Detail);
            }
        }
    }
}
