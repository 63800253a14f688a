using Python.Runtime;

namespace Csa.Python.Tests;

/// <summary>What one run of a script printed and how it ended.</summary>
/// <param name="ExitCode">The script's exit status (<c>sys.exit</c>'s code; 0 when it ended normally).</param>
/// <param name="Output">What it printed to stdout.</param>
/// <param name="Error">What it printed to stderr, including the traceback of an exception it did not catch.</param>
internal sealed record ScriptRun(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
}

/// <summary>
/// Runs a Python script file in the embedded interpreter as <c>python3 script.py args...</c> would: as
/// <c>__main__</c>, with its <c>sys.argv</c>, stdout and stderr captured, <c>SystemExit</c> turned into an exit code.
/// </summary>
internal static class PythonScript
{
    /// <summary>Only a hang guard (a deadlock between the GIL and .NET threads would otherwise hang the run).</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(90);

    private const string Runner = """
        import io, runpy, sys, traceback

        def run_script(path, args):
            out, err = io.StringIO(), io.StringIO()
            saved = sys.argv, sys.stdout, sys.stderr
            sys.argv, sys.stdout, sys.stderr = [path] + [str(a) for a in args], out, err
            code = 0
            try:
                runpy.run_path(path, run_name="__main__")
            except SystemExit as exit:
                if exit.code is None:
                    code = 0
                elif isinstance(exit.code, int):
                    code = exit.code
                else:
                    print(exit.code, file=err)
                    code = 1
            except BaseException:
                traceback.print_exc(file=err)
                code = 1
            finally:
                sys.argv, sys.stdout, sys.stderr = saved
            return code, out.getvalue(), err.getvalue()
        """;

    /// <summary>Runs <paramref name="scriptPath"/> with <paramref name="args"/> on a thread of its own, as an interpreter's main thread.</summary>
    public static Task<ScriptRun> RunAsync(string scriptPath, params string[] args) =>
        Task.Factory.StartNew(() => Run(scriptPath, args), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .WaitAsync(HangGuard);

    private static ScriptRun Run(string scriptPath, string[] args)
    {
        using (Py.GIL())
        {
            using PyModule scope = Py.CreateScope();
            scope.Exec(Runner);
            using var pyArgs = new PyList(args.Select(a => (PyObject)new PyString(a)).ToArray());
            using PyObject result = scope.Get("run_script").Invoke(new PyString(scriptPath), pyArgs);
            return new ScriptRun(result[0].As<int>(), result[1].As<string>(), result[2].As<string>());
        }
    }
}
