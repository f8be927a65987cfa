/*
 * The HTTP server over libmicrohttpd: one listener, `threads` event loops, routes matched from
 * the caller's table, and the request helpers that handlers use.
 *
 * The server accepts connections itself and hands each to the event loop that holds the fewest.
 * libmicrohttpd's own thread pool lets its threads race for every new connection, and one idle
 * thread wins nearly every race, so a client that opens its keep-alive connections together had
 * all of them served by one thread and one core however many threads were configured. Each
 * event loop is a libmicrohttpd daemon with one internal thread and no listening socket.
 *
 * Each request owns an arena that is created when libmicrohttpd reports the request line
 * (the URI log callback, the only place the path is seen before libmicrohttpd unescapes it)
 * and freed in the completion callback, which libmicrohttpd calls for every request that
 * reached the URI log callback. Everything a request allocates lives in that arena, except
 * the body and response buffers, which are freed next to it.
 *
 * Invariants:
 * - Everything that can be decided from the request line and headers (path length, route,
 *   method, token, role, Content-Length) is decided before any body byte is read.
 * - A stored body never exceeds cfg->max_body; bytes beyond it are discarded and the request
 *   is answered 413. A sender that keeps going far past the limit loses the connection.
 * - Every response carries X-Content-Type-Options: nosniff and (unless the handler set its
 *   own) Cache-Control: no-store; every failure is an application/problem+json document.
 * - The request log names the method, the path without its query, the status, the response
 *   size, the time and the user; never the query string or the Authorization header.
 * - Counters are atomics, so workers never take a lock to account a request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "isx/http.h"
#include "isx/jcs.h"

#define MAX_PATH          2048
#define CONN_TIMEOUT_S    30u
#define CONN_LIMIT        1000u
#define CONN_LIMIT_SELECT 250u /* select() cannot watch descriptors above FD_SETSIZE */
#define DRAIN_EXTRA       ((uint64_t)4 << 20)
#define STOP_GRACE_MS     10000
#define LOG_FIELD_MAX     256
#define NCLASS            4 /* 2xx to 5xx: the only final statuses the server sends */

#define JSON_TYPE    "application/json; charset=utf-8"
#define PROBLEM_TYPE "application/problem+json; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The counters of one metrics label: a route name, a built-in path, or "unmatched". */
struct stat_slot {
    const char *label;
    atomic_uint_fast64_t count[NCLASS];
    atomic_uint_fast64_t nanos;
};

/* One event loop: a daemon with its own thread, and the connections the acceptor gave it. */
struct worker {
    struct MHD_Daemon *daemon;
    atomic_uint open; /* handed over and not yet closed */
};

struct isx_http_server {
    struct worker *workers;
    unsigned nworkers;
    unsigned limit; /* connections over all workers */
    unsigned next;  /* where the acceptor starts comparing, so ties take turns */
    int listen_fd;
    int wake[2]; /* a byte written to wake[1] stops the acceptor */
    pthread_t acceptor;
    int acceptor_running;
    struct isx_http_config cfg;
    uint16_t port;
    double start_time;
    struct stat_slot *slots;
    size_t nslots;
    size_t *route_slot; /* cfg.nroutes entries: index into slots */
    size_t slot_healthz, slot_metrics, slot_unmatched;
    atomic_long in_flight;
    atomic_uint_fast64_t body_bytes;
};

/* One request. The isx_http_req comes first so handlers' pointers convert back to it. */
struct conn {
    struct isx_http_req req;
    struct isx_http_server *srv;
    const char *raw_path; /* as sent, percent-encoded, without the query */
    const struct isx_route *route;
    struct isx_user user;
    struct isx_buf body;
    uint64_t received;
    size_t slot;
    struct timespec t0;
    int started;
    int too_big;
    int body_err;
    int status; /* of the queued response; 0 while none */
    size_t resp_bytes;
};

static double
elapsed_s(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The process's start time from /proc, as Prometheus' process_start_time_seconds expects; the
 * server's own start time when /proc cannot tell.
 */
static double
process_start_time(void)
{
    char buf[1024];
    const char *p;
    unsigned long long ticks = 0, btime = 0;
    long hz = sysconf(_SC_CLK_TCK);
    size_t n;
    FILE *f;

    f = fopen("/proc/self/stat", "r");
    if (f == NULL)
        return (double)time(NULL);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may contain spaces and parentheses; the fields resume after the last ')'. */
    p = strrchr(buf, ')');
    /* After ')', field 3 (state) comes first; starttime is field 22. */
    for (int field = 2; p != NULL && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL || sscanf(p + 1, "%llu", &ticks) != 1 || hz <= 0)
        return (double)time(NULL);

    f = fopen("/proc/stat", "r");
    if (f == NULL)
        return (double)time(NULL);
    while (fgets(buf, sizeof(buf), f) != NULL)
        if (sscanf(buf, "btime %llu", &btime) == 1)
            break;
    fclose(f);
    if (btime == 0)
        return (double)time(NULL);
    return (double)btime + (double)ticks / (double)hz;
}

/* ---- JSON and response helpers ---- */

static int
append_cb(const char *data, size_t size, void *arg)
{
    return isx_buf_append(arg, data, size) == 0 ? 0 : -1;
}

static int
header_ok(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s == '\r' || *s == '\n')
            return 0;
    return 1;
}

