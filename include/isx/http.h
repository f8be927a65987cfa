/*
 * The HTTP server (libmicrohttpd) and client (libcurl). Routes are data: a table of
 * {method, pattern, handler, roles}; the server matches, authenticates, collects the body
 * within a size limit, gives each request an arena, calls the handler, and renders a
 * failure as RFC 9457 application/problem+json in the caller's language. One log line per
 * request goes to stderr.
 */
#ifndef ISX_HTTP_H
#define ISX_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/arena.h"
#include "isx/auth.h"
#include "isx/buf.h"
#include "isx/error.h"
#include "isx/i18n.h"

#define ISX_HTTP_MAX_PARAMS  4
#define ISX_HTTP_MAX_HEADERS 8

struct isx_http_req {
    struct isx_arena *arena; /* freed when the response has been sent */
    const char *method;
    const char *path;                        /* without the query string */
    const char *params[ISX_HTTP_MAX_PARAMS]; /* values of {name} segments, in order */
    size_t nparams;
    const char *body; /* NUL-terminated; NULL when the request had none */
    size_t body_len;
    const struct isx_user *user; /* NULL on public routes without a token */
    enum isx_lang lang;          /* ?lang=, else Accept-Language, else English */
    void *ctx;                   /* the server's application context */
    void *conn;                  /* private to the server */

    /* The response, filled by the handler. */
    int status;
    const char *content_type; /* default application/json */
    struct isx_buf out;
    const char *hdr_name[ISX_HTTP_MAX_HEADERS];
    const char *hdr_value[ISX_HTTP_MAX_HEADERS];
    size_t nhdr;
    struct isx_diag diag; /* set by a handler that fails; rendered as a problem */
};

/*
 * A handler returns 0 after filling the response, or a negative ISX_E* code after filling
 * req->diag (isx_diag_set); the server then answers with a problem document.
 */
typedef int (*isx_http_handler)(struct isx_http_req *req);

struct isx_route {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/pocs/{id}"; a {name} segment matches one path segment */
    isx_http_handler handler;
    unsigned roles;   /* ISX_ROLES_*; 0 = public */
    const char *name; /* short label for metrics and logs: "poc.get" */
};

/* Application hook that turns a bearer token into a user; 0 or ISX_EAUTH. */
typedef int (*isx_http_auth_fn)(void *ctx, const char *token, struct isx_user *out);
/* Application hook that appends extra Prometheus text to /metrics. */
typedef void (*isx_http_metrics_fn)(void *ctx, struct isx_buf *out);

struct isx_http_config {
    const char *address; /* "127.0.0.1" */
    uint16_t port;       /* 0 picks a free port; see isx_http_port */
    size_t max_body;     /* bytes; a larger body is refused with 413 before it is read */
    unsigned threads;    /* worker threads */
    const struct isx_route *routes;
    size_t nroutes;
    isx_http_auth_fn authenticate;
    isx_http_metrics_fn metrics;
    void *ctx;
    int quiet; /* no request log lines */
};

struct isx_http_server;

int isx_http_start(const struct isx_http_config *cfg, struct isx_http_server **out);
uint16_t isx_http_port(const struct isx_http_server *s);
/* Stops accepting, finishes requests in flight, frees the server. */
void isx_http_stop(struct isx_http_server *s);

/* Request helpers. Returned strings live in the request's arena (or in libmicrohttpd). */
const char *isx_http_query(struct isx_http_req *req, const char *name);
const char *isx_http_header(struct isx_http_req *req, const char *name);

/* Response helpers. */
int isx_http_set_header(struct isx_http_req *req, const char *name, const char *value);
/* Serialises `v` (borrowed) as the JSON response body with `status`. */
int isx_http_reply_json(struct isx_http_req *req, int status, const json_t *v);
/* Sends `len` bytes as the body. */
int isx_http_reply_raw(struct isx_http_req *req, int status, const char *content_type,
                       const char *data, size_t len);

/*
 * Parses the request body as JSON (isx_json_parse rules) after checking the Content-Type is
 * JSON. Returns a new reference in *out, or an error with req->diag set.
 */
int isx_http_body_json(struct isx_http_req *req, json_t **out);

/*
 * Renders a problem document (RFC 9457) for `err` and `d` in `lang`:
 * {"type":"urn:isx:problem:<name>","title","status","detail","field","code"}.
 * Used by the server; exposed so the CLI can print the same words.
 */
int isx_http_problem_render(enum isx_lang lang, int err, const struct isx_diag *d,
                            struct isx_buf *out);

/* The HTTP client used by the CLI and (later) federation. */
struct isx_http_response {
    long status;
    struct isx_buf body;
    char content_type[128];
};

/*
 * Sends one request. `token` may be NULL; `body` may be NULL. `lang` goes out as
 * Accept-Language. Returns 0 when an HTTP answer arrived (any status), ISX_ENET otherwise.
 * The caller frees resp->body with isx_buf_free.
 */
int isx_http_request(const char *method, const char *url, const char *token, enum isx_lang lang,
                     const char *body, size_t body_len, long timeout_ms,
                     struct isx_http_response *resp);

/* The same request with extra headers: `headers` holds `nheaders` (name, value) pairs. */
struct isx_http_call {
    const char *method;
    const char *url;
    const char *token; /* may be NULL */
    enum isx_lang lang;
    const char *body; /* may be NULL */
    size_t body_len;
    long timeout_ms;
    const char *const *headers;
    size_t nheaders;
};
int isx_http_call(const struct isx_http_call *call, struct isx_http_response *resp);

#endif
