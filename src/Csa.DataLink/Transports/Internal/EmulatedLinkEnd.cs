using System.IO.Pipelines;

namespace Csa.DataLink.Transports.Internal;

/// <summary>One end of an <see cref="EmulatedLink"/>: it writes into one direction and reads from the other.</summary>
internal sealed class EmulatedLinkEnd(EmulatedLink link, string name, EmulatedChannel outgoing, EmulatedChannel incoming) : ILinkTransport
{
    public string Name { get; } = name;

    public PipeReader Input { get; } = incoming.ReceiverInput;

    public PipeWriter Output { get; } = outgoing.SenderOutput;

    /// <summary>Disposing either end breaks the whole link, as unplugging one side of a cable would.</summary>
    public async ValueTask DisposeAsync()
    {
        link.BeginShutdown($"{Name} was disposed", null);
        await link.Completion.ConfigureAwait(false);
    }

    public override string ToString() => Name;
}
