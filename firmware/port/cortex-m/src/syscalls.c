/* The chips have no heap: the firmware allocates nothing (docs/firmware.md), and newlib's sbrk (libnosys) would need
 * a heap region the linker scripts do not give. A library function that still asks for memory (newlib's stdio may,
 * for buffers it does not need with snprintf) gets none. */
#include <errno.h>
#include <stddef.h>

void *_sbrk(ptrdiff_t increment);

__attribute__((used)) void *_sbrk(ptrdiff_t increment)
{
    (void)increment;
    errno = ENOMEM;
    return (void *)-1;
}
