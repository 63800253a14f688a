using System.IO.Pipelines;

namespace Csa.DataLink.Transports;

/// <summary>
/// One end of an in-memory link: two crossed pipes, so what one end writes the other reads. For tests, for a
/// simulator in the same process, and for anything that wants a link without a wire. Disposing an end completes
/// its pipes, which the other end sees as the link closing.
/// </summary>
public sealed class InMemoryTransport : ILinkTransport
{
    private InMemoryTransport(string name, PipeReader input, PipeWriter output)
    {
        Name = name;
        Input = input;
        Output = output;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public PipeReader Input { get; }

    /// <inheritdoc />
    public PipeWriter Output { get; }

    /// <summary>Creates two connected ends, named <c>memory://{name}/a</c> and <c>memory://{name}/b</c>.</summary>
    /// <param name="name">A label for logs and errors.</param>
    /// <param name="options">Pipe settings for both directions (back-pressure thresholds, schedulers); defaults if null.</param>
    public static (InMemoryTransport First, InMemoryTransport Second) CreatePair(string name = "link", PipeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= new PipeOptions(useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new InMemoryTransport($"memory://{name}/a", bToA.Reader, aToB.Writer),
                new InMemoryTransport($"memory://{name}/b", aToB.Reader, bToA.Writer));
    }

    /// <summary>Completes both pipes of this end; the other end reads end of stream.</summary>
    public async ValueTask DisposeAsync()
    {
        await Output.CompleteAsync().ConfigureAwait(false);
        await Input.CompleteAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
