using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Bus;

/// <summary>
/// Settings of a <see cref="BusLinkTransport"/>: how much one transaction carries and how often the master polls its
/// device. The polling interval adapts: back to back while bytes move, <see cref="BusyPollInterval"/> while the host
/// has written in the last <see cref="IdleAfter"/> (answers are due), then doubling per empty poll up to
/// <see cref="IdlePollInterval"/>. With a <see cref="Ready"/> line the timer gives way to the line.
/// </summary>
public sealed record BusLinkOptions
{
    /// <summary>The defaults.</summary>
    public static BusLinkOptions Default { get; } = new();

    /// <summary>The link's name; null derives one from the device (<c>i2c:/dev/i2c-1?address=0x42</c>).</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The most stream bytes one transaction carries in each direction, after the 6-byte header (the data area). 256 by
    /// default; 1..65535. Drivers have limits of their own (Linux spidev: 4096 bytes per transfer with its default
    /// <c>bufsiz</c>, so at most 4090 here; i2c-dev: 8192).
    /// </summary>
    public int MaxTransfer { get; init; } = 256;

    /// <summary>
    /// Data bytes a poll clocks beyond what the device is known to have queued, while answers are due (within
    /// <see cref="IdleAfter"/> of traffic): a poll that finds a short answer takes it at once instead of in a second
    /// transaction, at the cost of clocking filler when there is none. 0 by default (a poll reads the header only); 0..MaxTransfer.
    /// </summary>
    public int ReadAhead { get; init; }

    /// <summary>The polling interval while answers are due. 1 ms by default.</summary>
    public TimeSpan BusyPollInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest polling interval, reached when nothing has moved for a while: how late an event from an idle device can be read. 50 ms by default.</summary>
    public TimeSpan IdlePollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long after the last byte moved (either way) the link counts as busy. 200 ms by default.</summary>
    public TimeSpan IdleAfter { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// After this long without a valid answer (I2C address not acknowledged, SPI header not valid) the device counts as
    /// offline: what the host writes is discarded (as bytes sent to a board without power are lost on a UART) and it is
    /// polled at <see cref="IdlePollInterval"/> until it answers again. 1 s by default.
    /// </summary>
    public TimeSpan OfflineAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The device's ready line; null polls on the timer.</summary>
    public ReadyLine? Ready { get; init; }

    /// <summary>With a ready line: how often the device is read anyway while the line stays inactive (a missed edge, a restarted device). 1 s by default.</summary>
    public TimeSpan ReadyLineCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock of the polling schedule.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logs open, close, device offline / back and restarts; silent by default.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the parameter name is the property's.</exception>
    public void Validate()
    {
        if (MaxTransfer is < 1 or > BusFraming.MaxFieldValue)
            throw new ArgumentOutOfRangeException(nameof(MaxTransfer), MaxTransfer, $"A transaction carries 1..{BusFraming.MaxFieldValue} stream bytes.");
        if (ReadAhead < 0 || ReadAhead > MaxTransfer)
            throw new ArgumentOutOfRangeException(nameof(ReadAhead), ReadAhead, $"Read-ahead is 0..MaxTransfer ({MaxTransfer}).");
        Positive(BusyPollInterval, nameof(BusyPollInterval), allowZero: true);
        Positive(IdlePollInterval, nameof(IdlePollInterval), allowZero: false);
        if (IdlePollInterval < BusyPollInterval)
            throw new ArgumentOutOfRangeException(nameof(IdlePollInterval), IdlePollInterval, "The idle interval is at least the busy interval.");
        Positive(IdleAfter, nameof(IdleAfter), allowZero: true);
        Positive(OfflineAfter, nameof(OfflineAfter), allowZero: false);
        Positive(ReadyLineCheckInterval, nameof(ReadyLineCheckInterval), allowZero: false);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    private static void Positive(TimeSpan value, string name, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > TimeSpan.FromHours(1))
            throw new ArgumentOutOfRangeException(name, value, allowZero ? "Expected 0 .. 1 h." : "Expected more than 0, at most 1 h.");
    }
}
