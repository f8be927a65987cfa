/*
 * The HTTP load generator of the benchmark: the one client that drives both the raw
 * libmicrohttpd ceiling (mhd_ok.c) and isxd, so their figures compare.
 *
 * How it loads: T threads, each with C keep-alive connections to 127.0.0.1:PORT opened before
 * the clock starts. A connection carries one request at a time (no pipelining): it sends the
 * request, reads the answer (status line, headers, a body of Content-Length bytes) and sends
 * the next. A thread serves its connections with poll(). Latency is taken from the first
 * byte sent to the last byte received and kept in a per-microsecond histogram.
 *
 * Modes:
 *   get     GET PATH (-u), for the raw ceiling.
 *   lookup  GET /api/v1/indicators/lookup?value=V, V a random stored indicator (-s stored).
 *   batch   POST /api/v1/indicators/lookup {"values":[B random stored values]}.
 *   ingest  POST /api/v1/reports, each report carrying B new indicators (bench_value numbers
 *           k*B .. k*B+B-1 for report k), until -n indicators are acknowledged with 201 or the
 *           time runs out. It records when each tenth of -n is reached.
 *   probe   one request (-X METHOD -u PATH [-B BODY]); prints the status and the body.
 * Every run is bounded by -d seconds; the loops are also bounded in count. Answers to
 * requests sent in the first -w seconds (warm-up) are not counted, and a timed run's rates are
 * over its planned time less the warm-up.
 *
 * Figures go to stdout as "KEY_name value" lines (KEY from -k); errors and progress to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"

#define MAX_THREADS    16
#define MAX_CONNS      64
#define MAX_RESPONSE   ((size_t)256 << 20)
#define MAX_RECONNECTS 100      /* after errors, per thread */
#define MAX_REOPENS    10000000 /* after a "Connection: close" answer, per thread */
#define SLICES         10

enum mode { M_GET, M_LOOKUP, M_BATCH, M_INGEST, M_PROBE };

/* What the command line sets; read-only once the threads run. */
static struct {
    enum mode mode;
    uint16_t port;
    char auth[160];
    const char *path;
    const char *method;
    const char *body;
    const char *key;
    int threads, conns;
    double seconds, warmup;
    uint64_t stored, total, batch;
} opt = {.mode = M_GET,
         .path = "/",
         .method = "GET",
         .key = "run",
         .threads = 1,
         .conns = 1,
         .seconds = 10.0,
         .batch = 1000};

/* Ingest progress, shared by the threads. */
static atomic_uint_fast64_t next_report;
static atomic_uint_fast64_t acked;
static _Atomic double slice_at[SLICES];
static unsigned char *report_done; /* 1 per report acknowledged with 201 */
static double start_time;

struct buf {
    char *data;
    size_t len, cap;
};

struct conn {
    int fd;
    int state; /* 0 idle, 1 sending, 2 receiving */
    struct buf out, in;
    size_t sent;
    size_t header_end; /* offset of the body; 0 until the headers are in */
    size_t content_length;
    int status, close_after;
    double started;
    uint64_t report; /* ingest: the report number in flight */
};

struct worker {
    pthread_t tid;
    int index;
    struct conn conns[MAX_CONNS];
    uint64_t rng;
    struct buf body;
    struct bench_hist hist;
    uint64_t ok, errors, misses, values, reconnects, reopens, verified, verify_bad;
    int first_status;
    char first_error[256];
    double ended;
};

static pthread_barrier_t ready;

