namespace Csa.Records.Sqlite;

// The blocking forms, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class SqliteRecordStore
{
    /// <summary>Blocking form of <see cref="OpenAsync"/> (for scripts and Python).</summary>
    public static SqliteRecordStore Open(string path) => OpenAsync(path).GetAwaiter().GetResult();
}
