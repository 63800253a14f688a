/* The POSIX port's links and clock. Every descriptor is non-blocking; the device program waits in poll(). */
#include "csa/csa_port_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define WRITE_STALL_MS 1000 /* a far end that takes nothing for this long loses the rest of the write */
#define RECONNECT_MS 200

uint32_t csa_posix_millis(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void set_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) != 0)
        return;
    /* cfmakeraw without relying on it: no echo, no line editing, no CR/LF translation, no flow control, 8N1. */
    t.c_iflag &= (tcflag_t) ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
    t.c_oflag &= (tcflag_t)~OPOST;
    t.c_lflag &= (tcflag_t) ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= (tcflag_t) ~(CSIZE | PARENB | CSTOPB);
    t.c_cflag |= (tcflag_t)(CS8 | CREAD | CLOCAL);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    (void)tcsetattr(fd, TCSANOW, &t);
}

static int fail(char *error, size_t error_len, const char *what, const char *detail)
{
    snprintf(error, error_len, "%s: %s", what, detail);
    return -1;
}

/* Splits "HOST:PORT" (the last colon; "[::1]:5000" works too). */
static int split_host_port(const char *text, csa_posix_link_t *link)
{
    const char *colon = strrchr(text, ':');
    size_t host_len;
    if (colon == NULL || colon[1] == '\0')
        return -1;
    host_len = (size_t)(colon - text);
    if (host_len >= 2u && text[0] == '[' && text[host_len - 1u] == ']') {
        text++;
        host_len -= 2u;
    }
    if (host_len == 0u || host_len >= sizeof link->host || strlen(colon + 1) >= sizeof link->port)
        return -1;
    memcpy(link->host, text, host_len);
    link->host[host_len] = '\0';
    strcpy(link->port, colon + 1);
    return 0;
}

static int open_pty(csa_posix_link_t *link, char *error, size_t error_len)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    char *slave;
    if (fd < 0)
        return fail(error, error_len, "pty", strerror(errno));
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || (slave = ptsname(fd)) == NULL) {
        close(fd);
        return fail(error, error_len, "pty", strerror(errno));
    }
    set_raw(fd);
    set_nonblocking(fd);
    link->read_fd = link->write_fd = fd;
    link->hung_up = true;
    snprintf(link->name, sizeof link->name, "pty %s", slave);
    return 0;
}

static int open_listener(csa_posix_link_t *link, char *error, size_t error_len)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    int fd, one = 1, rc;
    char port[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(link->host, link->port, &hints, &res);
    if (rc != 0)
        return fail(error, error_len, link->host, gai_strerror(rc));
    fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return fail(error, error_len, "socket", strerror(errno));
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 4) != 0) {
        int e = errno;
        freeaddrinfo(res);
        close(fd);
        return fail(error, error_len, "tcp-listen", strerror(e));
    }
    freeaddrinfo(res);
    set_nonblocking(fd);
    if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) == 0 &&
        getnameinfo((struct sockaddr *)&bound, bound_len, NULL, 0, port, sizeof port, NI_NUMERICSERV) == 0)
        strcpy(link->port, port);
    link->listen_fd = fd;
    snprintf(link->name, sizeof link->name, "tcp://%s:%s", link->host, link->port);
    return 0;
}

/* One connection attempt (blocking, to a local or nearby listener); -1 when it failed. */
static int try_connect(csa_posix_link_t *link)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, one = 1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(link->host, link->port, &hints, &res) != 0)
        return -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblocking(fd);
    link->read_fd = link->write_fd = fd;
    link->far_end_present = true;
    return 0;
}