static int
buf_reserve(struct buf *b, size_t more)
{
    size_t cap = b->cap != 0 ? b->cap : 4096;
    char *p;

    if (b->len + more + 1 <= b->cap)
        return 0;
    while (cap < b->len + more + 1)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int
buf_add(struct buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static int
buf_str(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* Where `needle` first occurs in the `hlen` bytes at `hay`, or NULL. */
static const char *
find(const char *hay, size_t hlen, const char *needle)
{
    size_t nlen = strlen(needle);

    for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

static int
conn_open(struct conn *c)
{
    struct sockaddr_in sin;
    int one = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(opt.port);
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->state = 0;
    return 0;
}

static void
conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Percent-encodes everything but the unreserved characters of RFC 3986. */
static void
url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            buf_add(b, s, 1);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            buf_add(b, esc, 3);
        }
    }
}

static void
request_head(struct buf *out, const char *method, const char *path_start, size_t body_len)
{
    char line[256];

    buf_str(out, method);
    buf_str(out, " ");
    buf_str(out, path_start);
    snprintf(line, sizeof(line), " HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", (unsigned)opt.port);
    buf_str(out, line);
    buf_str(out, opt.auth);
    if (body_len > 0 || strcmp(method, "POST") == 0) {
        snprintf(line, sizeof(line), "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 body_len);
        buf_str(out, line);
    }
    buf_str(out, "\r\n");
}

/* The JSON body of report `k` (bench_value numbers k*batch ..). */
static void
report_body(struct buf *b, uint64_t k)
{
    char value[BENCH_VALUE_MAX], item[BENCH_VALUE_MAX + 64];

    b->len = 0;
    snprintf(item, sizeof(item),
             "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"bench %" PRIu64
             "\"},\"indicators\":[",
             k);
    buf_str(b, item);
    for (uint64_t i = 0; i < opt.batch; i++) {
        const char *type = bench_value(k * opt.batch + i, value);
        snprintf(item, sizeof(item), "%s{\"type\":\"%s\",\"value\":\"%s\"}", i ? "," : "", type,
                 value);
        buf_str(b, item);
    }
    buf_str(b, "]}");
}

static void
batch_body(struct buf *b, uint64_t *rng)
{
    char value[BENCH_VALUE_MAX];

    b->len = 0;
    buf_str(b, "{\"values\":[");
    for (uint64_t i = 0; i < opt.batch; i++) {
        bench_value(bench_rand(rng) % opt.stored, value);
        buf_str(b, i ? ",\"" : "\"");
        buf_str(b, value);
        buf_str(b, "\"");
    }
    buf_str(b, "]}");
}

/* Builds the next request on `c`; returns 0, or 1 when there is no more work. */
static int
next_request(struct worker *w, struct conn *c)
{
    char value[BENCH_VALUE_MAX];
    struct buf *out = &c->out;

    out->len = 0;
    c->sent = 0;
    c->in.len = 0;
    c->header_end = 0;
    c->content_length = 0;
    c->status = 0;
    c->close_after = 0;
    switch (opt.mode) {
    case M_GET:
        request_head(out, "GET", opt.path, 0);
        break;
    case M_LOOKUP: {
        struct buf path = {0};
        bench_value(bench_rand(&w->rng) % opt.stored, value);
        buf_str(&path, "/api/v1/indicators/lookup?value=");
        url_encode(&path, value);
        request_head(out, "GET", path.data != NULL ? path.data : "/", 0);
        free(path.data);
        break;
    }
    case M_BATCH:
        batch_body(&w->body, &w->rng);
        request_head(out, "POST", "/api/v1/indicators/lookup", w->body.len);
        buf_add(out, w->body.data, w->body.len);
        break;
    case M_INGEST: {
        uint64_t k = atomic_fetch_add(&next_report, 1);
        if (k * opt.batch >= opt.total)
            return 1;
        c->report = k;
        report_body(&w->body, k);
        request_head(out, "POST", "/api/v1/reports", w->body.len);
        buf_add(out, w->body.data, w->body.len);
        break;
    }
    case M_PROBE:
        request_head(out, opt.method, opt.path, opt.body != NULL ? strlen(opt.body) : 0);
        if (opt.body != NULL)
            buf_str(out, opt.body);
        break;
    }
    c->state = 1;
    return 0;
}

static void
note_error(struct worker *w, int status, const char *body, size_t len)
{
    w->errors++;
    if (w->first_error[0] == '\0') {
        w->first_status = status;
        snprintf(w->first_error, sizeof(w->first_error), "%.*s", (int)(len < 200 ? len : 200),
                 body != NULL ? body : "(connection)");
        if (w->first_error[0] == '\0')
            snprintf(w->first_error, sizeof(w->first_error), "(empty)");
    }
}

/* Checks a batch answer: one result per value, each naming at least one report. */
static void
verify_batch(struct worker *w, const char *body, size_t len)
{
    json_t *doc = json_loadb(body, len, 0, NULL);
    json_t *results = json_object_get(doc, "results");
    size_t n = json_array_size(results), found = 0;

    for (size_t i = 0; i < n; i++)
        if (json_array_size(json_object_get(json_array_get(results, i), "reports")) > 0)
            found++;
    w->verified++;
    if (n != opt.batch || found != n)
        w->verify_bad++;
    json_decref(doc);
}

/* A complete answer on `c`: counts it. `now` is when its last byte arrived. */
static void
complete(struct worker *w, struct conn *c, double now)
{
    const char *body = c->in.data + c->header_end;
    size_t len = c->content_length;
    int counted = c->started >= start_time + opt.warmup;

    if (opt.mode == M_PROBE) {
        printf("%d\n%.*s\n", c->status, (int)len, body);
        w->ok++;
        return;
    }
    if (!counted)
        return;
    switch (opt.mode) {
    case M_INGEST:
        if (c->status != 201) {
            note_error(w, c->status, body, len);
            return;
        }
        report_done[c->report] = 1;
        uint64_t before = atomic_fetch_add(&acked, opt.batch);
        uint64_t slice = opt.total / SLICES;
        for (int s = 0; s < SLICES && slice > 0; s++)
            if (before < slice * (uint64_t)(s + 1) &&
                before + opt.batch >= slice * (uint64_t)(s + 1))
                atomic_store(&slice_at[s], now);
        break;
    case M_BATCH:
        if (c->status != 200) {
            note_error(w, c->status, body, len);
            return;
        }
        w->values += opt.batch;
        if ((w->ok & 63) == 0)
            verify_batch(w, body, len);
        break;
    case M_LOOKUP:
        if (c->status != 200) {
            note_error(w, c->status, body, len);
            return;
        }
        if (find(body, len, "\"reports\":[]") != NULL || find(body, len, "\"reports\": []") != NULL)
            w->misses++;
        break;
    default:
        if (c->status != 200) {
            note_error(w, c->status, body, len);
            return;
        }
        break;
    }
    w->ok++;
    bench_hist_add(&w->hist, now - c->started);
}

/* Parses the headers once they are all in; -1 on a malformed or unsupported answer. */
static int
parse_head(struct conn *c)
{
    char *end = (char *)find(c->in.data, c->in.len, "\r\n\r\n");
    char *line;

    if (end == NULL)
        return c->in.len > 65536 ? -1 : 0;
    *end = '\0';
    c->header_end = (size_t)(end - c->in.data) + 4;
    if (sscanf(c->in.data, "HTTP/1.%*d %d", &c->status) != 1)
        return -1;
    c->content_length = 0;
    int have_length = 0;
    for (line = strstr(c->in.data, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, "Content-Length:", 15) == 0) {
            c->content_length = strtoull(h + 15, NULL, 10);
            have_length = 1;
        } else if (strncasecmp(h, "Connection:", 11) == 0 && strstr(h, "close") != NULL) {
            c->close_after = 1;
        } else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
            return -1; /* chunked answers are not expected from these servers */
        }
    }
    if (!have_length || c->content_length > MAX_RESPONSE)
        return -1;
    return 1;
}

