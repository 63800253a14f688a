namespace Csa.DataLink.Bus.Emulation;

/// <summary>What goes wrong with one transaction on an emulated bus.</summary>
public enum EmulatedBusFaultKind
{
    /// <summary>The slave does not acknowledge its I2C address (busy, glitch); on SPI it does not drive MISO. Nothing is transferred.</summary>
    Nak,

    /// <summary>A bit of a byte travelling to the master is inverted (noise on SDA / MISO).</summary>
    CorruptToMaster,

    /// <summary>A bit of a byte travelling to the slave is inverted (noise on SDA / MOSI).</summary>
    CorruptToSlave,

    /// <summary>
    /// The transaction stops after <see cref="EmulatedBusFault.ByteIndex"/> bytes (a bus error, arbitration lost, a chip
    /// select glitch): the slave has seen only those bytes. On I2C the master's driver reports an I/O error; on SPI the
    /// master reads the idle line for the rest.
    /// </summary>
    Tear,

    /// <summary>
    /// <see cref="Tear"/> for a transaction that carries the master's bytes to the slave only: an I2C write (a poll's
    /// read leaves it waiting), or any SPI transfer (every one clocks MOSI). A test that tears a write the link is about
    /// to send uses it, so a poll that happens to run first cannot take the fault instead.
    /// </summary>
    TearToSlave,
}

/// <summary>A fault for the next transaction to one slave that it applies to (see <see cref="EmulatedBusFaultKind"/>).</summary>
/// <param name="Kind">What goes wrong.</param>
/// <param name="ByteIndex">Which byte of the transaction (0 = the first after the I2C address byte / the first SPI byte); for <see cref="EmulatedBusFaultKind.Tear"/> and <see cref="EmulatedBusFaultKind.TearToSlave"/>, how many bytes get through.</param>
/// <param name="Mask">The bits inverted by a corruption.</param>
public sealed record EmulatedBusFault(EmulatedBusFaultKind Kind, int ByteIndex = 0, byte Mask = 0x01);
