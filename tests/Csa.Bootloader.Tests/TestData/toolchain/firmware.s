    .syntax unified
    .cpu cortex-m4
    .thumb

    .section .isr_vector, "a"
    .word _estack
    .word Reset_Handler
    .word Default_Handler
    .word Default_Handler

    .text
    .thumb_func
    .global Reset_Handler
Reset_Handler:
    ldr r0, =_sdata
    ldr r1, =_edata
    ldr r2, =_sidata
1:  cmp r0, r1
    ittt lo
    ldrlo r3, [r2], #4
    strlo r3, [r0], #4
    blo 1b
    b .
    .thumb_func
Default_Handler:
    b .

    .data
counter:
    .word 0x12345678
greeting:
    .asciz "csa"

    .bss
scratch:
    .space 64
