using Python.Runtime;

namespace Csa.Python.Tests;

/// <summary>
/// Starts the embedded CPython once per test process (the interpreter is process-wide) and gives the GIL away, so
/// .NET threads (the SDK's I/O, progress and event callbacks into Python) run while no Python code does. Every test
/// takes the GIL with <see cref="Py.GIL"/> around its Python work.
/// </summary>
/// <remarks>
/// The engine is never shut down: it lives as long as the test process (pythonnet does not reliably start an engine
/// again in a process after a shutdown, and older pythonnet versions needed BinaryFormatter, gone from .NET 9, to shut
/// down at all).
/// </remarks>
public sealed class PythonEngineFixture
{
    private static readonly Lazy<string> s_engine = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts the engine (once) or rethrows why it could not be started.</summary>
    public PythonEngineFixture() => LibraryPath = s_engine.Value;

    /// <summary>The libpython the engine runs on.</summary>
    public string LibraryPath { get; }

    private static string Start()
    {
        string library = LibPythonLocator.Find();
        Runtime.PythonDLL = library;
        PythonEngine.Initialize();
        // Initialize leaves this thread holding the GIL; release it for good, so any thread can take it.
        PythonEngine.BeginAllowThreads();
        return library;
    }
}

/// <summary>The tests that share the one embedded interpreter; they run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class PythonCollection : ICollectionFixture<PythonEngineFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Python";
}