/*
 * Queues `body` (taken over, left empty) as the response. Adds the headers every response
 * carries, then `n` extra ones.
 */
static enum MHD_Result
respond(struct conn *c, int status, const char *ctype, struct isx_buf *body,
        const char *const *names, const char *const *values, size_t n)
{
    struct MHD_Connection *mc = c->req.conn;
    struct MHD_Response *r;
    enum MHD_Result ret = MHD_NO;
    int own_cache = 0;
    size_t len = body->len;
    char *data = isx_buf_steal(body, NULL);

    if (data == NULL)
        return MHD_NO;
    if (len == 0) {
        /* libmicrohttpd needs no buffer for an empty body. */
        free(data);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (r == NULL)
            free(data);
    }
    if (r == NULL)
        return MHD_NO;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(names[i], "Cache-Control") == 0)
            own_cache = 1;
        if (MHD_add_response_header(r, names[i], values[i]) != MHD_YES)
            goto cleanup;
    }
    if ((ctype != NULL &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES) ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        (!own_cache &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES))
        goto cleanup;
    ret = MHD_queue_response(mc, (unsigned)status, r);
    if (ret == MHD_YES) {
        c->status = status;
        c->resp_bytes = len;
    }

cleanup:
    /* libmicrohttpd keeps its own reference to a queued response. */
    MHD_destroy_response(r);
    return ret;
}

/*
 * Answers with a problem document for `err`. `status` overrides the error's own status when
 * non-zero (414 has no error code of its own); `hname`/`hvalue` add one header.
 */
static enum MHD_Result
problem_status(struct conn *c, int err, const struct isx_diag *d, int status, const char *hname,
               const char *hvalue)
{
    struct isx_buf out = ISX_BUF_INIT;
    const char *names[2] = {NULL, NULL}, *values[2] = {NULL, NULL};
    size_t n = 0;
    enum MHD_Result ret = MHD_NO;
    json_t *doc = NULL;

    if (isx_http_problem_render(c->req.lang, err, d, &out) != 0)
        goto cleanup;
    if (status != 0 && status != isx_err_status(err)) {
        /* The document's "status" must match the answer's (RFC 9457 §3.1.2). */
        doc = json_loadb(out.data, out.len, 0, NULL);
        if (doc == NULL || json_object_set_new(doc, "status", json_integer(status)) != 0)
            goto cleanup;
        isx_buf_reset(&out);
        if (json_dump_callback(doc, append_cb, &out, JSON_COMPACT) != 0)
            goto cleanup;
    } else {
        status = isx_err_status(err);
    }
    if (status == 401) {
        names[n] = "WWW-Authenticate";
        values[n++] = "Bearer";
    }
    if (hname != NULL) {
        names[n] = hname;
        values[n++] = hvalue;
    }
    ret = respond(c, status, PROBLEM_TYPE, &out, names, values, n);

cleanup:
    json_decref(doc);
    isx_buf_free(&out);
    return ret;
}

static enum MHD_Result
problem(struct conn *c, int err, const char *field)
{
    struct isx_diag d = {0};

    isx_diag_set(&d, err, field, NULL, NULL);
    return problem_status(c, err, &d, 0, NULL, NULL);
}

/* ---- built-in routes ---- */

static void
escape_label(struct isx_buf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            isx_buf_putc(out, '\\');
        if (*s == '\n')
            isx_buf_puts(out, "\\n");
        else
            isx_buf_putc(out, *s);
    }
}

