namespace Csa.Cli.Profiles;

/// <summary>
/// A named connection (mcumgr's <c>conn add</c>): the links of a bench or station, and the bit rate and timeouts to use
/// on them, typed once and named with <c>--profile NAME</c> (or <c>CSA_PROFILE</c>, or as the default).
/// </summary>
/// <param name="Links">The link URIs (one per link, as <c>--link</c>).</param>
/// <param name="Baud">The bit rate for its <c>serial:</c> links that do not name one.</param>
/// <param name="Timeout">How long one command waits for its answer (as <c>--timeout</c>: <c>2s</c>).</param>
/// <param name="ConnectTimeout">How long opening a link may take (as <c>--connect-timeout</c>).</param>
/// <param name="Retries">How many times an unanswered command is sent again (as <c>--retries</c>).</param>
internal sealed record ConnectionProfile(IReadOnlyList<string> Links, int? Baud = null, string? Timeout = null, string? ConnectTimeout = null, int? Retries = null)
{
    /// <summary>
    /// The links with <see cref="Baud"/> added to every <c>serial:</c> link that has no <c>baud</c> parameter of its own.
    /// </summary>
    public IReadOnlyList<string> ResolvedLinks => Links.Select(WithBaud).ToArray();

    private string WithBaud(string link)
    {
        if (Baud is not { } baud || !link.StartsWith("serial:", StringComparison.OrdinalIgnoreCase))
            return link;
        int question = link.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0 && link[(question + 1)..].Split('&').Any(p => p.StartsWith("baud=", StringComparison.OrdinalIgnoreCase)))
            return link;
        return link + (question < 0 ? "?" : "&") + $"baud={baud}";
    }
}
