/* USART with the F4 register layout (RM0090 section 30; QEMU's stm32f2xx-usart models the same registers): 8N1,
 * bytes received by interrupt into a ring the main loop empties, transmission polled.
 *
 * The interrupt handler and the ring live in SRAM so bytes keep arriving while a flash erase stalls every fetch from
 * flash. The ring is sized by CSA_BOARD_RX_RING (a power of two): what arrives while the main loop is busy (an erase,
 * a signature check) must fit, i.e. at least the host's window of requests in flight (receive buffers x packet size,
 * framed); beyond it bytes are dropped and counted, and the host resends. */
#include "csa/csa_stm32f4.h"
#include "csa/stm32f4.h"

#ifndef CSA_BOARD_RX_RING
#define CSA_BOARD_RX_RING 2048u
#endif
#if (CSA_BOARD_RX_RING & (CSA_BOARD_RX_RING - 1u)) != 0
#error "CSA_BOARD_RX_RING must be a power of two"
#endif

static uint32_t usart_base;
static volatile uint8_t ring[CSA_BOARD_RX_RING];
static volatile uint32_t head, tail; /* head: written by the interrupt; tail: by the main loop */
static volatile uint32_t received, ring_overflows, overruns, framing_errors;

/* Reads SR then DR: that sequence also clears ORE, FE and NF (RM0090 30.6.1). */
CSA_RAMFUNC void csa_f4_usart_irq(void)
{
    uint32_t base = usart_base;
    uint32_t sr;
    while ((sr = F4_USART_SR(base)) & (F4_USART_SR_RXNE | F4_USART_SR_ORE)) {
        uint8_t byte = (uint8_t)F4_USART_DR(base);
        if (sr & F4_USART_SR_ORE)
            overruns++;
        if (sr & (F4_USART_SR_FE | F4_USART_SR_NF))
            framing_errors++;
        if (!(sr & F4_USART_SR_RXNE))
            continue; /* ORE alone: the DR read cleared it, there is no new byte */
        if (head - tail >= CSA_BOARD_RX_RING) {
            ring_overflows++;
            continue;
        }
        ring[head % CSA_BOARD_RX_RING] = byte;
        head++;
        received++;
    }
}

void csa_f4_usart_open(uint32_t base, unsigned irq, uint32_t pclk_hz, uint32_t baud)
{
    usart_base = base;
    head = tail = 0;
    F4_USART_CR1(base) = 0;
    F4_USART_CR2(base) = 0; /* 1 stop bit */
    F4_USART_CR3(base) = 0;
    F4_USART_BRR(base) = (pclk_hz + baud / 2u) / baud; /* oversampling by 16: mantissa and fraction in one value */
    F4_USART_CR1(base) = F4_USART_CR1_UE | F4_USART_CR1_TE | F4_USART_CR1_RE | F4_USART_CR1_RXNEIE;
    csa_nvic_enable(irq, 0x40u);
}

CSA_LINK_RAMFUNC size_t csa_f4_usart_read(uint8_t *dst, size_t max)
{
    size_t n = 0;
    uint32_t h = head; /* one read of the interrupt's index */
    while (tail != h && n < max) {
        dst[n++] = ring[tail % CSA_BOARD_RX_RING];
        tail++;
    }
    return n;
}

CSA_LINK_RAMFUNC void csa_f4_usart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (!(F4_USART_SR(usart_base) & F4_USART_SR_TXE)) {
        }
        F4_USART_DR(usart_base) = *data++;
    }
}

void csa_f4_usart_drain(void)
{
    while (!(F4_USART_SR(usart_base) & F4_USART_SR_TC)) {
    }
}

void csa_f4_usart_counters(csa_board_link_counters *out)
{
    out->received = received;
    out->ring_overflows = ring_overflows;
    out->overruns = overruns;
    out->framing_errors = framing_errors;
}