static enum MHD_Result
serve_metrics(struct conn *c)
{
    static const char *const classes[NCLASS] = {"2xx", "3xx", "4xx", "5xx"};
    struct isx_http_server *s = c->srv;
    struct isx_buf out = ISX_BUF_INIT;
    enum MHD_Result ret;

    isx_buf_puts(&out, "# HELP isx_http_requests_total HTTP requests answered, by route and "
                       "status class.\n# TYPE isx_http_requests_total counter\n");
    for (size_t i = 0; i < s->nslots; i++)
        for (size_t k = 0; k < NCLASS; k++) {
            isx_buf_puts(&out, "isx_http_requests_total{route=\"");
            escape_label(&out, s->slots[i].label);
            isx_buf_printf(&out, "\",code=\"%s\"} %llu\n", classes[k],
                           (unsigned long long)atomic_load(&s->slots[i].count[k]));
        }
    isx_buf_puts(&out, "# HELP isx_http_request_duration_seconds Time from request line to "
                       "response sent.\n# TYPE isx_http_request_duration_seconds summary\n");
    for (size_t i = 0; i < s->nslots; i++) {
        unsigned long long total = 0;
        for (size_t k = 0; k < NCLASS; k++)
            total += atomic_load(&s->slots[i].count[k]);
        isx_buf_puts(&out, "isx_http_request_duration_seconds_sum{route=\"");
        escape_label(&out, s->slots[i].label);
        isx_buf_printf(&out, "\"} %.6f\n", (double)atomic_load(&s->slots[i].nanos) / 1e9);
        isx_buf_puts(&out, "isx_http_request_duration_seconds_count{route=\"");
        escape_label(&out, s->slots[i].label);
        isx_buf_printf(&out, "\"} %llu\n", total);
    }
    isx_buf_printf(&out,
                   "# HELP isx_http_requests_in_flight Requests being received or answered.\n"
                   "# TYPE isx_http_requests_in_flight gauge\n"
                   "isx_http_requests_in_flight %ld\n"
                   "# HELP isx_http_body_bytes_total Request body bytes received.\n"
                   "# TYPE isx_http_body_bytes_total counter\n"
                   "isx_http_body_bytes_total %llu\n"
                   "# HELP process_start_time_seconds Start time of the process since the "
                   "Unix epoch.\n"
                   "# TYPE process_start_time_seconds gauge\n"
                   "process_start_time_seconds %.3f\n",
                   (long)atomic_load(&s->in_flight),
                   (unsigned long long)atomic_load(&s->body_bytes), s->start_time);
    if (s->cfg.metrics != NULL)
        s->cfg.metrics(s->cfg.ctx, &out);
    if (out.data == NULL && isx_buf_puts(&out, "") != 0)
        return problem(c, ISX_ENOMEM, NULL);
    ret = respond(c, 200, METRICS_TYPE, &out, NULL, NULL, 0);
    isx_buf_free(&out);
    return ret;
}

static enum MHD_Result
serve_builtin(struct conn *c, const char *method)
{
    struct isx_buf out = ISX_BUF_INIT;
    enum MHD_Result ret;
    int metrics = strcmp(c->raw_path, "/metrics") == 0;

    c->slot = metrics ? c->srv->slot_metrics : c->srv->slot_healthz;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct isx_diag d = {0};
        isx_diag_set(&d, ISX_EMETHOD, "method", NULL, NULL);
        return problem_status(c, ISX_EMETHOD, &d, 0, "Allow", "GET, HEAD");
    }
    if (metrics)
        return serve_metrics(c);
    if (isx_buf_puts(&out, "{\"status\":\"ok\"}") != 0)
        return problem(c, ISX_ENOMEM, NULL);
    ret = respond(c, 200, JSON_TYPE, &out, NULL, NULL, 0);
    isx_buf_free(&out);
    return ret;
}

/* ---- routing ---- */

/*
 * Whether `path` has the shape of `pattern`: same number of segments, literal segments equal,
 * each {name} segment non-empty. The raw {name} segments are returned through seg/seglen.
 */
static int
shape_match(const char *pattern, const char *path, const char **seg, size_t *seglen, size_t *nseg)
{
    const char *p = pattern, *q = path;
    size_t n = 0;

    if (*p != '/' || *q != '/')
        return 0;
    while (*p == '/' && *q == '/') {
        size_t plen, qlen;
        p++;
        q++;
        plen = strcspn(p, "/");
        qlen = strcspn(q, "/");
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (qlen == 0 || n == ISX_HTTP_MAX_PARAMS)
                return 0;
            seg[n] = q;
            seglen[n++] = qlen;
        } else if (plen != qlen || memcmp(p, q, plen) != 0) {
            return 0;
        }
        p += plen;
        q += qlen;
    }
    if (*p != '\0' || *q != '\0')
        return 0;
    *nseg = n;
    return 1;
}

static int
hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes one path segment into the arena. A malformed escape, or a decoded '/' or NUL
 * (which would let a parameter name another resource or cut a string short), is ISX_EINVAL.
 */
static int
decode_segment(struct isx_arena *a, const char *s, size_t len, const char **out)
{
    char *dst = isx_arena_alloc(a, len + 1);
    size_t j = 0;

    if (dst == NULL)
        return ISX_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi, lo;
            if (len - i < 3)
                return ISX_EINVAL;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return ISX_EINVAL;
            ch = (char)(hi << 4 | lo);
            i += 2;
        }
        if (ch == '/' || ch == '\0')
            return ISX_EINVAL;
        dst[j++] = ch;
    }
    dst[j] = '\0';
    *out = dst;
    return 0;
}

