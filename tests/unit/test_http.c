/*
 * Tests of the HTTP layer: a server on 127.0.0.1 with a small route table, exercised through
 * isx_http_request and, where headers or framing matter, through a raw socket. Covers routing,
 * path parameters, authentication and roles, body limits (Content-Length and chunked), media
 * types, problem documents in the caller's language, the built-in /healthz and /metrics, the
 * request log, and concurrent clients.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "isx/http.h"

#define MAX_BODY 1024
#define TIMEOUT  10000L

static struct isx_http_server *srv;
static uint16_t port;

/* ---- the application under test ---- */

static int
h_hello(struct isx_http_req *req)
{
    json_t *v = json_pack("{s:s, s:s, s:s?}", "hello", "world", "lang", isx_lang_code(req->lang),
                          "user", req->user != NULL ? req->user->name : NULL);
    int rc = isx_http_reply_json(req, 200, v);

    json_decref(v);
    return rc;
}

static int
h_item(struct isx_http_req *req)
{
    json_t *v = json_pack("{s:s, s:i}", "id", req->params[0], "n", (int)req->nparams);
    int rc = isx_http_reply_json(req, 200, v);

    json_decref(v);
    return rc;
}

static int
h_delete(struct isx_http_req *req)
{
    req->status = 204;
    return 0;
}

static int
h_pair(struct isx_http_req *req)
{
    json_t *v = json_pack("{s:s, s:s}", "x", req->params[0], "y", req->params[1]);
    int rc = isx_http_reply_json(req, 200, v);

    json_decref(v);
    return rc;
}

static int
h_echo(struct isx_http_req *req)
{
    json_t *v;
    int rc = isx_http_body_json(req, &v);

    if (rc != 0)
        return rc;
    rc = isx_http_reply_json(req, 200, v);
    json_decref(v);
    return rc;
}

static int
h_fail(struct isx_http_req *req)
{
    return isx_diag_set(&req->diag, ISX_EFIELD, "body.name", NULL, NULL);
}

static int
h_admin(struct isx_http_req *req)
{
    json_t *v = json_pack("{s:s}", "admin", req->user->name);
    int rc = isx_http_reply_json(req, 200, v);

    json_decref(v);
    return rc;
}

static int
h_nostatus(struct isx_http_req *req)
{
    return 0;
}

static int
h_redirect(struct isx_http_req *req)
{
    int rc = isx_http_set_header(req, "Location", "/healthz");

    if (rc == 0)
        rc = isx_http_reply_raw(req, 302, "text/plain; charset=utf-8", "moved", 5);
    return rc;
}

static int
h_query(struct isx_http_req *req)
{
    json_t *v = json_pack("{s:s?, s:s?, s:s?, s:s?}", "q", isx_http_query(req, "q"), "flag",
                          isx_http_query(req, "flag"), "h", isx_http_header(req, "X-Test"),
                          "missing", isx_http_query(req, "missing"));
    int rc = isx_http_set_header(req, "Cache-Control", "max-age=60");

    if (rc == 0)
        rc = isx_http_reply_json(req, 200, v);
    json_decref(v);
    return rc;
}

static const struct isx_route routes[] = {
    {"GET", "/api/v1/hello", h_hello, ISX_ROLES_NONE, "hello"},
    {"GET", "/api/v1/items/{id}", h_item, ISX_ROLES_NONE, "item.get"},
    {"DELETE", "/api/v1/items/{id}", h_delete, ISX_ROLES_NONE, "item.delete"},
    {"GET", "/api/v1/pairs/{x}/{y}", h_pair, ISX_ROLES_NONE, "pair.get"},
    {"POST", "/api/v1/echo", h_echo, ISX_ROLES_NONE, "echo"},
    {"POST", "/api/v1/fail", h_fail, ISX_ROLES_NONE, "fail"},
    {"GET", "/api/v1/admin", h_admin, ISX_ROLES_ADMIN, "admin"},
    {"GET", "/api/v1/nostatus", h_nostatus, ISX_ROLES_NONE, "nostatus"},
    {"GET", "/api/v1/redirect", h_redirect, ISX_ROLES_NONE, "redirect"},
    {"GET", "/api/v1/query", h_query, ISX_ROLES_NONE, "query"},
};

static int
test_auth(void *ctx, const char *token, struct isx_user *out)
{
    struct isx_user u = {0};

    if (strcmp(token, "admin-token") == 0) {
        u.id = 1;
        strcpy(u.name, "alice");
        u.role = ISX_ROLE_ADMIN;
    } else if (strcmp(token, "observer-token") == 0) {
        u.id = 2;
        strcpy(u.name, "oscar");
        u.role = ISX_ROLE_OBSERVER;
    } else {
        return ISX_EAUTH;
    }
    *out = u;
    return 0;
}

static void
test_metrics_hook(void *ctx, struct isx_buf *out)
{
    isx_buf_puts(out, "# TYPE isx_test_marker gauge\nisx_test_marker 1\n");
}

