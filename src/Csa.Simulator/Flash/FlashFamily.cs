namespace Csa.Simulator.Flash;

/// <summary>The microcontroller family whose flash controller rules the simulated flash follows.</summary>
public enum FlashFamily
{
    /// <summary>
    /// STM32F4 (RM0090): mixed-size sectors (16/64/128 KB), programming by byte, half-word, word or double word
    /// (the PSIZE parallelism), no ECC; programming an already programmed location ANDs the bits.
    /// </summary>
    Stm32F4,

    /// <summary>
    /// STM32L4 (RM0351): 2 KB pages in two banks, programming by 64-bit double word with 8 ECC bits; a double
    /// word that is not erased can only be programmed to all zeros (otherwise PROGERR).
    /// </summary>
    Stm32L4,
}