/* The name of the n-th {name} segment of a pattern, for a diagnostic's field. */
static void
param_name(const char *pattern, size_t idx, char *out, size_t cap)
{
    const char *p = pattern;

    out[0] = '\0';
    while ((p = strchr(p, '{')) != NULL) {
        const char *end = strchr(p, '}');
        if (end == NULL)
            return;
        if (idx-- == 0) {
            snprintf(out, cap, "path.%.*s", (int)(end - p - 1), p + 1);
            return;
        }
        p = end;
    }
}

/*
 * Finds the route for the request, or answers 404, 405 (with Allow) or 400 for a parameter
 * that does not decode. Returns MHD_YES with c->route set when the request goes on.
 */
static enum MHD_Result
find_route(struct conn *c, const char *method, int *answered)
{
    const struct isx_http_config *cfg = &c->srv->cfg;
    const char *seg[ISX_HTTP_MAX_PARAMS], *fseg[ISX_HTTP_MAX_PARAMS];
    size_t seglen[ISX_HTTP_MAX_PARAMS], fseglen[ISX_HTTP_MAX_PARAMS], nseg, fnseg = 0;
    const char *methods[16];
    size_t nmethods = 0, found = cfg->nroutes;

    *answered = 1;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const struct isx_route *r = &cfg->routes[i];
        if (!shape_match(r->pattern, c->raw_path, seg, seglen, &nseg))
            continue;
        if (strcmp(r->method, method) == 0) {
            if (found == cfg->nroutes) {
                found = i;
                fnseg = nseg;
                memcpy(fseg, seg, sizeof(seg));
                memcpy(fseglen, seglen, sizeof(seglen));
            }
            continue;
        }
        /* Collect each other method once, in table order, for the Allow header. */
        size_t k = 0;
        while (k < nmethods && strcmp(methods[k], r->method) != 0)
            k++;
        if (k == nmethods && nmethods < sizeof(methods) / sizeof(methods[0]))
            methods[nmethods++] = r->method;
    }
    if (found == cfg->nroutes) {
        struct isx_diag d = {0};
        const char *allow = "";
        if (nmethods == 0)
            return problem(c, ISX_ENOTFOUND, "path");
        for (size_t k = 0; k < nmethods && allow != NULL; k++)
            allow = isx_arena_printf(c->req.arena, "%s%s%s", allow, k > 0 ? ", " : "", methods[k]);
        if (allow == NULL)
            return problem(c, ISX_ENOMEM, NULL);
        isx_diag_set(&d, ISX_EMETHOD, "method", NULL, NULL);
        return problem_status(c, ISX_EMETHOD, &d, 0, "Allow", allow);
    }

    c->route = &cfg->routes[found];
    c->slot = c->srv->route_slot[found];
    for (size_t k = 0; k < fnseg; k++) {
        int rc = decode_segment(c->req.arena, fseg[k], fseglen[k], &c->req.params[k]);
        if (rc != 0) {
            char field[96];
            param_name(c->route->pattern, k, field, sizeof(field));
            return problem(c, rc, field);
        }
    }
    c->req.nparams = fnseg;
    *answered = 0;
    return MHD_YES;
}

/* ---- authentication ---- */

