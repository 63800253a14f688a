/* USART with the L4 register layout (RM0351 section 40): 8N1, receive interrupt into a ring in SRAM, polled
 * transmission. Same design and sizing rule as port/stm32f4/src/f4_usart.c; here the error flags are cleared through
 * ICR, and an overrun must be cleared (ORECF) or its interrupt repeats forever. */
#include "csa/csa_stm32l4.h"
#include "csa/stm32l4.h"

#ifndef CSA_BOARD_RX_RING
#define CSA_BOARD_RX_RING 2048u
#endif
#if (CSA_BOARD_RX_RING & (CSA_BOARD_RX_RING - 1u)) != 0
#error "CSA_BOARD_RX_RING must be a power of two"
#endif

static uint32_t usart_base;
static volatile uint8_t ring[CSA_BOARD_RX_RING];
static volatile uint32_t head, tail;
static volatile uint32_t received, ring_overflows, overruns, framing_errors;

CSA_RAMFUNC void csa_l4_usart_irq(void)
{
    uint32_t base = usart_base;
    uint32_t isr;
    while ((isr = L4_USART_ISR(base)) & (L4_USART_ISR_RXNE | L4_USART_ISR_ORE | L4_USART_ISR_FE | L4_USART_ISR_NF)) {
        if (isr & L4_USART_ISR_ORE) {
            overruns++;
            L4_USART_ICR(base) = L4_USART_ICR_ORECF;
        }
        if (isr & (L4_USART_ISR_FE | L4_USART_ISR_NF)) {
            framing_errors++;
            L4_USART_ICR(base) = L4_USART_ICR_FECF | L4_USART_ICR_NCF;
        }
        if (isr & L4_USART_ISR_RXNE) {
            uint8_t byte = (uint8_t)L4_USART_RDR(base); /* reading RDR clears RXNE */
            if (head - tail >= CSA_BOARD_RX_RING) {
                ring_overflows++;
            } else {
                ring[head % CSA_BOARD_RX_RING] = byte;
                head++;
                received++;
            }
        }
    }
}

void csa_l4_usart_open(uint32_t base, unsigned irq, uint32_t pclk_hz, uint32_t baud)
{
    usart_base = base;
    head = tail = 0;
    L4_USART_CR1(base) = 0;
    L4_USART_CR2(base) = 0;
    L4_USART_CR3(base) = 0;
    L4_USART_BRR(base) = (pclk_hz + baud / 2u) / baud; /* oversampling by 16: USARTDIV = fck / baud */
    L4_USART_CR1(base) = L4_USART_CR1_UE | L4_USART_CR1_TE | L4_USART_CR1_RE | L4_USART_CR1_RXNEIE;
    csa_nvic_enable(irq, 0x40u);
}

CSA_LINK_RAMFUNC size_t csa_l4_usart_read(uint8_t *dst, size_t max)
{
    size_t n = 0;
    uint32_t h = head;
    while (tail != h && n < max) {
        dst[n++] = ring[tail % CSA_BOARD_RX_RING];
        tail++;
    }
    return n;
}

CSA_LINK_RAMFUNC void csa_l4_usart_write(const uint8_t *data, size_t n)
{
    while (n--) {
        while (!(L4_USART_ISR(usart_base) & L4_USART_ISR_TXE)) {
        }
        L4_USART_TDR(usart_base) = *data++;
    }
}

void csa_l4_usart_drain(void)
{
    while (!(L4_USART_ISR(usart_base) & L4_USART_ISR_TC)) {
    }
}

void csa_l4_usart_counters(csa_board_link_counters *out)
{
    out->received = received;
    out->ring_overflows = ring_overflows;
    out->overruns = overruns;
    out->framing_errors = framing_errors;
}
