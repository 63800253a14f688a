namespace Csa.Cli.Tests;

/// <summary>
/// The fixture of tests that run several commands against one persisted in-process simulation (<c>sim:?state=DIR</c>):
/// a scratch directory, the state inside it, and the development signing key the first command makes there.
/// </summary>
public abstract class PersistedBenchTests : IDisposable
{
    protected PersistedBenchTests()
    {
        Scratch = DeviceTestKit.NewDirectory();
    }

    /// <summary>The scratch directory (removed afterwards).</summary>
    protected string Scratch { get; }

    /// <summary>Where the simulated devices' flash and keys persist.</summary>
    protected string State => Path.Combine(Scratch, "state");

    /// <summary>The signing key the simulated devices trust (exists after <see cref="CreateAsync"/>).</summary>
    protected string KeyFile => Path.Combine(State, "signing-key.pem");

    /// <summary>Creates the state (keys, flash files) with a first command and returns the link to it.</summary>
    protected async Task<string> CreateAsync(int devices)
    {
        string link = DeviceTestKit.Sim(devices, state: State);
        CliRun run = await CliRunner.RunAsync("devices", "--link", link);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.True(File.Exists(KeyFile));
        return link;
    }

    public void Dispose()
    {
        Directory.Delete(Scratch, recursive: true);
        GC.SuppressFinalize(this);
    }
}