/* The token of an "Authorization: Bearer <token>" header, copied into the arena, or NULL. */
static const char *
bearer_token(struct conn *c)
{
    const char *h =
        MHD_lookup_connection_value(c->req.conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    size_t len;

    if (h == NULL || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return NULL;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    len = strlen(h);
    while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    return len != 0 ? isx_arena_strndup(c->req.arena, h, len) : NULL;
}

/* Returns 0 when the request may go on; otherwise it has been answered 401 or 403. */
static int
authorize(struct conn *c, enum MHD_Result *ret)
{
    const struct isx_http_config *cfg = &c->srv->cfg;
    const char *token = bearer_token(c);

    if (token != NULL) {
        struct isx_user u = {0};
        /* A token that does not check out is refused even on a public route (RFC 6750 §3.1),
         * so a client never believes it acted as someone it did not. */
        if (cfg->authenticate == NULL || cfg->authenticate(cfg->ctx, token, &u) != 0) {
            *ret = problem(c, ISX_EAUTH, "Authorization");
            return -1;
        }
        c->user = u;
        c->req.user = &c->user;
    }
    if (c->route->roles == 0)
        return 0;
    if (c->req.user == NULL) {
        *ret = problem(c, ISX_EAUTH, "Authorization");
        return -1;
    }
    if ((c->route->roles & (unsigned)c->user.role) == 0) {
        *ret = problem(c, ISX_EFORBIDDEN, NULL);
        return -1;
    }
    return 0;
}

/* ---- request flow ---- */

static enum isx_lang
pick_lang(struct MHD_Connection *mc)
{
    const char *q = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "lang");
    enum isx_lang lang;

    if (q != NULL && isx_lang_parse(q, &lang) == 0)
        return lang;
    return isx_lang_from_accept(
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
}

/* Parses a Content-Length value; UINT64_MAX when it is not a plain decimal number. */
static uint64_t
content_length(const char *s)
{
    uint64_t v = 0;

    if (*s == '\0')
        return UINT64_MAX;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return UINT64_MAX;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    return v;
}

/* The first call for a request: everything decided from the request line and headers. */
static enum MHD_Result
begin(struct conn *c, struct MHD_Connection *mc, const char *method)
{
    const char *cl;
    enum MHD_Result ret = MHD_YES;
    int answered;

    c->started = 1;
    c->req.conn = mc;
    c->req.method = method;
    c->req.path = c->raw_path;
    c->req.ctx = c->srv->cfg.ctx;
    c->req.lang = pick_lang(mc);

    if (strlen(c->raw_path) > MAX_PATH) {
        struct isx_diag d = {0};
        isx_diag_set(&d, ISX_ETOOBIG, "path", NULL, NULL);
        return problem_status(c, ISX_ETOOBIG, &d, 414, NULL, NULL);
    }
    if (strcmp(c->raw_path, "/healthz") == 0 || strcmp(c->raw_path, "/metrics") == 0)
        return serve_builtin(c, method);
    ret = find_route(c, method, &answered);
    if (answered)
        return ret;
    if (authorize(c, &ret) != 0)
        return ret;
    cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && content_length(cl) > c->srv->cfg.max_body)
        return problem(c, ISX_ETOOBIG, "body");
    return MHD_YES;
}

/* Takes one piece of the body; beyond max_body, keeps counting but stores nothing. */
static enum MHD_Result
take_body(struct conn *c, const char *data, size_t *size)
{
    size_t n = *size;
    uint64_t max = c->srv->cfg.max_body;

    *size = 0;
    c->received += n;
    atomic_fetch_add(&c->srv->body_bytes, n);
    if (c->too_big || c->body_err) {
        /* Draining lets the 413 reach the client; an endless sender is cut off instead. */
        return c->received > max + DRAIN_EXTRA ? MHD_NO : MHD_YES;
    }
    if (c->received > max) {
        c->too_big = 1;
        isx_buf_free(&c->body);
        return MHD_YES;
    }
    if (isx_buf_append(&c->body, data, n) != 0) {
        c->body_err = ISX_ENOMEM;
        isx_buf_free(&c->body);
    }
    return MHD_YES;
}

/* The last call: the whole body is in; run the handler and send what it made. */
static enum MHD_Result
finish(struct conn *c)
{
    struct isx_http_req *req = &c->req;
    int rc;

    if (c->too_big)
        return problem(c, ISX_ETOOBIG, "body");
    if (c->body_err != 0)
        return problem(c, c->body_err, NULL);
    req->body = c->body.data;
    req->body_len = c->body.len;
    req->status = 0;
    rc = c->route->handler(req);
    if (rc < 0) {
        isx_buf_free(&req->out);
        return problem_status(c, rc, &req->diag, 0, NULL, NULL);
    }
    if (req->status < 200 || req->status > 599) {
        /* A handler that reports success must give a final status; anything else is a bug in
         * the handler, not a success. */
        if (!c->srv->cfg.quiet)
            fprintf(stderr, "http: handler %s set no status\n",
                    c->route->name != NULL ? c->route->name : c->route->pattern);
        isx_buf_free(&req->out);
        return problem(c, ISX_EIO, NULL);
    }
    return respond(c, req->status, req->content_type != NULL ? req->content_type : JSON_TYPE,
                   &req->out, req->hdr_name, req->hdr_value, req->nhdr);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct conn *c = *con_cls;

    /* No state means the URI callback could not allocate; dropping the connection is all
     * that is left. */
    if (c == NULL)
        return MHD_NO;
    if (!c->started)
        return begin(c, mc, method);
    if (*upload_data_size != 0)
        return take_body(c, upload_data, upload_data_size);
    if (c->status != 0)
        return MHD_YES;
    return finish(c);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
    struct isx_http_server *s = cls;
    struct isx_arena *arena = isx_arena_new();
    struct conn *c;

    if (arena == NULL)
        return NULL;
    c = isx_arena_alloc(arena, sizeof(*c));
    if (c == NULL)
        goto fail;
    memset(c, 0, sizeof(*c));
    c->raw_path = isx_arena_strndup(arena, uri, strcspn(uri, "?"));
    if (c->raw_path == NULL)
        goto fail;
    c->req.arena = arena;
    c->srv = s;
    c->slot = s->slot_unmatched;
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    atomic_fetch_add(&s->in_flight, 1);
    return c;

fail:
    isx_arena_free(arena);
    return NULL;
}

/* Copies at most LOG_FIELD_MAX bytes, replacing anything that could break the log line. */
static void
log_field(char *dst, const char *src)
{
    size_t i = 0;

    for (; src != NULL && src[i] != '\0' && i < LOG_FIELD_MAX; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = ch <= 0x20 || ch >= 0x7f ? '?' : (char)ch;
    }
    if (i == 0)
        dst[i++] = '-';
    dst[i] = '\0';
}

static void
log_request(const struct conn *c, double secs)
{
    char ts[32], method[LOG_FIELD_MAX + 1], path[LOG_FIELD_MAX + 1];
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    log_field(method, c->req.method);
    log_field(path, c->raw_path);
    /* One fprintf per line: stdio locks the stream per call, so workers never interleave. */
    fprintf(stderr, "%s.%03ldZ http %s %s %d %zu %.3fms user=%s\n", ts, now.tv_nsec / 1000000,
            method, path, c->status, c->resp_bytes, secs * 1e3,
            c->req.user != NULL ? c->user.name : "-");
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct isx_http_server *s = cls;
    struct conn *c = *con_cls;
    double secs;

    if (c == NULL)
        return;
    *con_cls = NULL;
    secs = elapsed_s(&c->t0);
    if (c->status >= 200 && c->status <= 599) {
        struct stat_slot *slot = &s->slots[c->slot];
        atomic_fetch_add(&slot->count[c->status / 100 - 2], 1);
        atomic_fetch_add(&slot->nanos, (uint_fast64_t)(secs * 1e9));
    }
    if (!s->cfg.quiet)
        log_request(c, secs);
    isx_buf_free(&c->body);
    isx_buf_free(&c->req.out);
    isx_arena_free(c->req.arena);
    atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- lifecycle ---- */

static int
check_routes(const struct isx_http_config *cfg)
{
    if (cfg->nroutes != 0 && cfg->routes == NULL)
        return ISX_ECONFIG;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const struct isx_route *r = &cfg->routes[i];
        size_t params = 0;
        if (r->method == NULL || r->pattern == NULL || r->handler == NULL || r->pattern[0] != '/')
            return ISX_ECONFIG;
        for (const char *p = r->pattern; (p = strchr(p, '{')) != NULL; p++)
            params++;
        if (params > ISX_HTTP_MAX_PARAMS)
            return ISX_ECONFIG;
    }
    return 0;
}

/* One metrics slot per distinct route label, so two routes sharing a name share a series. */
static int
make_slots(struct isx_http_server *s)
{
    const struct isx_http_config *cfg = &s->cfg;

    s->slots = calloc(cfg->nroutes + 3, sizeof(*s->slots));
    s->route_slot = calloc(cfg->nroutes + 1, sizeof(*s->route_slot));
    if (s->slots == NULL || s->route_slot == NULL)
        return ISX_ENOMEM;
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const char *label =
            cfg->routes[i].name != NULL ? cfg->routes[i].name : cfg->routes[i].pattern;
        size_t k = 0;
        while (k < s->nslots && strcmp(s->slots[k].label, label) != 0)
            k++;
        if (k == s->nslots)
            s->slots[s->nslots++].label = label;
        s->route_slot[i] = k;
    }
    s->slot_healthz = s->nslots;
    s->slots[s->nslots++].label = "healthz";
    s->slot_metrics = s->nslots;
    s->slots[s->nslots++].label = "metrics";
    s->slot_unmatched = s->nslots;
    s->slots[s->nslots++].label = "unmatched";
    for (size_t i = 0; i < s->nslots; i++) {
        for (size_t k = 0; k < NCLASS; k++)
            atomic_init(&s->slots[i].count[k], 0);
        atomic_init(&s->slots[i].nanos, 0);
    }
    return 0;
}

