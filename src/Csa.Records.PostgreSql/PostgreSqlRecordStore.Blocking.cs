namespace Csa.Records.PostgreSql;

// The blocking forms, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class PostgreSqlRecordStore
{
    /// <summary>Blocking form of <see cref="CheckAsync"/> (for scripts and Python).</summary>
    public void Check() => CheckAsync().GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="InitializeAsync"/> (for scripts and Python): the schema versions applied.</summary>
    public IReadOnlyList<int> Initialize() => InitializeAsync().GetAwaiter().GetResult();
}