int csa_posix_link_open(csa_posix_link_t *link, const char *spec, char *error, size_t error_len)
{
    memset(link, 0, sizeof *link);
    link->read_fd = link->write_fd = link->listen_fd = -1;
    if (strcmp(spec, "stdio") == 0) {
        link->kind = CSA_POSIX_STDIO;
        link->read_fd = STDIN_FILENO;
        link->write_fd = STDOUT_FILENO;
        link->far_end_present = true;
        set_nonblocking(STDIN_FILENO);
        snprintf(link->name, sizeof link->name, "stdio");
        return 0;
    }
    if (strcmp(spec, "pty") == 0) {
        link->kind = CSA_POSIX_PTY;
        return open_pty(link, error, error_len);
    }
    if (strncmp(spec, "tcp-listen:", 11) == 0) {
        link->kind = CSA_POSIX_TCP_LISTEN;
        if (split_host_port(spec + 11, link) != 0)
            return fail(error, error_len, spec, "expected tcp-listen:HOST:PORT");
        return open_listener(link, error, error_len);
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        link->kind = CSA_POSIX_TCP_CONNECT;
        if (split_host_port(spec + 4, link) != 0)
            return fail(error, error_len, spec, "expected tcp:HOST:PORT");
        snprintf(link->name, sizeof link->name, "tcp://%s:%s (connecting)", link->host, link->port);
        link->retry_at = csa_posix_millis();
        return 0; /* connected by csa_posix_link_service, again and again if the far end restarts */
    }
    if (spec[0] == '/') {
        int fd = open(spec, O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            return fail(error, error_len, spec, strerror(errno));
        set_raw(fd);
        link->kind = CSA_POSIX_SERIAL;
        link->read_fd = link->write_fd = fd;
        link->far_end_present = true;
        snprintf(link->name, sizeof link->name, "serial %s", spec);
        return 0;
    }
    return fail(error, error_len, spec, "not a link: use stdio, pty, tcp-listen:HOST:PORT, tcp:HOST:PORT or /dev/...");
}

static void drop_connection(csa_posix_link_t *link)
{
    if (link->kind == CSA_POSIX_TCP_LISTEN || link->kind == CSA_POSIX_TCP_CONNECT) {
        if (link->read_fd >= 0)
            close(link->read_fd);
        link->read_fd = link->write_fd = -1;
    }
    link->far_end_present = false;
}

void csa_posix_link_close(csa_posix_link_t *link)
{
    if (link->kind != CSA_POSIX_STDIO) {
        if (link->read_fd >= 0)
            close(link->read_fd);
        if (link->listen_fd >= 0)
            close(link->listen_fd);
    }
    link->read_fd = link->write_fd = link->listen_fd = -1;
    link->far_end_present = false;
}

void csa_posix_link_write(void *ctx, const uint8_t *data, size_t n)
{
    csa_posix_link_t *link = (csa_posix_link_t *)ctx;
    uint32_t last_progress = csa_posix_millis();
    while (n > 0u) {
        struct pollfd p;
        ssize_t w;
        if (link->write_fd < 0 || (link->kind == CSA_POSIX_PTY && link->hung_up)) {
            link->bytes_dropped += (uint32_t)n; /* nobody on the line: the bytes leave the UART and go nowhere */
            return;
        }
        p.fd = link->write_fd;
        p.events = POLLOUT;
        p.revents = 0;
        if (poll(&p, 1, 50) < 0 && errno != EINTR)
            break;
        if ((p.revents & POLLHUP) != 0 && link->kind == CSA_POSIX_PTY) {
            link->hung_up = true;
            continue;
        }
        if ((p.revents & POLLOUT) != 0) {
            w = write(link->write_fd, data, n);
            if (w > 0) {
                data += w;
                n -= (size_t)w;
                last_progress = csa_posix_millis();
                continue;
            }
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                break;
        } else if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
            break;
        }
        if ((uint32_t)(csa_posix_millis() - last_progress) >= WRITE_STALL_MS)
            break;
    }
    link->bytes_dropped += (uint32_t)n;
}

int csa_posix_link_poll_fds(const csa_posix_link_t *link, struct pollfd *fds)
{
    int n = 0;
    if (link->kind == CSA_POSIX_TCP_LISTEN && link->read_fd < 0 && link->listen_fd >= 0) {
        fds[n].fd = link->listen_fd;
        fds[n].events = POLLIN;
        fds[n++].revents = 0;
    }
    /* A pty nobody has open reports POLLHUP without end: look at it on the timer instead of spinning. */
    if (link->read_fd >= 0 && !(link->kind == CSA_POSIX_PTY && link->hung_up)) {
        fds[n].fd = link->read_fd;
        fds[n].events = POLLIN;
        fds[n++].revents = 0;
    }
    return n;
}

csa_posix_event_t csa_posix_link_service(csa_posix_link_t *link, uint8_t *buf, size_t cap, size_t *len, uint32_t now)
{
    ssize_t r;
    *len = 0;
    switch (link->kind) {
    case CSA_POSIX_TCP_LISTEN:
        if (link->read_fd < 0) {
            int fd = accept(link->listen_fd, NULL, NULL), one = 1;
            if (fd < 0)
                return CSA_POSIX_IDLE;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            set_nonblocking(fd);
            link->read_fd = link->write_fd = fd;
            link->far_end_present = true;
            return CSA_POSIX_CONNECTED;
        }
        break;
    case CSA_POSIX_TCP_CONNECT:
        if (link->read_fd < 0) {
            if ((int32_t)(now - link->retry_at) < 0)
                return CSA_POSIX_IDLE;
            link->retry_at = now + RECONNECT_MS;
            if (try_connect(link) != 0)
                return CSA_POSIX_IDLE;
            snprintf(link->name, sizeof link->name, "tcp://%s:%s", link->host, link->port);
            return CSA_POSIX_CONNECTED;
        }
        break;
    case CSA_POSIX_PTY:
        if (link->hung_up) {
            struct pollfd p;
            p.fd = link->read_fd;
            p.events = POLLIN;
            p.revents = 0;
            if (poll(&p, 1, 0) <= 0 || (p.revents & POLLHUP) != 0)
                return CSA_POSIX_IDLE;
            /* A host opened the slave. (Nothing stale waits: what the device sent meanwhile was dropped, and what the
               host sent already is its first frames, to be read now.) */
            link->hung_up = false;
            link->far_end_present = true;
            return CSA_POSIX_CONNECTED;
        }
        break;
    default:
        break;
    }
    r = read(link->read_fd, buf, cap);
    if (r > 0) {
        *len = (size_t)r;
        return CSA_POSIX_DATA;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return CSA_POSIX_IDLE;
    /* End of file or an error: who is gone depends on the kind of link. */
    switch (link->kind) {
    case CSA_POSIX_PTY:
        link->hung_up = true; /* EIO: the host closed the slave; it may open it again */
        link->far_end_present = false;
        return CSA_POSIX_DISCONNECTED;
    case CSA_POSIX_TCP_LISTEN:
    case CSA_POSIX_TCP_CONNECT:
        drop_connection(link);
        link->retry_at = now + RECONNECT_MS;
        if (link->kind == CSA_POSIX_TCP_CONNECT)
            snprintf(link->name, sizeof link->name, "tcp://%s:%s (connecting)", link->host, link->port);
        return CSA_POSIX_DISCONNECTED;
    default:
        link->far_end_present = false;
        return CSA_POSIX_ENDED;
    }
}
