using Csa.Cli;

// Ctrl+C and SIGTERM cancel the running command, which leaves devices in the defined states of docs/updates.md
// and exits 130; a second Ctrl+C kills the process the usual way.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cancellation.IsCancellationRequested)
        return;
    e.Cancel = true;
    cancellation.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; cancellation.Cancel(); });

// The whole tool lives in CsaApp so tests run it in-process with captured output.
return await CsaApp.RunAsync(args, CliConsole.FromProcess(), cancellation.Token).ConfigureAwait(false);
