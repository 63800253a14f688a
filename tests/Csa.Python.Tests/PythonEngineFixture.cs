using Python.Runtime;

namespace Csa.Python.Tests;

/// <summary>
/// Starts the embedded CPython once per test process (pythonnet cannot initialise twice) and gives the GIL away, so
/// .NET threads (the SDK's I/O, progress and event callbacks into Python) run while no Python code does. Every test
/// takes the GIL with <see cref="Py.GIL"/> around its Python work.
/// </summary>
/// <remarks>
/// The engine is never shut down: on .NET 9 and later <c>PythonEngine.Shutdown</c> reaches for BinaryFormatter, which
/// is gone, and the process ends right after the tests anyway.
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
