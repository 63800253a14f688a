namespace Csa.Records;

/// <summary>
/// Who writes the records: the station (a production PC, a fixture) and the operator at it, and the run (one command,
/// one batch) the rows belong to. Every row carries all three.
/// </summary>
/// <param name="Station">The station's name (unique in a factory; the machine name by default).</param>
/// <param name="Operator">The operator's name or badge id (the logged-in user by default).</param>
public sealed record RecordOrigin(string Station, string Operator)
{
    /// <summary>The run the rows belong to; a new one per <see cref="RecordOrigin"/> unless given.</summary>
    public Guid RunId { get; init; } = Guid.NewGuid();

    /// <summary>The station and operator of this process: the given names, else the environment variables
    /// <c>CSA_STATION</c> / <c>CSA_OPERATOR</c>, else the machine name and the logged-in user.</summary>
    public static RecordOrigin ForThisProcess(string? station = null, string? @operator = null) => new(
        Pick(station, "CSA_STATION", Environment.MachineName),
        Pick(@operator, "CSA_OPERATOR", Environment.UserName));

    private static string Pick(string? given, string variable, string fallback)
    {
        string? value = !string.IsNullOrWhiteSpace(given) ? given : Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
    }
}
