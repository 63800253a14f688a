# Chip images for the Cortex-M4 boards (cross builds only; firmware/chips/CMakeLists.txt uses this).
#
#   csa_chip_image(<target> BOARD stm32f4|stm32l4|qemu REGION PRE_BOOTLOADER|BOOTLOADER_A|BOOTLOADER_B|APPLICATION
#                  FLASH_BUDGET <bytes> RAM_BUDGET <bytes> STACK <bytes> SOURCES ... [LIBS ...] [DEFINES ...]
#                  [PREBOOT_MARKER <major> <minor> <patch>])
#
# links <target>.elf at the region's address of the board's memory map (docs/device-model.md section 2) with a linker
# script generated from ld/image.ld.in whose FLASH and RAM are the budgets: a build that outgrows them does not link.
# <target>.bin is the raw image (gaps 0xFF), <target>.size what arm-none-eabi-size says.

set(CSA_PORT_DIR "${CMAKE_CURRENT_LIST_DIR}/../.." CACHE INTERNAL "")
get_filename_component(CSA_PORT_DIR "${CSA_PORT_DIR}" ABSOLUTE)

# The memory maps (docs/device-model.md 2.1 and 2.3): region address and size; SRAM for the images.
set(CSA_MAP_F4_1M_PRE_BOOTLOADER 0x08000000 16384)
set(CSA_MAP_F4_1M_BOOTLOADER_A 0x08020000 131072)
set(CSA_MAP_F4_1M_BOOTLOADER_B 0x08040000 131072)
set(CSA_MAP_F4_1M_APPLICATION 0x08060000 655360)
set(CSA_MAP_F4_1M_SRAM 0x20000000 131072)   # F405/F407: SRAM1 112 KB + SRAM2 16 KB, contiguous (CCM not used)
set(CSA_MAP_L4_1M_PRE_BOOTLOADER 0x08000000 16384)
set(CSA_MAP_L4_1M_BOOTLOADER_A 0x08008000 131072)
set(CSA_MAP_L4_1M_BOOTLOADER_B 0x080E0000 131072)
set(CSA_MAP_L4_1M_APPLICATION 0x08028000 753664)
set(CSA_MAP_L4_1M_SRAM 0x20000000 98304)    # L476: SRAM1 96 KB (SRAM2's 32 KB at 0x10000000 not used)

set(CSA_TRAILER_SIZE 4096)         # the last 4096 bytes of an image region hold the trailer (device-model.md 5.1)
set(CSA_PREBOOT_MARKER_SIZE 32)    # the pre-bootloader record, in the pre-bootloader region's last 32 bytes

set(CSA_BOARD_stm32f4_MAP F4_1M)
set(CSA_BOARD_stm32f4_SOURCES
  ${CSA_PORT_DIR}/stm32f4/src/f4_vectors.c ${CSA_PORT_DIR}/stm32f4/src/f4_board.c ${CSA_PORT_DIR}/stm32f4/src/f4_flash.c
  ${CSA_PORT_DIR}/stm32f4/src/f4_usart.c ${CSA_PORT_DIR}/stm32f4/src/f4_crc.c ${CSA_PORT_DIR}/stm32f4/src/f4_system.c)
set(CSA_BOARD_stm32f4_INCLUDES ${CSA_PORT_DIR}/stm32f4/include)
set(CSA_BOARD_stm32l4_MAP L4_1M)
set(CSA_BOARD_stm32l4_SOURCES
  ${CSA_PORT_DIR}/stm32l4/src/l4_vectors.c ${CSA_PORT_DIR}/stm32l4/src/l4_board.c ${CSA_PORT_DIR}/stm32l4/src/l4_flash.c
  ${CSA_PORT_DIR}/stm32l4/src/l4_usart.c ${CSA_PORT_DIR}/stm32l4/src/l4_crc.c ${CSA_PORT_DIR}/stm32l4/src/l4_system.c)
set(CSA_BOARD_stm32l4_INCLUDES ${CSA_PORT_DIR}/stm32l4/include)
set(CSA_BOARD_qemu_MAP F4_1M)
set(CSA_BOARD_qemu_SOURCES
  ${CSA_PORT_DIR}/stm32f4/src/f4_vectors.c ${CSA_PORT_DIR}/stm32f4/src/f4_usart.c
  ${CSA_PORT_DIR}/qemu/src/qemu_board.c ${CSA_PORT_DIR}/qemu/src/qemu_flash.c ${CSA_PORT_DIR}/cortex-m/src/semihost.c)