/* Drops a broken connection and opens a new one, within the worker's budget. */
static int
reconnect(struct worker *w, struct conn *c)
{
    conn_close(c);
    c->state = 0;
    if (w->reconnects++ >= MAX_RECONNECTS)
        return -1;
    return conn_open(c);
}

/* Moves `c` on after poll said it is ready. */
static void
service(struct worker *w, struct conn *c, short revents)
{
    if (c->state == 1 && (revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            note_error(w, 0, NULL, 0);
            reconnect(w, c);
            return;
        }
        c->sent += (size_t)n;
        if (c->sent == c->out.len)
            c->state = 2;
        return;
    }
    if (c->state == 2 && (revents & (POLLIN | POLLERR | POLLHUP))) {
        if (buf_reserve(&c->in, 65536) != 0) {
            note_error(w, 0, NULL, 0);
            reconnect(w, c);
            return;
        }
        ssize_t n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            note_error(w, 0, NULL, 0);
            reconnect(w, c);
            return;
        }
        c->in.len += (size_t)n;
        c->in.data[c->in.len] = '\0';
        if (c->header_end == 0) {
            int rc = parse_head(c);
            if (rc < 0) {
                note_error(w, c->status, c->in.data, c->in.len);
                reconnect(w, c);
                return;
            }
            if (rc == 0)
                return;
        }
        if (c->in.len - c->header_end < c->content_length)
            return;
        complete(w, c, bench_now());
        c->state = 0;
        if (c->close_after) {
            /* The server ended the keep-alive: a new connection, counted apart from errors. */
            conn_close(c);
            if (w->reopens++ < MAX_REOPENS)
                conn_open(c);
        }
    }
}

