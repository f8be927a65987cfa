/*
 * The signer: the one holder of a node's secret signing key. A local signer keeps the key in
 * this process; a spawned signer forks a child that keeps it and answers a fixed table of
 * requests over a socketpair, so that a parsing bug in the daemon cannot read the key.
 *
 * Wire format, both directions: a 4-byte big-endian length, then that many bytes. A request
 * is an op byte and its input; an answer is a status byte and its output. The child closes
 * the channel and exits on anything it does not understand, and whenever the daemon closes
 * its end. Invariants: after a spawn the daemon holds no copy of the secret key; requests are
 * serialised by one mutex so answers cannot interleave; once the channel fails it is marked
 * broken and every later request fails with ISX_ECRYPTO without touching the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/sign.h"

/* The largest message the signer signs; canonical objects are far smaller. */
#define MAX_MESSAGE (16u << 20)
/* Key names: the signed-note rules forbid whitespace and '+'; ASCII keeps them header-safe. */
#define MAX_NAME 255

enum op { OP_PUBLIC = 1, OP_SIGN = 2 };
enum status { STATUS_OK = 0, STATUS_ERROR = 1 };

struct isx_signer {
    struct isx_sign_key *key; /* local signer only */
    int sock;                 /* spawned signer only, else -1 */
    pid_t pid;
    bool broken;
    pthread_mutex_t lock;
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];
    char key_id[9];
};

static int
name_valid(const char *name)
{
    size_t i, n;

    if (name == NULL)
        return 0;
    n = strlen(name);
    if (n == 0 || n > MAX_NAME)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] > '~' || name[i] == '+')
            return 0;
    return 1;
}

static struct isx_signer *
signer_new(struct isx_sign_key *key, const char *name)
{
    struct isx_signer *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->sock = -1;
    s->pid = -1;
    isx_sign_key_public(key, s->pk);
    isx_sign_key_id(name, s->pk, s->key_id);
    return s;
}

int
isx_signer_local(struct isx_sign_key *key, const char *name, struct isx_signer **out)
{
    struct isx_signer *s;

    if (key == NULL || !name_valid(name)) {
        isx_sign_key_free(key);
        return ISX_EINVAL;
    }
    s = signer_new(key, name);
    if (s == NULL) {
        isx_sign_key_free(key);
        return ISX_ENOMEM;
    }
    s->key = key;
    *out = s;
    return 0;
}

/* --- Framing, used on both sides -------------------------------------------------------- */