set(CSA_BOARD_qemu_INCLUDES ${CSA_PORT_DIR}/stm32f4/include ${CSA_PORT_DIR}/qemu/include)

# CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, not reflected, no final XOR) of a list of byte values: the
# pre-bootloader record's check, computed at configure time so the record is a constant in the image.
function(csa_crc32_mpeg2 out)
  set(crc 4294967295)
  foreach(byte IN LISTS ARGN)
    math(EXPR crc "${crc} ^ (${byte} << 24)")
    foreach(bit RANGE 7)
      math(EXPR top "(${crc} >> 31) & 1")
      math(EXPR crc "(${crc} << 1) & 4294967295")
      if(top)
        math(EXPR crc "${crc} ^ 79764919") # 0x04C11DB7
      endif()
    endforeach()
  endforeach()
  set(${out} ${crc} PARENT_SCOPE)
endfunction()

# The 32-byte record of device-model.md 5.1 ("CSAP", format 1, version, 0xFF, CRC-32 of bytes 0-27), as a C
# initializer list.
function(csa_preboot_marker_bytes out major minor patch)
  math(EXPR p0 "${patch} & 255")
  math(EXPR p1 "(${patch} >> 8) & 255")
  set(bytes 67 83 65 80 1 0 ${major} ${minor} ${p0} ${p1})
  foreach(i RANGE 10 27)
    list(APPEND bytes 255)
  endforeach()
  csa_crc32_mpeg2(crc ${bytes})
  foreach(shift 0 8 16 24)
    math(EXPR b "(${crc} >> ${shift}) & 255")
    list(APPEND bytes ${b})
  endforeach()
  set(text "")
  foreach(b IN LISTS bytes)
    math(EXPR h "${b}" OUTPUT_FORMAT HEXADECIMAL)
    string(APPEND text "${h}u, ")
  endforeach()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(csa_chip_image target)
  cmake_parse_arguments(A "" "BOARD;REGION;FLASH_BUDGET;RAM_BUDGET;STACK" "SOURCES;LIBS;DEFINES;INCLUDES;PREBOOT_MARKER" ${ARGN})
  set(map ${CSA_BOARD_${A_BOARD}_MAP})
  if(NOT map)
    message(FATAL_ERROR "csa_chip_image(${target}): unknown board '${A_BOARD}' (stm32f4, stm32l4, qemu)")
  endif()
  list(GET CSA_MAP_${map}_${A_REGION} 0 origin)
  list(GET CSA_MAP_${map}_${A_REGION} 1 region_size)
  list(GET CSA_MAP_${map}_SRAM 0 sram)
  list(GET CSA_MAP_${map}_SRAM 1 sram_size)

  # FLASH: the budget, never more than what the region gives a payload (the trailer's 4096 bytes, or the marker).
  if(A_REGION STREQUAL "PRE_BOOTLOADER")
    math(EXPR usable "${region_size} - ${CSA_PREBOOT_MARKER_SIZE}")
  else()
    math(EXPR usable "${region_size} - ${CSA_TRAILER_SIZE}")
  endif()
  set(flash_length ${usable})
  if(A_FLASH_BUDGET AND A_FLASH_BUDGET LESS usable)
    set(flash_length ${A_FLASH_BUDGET})
  endif()
  set(ram_total ${sram_size})
  if(A_RAM_BUDGET AND A_RAM_BUDGET LESS sram_size)
    set(ram_total ${A_RAM_BUDGET})
  endif()
  math(EXPR ram_origin "${sram} + 512" OUTPUT_FORMAT HEXADECIMAL) # VECTRAM and RETAINED (ld/image.ld.in)
  math(EXPR ram_length "${ram_total} - 512")

  set(CSA_LD_IMAGE "${target}")
  set(CSA_LD_FLASH_ORIGIN ${origin})
  set(CSA_LD_FLASH_LENGTH ${flash_length})
  set(CSA_LD_RETAINED_ORIGIN ${sram})
  set(CSA_LD_RAM_ORIGIN ${ram_origin})
  set(CSA_LD_RAM_LENGTH ${ram_length})
  set(CSA_LD_STACK_SIZE ${A_STACK})
  set(CSA_LD_EXTRA_MEMORY "")
  set(CSA_LD_EXTRA_SECTIONS "")
  set(extra_sources "")
  if(A_PREBOOT_MARKER)
    math(EXPR marker "${origin} + ${region_size} - ${CSA_PREBOOT_MARKER_SIZE}" OUTPUT_FORMAT HEXADECIMAL)
    set(CSA_LD_EXTRA_MEMORY "  MARKER (r)     : ORIGIN = ${marker}, LENGTH = ${CSA_PREBOOT_MARKER_SIZE}")
    set(CSA_LD_EXTRA_SECTIONS "\n  /* The pre-bootloader record (device-model.md 5.1) in the region's last 32 bytes. */\n  .csa_preboot_marker :\n  {\n    KEEP(*(.csa_preboot_marker))\n  } > MARKER\n")
    csa_preboot_marker_bytes(CSA_PREBOOT_MARKER_INIT ${A_PREBOOT_MARKER})
    set(marker_c "${CMAKE_CURRENT_BINARY_DIR}/${target}_marker.c")
    file(WRITE "${marker_c}.tmp"
      "/* Generated by csa_chip_image(): the pre-bootloader record, version ${A_PREBOOT_MARKER}. */\n"
      "#include <stdint.h>\n"
      "extern const uint8_t csa_preboot_marker[32];\n"
      "__attribute__((section(\".csa_preboot_marker\"), used)) const uint8_t csa_preboot_marker[32] = {\n"
      "    ${CSA_PREBOOT_MARKER_INIT}\n};\n")
    configure_file("${marker_c}.tmp" "${marker_c}" COPYONLY)
    list(APPEND extra_sources "${marker_c}")
  endif()
  set(ld "${CMAKE_CURRENT_BINARY_DIR}/${target}.ld")
  configure_file("${CSA_PORT_DIR}/cortex-m/ld/image.ld.in" "${ld}" @ONLY)

  add_executable(${target}
    ${A_SOURCES} ${extra_sources}
    ${CSA_PORT_DIR}/cortex-m/src/startup.c ${CSA_PORT_DIR}/cortex-m/src/retained.c ${CSA_PORT_DIR}/cortex-m/src/syscalls.c
    ${CSA_BOARD_${A_BOARD}_SOURCES})
  target_sources(${target} PRIVATE ${CSA_PORT_DIR}/cortex-m/src/csa_string.c)
  set_source_files_properties(${CSA_PORT_DIR}/cortex-m/src/csa_string.c PROPERTIES
    COMPILE_OPTIONS "-fno-builtin;-fno-tree-loop-distribute-patterns;-fno-lto")
  set_target_properties(${target} PROPERTIES SUFFIX ".elf" LINK_DEPENDS "${ld}")
  target_include_directories(${target} PRIVATE ${CSA_PORT_DIR}/cortex-m/include ${CSA_BOARD_${A_BOARD}_INCLUDES} ${A_INCLUDES}
                                                ${CSA_SERVICE_DIR}/include)
  target_compile_definitions(${target} PRIVATE ${A_DEFINES} ${CSA_BOARD_DEFINES} CSA_BOARD_NAME="${A_BOARD}")
  target_compile_options(${target} PRIVATE ${CSA_WARNINGS})
  target_link_libraries(${target} PRIVATE ${A_LIBS})
  target_link_options(${target} PRIVATE "-T${ld}" "-Wl,-Map,${CMAKE_CURRENT_BINARY_DIR}/${target}.map"
                                        "-Wl,--print-memory-usage")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} -O binary --gap-fill 0xFF $<TARGET_FILE:${target}> ${CMAKE_CURRENT_BINARY_DIR}/${target}.bin
    COMMAND ${CMAKE_SIZE} $<TARGET_FILE:${target}> > ${CMAKE_CURRENT_BINARY_DIR}/${target}.size
    COMMENT "${target}: ${A_BOARD} ${A_REGION} at ${origin}, flash budget ${flash_length}, RAM ${ram_total}"
    VERBATIM)
endfunction()