static struct isx_http_config
test_config(void)
{
    struct isx_http_config cfg = {0};

    cfg.address = "127.0.0.1";
    cfg.port = 0;
    cfg.max_body = MAX_BODY;
    cfg.threads = 4;
    cfg.routes = routes;
    cfg.nroutes = sizeof(routes) / sizeof(routes[0]);
    cfg.authenticate = test_auth;
    cfg.metrics = test_metrics_hook;
    cfg.quiet = 1;
    return cfg;
}

static int
setup(void **state)
{
    struct isx_http_config cfg = test_config();

    if (isx_http_start(&cfg, &srv) != 0)
        return -1;
    port = isx_http_port(srv);
    return port != 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    isx_http_stop(srv);
    srv = NULL;
    return 0;
}

/* ---- client helpers ---- */

static void
make_url(char *out, size_t cap, const char *path)
{
    snprintf(out, cap, "http://127.0.0.1:%u%s", (unsigned)port, path);
}

static int
call(const char *method, const char *path, const char *token, enum isx_lang lang, const char *body,
     struct isx_http_response *resp)
{
    char url[4096];

    make_url(url, sizeof(url), path);
    return isx_http_request(method, url, token, lang, body, body != NULL ? strlen(body) : 0,
                            TIMEOUT, resp);
}

/* Sends raw bytes on a fresh connection and reads until the server closes it. */
static int
raw_exchange(const char *request, size_t len, struct isx_buf *out)
{
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    char buf[4096];
    size_t off = 0;
    ssize_t n;
    int status = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        goto done;
    while (off < len) {
        n = send(fd, request + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
        isx_buf_append(out, buf, (size_t)n);
    if (out->data != NULL)
        sscanf(out->data, "HTTP/1.%*d %d", &status);
done:
    close(fd);
    return status;
}

static int
raw(const char *request, struct isx_buf *out)
{
    return raw_exchange(request, strlen(request), out);
}

/* The value of a header in a raw response (first match, headers section only), or NULL. */
static const char *
raw_header(const struct isx_buf *resp, const char *name, char *val, size_t cap)
{
    const char *p = resp->data;
    const char *end = strstr(p, "\r\n\r\n");
    size_t nlen = strlen(name);

    while (p != NULL && p < end) {
        p = strstr(p, "\r\n");
        if (p == NULL || p >= end)
            return NULL;
        p += 2;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            size_t vlen;
            while (*v == ' ')
                v++;
            vlen = strcspn(v, "\r");
            snprintf(val, cap, "%.*s", (int)vlen, v);
            return val;
        }
    }
    return NULL;
}

static json_t *
raw_json(const struct isx_buf *resp)
{
    const char *body = strstr(resp->data, "\r\n\r\n");

    return body != NULL ? json_loads(body + 4, 0, NULL) : NULL;
}

static json_t *
body_json(const struct isx_http_response *r)
{
    json_t *v = json_loadb(r->body.data, r->body.len, 0, NULL);

    assert_non_null(v);
    return v;
}

static const char *
jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Checks the shape every problem document must have. */
static void
check_problem_doc(const json_t *doc, int status, int err, const char *field)
{
    char type[96];

    snprintf(type, sizeof(type), "urn:isx:problem:%s", isx_err_name(err));
    for (char *p = type + strlen("urn:isx:problem:"); *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    assert_non_null(doc);
    assert_string_equal(jstr(doc, "type"), type);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), status);
    assert_string_equal(jstr(doc, "code"), isx_err_name(err));
    assert_non_null(jstr(doc, "title"));
    assert_true(strlen(jstr(doc, "title")) > 0);
    assert_non_null(jstr(doc, "detail"));
    if (field != NULL)
        assert_string_equal(jstr(doc, "field"), field);
}

static void
check_problem(const struct isx_http_response *r, int status, int err, const char *field)
{
    json_t *doc;

    assert_int_equal(r->status, status);
    assert_true(strncmp(r->content_type, "application/problem+json", 24) == 0);
    doc = body_json(r);
    check_problem_doc(doc, status, err, field);
    json_decref(doc);
}

/* ---- tests ---- */

