/*
 * isxd, the node daemon: opens the node directory, moves the signing key into the signer
 * process, serves the API on the configured address, and stops cleanly on SIGTERM or SIGINT.
 * `isxd -n` checks the configuration and the keys, then exits.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isx/api.h"
#include "isx/fed.h"
#include "isx/hash.h"
#include "isx/http.h"
#include "isx/i18n.h"
#include "isx/log.h"
#include "isx/node.h"
#include "isx/pings.h"
#include "isx/timeutil.h"

static void
log_line(const char *event, const char *detail)
{
    char now[ISX_TIME_LEN + 1];

    isx_time_format(isx_time_now_ms(), now);
    fprintf(stderr, "%s isxd %s %s\n", now, event, detail != NULL ? detail : "");
}

static int
usage(enum isx_lang lang)
{
    fprintf(stderr, "%s\n", isx_msg(lang, "isxd.usage"));
    return 2;
}

static void
fail(enum isx_lang lang, int rc, const struct isx_diag *d)
{
    struct isx_buf msg = ISX_BUF_INIT;

    if (d->key[0] != '\0')
        isx_msg_format(lang, d->key, d->arg, &msg);
    fprintf(stderr, "isxd: %s%s%s%s%s\n", isx_err_title(lang, rc), d->field[0] ? ": " : "",
            d->field, msg.len ? ": " : "", msg.len ? msg.data : "");
    isx_buf_free(&msg);
}

int
main(int argc, char **argv)
{
    enum isx_lang lang = isx_lang_from_env();
    const char *dir = "var/node";
    struct isx_node *node = NULL;
    struct isx_http_server *srv = NULL;
    struct isx_diag d = {0};
    int check_only = 0, port_override = -1, opt, rc;

    while ((opt = getopt(argc, argv, "nd:p:h")) != -1) {
        switch (opt) {
        case 'n':
            check_only = 1;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'p': {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || p < 0 || p > 65535)
                return usage(lang);
            port_override = (int)p;
            break;
        }
        default:
            return usage(lang);
        }
    }
    if (optind != argc)
        return usage(lang);

    if ((rc = isx_node_open(dir, !check_only, &node, &d)) != 0) {
        fail(lang, rc, &d);
        return rc == ISX_ECONFIG || rc == ISX_EPERM || rc == ISX_EINVAL ? 2 : 1;
    }
    if (check_only) {
        printf("%s\n", isx_msg(lang, "isxd.config_ok"));
        isx_node_free(node);
        return 0;
    }

    size_t nroutes;
    const struct isx_route *routes = isx_api_routes(&nroutes);
    struct isx_http_config hc = {
        .address = node->cfg.listen,
        .port = port_override >= 0 ? (uint16_t)port_override : node->cfg.port,
        .max_body = node->cfg.max_body,
        .threads = node->cfg.threads,
        .routes = routes,
        .nroutes = nroutes,
        .authenticate = isx_api_authenticate,
        .metrics = isx_api_metrics,
        .ctx = node,
        .quiet = !node->cfg.log_requests,
    };
    /* Block the stop signals before any thread starts, so every thread inherits the mask and
     * the main thread alone receives them through sigwait. */
    sigset_t stopset;
    sigemptyset(&stopset);
    sigaddset(&stopset, SIGTERM);
    sigaddset(&stopset, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stopset, NULL);
    signal(SIGPIPE, SIG_IGN);

    node->started_ms = isx_time_now_ms();
    if ((rc = isx_http_start(&hc, &srv)) != 0) {
        char what[96];
        snprintf(what, sizeof(what), "%s:%u", hc.address, hc.port);
        fprintf(stderr, "isxd: %s: %s\n", isx_err_title(lang, rc), what);
        isx_node_free(node);
        return 1;
    }
    char detail[256];
    snprintf(detail, sizeof(detail), "party=%s name=%s key=%s url=http://%s:%u/", node->cfg.party,
             node->cfg.name, isx_signer_key_id(node->signer), hc.address, isx_http_port(srv));
    log_line("listening", detail);
    /* A line a supervisor or test harness can read to learn the bound port. */
    printf("isxd listening on http://%s:%u/\n", hc.address, isx_http_port(srv));
    fflush(stdout);

    /* A checkpoint now, so the log is signed from the first minute, then on the timer. */
    struct isx_log_timer *timer = NULL;
    isx_log_checkpoint(node, 0, NULL);
    if (node->cfg.checkpoint_interval > 0 &&
        isx_log_timer_start(node, node->cfg.checkpoint_interval, &timer) != 0)
        log_line("warning", "checkpoint timer not started");
    /* Federation: push, pull and witnessing with the peers, on its own thread. */
    struct isx_fed *fed = NULL;
    if (isx_fed_start(node, &fed) != 0)
        log_line("warning", "federation not started");
    struct isx_pings_timer *pings = isx_pings_timer_start(node); /* [pings] schedule (issue 6) */

    int sig;
    sigwait(&stopset, &sig);

    log_line("stopping", NULL);
    isx_pings_timer_stop(pings);
    isx_fed_stop(fed);
    isx_http_stop(srv);
    isx_log_timer_stop(timer);
    isx_node_free(node);
    log_line("stopped", NULL);
    return 0;
}