static void *
worker_main(void *p)
{
    struct worker *w = p;
    struct pollfd pfd[MAX_CONNS];
    int open = 0;
    double deadline, now;

    for (int i = 0; i < opt.conns; i++) {
        w->conns[i].fd = -1;
        if (conn_open(&w->conns[i]) == 0)
            open++;
    }
    /* Once every thread has connected, the main thread sets the start time; then all go. */
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&ready);
    deadline = start_time + opt.seconds;
    if (open == 0) {
        note_error(w, 0, "(cannot connect)", 16);
        w->ended = bench_now();
        return NULL;
    }
    /* Each pass makes progress or waits at most 100 ms in poll; the pass count is bounded. */
    for (uint64_t pass = 0; pass < UINT64_C(1) << 40; pass++) {
        int nfd = 0, busy = 0;

        now = bench_now();
        if (now >= deadline)
            break;
        for (int i = 0; i < opt.conns; i++) {
            struct conn *c = &w->conns[i];
            if (c->fd < 0)
                continue;
            if (c->state == 0) {
                if (opt.mode == M_PROBE && w->ok + w->errors > 0)
                    continue;
                if (next_request(w, c) != 0)
                    continue;
                c->started = bench_now();
            }
            busy++;
            pfd[nfd].fd = c->fd;
            pfd[nfd].events = c->state == 1 ? POLLOUT : POLLIN;
            pfd[nfd].revents = 0;
            nfd++;
        }
        if (busy == 0)
            break;
        int timeout = (int)((deadline - now) * 1000.0) + 1;
        if (poll(pfd, (nfds_t)nfd, timeout < 100 ? timeout : 100) <= 0)
            continue;
        for (int k = 0; k < nfd; k++) {
            if (pfd[k].revents == 0)
                continue;
            for (int i = 0; i < opt.conns; i++)
                if (w->conns[i].fd == pfd[k].fd) {
                    service(w, &w->conns[i], pfd[k].revents);
                    break;
                }
        }
    }
    w->ended = bench_now();
    for (int i = 0; i < opt.conns; i++)
        conn_close(&w->conns[i]);
    return NULL;
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: loadgen -m get|lookup|batch|ingest|probe -p PORT [-t THREADS] [-c CONNS]\n"
            "               [-d SECONDS] [-w WARMUP] [-T TOKENFILE] [-u PATH] [-X METHOD]\n"
            "               [-B BODY] [-s STORED] [-n TOTAL] [-b BATCH] [-k KEY]\n");
    return 2;
}

static int
read_token(const char *path)
{
    char tok[128] = {0};
    FILE *f = fopen(path, "r");

    if (f == NULL || fgets(tok, sizeof(tok), f) == NULL) {
        if (f != NULL)
            fclose(f);
        fprintf(stderr, "loadgen: cannot read the token in %s\n", path);
        return -1;
    }
    fclose(f);
    tok[strcspn(tok, "\r\n")] = '\0';
    snprintf(opt.auth, sizeof(opt.auth), "Authorization: Bearer %s\r\n", tok);
    return 0;
}