/* MSG_NOSIGNAL: a dead peer must give EPIPE, not a SIGPIPE that would kill the daemon. */
static int
send_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    ssize_t w;

    while (len > 0) {
        w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Returns 0, or -1 on error or end of stream (the peer is gone either way). */
static int
recv_all(int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    ssize_t r;

    while (len > 0) {
        r = recv(fd, p, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t
get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* --- The child -------------------------------------------------------------------------- */

/*
 * The request table. Each handler gets the request's input and writes at most 64 bytes of
 * output. Nothing else is reachable from the socket.
 */
typedef int (*handler_fn)(const struct isx_sign_key *k, const unsigned char *in, size_t inlen,
                          unsigned char *out, size_t *outlen);

static int
handle_public(const struct isx_sign_key *k, const unsigned char *in, size_t inlen,
              unsigned char *out, size_t *outlen)
{
    (void)in; /* the table gives every handler the same signature */
    if (inlen != 0)
        return -1;
    isx_sign_key_public(k, out);
    *outlen = ISX_SIGN_PUBLIC_LEN;
    return 0;
}

static int
handle_sign(const struct isx_sign_key *k, const unsigned char *in, size_t inlen, unsigned char *out,
            size_t *outlen)
{
    if (isx_sign(k, in, inlen, out) != 0)
        return -1;
    *outlen = ISX_SIGN_SIG_LEN;
    return 0;
}

static const struct {
    unsigned char op;
    handler_fn fn;
} requests[] = {
    {OP_PUBLIC, handle_public},
    {OP_SIGN, handle_sign},
};

/*
 * Closes every descriptor but the channel and stderr, which stays for sanitizer reports. The
 * process that holds the key then holds nothing else of the daemon's: no listening socket,
 * database or peer connection that it could be made to use or that it would keep open.
 */
static void
close_other_fds(int keep)
{
    long max, fd;

    close(STDIN_FILENO);
    close(STDOUT_FILENO);
#if defined(__linux__) && defined(SYS_close_range)
    /* keep is at least 3; close_range refuses an empty range, so skip the first if so. */
    if ((keep == 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0) &&
        syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
        return;
#endif
    max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (fd = 3; fd < max; fd++)
        if (fd != keep)
            close((int)fd);
}

/*
 * Signals: the daemon's handlers make no sense here. Terminal signals are ignored because
 * the child ends when the daemon closes the channel, which the kernel does even when the
 * daemon is killed; a ^C must not take the key away from a daemon that is shutting down.
 */
static void
reset_signals(void)
{
    static const int dfl[] = {SIGUSR1, SIGUSR2, SIGALRM,  SIGCHLD,   SIGTSTP,
                              SIGTTIN, SIGTTOU, SIGWINCH, SIGVTALRM, SIGPROF};
    static const int ign[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    struct sigaction sa;
    sigset_t none;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    for (i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++)
        sigaction(dfl[i], &sa, NULL);
    sa.sa_handler = SIG_IGN;
    for (i = 0; i < sizeof(ign) / sizeof(ign[0]); i++)
        sigaction(ign[i], &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * The child's loop. Only async-signal-safe work happens here, because the daemon may have
 * had other threads (holding the malloc lock, say) when it forked: the request buffer comes
 * from mmap, not malloc, and the child leaves with _exit, which also keeps the sanitizers'
 * exit-time leak check from judging memory that belonged to the parent's threads.
 */
_Noreturn static void
child_main(int sock, struct isx_sign_key *key)
{
    unsigned char hdr[5], reply[5 + 64], outb[64];
    unsigned char *buf = NULL;
    size_t cap = 0, inlen, outlen, i;
    uint32_t len;
    int status = 0, rc;

#ifdef __linux__
    /* No core dumps of the key, and no ptrace from other processes of the same user. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    reset_signals();
    if (sock <= 2) {
        /* Move the channel above stderr so the ranges below cannot close it. */
        int moved = fcntl(sock, F_DUPFD_CLOEXEC, 3);
        if (moved < 0)
            _exit(1);
        /* Were it fd 2, diagnostics written to stderr would land in the channel. */
        close(sock);
        sock = moved;
    }
    close_other_fds(sock);
    for (;;) {
        if (recv_all(sock, hdr, 5) != 0)
            break; /* the daemon closed the channel: the normal way out */
        len = get_be32(hdr);
        if (len < 1 || len > 1 + MAX_MESSAGE) {
            status = 1;
            break;
        }
        inlen = len - 1;
        if (inlen > cap) {
            size_t want = 1u << 16;
            while (want < inlen)
                want <<= 1;
            if (buf != NULL)
                munmap(buf, cap);
            buf = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (buf == MAP_FAILED) {
                status = 1;
                break;
            }
            cap = want;
        }
        if (inlen > 0 && recv_all(sock, buf, inlen) != 0) {
            status = 1;
            break;
        }
        rc = -1;
        outlen = 0;
        for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
            if (requests[i].op == hdr[4])
                rc = requests[i].fn(key, buf, inlen, outb, &outlen);
        put_be32(reply, (uint32_t)(1 + (rc == 0 ? outlen : 0)));
        reply[4] = rc == 0 ? STATUS_OK : STATUS_ERROR;
        if (rc == 0)
            memcpy(reply + 5, outb, outlen);
        if (send_all(sock, reply, 5 + (rc == 0 ? outlen : 0)) != 0) {
            status = 1;
            break;
        }
    }
    isx_sign_key_free(key);
    _exit(status);
}

/* --- The daemon's side ------------------------------------------------------------------ */

/*
 * One request and its answer; the caller holds s->lock. Any failure of the channel marks the
 * signer broken: a half-sent request or half-read answer leaves the stream out of step.
 */
static int
call(struct isx_signer *s, unsigned char op, const void *in, size_t inlen, unsigned char *out,
     size_t outlen)
{
    unsigned char hdr[5];

    if (s->broken)
        return ISX_ECRYPTO;
    put_be32(hdr, (uint32_t)(1 + inlen));
    hdr[4] = op;
    if (send_all(s->sock, hdr, 5) != 0 || (inlen > 0 && send_all(s->sock, in, inlen) != 0) ||
        recv_all(s->sock, hdr, 5) != 0)
        goto broken;
    if (hdr[4] != STATUS_OK) {
        /* A refused request with an empty answer leaves the stream in step. */
        if (get_be32(hdr) != 1)
            goto broken;
        return ISX_ECRYPTO;
    }
    if (get_be32(hdr) != 1 + outlen || recv_all(s->sock, out, outlen) != 0)
        goto broken;
    return 0;
broken:
    s->broken = true;
    return ISX_ECRYPTO;
}

static void
reap(pid_t pid)
{
    /* ECHILD when the daemon set SIGCHLD to SIG_IGN: the kernel reaped it already. */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int
isx_signer_spawn(struct isx_sign_key *key, const char *name, struct isx_signer **out)
{
    struct isx_signer *s = NULL;
    unsigned char pk[ISX_SIGN_PUBLIC_LEN];
    int sv[2] = {-1, -1};
    pid_t pid;
    int rc;

    if (key == NULL || !name_valid(name)) {
        rc = ISX_EINVAL;
        goto fail;
    }
    s = signer_new(key, name);
    if (s == NULL) {
        rc = ISX_ENOMEM;
        goto fail;
    }
    /* CLOEXEC: a program the daemon runs must not inherit either end. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        rc = ISX_EIO;
        goto fail;
    }
    pid = fork();
    if (pid < 0) {
        rc = ISX_EIO;
        goto fail;
    }
    if (pid == 0) {
        close(sv[0]);
        child_main(sv[1], key);
    }
    close(sv[1]);
    sv[1] = -1;
    isx_sign_key_free(key);
    key = NULL;
    s->sock = sv[0];
    s->pid = pid;
    sv[0] = -1;
    /* A first request proves the child is serving the key this signer names. */
    rc = call(s, OP_PUBLIC, NULL, 0, pk, sizeof(pk));
    if (rc == 0 && memcmp(pk, s->pk, sizeof(pk)) != 0)
        rc = ISX_ECRYPTO;
    if (rc != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    isx_signer_free(s);
    isx_sign_key_free(key);
    return rc;
}

void
isx_signer_free(struct isx_signer *s)
{
    if (s == NULL)
        return;
    if (s->sock >= 0) {
        /* The child sees end of stream, wipes its key and exits. */
        close(s->sock);
        reap(s->pid);
    }
    isx_sign_key_free(s->key);
    pthread_mutex_destroy(&s->lock);
    isx_memzero(s, sizeof(*s));
    free(s);
}

int
isx_signer_sign(struct isx_signer *s, const void *msg, size_t len, uint8_t sig[ISX_SIGN_SIG_LEN])
{
    uint8_t tmp[ISX_SIGN_SIG_LEN];
    int rc;

    /* The same limit for both kinds, so a caller's behaviour does not depend on the kind. */
    if (len > MAX_MESSAGE)
        return ISX_ETOOBIG;
    if (msg == NULL && len != 0)
        return ISX_EINVAL;
    if (s->key != NULL)
        return isx_sign(s->key, msg, len, sig);
    if (pthread_mutex_lock(&s->lock) != 0)
        return ISX_ECRYPTO;
    rc = call(s, OP_SIGN, msg, len, tmp, sizeof(tmp));
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        memcpy(sig, tmp, sizeof(tmp));
    return rc;
}

void
isx_signer_public(const struct isx_signer *s, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    memcpy(pk, s->pk, ISX_SIGN_PUBLIC_LEN);
}

const char *
isx_signer_key_id(const struct isx_signer *s)
{
    return s->key_id;
}
