namespace Csa.Simulator.Flash;

/// <summary>What a flash operation did wrong; each value names the status flag the real controller sets.</summary>
public enum FlashError
{
    /// <summary>The operation was issued out of sequence (PGSERR), e.g. with an empty buffer.</summary>
    ProgrammingSequence,

    /// <summary>
    /// The address is not aligned to the program unit (L4 PGAERR; on F4 the core splits such an access into smaller
    /// ones, which the controller flags as PGPERR, or PGAERR when they cross a 128-bit row).
    /// </summary>
    Alignment,

    /// <summary>
    /// The data length is not a whole number of program units: the access size does not match the
    /// parallelism (F4 PGPERR) or is not a double word (L4 SIZERR).
    /// </summary>
    ProgramSize,

    /// <summary>
    /// The target is not erased and the write is not allowed over it: on STM32L4 a double word that is not
    /// 0xFF..FF may only be programmed to all zeros (PROGERR); on STM32F4 only when a strict
    /// <see cref="ProgramOverwritePolicy"/> is selected (the silicon itself silently ANDs).
    /// </summary>
    ProgramOverNonErased,

    /// <summary>The sector or page is write protected by the option bytes (WRPERR).</summary>
    WriteProtected,

    /// <summary>The address or sector index lies outside the flash, or the range crosses into another area.</summary>
    AddressOutOfRange,

    /// <summary>The area is read-only system memory (unique device ID, flash size register).</summary>
    ReadOnlyArea,

    /// <summary>The one-time-programmable block is locked (its lock byte is 0x00) and cannot be programmed.</summary>
    OtpLocked,

    /// <summary>
    /// A read hit a double word whose ECC is inconsistent (L4 ECCD, double error): a program or erase of it was
    /// interrupted.
    /// </summary>
    EccDoubleError,

    /// <summary>The read-out protection level forbids the access (a debugger read at RDP level 1 or 2).</summary>
    ReadProtected,

    /// <summary>The option bytes cannot be changed any more (RDP level 2 is permanent).</summary>
    OptionBytesLocked,

    /// <summary>The requested option bytes are not representable on this chip (e.g. more WRP areas than exist).</summary>
    InvalidOptionBytes,

    /// <summary>
    /// A synchronous operation was issued while an asynchronous one is in progress (BSY). The chip would stall the
    /// bus until BSY clears, which the asynchronous calls do (they wait); a synchronous caller cannot, so it gets this.
    /// </summary>
    Busy,

    /// <summary>
    /// The sector or page has reached its erase endurance and the flash was configured to fail such erases
    /// (<see cref="SimulatedFlashOptions.FailBeyondEndurance"/>).
    /// </summary>
    EnduranceExceeded,
}