static void
print_results(struct worker *ws, double elapsed)
{
    struct bench_hist all;
    uint64_t ok = 0, errors = 0, misses = 0, values = 0, verified = 0, verify_bad = 0;
    uint64_t reopens = 0;
    const char *k = opt.key;

    if (bench_hist_init(&all) != 0)
        return;
    for (int t = 0; t < opt.threads; t++) {
        bench_hist_merge(&all, &ws[t].hist);
        ok += ws[t].ok;
        errors += ws[t].errors;
        misses += ws[t].misses;
        values += ws[t].values;
        verified += ws[t].verified;
        verify_bad += ws[t].verify_bad;
        reopens += ws[t].reopens;
        if (ws[t].first_error[0] != '\0')
            fprintf(stderr, "loadgen %s: first error (status %d): %s\n", k, ws[t].first_status,
                    ws[t].first_error);
    }
    printf("%s_requests %" PRIu64 "\n%s_errors %" PRIu64 "\n%s_seconds %.3f\n", k, ok, k, errors, k,
           elapsed);
    printf("%s_rate %.0f\n", k, elapsed > 0.0 ? (double)ok / elapsed : 0.0);
    printf("%s_reopened %" PRIu64 "\n", k, reopens);
    printf("%s_p50_us %.0f\n%s_p90_us %.0f\n%s_p99_us %.0f\n%s_max_us %.0f\n", k,
           bench_hist_quantile(&all, 0.50), k, bench_hist_quantile(&all, 0.90), k,
           bench_hist_quantile(&all, 0.99), k, bench_hist_quantile(&all, 1.0));
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        printf("%s_client_cpu_s %.2f\n", k,
               (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    if (opt.mode == M_LOOKUP)
        printf("%s_misses %" PRIu64 "\n", k, misses);
    if (opt.mode == M_BATCH)
        printf("%s_values_rate %.0f\n%s_verified %" PRIu64 "\n%s_verify_bad %" PRIu64 "\n", k,
               elapsed > 0.0 ? (double)values / elapsed : 0.0, k, verified, k, verify_bad);
    bench_hist_free(&all);
}

static void
print_ingest(double elapsed)
{
    const char *k = opt.key;
    uint64_t total = atomic_load(&acked), reports = opt.total / opt.batch, prefix = 0;
    uint64_t slice = opt.total / SLICES;
    double last = start_time;

    while (prefix < reports && report_done[prefix])
        prefix++;
    printf("%s_indicators %" PRIu64 "\n%s_contiguous %" PRIu64 "\n", k, total, k,
           prefix * opt.batch);
    for (int s = 0; s < SLICES; s++) {
        double at = atomic_load(&slice_at[s]);
        if (at <= 0.0)
            break;
        printf("%s_slice_%d %.0f\n", k, s + 1, (double)slice / (at - last));
        last = at;
    }
    double at9 = atomic_load(&slice_at[SLICES - 1]), at8 = atomic_load(&slice_at[SLICES - 2]);
    if (at9 > 0.0 && at8 > 0.0)
        printf("%s_last_rate %.0f\n", k, (double)slice / (at9 - at8));
    /* Over the whole run: to the last acknowledgement when all arrived, else to the end. */
    double span = at9 > 0.0 ? at9 - start_time : elapsed;
    printf("%s_ind_rate %.0f\n", k, span > 0.0 ? (double)total / span : 0.0);
}

int
main(int argc, char **argv)
{
    static struct worker ws[MAX_THREADS];
    int ch, rc = 0;

    while ((ch = getopt(argc, argv, "m:p:t:c:d:w:T:u:X:B:s:n:b:k:")) != -1) {
        switch (ch) {
        case 'm':
            if (strcmp(optarg, "get") == 0)
                opt.mode = M_GET;
            else if (strcmp(optarg, "lookup") == 0)
                opt.mode = M_LOOKUP;
            else if (strcmp(optarg, "batch") == 0)
                opt.mode = M_BATCH;
            else if (strcmp(optarg, "ingest") == 0)
                opt.mode = M_INGEST;
            else if (strcmp(optarg, "probe") == 0)
                opt.mode = M_PROBE;
            else
                return usage();
            break;
        case 'p':
            opt.port = (uint16_t)strtoul(optarg, NULL, 10);
            break;
        case 't':
            opt.threads = atoi(optarg);
            break;
        case 'c':
            opt.conns = atoi(optarg);
            break;
        case 'd':
            opt.seconds = strtod(optarg, NULL);
            break;
        case 'w':
            opt.warmup = strtod(optarg, NULL);
            break;
        case 'T':
            if (read_token(optarg) != 0)
                return 1;
            break;
        case 'u':
            opt.path = optarg;
            break;
        case 'X':
            opt.method = optarg;
            break;
        case 'B':
            opt.body = optarg;
            break;
        case 's':
            opt.stored = strtoull(optarg, NULL, 10);
            break;
        case 'n':
            opt.total = strtoull(optarg, NULL, 10);
            break;
        case 'b':
            opt.batch = strtoull(optarg, NULL, 10);
            break;
        case 'k':
            opt.key = optarg;
            break;
        default:
            return usage();
        }
    }
    if (optind != argc || opt.port == 0 || opt.threads < 1 || opt.threads > MAX_THREADS ||
        opt.conns < 1 || opt.conns > MAX_CONNS || !(opt.seconds > 0.0) || opt.batch < 1 ||
        opt.batch > 10000 || opt.warmup < 0.0 || opt.warmup >= opt.seconds)
        return usage();
    if ((opt.mode == M_LOOKUP || opt.mode == M_BATCH) && opt.stored == 0)
        return usage();
    if (opt.mode == M_INGEST) {
        if (opt.total < opt.batch * SLICES || opt.total > (UINT64_C(1) << 26))
            return usage();
        report_done = calloc(opt.total / opt.batch + 1, 1);
        if (report_done == NULL)
            return 1;
    }
    if (opt.mode == M_PROBE)
        opt.threads = opt.conns = 1;
    signal(SIGPIPE, SIG_IGN);
    if (pthread_barrier_init(&ready, NULL, (unsigned)opt.threads + 1) != 0)
        return 1;
    for (int t = 0; t < opt.threads; t++) {
        ws[t].index = t;
        ws[t].rng = bench_mix64(0xB5EEDull + (uint64_t)t);
        if (bench_hist_init(&ws[t].hist) != 0 ||
            pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0)
            return 1;
    }
    pthread_barrier_wait(&ready);
    start_time = bench_now();
    pthread_barrier_wait(&ready);
    for (int t = 0; t < opt.threads; t++)
        pthread_join(ws[t].tid, NULL);

    double ended = start_time;
    for (int t = 0; t < opt.threads; t++)
        if (ws[t].ended > ended)
            ended = ws[t].ended;
    /* A timed run is measured over its planned time, so threads that lost every connection
     * early lower the rate instead of raising it; an ingest run over the time it took. */
    double elapsed = opt.mode == M_INGEST ? ended - start_time : opt.seconds - opt.warmup;
    if (ended - start_time < opt.seconds * 0.99 && opt.mode != M_INGEST && opt.mode != M_PROBE)
        fprintf(stderr, "loadgen %s: the run ended after %.2f s of %.2f s (connections lost)\n",
                opt.key, ended - start_time, opt.seconds);
    if (opt.mode == M_PROBE) {
        rc = ws[0].ok == 1 ? 0 : 1;
        if (rc != 0)
            fprintf(stderr, "loadgen: no answer from 127.0.0.1:%u\n", (unsigned)opt.port);
    } else {
        print_results(ws, elapsed);
        if (opt.mode == M_INGEST)
            print_ingest(elapsed);
    }
    for (int t = 0; t < opt.threads; t++) {
        bench_hist_free(&ws[t].hist);
        free(ws[t].body.data);
        for (int i = 0; i < MAX_CONNS; i++) {
            free(ws[t].conns[i].out.data);
            free(ws[t].conns[i].in.data);
        }
    }
    free(report_done);
    return rc;
}
