using Csa.Bootloader.Provisioning;

namespace Csa.Records;

/// <summary>Settings of a <see cref="StationRecorder"/>.</summary>
public sealed record StationRecorderOptions
{
    /// <summary>
    /// Where rows go while the store is unreachable (a SQLite file on the station: <c>SqliteRecordStore</c>), forwarded
    /// when it is back. Null: no journal, so a lost connection fails the write (and the station does not certify).
    /// </summary>
    public IRecordJournal? Journal { get; init; }

    /// <summary>
    /// How long a claim waits for an unreachable store before the device is refused: a claim is never journaled,
    /// because only the shared database can say that no other station bound the unique id or key. Default 1 minute.
    /// </summary>
    public TimeSpan ClaimWait { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The clock (record times, waiting).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// A station's records (docs/records.md section 4): the <see cref="IProvisioningRecorder"/> a
/// <see cref="ProvisioningStation"/> asks, and the install rows of <c>csa install</c> / <c>csa update</c>. Claims go to
/// the store (waiting up to <see cref="StationRecorderOptions.ClaimWait"/> while it is unreachable); every other row goes
/// to the store, or, when the store is unreachable, to the local journal, durably, and is forwarded when the store
/// answers again (at the next write, at <see cref="ForwardAsync"/>, and when the recorder is disposed). A row that can be
/// stored in neither throws, so the station does not send the certificate it belongs to. Thread-safe.
/// </summary>
public sealed partial class StationRecorder : IProvisioningRecorder, IAsyncDisposable
{
    private readonly SemaphoreSlim _forwarding = new(1, 1);
    private int _journaled;
    private int _forwarded;
    private int _disposed;

    /// <summary>Creates the recorder.</summary>
    /// <param name="store">The records store (the factory database, or the station's SQLite file).</param>
    /// <param name="origin">Station, operator and run of every row.</param>
    /// <param name="options">Journal and waiting.</param>
    public StationRecorder(IRecordStore store, RecordOrigin origin, StationRecorderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(origin);
        Store = store;
        Origin = origin;
        Options = options ?? new StationRecorderOptions();
    }

    /// <summary>The store.</summary>
    public IRecordStore Store { get; }

    /// <summary>Station, operator, run.</summary>
    public RecordOrigin Origin { get; }

    /// <summary>The settings.</summary>
    public StationRecorderOptions Options { get; }

    /// <summary>Rows this recorder put into the journal because the store was unreachable.</summary>
    public int Journaled => Volatile.Read(ref _journaled);

    /// <summary>Journal rows this recorder forwarded to the store (its own and earlier runs').</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    private DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    /// <inheritdoc />
    public async Task<uint> ClaimAsync(IdentityClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        await TryForwardAsync(cancellationToken).ConfigureAwait(false);
        long started = Options.TimeProvider.GetTimestamp();
        TimeSpan pause = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                // The same claim id on every attempt: an attempt whose answer was lost after the commit is found again.
                return await Store.ClaimAsync(claim, Origin, Now, cancellationToken).ConfigureAwait(false);
            }
            catch (IdentityConflictException e)
            {
                throw new ProvisioningException(claim.Uid, ProvisioningFailure.NotAuthorized, $"Refused by the records database: {e.Message}.", e);
            }
            catch (RecordsException e) when (e.Error == RecordsError.Unavailable)
            {
                TimeSpan waited = Options.TimeProvider.GetElapsedTime(started);
                if (waited >= Options.ClaimWait)
                    throw new RecordsException(RecordsError.Unavailable,
                        $"the records database stayed unreachable for {waited.TotalSeconds:0} s, so no station could vouch that unique id {claim.Uid} and its key are not bound elsewhere: {e.Message}", e);
                await Task.Delay(pause, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <inheritdoc />
    public Task RecordIssuedAsync(IdentityClaim claim, DeviceCertificate certificate, CancellationToken cancellationToken) =>
        WriteAsync(new JournalItem(ProvisioningEntry.Issued(claim, certificate, Origin, Now), null, null), cancellationToken);

    /// <inheritdoc />
    public Task RecordResultAsync(ProvisioningResult result, CancellationToken cancellationToken) =>
        WriteAsync(new JournalItem(ProvisioningEntry.FromResult(result, Origin, Now), null, null), cancellationToken);

    /// <inheritdoc />
    public Task ReleaseAsync(IdentityClaim claim, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return WriteAsync(new JournalItem(null, null, new ClaimVoidEntry
        {
            RecordId = Guid.NewGuid(),
            ClaimId = claim.ClaimId,
            Uid = claim.Uid.ToString(),
            Reason = reason,
            Station = Origin.Station,
            Operator = Origin.Operator,
            RunId = Origin.RunId,
            VoidedAt = RecordTime.Truncate(Now),
        }), cancellationToken);
    }

    /// <summary>Stores one install or update row (to the store, else the journal).</summary>
    /// <exception cref="RecordsException">Neither the store nor the journal could store it.</exception>
    public Task RecordInstallAsync(InstallEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return WriteAsync(new JournalItem(null, entry, null), cancellationToken);
    }

    private async Task WriteAsync(JournalItem item, CancellationToken cancellationToken)
    {
        await TryForwardAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (RecordsException e) when (e.Error == RecordsError.Unavailable && Options.Journal is { } journal)
        {
            try
            {
                await journal.JournalAsync(item, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception j) when (j is not OutOfMemoryException)
            {
                throw new RecordsException(RecordsError.WriteFailed,
                    $"the record could be stored neither in {Store.Location} ({e.Message}) nor in the journal {journal.Location} ({j.Message})", j);
            }
            Interlocked.Increment(ref _journaled);
        }
    }

    private Task SendAsync(JournalItem item, CancellationToken cancellationToken) => item switch
    {
        { Provisioning: { } p } => Store.AppendAsync(p, cancellationToken),
        { Install: { } i } => Store.AppendAsync(i, cancellationToken),
        { Void: { } v } => Store.VoidClaimAsync(v, cancellationToken),
        _ => throw new ArgumentException("A journal item holds one row.", nameof(item)),
    };

    /// <summary>
    /// Forwards every journal row not forwarded yet, oldest first, and marks each after the store has it (a row sent
    /// twice, after a crash between the two, is stored once: rows are keyed by their id). Stops at the first
    /// unreachable moment; returns how many were forwarded.
    /// </summary>
    /// <exception cref="RecordsException">The store refused a row for another reason than being unreachable.</exception>
    public async Task<int> ForwardAsync(CancellationToken cancellationToken = default)
    {
        if (Options.Journal is not { } journal)
            return 0;
        await _forwarding.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int count = 0;
            foreach (JournalItem item in await journal.ReadPendingAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await SendAsync(item, cancellationToken).ConfigureAwait(false);
                }
                catch (RecordsException e) when (e.Error == RecordsError.Unavailable)
                {
                    break;
                }
                await journal.MarkForwardedAsync(item.RecordId, Now, CancellationToken.None).ConfigureAwait(false);
                count++;
                Interlocked.Increment(ref _forwarded);
            }
            return count;
        }
        finally
        {
            _forwarding.Release();
        }
    }

    /// <summary>How many journal rows wait to be forwarded (0 without a journal).</summary>
    public async Task<int> PendingAsync(CancellationToken cancellationToken = default) =>
        Options.Journal is { } journal ? (await journal.ReadPendingAsync(cancellationToken).ConfigureAwait(false)).Count : 0;

    private async Task TryForwardAsync(CancellationToken cancellationToken)
    {
        if (Options.Journal is null)
            return;
        try
        {
            await ForwardAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RecordsException)
        {
            // Forwarding is retried at every write; a row the store refuses stays in the journal for `csa records forward`.
        }
    }

    /// <summary>Forwards what it can (the store may be back), then lets go of nothing else: the store and journal belong to the caller.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await TryForwardAsync(CancellationToken.None).ConfigureAwait(false);
        _forwarding.Dispose();
    }
}