static void
test_get_ok(void **state)
{
    struct isx_http_response r;
    json_t *v;

    assert_int_equal(call("GET", "/api/v1/hello", NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    v = body_json(&r);
    assert_string_equal(jstr(v, "hello"), "world");
    assert_string_equal(jstr(v, "lang"), "en");
    assert_true(json_is_null(json_object_get(v, "user")));
    json_decref(v);
    /* Compact output, UTF-8 unescaped. */
    assert_string_equal(r.body.data, "{\"hello\":\"world\",\"lang\":\"en\",\"user\":null}");
    isx_buf_free(&r.body);
}

static void
test_security_headers(void **state)
{
    struct isx_buf out = ISX_BUF_INIT;
    char val[256];

    assert_int_equal(
        raw("GET /api/v1/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &out), 200);
    assert_non_null(raw_header(&out, "X-Content-Type-Options", val, sizeof(val)));
    assert_string_equal(val, "nosniff");
    assert_non_null(raw_header(&out, "Cache-Control", val, sizeof(val)));
    assert_string_equal(val, "no-store");
    isx_buf_free(&out);

    /* Problems carry them too. */
    assert_int_equal(raw("GET /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &out),
                     404);
    assert_non_null(raw_header(&out, "X-Content-Type-Options", val, sizeof(val)));
    assert_string_equal(val, "nosniff");
    assert_non_null(raw_header(&out, "Cache-Control", val, sizeof(val)));
    assert_string_equal(val, "no-store");
    isx_buf_free(&out);
}

static void
test_path_params(void **state)
{
    static const struct {
        const char *path;
        const char *id;
    } ok[] = {
        {"/api/v1/items/abc", "abc"},
        {"/api/v1/items/a%20b", "a b"},
        {"/api/v1/items/%E4%B8%AD%e6%96%87", "\xe4\xb8\xad\xe6\x96\x87"},
        {"/api/v1/items/report--8d0b6a8e", "report--8d0b6a8e"},
        {"/api/v1/items/a+b", "a+b"},
    };
    struct isx_http_response r;
    json_t *v;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(call("GET", ok[i].path, NULL, ISX_LANG_EN, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        v = body_json(&r);
        assert_string_equal(jstr(v, "id"), ok[i].id);
        assert_int_equal(json_integer_value(json_object_get(v, "n")), 1);
        json_decref(v);
        isx_buf_free(&r.body);
    }

    assert_int_equal(call("GET", "/api/v1/pairs/1/two%21", NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    v = body_json(&r);
    assert_string_equal(jstr(v, "x"), "1");
    assert_string_equal(jstr(v, "y"), "two!");
    json_decref(v);
    isx_buf_free(&r.body);
}

static void
test_bad_params(void **state)
{
    static const char *const bad[] = {
        "/api/v1/items/a%2Fb", "/api/v1/items/a%2fb", "/api/v1/items/a%00",
        "/api/v1/items/%zz",   "/api/v1/items/abc%4",
    };
    struct isx_http_response r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(call("GET", bad[i], NULL, ISX_LANG_EN, NULL, &r), 0);
        check_problem(&r, 400, ISX_EINVAL, "path.id");
        isx_buf_free(&r.body);
    }
}

static void
test_not_found(void **state)
{
    static const char *const paths[] = {
        "/nowhere",          "/api/v1/items",  "/api/v1/items/",
        "/api/v1/items/a/b", "/api/v1/hello/", "/API/v1/hello",
    };
    struct isx_http_response r;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        assert_int_equal(call("GET", paths[i], NULL, ISX_LANG_EN, NULL, &r), 0);
        check_problem(&r, 404, ISX_ENOTFOUND, "path");
        isx_buf_free(&r.body);
    }
}

static void
test_method_not_allowed(void **state)
{
    struct isx_http_response r;
    struct isx_buf out = ISX_BUF_INIT;
    char val[128];

    assert_int_equal(call("PUT", "/api/v1/items/x", NULL, ISX_LANG_EN, NULL, &r), 0);
    check_problem(&r, 405, ISX_EMETHOD, "method");
    isx_buf_free(&r.body);

    assert_int_equal(
        raw("POST /api/v1/items/x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: "
            "close\r\n\r\n",
            &out),
        405);
    assert_non_null(raw_header(&out, "Allow", val, sizeof(val)));
    assert_string_equal(val, "GET, DELETE");
    isx_buf_free(&out);

    assert_int_equal(call("DELETE", "/api/v1/items/x", NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 204);
    isx_buf_free(&r.body);

    assert_int_equal(
        raw("POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            &out),
        405);
    assert_non_null(raw_header(&out, "Allow", val, sizeof(val)));
    assert_string_equal(val, "GET, HEAD");
    isx_buf_free(&out);
}

static void
test_auth_roles(void **state)
{
    struct isx_http_response r;
    struct isx_buf out = ISX_BUF_INIT;
    char val[128];
    json_t *v;

    assert_int_equal(call("GET", "/api/v1/admin", NULL, ISX_LANG_EN, NULL, &r), 0);
    check_problem(&r, 401, ISX_EAUTH, NULL);
    isx_buf_free(&r.body);

    assert_int_equal(call("GET", "/api/v1/admin", "wrong-token", ISX_LANG_EN, NULL, &r), 0);
    check_problem(&r, 401, ISX_EAUTH, NULL);
    isx_buf_free(&r.body);

    assert_int_equal(call("GET", "/api/v1/admin", "observer-token", ISX_LANG_EN, NULL, &r), 0);
    check_problem(&r, 403, ISX_EFORBIDDEN, NULL);
    isx_buf_free(&r.body);

    assert_int_equal(call("GET", "/api/v1/admin", "admin-token", ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    v = body_json(&r);
    assert_string_equal(jstr(v, "admin"), "alice");
    json_decref(v);
    isx_buf_free(&r.body);

    /* A public route sees the user when a valid token comes along. */
    assert_int_equal(call("GET", "/api/v1/hello", "observer-token", ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    v = body_json(&r);
    assert_string_equal(jstr(v, "user"), "oscar");
    json_decref(v);
    isx_buf_free(&r.body);

    /* A bad token is refused even where none is needed. */
    assert_int_equal(call("GET", "/api/v1/hello", "wrong-token", ISX_LANG_EN, NULL, &r), 0);
    check_problem(&r, 401, ISX_EAUTH, NULL);
    isx_buf_free(&r.body);

    assert_int_equal(
        raw("GET /api/v1/admin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &out), 401);
    assert_non_null(raw_header(&out, "WWW-Authenticate", val, sizeof(val)));
    assert_true(strncmp(val, "Bearer", 6) == 0);
    isx_buf_free(&out);

    /* Schemes other than Bearer do not authenticate. */
    assert_int_equal(raw("GET /api/v1/admin HTTP/1.1\r\nHost: t\r\nAuthorization: Basic "
                         "YWRtaW4tdG9rZW4=\r\nConnection: close\r\n\r\n",
                         &out),
                     401);
    isx_buf_free(&out);
    assert_int_equal(raw("GET /api/v1/admin HTTP/1.1\r\nHost: t\r\nAuthorization: bearer   "
                         "admin-token  \r\nConnection: close\r\n\r\n",
                         &out),
                     200);
    isx_buf_free(&out);
}

static void
test_echo(void **state)
{
    const char *body = "{\"a\":[1,2.5,\"\xe4\xb8\xad\"],\"b\":{\"c\":null,\"d\":true}}";
    struct isx_http_response r;
    json_t *sent, *got;

    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, body, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    sent = json_loads(body, 0, NULL);
    got = body_json(&r);
    assert_true(json_equal(sent, got));
    assert_non_null(strstr(r.body.data, "\xe4\xb8\xad"));
    json_decref(sent);
    json_decref(got);
    isx_buf_free(&r.body);
}

static void
test_body_limit_boundary(void **state)
{
    char body[MAX_BODY + 2];
    struct isx_http_response r;

    /* A JSON string of exactly max_body bytes is accepted. */
    memset(body, 'a', MAX_BODY);
    body[0] = '"';
    body[MAX_BODY - 1] = '"';
    body[MAX_BODY] = '\0';
    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, body, &r), 0);
    assert_int_equal(r.status, 200);
    isx_buf_free(&r.body);

    /* One byte more is refused before it is read. */
    body[MAX_BODY - 1] = 'a';
    body[MAX_BODY] = '"';
    body[MAX_BODY + 1] = '\0';
    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, body, &r), 0);
    check_problem(&r, 413, ISX_ETOOBIG, "body");
    isx_buf_free(&r.body);
}

static void
test_too_big_content_length(void **state)
{
    char *body = malloc(64 * 1024 + 1);
    struct isx_http_response r;

    assert_non_null(body);
    memset(body, ' ', 64 * 1024);
    body[64 * 1024] = '\0';
    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, body, &r), 0);
    check_problem(&r, 413, ISX_ETOOBIG, "body");
    isx_buf_free(&r.body);
    free(body);
}

/* Builds a chunked POST of `nchunks` chunks of `size` bytes of spaces around a JSON value. */
static void
chunked_request(struct isx_buf *req, size_t nchunks, size_t size)
{
    isx_buf_puts(req, "POST /api/v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    for (size_t i = 0; i < nchunks; i++) {
        isx_buf_printf(req, "%zx\r\n", size);
        for (size_t k = 0; k < size; k++)
            isx_buf_putc(req,
                         k == 0 && i == 0 ? '[' : (k == size - 1 && i == nchunks - 1 ? ']' : ' '));
        isx_buf_puts(req, "\r\n");
    }
    isx_buf_puts(req, "0\r\n\r\n");
}

static void
test_too_big_chunked(void **state)
{
    struct isx_buf req = ISX_BUF_INIT, out = ISX_BUF_INIT;
    json_t *doc;

    /* Within the limit, chunked bodies work like any other. */
    chunked_request(&req, 2, 300);
    assert_int_equal(raw_exchange(req.data, req.len, &out), 200);
    doc = raw_json(&out);
    assert_true(json_is_array(doc));
    json_decref(doc);
    isx_buf_free(&req);
    isx_buf_free(&out);

    /* Past it, 413 with no Content-Length to refuse up front. */
    chunked_request(&req, 3, 512);
    assert_int_equal(raw_exchange(req.data, req.len, &out), 413);
    doc = raw_json(&out);
    check_problem_doc(doc, 413, ISX_ETOOBIG, "body");
    json_decref(doc);
    isx_buf_free(&req);
    isx_buf_free(&out);
}

static void
test_media_type(void **state)
{
    struct isx_buf out = ISX_BUF_INIT;
    char val[128];
    json_t *doc;

    assert_int_equal(raw("POST /api/v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                         "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                         &out),
                     415);
    assert_non_null(raw_header(&out, "Content-Type", val, sizeof(val)));
    assert_true(strncmp(val, "application/problem+json", 24) == 0);
    doc = raw_json(&out);
    check_problem_doc(doc, 415, ISX_EMEDIA, "Content-Type");
    json_decref(doc);
    isx_buf_free(&out);

    /* No Content-Type at all is the same refusal. */
    assert_int_equal(raw("POST /api/v1/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
                         "Connection: close\r\n\r\n{}",
                         &out),
                     415);
    isx_buf_free(&out);

    /* application/<x>+json and parameters are JSON. */
    assert_int_equal(raw("POST /api/v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                         "application/merge-patch+json; charset=utf-8\r\n"
                         "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                         &out),
                     200);
    isx_buf_free(&out);
    assert_int_equal(raw("POST /api/v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                         "Application/JSON;charset=UTF-8\r\n"
                         "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                         &out),
                     200);
    isx_buf_free(&out);
    assert_int_equal(raw("POST /api/v1/echo HTTP/1.1\r\nHost: t\r\nContent-Type: "
                         "application/jsonx\r\n"
                         "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                         &out),
                     415);
    isx_buf_free(&out);
}

static void
test_malformed_json(void **state)
{
    struct isx_http_response r;

    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, "{\"a\":", &r), 0);
    check_problem(&r, 400, ISX_EPARSE, NULL);
    isx_buf_free(&r.body);

    /* Duplicate keys are malformed under I-JSON. */
    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, "{\"a\":1,\"a\":2}", &r), 0);
    check_problem(&r, 400, ISX_EPARSE, NULL);
    isx_buf_free(&r.body);

    /* An empty JSON body is malformed too. */
    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, "", &r), 0);
    check_problem(&r, 400, ISX_EPARSE, "body");
    isx_buf_free(&r.body);
}

static void
test_handler_failure_languages(void **state)
{
    const char *ru = isx_err_title(ISX_LANG_RU, ISX_EFIELD);
    struct isx_http_response r;
    json_t *doc;

    assert_int_equal(call("POST", "/api/v1/fail", NULL, ISX_LANG_EN, "{}", &r), 0);
    check_problem(&r, 422, ISX_EFIELD, "body.name");
    doc = body_json(&r);
    assert_string_equal(jstr(doc, "title"), isx_err_title(ISX_LANG_EN, ISX_EFIELD));
    /* Without a message key the detail repeats the title. */
    assert_string_equal(jstr(doc, "detail"), jstr(doc, "title"));
    json_decref(doc);
    isx_buf_free(&r.body);

    /* Accept-Language: ru. While the catalogue lacks the entry, the title is the English
     * fallback; the field and status do not depend on the language. */
    assert_int_equal(call("POST", "/api/v1/fail", NULL, ISX_LANG_RU, "{}", &r), 0);
    check_problem(&r, 422, ISX_EFIELD, "body.name");
    doc = body_json(&r);
    assert_string_equal(jstr(doc, "title"), ru);
    if (strcmp(ru, isx_strerror(ISX_EFIELD)) == 0)
        assert_string_equal(jstr(doc, "title"), "invalid value");
    else
        assert_string_not_equal(jstr(doc, "title"), isx_err_title(ISX_LANG_EN, ISX_EFIELD));
    json_decref(doc);
    isx_buf_free(&r.body);

    /* ?lang= wins over Accept-Language. */
    assert_int_equal(call("POST", "/api/v1/fail?lang=ru", NULL, ISX_LANG_ZH, "{}", &r), 0);
    doc = body_json(&r);
    assert_string_equal(jstr(doc, "title"), ru);
    json_decref(doc);
    isx_buf_free(&r.body);
}

static void
test_lang_selection(void **state)
{
    static const struct {
        const char *path;
        enum isx_lang accept;
        const char *want;
    } cases[] = {
        {"/api/v1/hello", ISX_LANG_ZH, "zh"},
        {"/api/v1/hello", ISX_LANG_RU, "ru"},
        {"/api/v1/hello?lang=ru", ISX_LANG_ZH, "ru"},
        {"/api/v1/hello?lang=zh-CN", ISX_LANG_EN, "zh"},
        {"/api/v1/hello?lang=xx", ISX_LANG_RU, "ru"},
    };
    struct isx_http_response r;
    struct isx_buf out = ISX_BUF_INIT;
    json_t *v;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(call("GET", cases[i].path, NULL, cases[i].accept, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        v = body_json(&r);
        assert_string_equal(jstr(v, "lang"), cases[i].want);
        json_decref(v);
        isx_buf_free(&r.body);
    }
    /* No Accept-Language at all: English. */
    assert_int_equal(
        raw("GET /api/v1/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &out), 200);
    v = raw_json(&out);
    assert_string_equal(jstr(v, "lang"), "en");
    json_decref(v);
    isx_buf_free(&out);
}

static void
test_query_and_headers(void **state)
{
    struct isx_buf out = ISX_BUF_INIT;
    char val[64];
    json_t *v;

    assert_int_equal(raw("GET /api/v1/query?q=a%26b&flag HTTP/1.1\r\nHost: t\r\nX-Test: hi\r\n"
                         "Connection: close\r\n\r\n",
                         &out),
                     200);
    v = raw_json(&out);
    assert_string_equal(jstr(v, "q"), "a&b");
    assert_string_equal(jstr(v, "flag"), "");
    assert_string_equal(jstr(v, "h"), "hi");
    assert_true(json_is_null(json_object_get(v, "missing")));
    json_decref(v);
    /* A handler's own Cache-Control replaces the default. */
    assert_non_null(raw_header(&out, "Cache-Control", val, sizeof(val)));
    assert_string_equal(val, "max-age=60");
    isx_buf_free(&out);
}

static void
test_no_status_is_500(void **state)
{
    struct isx_http_response r;

    assert_int_equal(call("GET", "/api/v1/nostatus", NULL, ISX_LANG_EN, NULL, &r), 0);
    check_problem(&r, 500, ISX_EIO, NULL);
    isx_buf_free(&r.body);
}

static void
test_long_path(void **state)
{
    char path[3100];
    struct isx_http_response r;
    json_t *doc;

    strcpy(path, "/api/v1/items/");
    memset(path + strlen(path), 'a', 3000);
    path[14 + 3000] = '\0';
    assert_int_equal(call("GET", path, NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 414);
    doc = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 414);
    assert_string_equal(jstr(doc, "field"), "path");
    json_decref(doc);
    isx_buf_free(&r.body);

    /* Exactly 2048 bytes is still a path. */
    path[2048] = '\0';
    assert_int_equal(call("GET", path, NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    isx_buf_free(&r.body);
}

static void
test_redirect_not_followed(void **state)
{
    struct isx_http_response r;

    assert_int_equal(call("GET", "/api/v1/redirect", NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.content_type, "text/plain; charset=utf-8");
    assert_string_equal(r.body.data, "moved");
    isx_buf_free(&r.body);
}

static void
test_keep_alive(void **state)
{
    struct isx_buf out = ISX_BUF_INIT;
    const char *second;

    /* Two requests on one connection: each gets its own state and answer. */
    assert_int_equal(raw("GET /api/v1/items/one HTTP/1.1\r\nHost: t\r\n\r\n"
                         "GET /api/v1/items/two HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                         &out),
                     200);
    assert_non_null(strstr(out.data, "\"id\":\"one\""));
    second = strstr(out.data + 1, "HTTP/1.1 200");
    assert_non_null(second);
    assert_non_null(strstr(second, "\"id\":\"two\""));
    isx_buf_free(&out);
}

static void
test_healthz(void **state)
{
    struct isx_http_response r;

    assert_int_equal(call("GET", "/healthz", NULL, ISX_LANG_EN, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "{\"status\":\"ok\"}");
    assert_true(strncmp(r.content_type, "application/json", 16) == 0);
    isx_buf_free(&r.body);
}

/* The value of an exact metrics line prefix ("name{labels} "), or -1 when absent. */
static double
metric(const char *text, const char *prefix)
{
    const char *p = text;
    size_t n = strlen(prefix);

    while (p != NULL && *p != '\0') {
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return -1;
}

static void
fetch_metrics(struct isx_http_response *r)
{
    assert_int_equal(call("GET", "/metrics", NULL, ISX_LANG_EN, NULL, r), 0);
    assert_int_equal(r->status, 200);
    assert_true(strncmp(r->content_type, "text/plain; version=0.0.4", 25) == 0);
}

static void
test_metrics(void **state)
{
    const char *ok = "isx_http_requests_total{route=\"hello\",code=\"2xx\"}";
    const char *nf = "isx_http_requests_total{route=\"unmatched\",code=\"4xx\"}";
    const char *cnt = "isx_http_request_duration_seconds_count{route=\"hello\"}";
    struct isx_http_response r;
    double before_ok, before_nf, before_cnt, before_bytes, now;

    fetch_metrics(&r);
    before_ok = metric(r.body.data, ok);
    before_nf = metric(r.body.data, nf);
    before_cnt = metric(r.body.data, cnt);
    before_bytes = metric(r.body.data, "isx_http_body_bytes_total");
    assert_true(before_ok >= 0 && before_nf >= 0 && before_cnt >= 0 && before_bytes >= 0);
    assert_non_null(strstr(r.body.data, "# TYPE isx_http_requests_total counter\n"));
    assert_non_null(strstr(r.body.data, "# TYPE isx_http_request_duration_seconds summary\n"));
    assert_true(metric(r.body.data, "isx_http_request_duration_seconds_sum{route=\"hello\"}") >= 0);
    assert_true(metric(r.body.data, "isx_http_requests_in_flight") >= 1);
    now = (double)time(NULL);
    assert_true(metric(r.body.data, "process_start_time_seconds") > 1e9);
    assert_true(metric(r.body.data, "process_start_time_seconds") <= now + 1);
    assert_true(metric(r.body.data, "isx_test_marker") == 1);
    isx_buf_free(&r.body);

    assert_int_equal(call("GET", "/api/v1/hello", NULL, ISX_LANG_EN, NULL, &r), 0);
    isx_buf_free(&r.body);
    assert_int_equal(call("GET", "/nowhere", NULL, ISX_LANG_EN, NULL, &r), 0);
    isx_buf_free(&r.body);
    assert_int_equal(call("POST", "/api/v1/echo", NULL, ISX_LANG_EN, "[1,2,3]", &r), 0);
    isx_buf_free(&r.body);

    /* A request is counted when its response has gone out, a moment after the client has it. */
    for (int tries = 0;; tries++) {
        fetch_metrics(&r);
        if (metric(r.body.data, ok) == before_ok + 1 && metric(r.body.data, nf) == before_nf + 1 &&
            metric(r.body.data, cnt) == before_cnt + 1 &&
            metric(r.body.data, "isx_http_body_bytes_total") == before_bytes + 7)
            break;
        assert_true(tries < 100);
        isx_buf_free(&r.body);
        usleep(10000);
    }
    isx_buf_free(&r.body);
}

struct worker {
    int id;
    atomic_int *ok;
};

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    char path[64], want[64];
    struct isx_http_response r;

    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof(path), "/api/v1/items/w%d-%d", w->id, i);
        snprintf(want, sizeof(want), "{\"id\":\"w%d-%d\",\"n\":1}", w->id, i);
        if (call("GET", path, NULL, ISX_LANG_EN, NULL, &r) != 0)
            continue;
        if (r.status == 200 && strcmp(r.body.data, want) == 0)
            atomic_fetch_add(w->ok, 1);
        isx_buf_free(&r.body);
    }
    return NULL;
}

static void
test_concurrency(void **state)
{
    pthread_t t[4];
    struct worker w[4];
    atomic_int ok;
    struct timespec t0, t1;
    double secs;

    atomic_init(&ok, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 4; i++) {
        w[i].id = i;
        w[i].ok = &ok;
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("concurrency: 800 requests in %.3f s (%.0f requests/s)\n", secs, 800 / secs);
    assert_int_equal(atomic_load(&ok), 800);
}

static int
open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void
test_request_log(void **state)
{
    struct isx_http_config cfg = test_config();
    struct isx_http_server *s;
    struct isx_http_response r;
    char url[128], line[1024];
    FILE *log = tmpfile();
    int saved = dup(STDERR_FILENO);
    int found = 0;
    int fds = open_fds();

    assert_non_null(log);
    cfg.quiet = 0;
    assert_int_equal(isx_http_start(&cfg, &s), 0);
    fflush(stderr);
    dup2(fileno(log), STDERR_FILENO);

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/admin?token=sekrit",
             (unsigned)isx_http_port(s));
    assert_int_equal(isx_http_request("GET", url, "admin-token", ISX_LANG_EN, NULL, 0, TIMEOUT, &r),
                     0);
    assert_int_equal(r.status, 200);
    isx_buf_free(&r.body);
    isx_http_stop(s);
    /*
     * Stopping releases every descriptor: listener, epoll sets, wake-up channels. Sockets of
     * the previous test's server may still have been closing when `fds` was counted, so the
     * count may fall below it; it must never end above it.
     */
    assert_true(open_fds() <= fds);

    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(log);
    while (fgets(line, sizeof(line), log) != NULL) {
        int y, mo, d, h, mi, sec, ms;
        char rest[512];
        assert_null(strstr(line, "sekrit"));
        assert_null(strstr(line, "admin-token"));
        if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ %511[^\n]", &y, &mo, &d, &h, &mi, &sec, &ms,
                   rest) == 8 &&
            strncmp(rest, "http GET /api/v1/admin 200 ", 27) == 0) {
            assert_non_null(strstr(rest, "ms user=alice"));
            found = 1;
        }
    }
    fclose(log);
    assert_true(found);
}

static void
test_start_errors(void **state)
{
    struct isx_http_config cfg = test_config();
    struct isx_http_server *s = (struct isx_http_server *)&cfg;
    static const struct isx_route too_many[] = {
        {"GET", "/{a}/{b}/{c}/{d}/{e}", h_hello, 0, "x"},
    };

    cfg.address = "localhost-ish";
    assert_int_equal(isx_http_start(&cfg, &s), ISX_ECONFIG);
    assert_ptr_equal(s, (struct isx_http_server *)&cfg);

    cfg.address = "127.0.0.1";
    cfg.port = port; /* taken by the shared server */
    assert_int_equal(isx_http_start(&cfg, &s), ISX_EIO);

    cfg.port = 0;
    cfg.routes = too_many;
    cfg.nroutes = 1;
    assert_int_equal(isx_http_start(&cfg, &s), ISX_ECONFIG);
}

static void
test_client_errors(void **state)
{
    struct isx_http_response r;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char url[64];

    /* A port that was just free and is closed again: nobody answers. */
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(sa.sin_port));

    r.status = -7;
    assert_int_equal(isx_http_request("GET", url, NULL, ISX_LANG_EN, NULL, 0, 2000, &r), ISX_ENET);
    assert_int_equal(r.status, -7);

    assert_int_equal(
        isx_http_request("GET", "file:///etc/passwd", NULL, ISX_LANG_EN, NULL, 0, 2000, &r),
        ISX_ENET);
    assert_int_equal(
        isx_http_request("GET", url, "tok\r\nX-Evil: 1", ISX_LANG_EN, NULL, 0, 2000, &r),
        ISX_EINVAL);
}

static void
test_problem_render(void **state)
{
    struct isx_buf out = ISX_BUF_INIT;
    struct isx_diag d = {0};
    char want[512];
    json_t *doc;

    assert_int_equal(isx_http_problem_render(ISX_LANG_EN, ISX_ENOTFOUND, NULL, &out), 0);
    doc = json_loads(out.data, 0, NULL);
    check_problem_doc(doc, 404, ISX_ENOTFOUND, NULL);
    assert_null(json_object_get(doc, "field"));
    assert_string_equal(jstr(doc, "title"), isx_err_title(ISX_LANG_EN, ISX_ENOTFOUND));
    assert_string_equal(jstr(doc, "detail"), jstr(doc, "title"));
    json_decref(doc);
    /* Compact, in a fixed member order. */
    snprintf(want, sizeof(want),
             "{\"type\":\"urn:isx:problem:notfound\",\"title\":\"%s\",\"status\":404,"
             "\"detail\":\"%s\",\"code\":\"NOTFOUND\"}",
             isx_err_title(ISX_LANG_EN, ISX_ENOTFOUND), isx_err_title(ISX_LANG_EN, ISX_ENOTFOUND));
    assert_string_equal(out.data, want);
    isx_buf_free(&out);

    isx_diag_set(&d, ISX_EUNKNOWN_FIELD, "body.extra", NULL, NULL);
    assert_int_equal(isx_http_problem_render(ISX_LANG_EN, ISX_EUNKNOWN_FIELD, &d, &out), 0);
    doc = json_loads(out.data, 0, NULL);
    check_problem_doc(doc, 422, ISX_EUNKNOWN_FIELD, "body.extra");
    assert_string_equal(jstr(doc, "type"), "urn:isx:problem:unknown_field");
    json_decref(doc);
    isx_buf_free(&out);

    /* A message key gives the detail, with its argument in place of "{}"; a key the
     * catalogue lacks stands for itself. */
    memset(&d, 0, sizeof(d));
    isx_diag_set(&d, ISX_EINVAL, "query.limit", "test.no-such-key {}", "abc");
    assert_int_equal(isx_http_problem_render(ISX_LANG_RU, ISX_EINVAL, &d, &out), 0);
    doc = json_loads(out.data, 0, NULL);
    check_problem_doc(doc, 400, ISX_EINVAL, "query.limit");
    assert_string_equal(jstr(doc, "detail"), "test.no-such-key abc");
    assert_string_equal(jstr(doc, "title"), isx_err_title(ISX_LANG_RU, ISX_EINVAL));
    json_decref(doc);
    isx_buf_free(&out);

    /* A field cut inside a character still renders, with U+FFFD for the broken bytes. */
    memset(&d, 0, sizeof(d));
    isx_diag_set(&d, ISX_EFIELD, "body.\xe4\xb8", NULL, NULL);
    assert_int_equal(isx_http_problem_render(ISX_LANG_ZH, ISX_EFIELD, &d, &out), 0);
    doc = json_loads(out.data, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(jstr(doc, "field"), "body.\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(doc);

    /* Appends to what the buffer held. */
    assert_int_equal(isx_http_problem_render(ISX_LANG_EN, ISX_EAUTH, NULL, &out), 0);
    assert_non_null(strstr(out.data, "}{\"type\":\"urn:isx:problem:auth\""));
    isx_buf_free(&out);
}

static void
test_set_header(void **state)
{
    struct isx_http_req req;

    memset(&req, 0, sizeof(req));
    req.arena = isx_arena_new();
    assert_non_null(req.arena);
    assert_int_equal(isx_http_set_header(&req, "X-A", "ok"), 0);
    assert_int_equal(isx_http_set_header(&req, "X-B", "bad\r\nSet-Cookie: x"), ISX_EINVAL);
    assert_int_equal(isx_http_set_header(&req, "X-C\r\n", "v"), ISX_EINVAL);
    assert_int_equal(isx_http_set_header(&req, "Content-Length", "5"), ISX_EINVAL);
    assert_int_equal(isx_http_set_header(&req, "Content-Type", "text/csv"), 0);
    assert_string_equal(req.content_type, "text/csv");
    for (int i = 1; i < ISX_HTTP_MAX_HEADERS; i++)
        assert_int_equal(isx_http_set_header(&req, "X-N", "v"), 0);
    assert_int_equal(isx_http_set_header(&req, "X-N", "v"), ISX_ERANGE);
    assert_int_equal(req.nhdr, ISX_HTTP_MAX_HEADERS);
    assert_string_equal(req.hdr_name[0], "X-A");
    assert_string_equal(req.hdr_value[0], "ok");
    isx_buf_free(&req.out);
    isx_arena_free(req.arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_ok),
        cmocka_unit_test(test_security_headers),
        cmocka_unit_test(test_path_params),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_auth_roles),
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_body_limit_boundary),
        cmocka_unit_test(test_too_big_content_length),
        cmocka_unit_test(test_too_big_chunked),
        cmocka_unit_test(test_media_type),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_handler_failure_languages),
        cmocka_unit_test(test_lang_selection),
        cmocka_unit_test(test_query_and_headers),
        cmocka_unit_test(test_no_status_is_500),
        cmocka_unit_test(test_long_path),
        cmocka_unit_test(test_redirect_not_followed),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_healthz),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_request_log),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_client_errors),
        cmocka_unit_test(test_problem_render),
        cmocka_unit_test(test_set_header),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