/* Counts the connections each event loop holds, for the acceptor's choice. */
static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct worker *w = cls;

    /* The acceptor counted the connection when it handed it over. */
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&w->open, 1);
}

/*
 * Gives an accepted connection to the event loop holding the fewest; ties take turns. Only the
 * acceptor thread calls this, so `next` needs no lock.
 *
 * The connection limit is kept here, over all loops, and each loop may hold all of it: a loop
 * then never refuses a connection on its own, which it would do without telling the notifier,
 * and the counts stay exact. (A loop that cannot allocate a new connection's memory also drops
 * it silently; that count then stays one too high, which only tilts the balance.)
 */
static void
hand_off(struct isx_http_server *s, int fd, const struct sockaddr *sa, socklen_t salen)
{
    struct worker *best = NULL;
    unsigned best_open = 0, total = 0;

    /* No fork happens while the server runs, but a descriptor must not leak into one anyway. */
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    for (unsigned k = 0; k < s->nworkers; k++) {
        struct worker *w = &s->workers[(s->next + k) % s->nworkers];
        unsigned open = atomic_load(&w->open);
        total += open;
        if (best == NULL || open < best_open) {
            best = w;
            best_open = open;
        }
    }
    s->next = (s->next + 1) % s->nworkers;
    if (total >= s->limit) {
        /* At the limit: refused, as libmicrohttpd refuses. */
        close(fd);
        return;
    }
    atomic_fetch_add(&best->open, 1);
    /* On failure libmicrohttpd has closed the socket and will not report it closed. */
    if (MHD_add_connection(best->daemon, fd, sa, salen) != MHD_YES)
        atomic_fetch_sub(&best->open, 1);
}

