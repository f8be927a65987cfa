/*
 * The raw libmicrohttpd ceiling for small GETs (issue 3, Performance): a server that answers
 * every request with the two bytes "ok", started with the same daemon flags isxd uses (an
 * internal polling thread, epoll where available, a thread pool of 2 by default) on
 * 127.0.0.1 and a port the kernel picks. The load generator (loadgen.c) drives it exactly as
 * it drives isxd, so the two request rates compare.
 *
 * Usage: mhd_ok [THREADS]. Prints "mhd_ok listening on http://127.0.0.1:PORT/" and serves until
 * SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    static const char body[] = "ok";
    struct MHD_Response *r;
    enum MHD_Result ret;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    /* The first call only marks the request: an answer queued before the request is all read
     * makes libmicrohttpd close the connection, as isxd's server knows too. */
    if (*con_cls == NULL) {
        *con_cls = (void *)body;
        return MHD_YES;
    }
    /* A body, if any, is read and dropped; the answer goes out once it is all in. */
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }
    r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 2u;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    struct sockaddr_in sin;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    sigset_t stop;
    int sig;

    if (threads == 0 || threads > 64)
        threads = 2;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = 0;
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);

    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sin, MHD_OPTION_THREAD_POOL_SIZE, threads,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
                         MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "mhd_ok: cannot start the daemon\n");
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("mhd_ok listening on http://127.0.0.1:%u/\n", info != NULL ? info->port : 0u);
    fflush(stdout);
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    return 0;
}
