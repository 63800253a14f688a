using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Csa.Cli.Simulation;

/// <summary>
/// The power switch of <c>csa sim</c>: SIGUSR1 or the 'p' key cuts the power of every device at once (flash operations in
/// progress are torn, as on a board whose supply fails) and switches it back on after a pause. While a cut is
/// under way at most one more request is kept; further ones are dropped (a burst of signals is one more cut, not many).
/// </summary>
internal sealed class PowerSwitch : IDisposable
{
    /// <summary>SIGUSR1 on Linux (PosixSignal takes raw signal numbers for signals it has no name for).</summary>
    private const int SigUsr1 = 10;

    private readonly Channel<string> _requests = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly PosixSignalRegistration? _signal;

    public PowerSwitch(bool listenToKeys)
    {
        if (OperatingSystem.IsLinux())
        {
            _signal = PosixSignalRegistration.Create((PosixSignal)SigUsr1, context =>
            {
                context.Cancel = true;
                _requests.Writer.TryWrite("SIGUSR1");
            });
        }
        if (listenToKeys)
        {
            // Console.ReadKey blocks; a background thread lets the process end while it waits.
            var keys = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        if (char.ToLowerInvariant(Console.ReadKey(intercept: true).KeyChar) == 'p')
                            _requests.Writer.TryWrite("key 'p'");
                    }
                }
                catch (InvalidOperationException)
                {
                    // Standard input is not a terminal after all.
                }
            }) { IsBackground = true, Name = "csa sim keys" };
            keys.Start();
        }
    }

    /// <summary>Why the power was cut, one item per request.</summary>
    public ChannelReader<string> Requests => _requests.Reader;

    public void Dispose() => _signal?.Dispose();
}
