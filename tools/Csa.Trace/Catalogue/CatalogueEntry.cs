namespace Csa.Trace.Catalogue;

/// <summary>What an id names: something the product must do, or something it must withstand.</summary>
internal enum EntryKind
{
    Requirement,
    Threat,
}

/// <summary>One row of docs/requirements.md.</summary>
/// <param name="Id">REQ-…, THREAT.… or TUF.…</param>
/// <param name="Kind">Which table the row is in.</param>
/// <param name="Text">What the requirement or threat is.</param>
/// <param name="Source">Where a threat's name comes from (RFC 9124, TUF); empty for requirements.</param>
/// <param name="MetBy">The "how it is met (docs)" cell, Markdown as written.</param>
internal sealed record CatalogueEntry(string Id, EntryKind Kind, string Text, string Source, string MetBy);