static void
pause_briefly(void)
{
    struct timespec t = {0, 10 * 1000 * 1000};

    nanosleep(&t, NULL);
}

/* The acceptor thread: waits for connections or for the stop byte. */
static void *
acceptor_main(void *arg)
{
    struct isx_http_server *s = arg;
    struct pollfd pfd[2] = {{s->listen_fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};

    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd;

        if (poll(pfd, 2, -1) < 0) {
            if (errno != EINTR)
                pause_briefly();
            continue;
        }
        if (pfd[1].revents != 0)
            return NULL;
        if (pfd[0].revents == 0)
            continue;
        fd = accept(s->listen_fd, (struct sockaddr *)&ss, &len);
        if (fd >= 0) {
            hand_off(s, fd, (struct sockaddr *)&ss, len);
        } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of descriptors or memory: the connection stays queued, and retrying at once
             * would spin; wait for some to be released. */
            pause_briefly();
        }
    }
}

/* A non-blocking listening socket on `sa`, and the port it got. */
static int
listen_on(const struct sockaddr *sa, socklen_t salen, int *fd_out, uint16_t *port)
{
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    int on = 1, rc = ISX_EIO;
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return ISX_EIO;
    /* As libmicrohttpd would: rebind at once after a restart, and IPv6 means IPv6 only. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        (sa->sa_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
        bind(fd, sa, salen) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0)
        goto cleanup;
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    *fd_out = fd;
    fd = -1;
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Stops the acceptor, if it runs, and closes the listening socket: no new connection. */
static void
stop_accepting(struct isx_http_server *s)
{
    if (s->acceptor_running) {
        while (write(s->wake[1], "x", 1) < 0 && errno == EINTR)
            ;
        pthread_join(s->acceptor, NULL);
        s->acceptor_running = 0;
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
    }
}

static void
server_free(struct isx_http_server *s)
{
    stop_accepting(s);
    for (unsigned i = 0; s->workers != NULL && i < s->nworkers; i++) {
        if (s->workers[i].daemon != NULL)
            MHD_stop_daemon(s->workers[i].daemon);
    }
    for (int i = 0; i < 2; i++) {
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    }
    free(s->workers);
    free(s->slots);
    free(s->route_slot);
    free(s);
}

int
isx_http_start(const struct isx_http_config *cfg, struct isx_http_server **out)
{
    struct isx_http_server *s = NULL;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    socklen_t salen;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
    unsigned limit = CONN_LIMIT;
    int rc;

    if (cfg == NULL || out == NULL || cfg->address == NULL)
        return ISX_EINVAL;
    rc = check_routes(cfg);
    if (rc != 0)
        return rc;
    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, cfg->address, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons(cfg->port);
        sa = (struct sockaddr *)&sin;
        salen = sizeof(sin);
    } else if (inet_pton(AF_INET6, cfg->address, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(cfg->port);
        sa = (struct sockaddr *)&sin6;
        salen = sizeof(sin6);
    } else {
        return ISX_ECONFIG;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    else
        limit = CONN_LIMIT_SELECT;
    if (!cfg->quiet)
        flags |= MHD_USE_ERROR_LOG;

    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ISX_ENOMEM;
    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    s->cfg = *cfg;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->body_bytes, 0);
    rc = make_slots(s);
    if (rc != 0)
        goto fail;
    s->start_time = process_start_time();
    s->nworkers = cfg->threads > 0 ? cfg->threads : 1u;
    s->workers = calloc(s->nworkers, sizeof(*s->workers));
    if (s->workers == NULL) {
        rc = ISX_ENOMEM;
        goto fail;
    }
    if ((rc = listen_on(sa, salen, &s->listen_fd, &s->port)) != 0)
        goto fail;
    rc = ISX_EIO;
    if (pipe(s->wake) != 0) {
        s->wake[0] = s->wake[1] = -1;
        goto fail;
    }
    (void)fcntl(s->wake[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(s->wake[1], F_SETFD, FD_CLOEXEC);
    s->limit = limit;
    for (unsigned i = 0; i < s->nworkers; i++) {
        atomic_init(&s->workers[i].open, 0);
        s->workers[i].daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
            MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
            on_connection, &s->workers[i], MHD_OPTION_END);
        if (s->workers[i].daemon == NULL)
            goto fail;
    }
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0)
        goto fail;
    s->acceptor_running = 1;
    *out = s;
    return 0;

fail:
    server_free(s);
    return rc;
}

uint16_t
isx_http_port(const struct isx_http_server *s)
{
    return s != NULL ? s->port : 0;
}

void
isx_http_stop(struct isx_http_server *s)
{
    struct timespec tick = {0, 5 * 1000 * 1000};

    if (s == NULL)
        return;
    /* Stop accepting first, then give requests in flight time to finish before the daemons
     * close every connection. */
    stop_accepting(s);
    for (int waited = 0; atomic_load(&s->in_flight) > 0 && waited < STOP_GRACE_MS; waited += 5)
        nanosleep(&tick, NULL);
    server_free(s);
}

/* ---- request helpers ---- */

static const char *
lookup(struct isx_http_req *req, enum MHD_ValueKind kind, const char *name)
{
    const char *v = NULL;
    size_t vlen;

    if (req == NULL || req->conn == NULL || name == NULL)
        return NULL;
    if (MHD_lookup_connection_value_n(req->conn, kind, name, strlen(name), &v, &vlen) != MHD_YES)
        return NULL;
    /* "?flag" has a key and no value; report it as present and empty. */
    return v != NULL ? v : "";
}

const char *
isx_http_query(struct isx_http_req *req, const char *name)
{
    return lookup(req, MHD_GET_ARGUMENT_KIND, name);
}

const char *
isx_http_header(struct isx_http_req *req, const char *name)
{
    return lookup(req, MHD_HEADER_KIND, name);
}

int
isx_http_set_header(struct isx_http_req *req, const char *name, const char *value)
{
    char *n, *v;

    if (req == NULL || name == NULL || value == NULL || name[0] == '\0' ||
        strpbrk(name, " \t:") != NULL || !header_ok(name) || !header_ok(value))
        return ISX_EINVAL;
    /* The server owns framing; a handler changes the media type through content_type. */
    if (strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0 ||
        strcasecmp(name, "Connection") == 0)
        return ISX_EINVAL;
    v = isx_arena_strdup(req->arena, value);
    if (v == NULL)
        return ISX_ENOMEM;
    if (strcasecmp(name, "Content-Type") == 0) {
        req->content_type = v;
        return 0;
    }
    if (req->nhdr == ISX_HTTP_MAX_HEADERS)
        return ISX_ERANGE;
    n = isx_arena_strdup(req->arena, name);
    if (n == NULL)
        return ISX_ENOMEM;
    req->hdr_name[req->nhdr] = n;
    req->hdr_value[req->nhdr++] = v;
    return 0;
}

int
isx_http_reply_json(struct isx_http_req *req, int status, const json_t *v)
{
    struct isx_buf tmp = ISX_BUF_INIT;

    if (req == NULL || v == NULL)
        return ISX_EINVAL;
    /* jansson only fails here for memory, or for a string built without UTF-8 checks. */
    if (json_dump_callback(v, append_cb, &tmp, JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
        isx_buf_free(&tmp);
        return ISX_EINVAL;
    }
    if (tmp.data == NULL && isx_buf_puts(&tmp, "") != 0)
        return ISX_ENOMEM;
    isx_buf_free(&req->out);
    req->out = tmp;
    req->status = status;
    req->content_type = JSON_TYPE;
    return 0;
}

int
isx_http_reply_raw(struct isx_http_req *req, int status, const char *content_type, const char *data,
                   size_t len)
{
    struct isx_buf tmp = ISX_BUF_INIT;
    const char *ctype = NULL;

    if (req == NULL || (data == NULL && len != 0) ||
        (content_type != NULL && !header_ok(content_type)))
        return ISX_EINVAL;
    if (content_type != NULL) {
        ctype = isx_arena_strdup(req->arena, content_type);
        if (ctype == NULL)
            return ISX_ENOMEM;
    }
    if (isx_buf_append(&tmp, data != NULL ? data : "", len) != 0)
        return ISX_ENOMEM;
    isx_buf_free(&req->out);
    req->out = tmp;
    req->status = status;
    req->content_type = ctype;
    return 0;
}

/* application/json or application/<anything>+json, parameters after ';' ignored. */
static int
json_media(const char *ct)
{
    size_t len;

    while (*ct == ' ' || *ct == '\t')
        ct++;
    len = strcspn(ct, ";");
    while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    if (len == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return 1;
    return len > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + len - 5, "+json", 5) == 0 && memchr(ct + 12, '/', len - 12) == NULL;
}

int
isx_http_body_json(struct isx_http_req *req, json_t **out)
{
    const char *ct = isx_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);

    if (ct == NULL || !json_media(ct))
        return isx_diag_set(&req->diag, ISX_EMEDIA, "Content-Type", NULL, NULL);
    if (req->body == NULL || req->body_len == 0)
        return isx_diag_set(&req->diag, ISX_EPARSE, "body", NULL, NULL);
    return isx_json_parse(req->body, req->body_len, out, &req->diag);
}
