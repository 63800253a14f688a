using System.Globalization;
using Csa.Fuzz;
using Csa.Fuzz.Engine;

// csa-fuzz: the fuzz targets of docs/security.md 11. See Usage below.
const string Usage = """
    csa-fuzz list                                   the targets
    csa-fuzz run TARGET|all [--inputs N] [--seed S] [--hang-ms MS] [--failures DIR] [--progress N]
                                                    in-process mutation run; exit 1 when an input breaks a contract
    csa-fuzz seeds DIR                              write every target's seed corpus to DIR/TARGET/ (AFL++ input)
    csa-fuzz afl TARGET                             the AFL++ entry point (SharpFuzz): afl-fuzz ... -- csa-fuzz afl TARGET
    csa-fuzz instrument DIR                         instrument the Csa assemblies in DIR (a copy of the build output) for AFL++
    csa-fuzz repro TARGET FILE                      run one input and print what happened
    """;

// Instrumented assemblies (csa-fuzz instrument) write coverage from their first call on: give them a map now.
CoverageMap.EnsureInstalled();

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

switch (args[0])
{
    case "list":
        foreach (FuzzTarget t in FuzzTargets.Create())
            Console.WriteLine($"{t.Name,-22} {t.Speed,-5} {t.Description}");
        return 0;

    case "run" when args.Length >= 2:
    {
        long inputs = 100_000;
        int seed = 1;
        TimeSpan? hang = TimeSpan.FromSeconds(1);
        string? failures = null;
        long progress = 0;
        for (int i = 2; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--inputs": inputs = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--hang-ms": hang = TimeSpan.FromMilliseconds(double.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                case "--failures": failures = args[++i]; break;
                case "--progress": progress = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}\n{Usage}"); return 2;
            }
        }
        IEnumerable<FuzzTarget> targets = args[1] == "all" ? FuzzTargets.Create() : [FuzzTargets.Find(args[1])];
        bool clean = true;
        foreach (FuzzTarget target in targets)
        {
            FuzzReport report = FuzzRunner.Run(target, new FuzzRunOptions
            {
                Inputs = inputs, Seed = seed, HangThreshold = hang, FailureFolder = failures, ProgressEvery = progress, Log = Console.WriteLine,
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Target}: {report.Inputs} inputs in {report.Elapsed.TotalSeconds:0.0} s ({report.Inputs / Math.Max(report.Elapsed.TotalSeconds, 1e-3):0}/s), corpus {report.CorpusSize}, outcomes {report.Outcomes}, edges {report.Edges}, slowest {report.Slowest.TotalMilliseconds:0.0} ms, hangs {report.Hangs} (stalls re-run fast: {report.Stalls}), failures {report.Failures.Count} ({report.DistinctFailures} distinct)"));
            foreach (FuzzFailure f in report.Failures.DistinctBy(f => f.Kind + f.Detail.Split('\n')[0]))
                Console.WriteLine($"  {f.Kind}: {f.Detail.Split('\n')[0]}  input {Convert.ToHexString(f.Input.AsSpan(0, Math.Min(64, f.Input.Length)))}");
            clean &= report.Failures.Count == 0;
            (target as IDisposable)?.Dispose();
        }
        return clean ? 0 : 1;
    }

    case "seeds" when args.Length == 2:
        foreach (FuzzTarget target in FuzzTargets.Create())
        {
            string folder = Path.Combine(args[1], target.Name);
            Directory.CreateDirectory(folder);
            int n = 0;
            foreach (byte[] s in target.Seeds())
                File.WriteAllBytes(Path.Combine(folder, $"seed-{n++:000}.bin"), s);
            Console.WriteLine($"{target.Name}: {n} seeds");
            (target as IDisposable)?.Dispose();
        }
        return 0;

    case "afl" when args.Length == 2:
    {
        FuzzTarget target = FuzzTargets.Find(args[1]);
        // Warm up outside AFL's view (lazy tables, reflection, JIT): AFL's dry run must see the parser's own branches.
        foreach (byte[] seed in target.Seeds().Take(1))
        {
            try
            {
                target.Run(seed);
            }
            catch (Exception)
            {
                // a crashing seed is AFL's to report
            }
        }
        SharpFuzz.Fuzzer.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            byte[] input = copy.ToArray();
            target.Run(input.AsSpan(0, Math.Min(input.Length, target.MaxInputLength)));
        });
        return 0;
    }

    case "instrument" when args.Length == 2:
        // The SDK's assemblies, not this harness (its loop would only add noise to the coverage map).
        foreach (string dll in Directory.GetFiles(args[1], "Csa.*.dll").Where(d => Path.GetFileName(d) != "Csa.Fuzz.dll").Order(StringComparer.Ordinal))
        {
            try
            {
                int types = SharpFuzz.Fuzzer.Instrument(dll, _ => true, SharpFuzz.Options.Value).Count();
                Console.WriteLine($"{Path.GetFileName(dll)}: {types} types instrumented");
            }
            catch (SharpFuzz.InstrumentationException e)
            {
                Console.WriteLine($"{Path.GetFileName(dll)}: {e.Message}");
            }
        }
        return 0;

    case "repro" when args.Length == 3:
    {
        FuzzTarget target = FuzzTargets.Find(args[1]);
        byte[] input = File.ReadAllBytes(args[2]);
        try
        {
            Console.WriteLine($"outcome {target.Run(input)}");
            return 0;
        }
        catch (Exception e)
        {
            Console.WriteLine(e);
            return 1;
        }
    }

    default:
        Console.Error.WriteLine(Usage);
        return 2;
}
