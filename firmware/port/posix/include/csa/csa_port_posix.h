/*
 * The POSIX port: a device as a Linux (or any POSIX) process. It gives the core what a board gives it: byte links
 * (a pseudo-terminal, a TCP listener or connection, a serial device, or stdin/stdout), a millisecond clock, and a
 * poll-based wait for input. The device program (apps/csa-device) drives the core's poll loop with it.
 */
#ifndef CSA_PORT_POSIX_H_
#define CSA_PORT_POSIX_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <poll.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How a link reaches its far end. */
typedef enum {
    CSA_POSIX_STDIO,       /**< stdin / stdout (a parent process is the far end). */
    CSA_POSIX_PTY,         /**< a pseudo-terminal: the far end opens its slave path as a serial port. */
    CSA_POSIX_TCP_LISTEN,  /**< a TCP listener: one connection at a time is the wire. */
    CSA_POSIX_TCP_CONNECT, /**< a TCP connection to a listener (reconnected when it drops). */
    CSA_POSIX_SERIAL       /**< a serial device (/dev/tty...), raw mode. */
} csa_posix_link_kind_t;

/** One link of the port. */
typedef struct {
    csa_posix_link_kind_t kind;
    int read_fd;            /**< -1 while not connected. */
    int write_fd;
    int listen_fd;          /**< For CSA_POSIX_TCP_LISTEN. */
    bool far_end_present;   /**< A pty whose slave is open, an accepted or established TCP connection, ... */
    bool hung_up;           /**< For a pty: no host has the slave open (what it sends is dropped). */
    uint32_t retry_at;      /**< For CSA_POSIX_TCP_CONNECT: when to try connecting again. */
    char host[128];
    char port[16];
    char name[192];         /**< What to show: "pty /dev/pts/4", "tcp://127.0.0.1:5000", ... */
    uint32_t bytes_dropped; /**< Written while nobody was on the line. */
} csa_posix_link_t;

/** Opens a link from its text form: "stdio", "pty", "tcp-listen:HOST:PORT" (PORT 0 picks a free port),
    "tcp:HOST:PORT", or a device path "/dev/...". On failure returns -1 and writes why into error. */
int csa_posix_link_open(csa_posix_link_t *link, const char *spec, char *error, size_t error_len);

/** Closes every descriptor of the link. */
void csa_posix_link_close(csa_posix_link_t *link);

/** The core's write function for this link (ctx is the csa_posix_link_t). Takes every byte: waits for the line,
    drops what nobody can receive (no host on the pty, no TCP connection). */
void csa_posix_link_write(void *ctx, const uint8_t *data, size_t n);

/** What csa_posix_link_service found. */
typedef enum {
    CSA_POSIX_IDLE = 0,    /**< Nothing happened. */
    CSA_POSIX_DATA,        /**< *len bytes arrived in buf. */
    CSA_POSIX_CONNECTED,   /**< A far end appeared (a connection was accepted or established). */
    CSA_POSIX_DISCONNECTED,/**< The far end went away (the link stays, waiting for the next one). */
    CSA_POSIX_ENDED        /**< The link is gone for good (stdin reached its end). */
} csa_posix_event_t;

/** Adds the link's descriptors to a pollfd set (fds must have room for 2); returns how many were added. */
int csa_posix_link_poll_fds(const csa_posix_link_t *link, struct pollfd *fds);

/** Serves the link after poll() (or on a timer): accepts, connects, reads. */
csa_posix_event_t csa_posix_link_service(csa_posix_link_t *link, uint8_t *buf, size_t cap, size_t *len, uint32_t now);

/** Milliseconds of a monotonic clock (wrapping). */
uint32_t csa_posix_millis(void);

#ifdef __cplusplus
}
#endif

#endif /* CSA_PORT_POSIX_H_ */
