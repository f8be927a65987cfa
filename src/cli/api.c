/*
 * Talking to a node: where it is, which token to show it, one request and its answer, and
 * reading the files and standard input that requests carry.
 *
 * Invariants: the server is --url, else $ISX_URL, else the credentials file's url, else
 * http://127.0.0.1:8440. The token is $ISX_TOKEN, else the credentials file's token, and the
 * file's token goes only to the server it was issued for, never to a different --url. Public
 * verbs send no token at all. A 2xx answer is returned parsed; every other outcome is
 * reported here, once, with the exit status it deserves (2 for a 4xx answer, 1 for a 5xx
 * answer or a network failure, which names the URL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "isx/hash.h"
#include "isx/http.h"
#include "isx/jcs.h"
#include "isx/node.h"

#define DEFAULT_URL "http://127.0.0.1:8440"
#define TIMEOUT_MS  30000L
#define MAX_ANSWER  ((size_t)64 << 20)

/* Copies a URL without its trailing slashes after checking that it is http(s). */
static int
set_url(struct isx__cli *c, const char *url)
{
    size_t len = strlen(url);

    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        len >= sizeof(c->url) || strpbrk(url, " \t\r\n") != NULL)
        return isx__cli_fail(c, ISX_EINVAL, "--url", "cli.err.url", url, 2);
    while (len > 0 && url[len - 1] == '/')
        len--;
    memcpy(c->url, url, len);
    c->url[len] = '\0';
    return 0;
}

static int
same_server(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    while (la > 0 && a[la - 1] == '/')
        la--;
    while (lb > 0 && b[lb - 1] == '/')
        lb--;
    return la == lb && strncmp(a, b, la) == 0;
}

int
isx__cli_connect(struct isx__cli *c, int need_token)
{
    const char *env_url = getenv("ISX_URL"), *env_token = getenv("ISX_TOKEN");
    char file_url[1024], file_token[256];
    int rc = 0;

    if (env_url != NULL && env_url[0] == '\0')
        env_url = NULL;
    if (env_token != NULL && env_token[0] == '\0')
        env_token = NULL;
    file_url[0] = file_token[0] = '\0';
    /* The file is read only when something must come from it. */
    if ((!c->resolved && c->url_opt == NULL && env_url == NULL) ||
        (need_token && !c->have_token && env_token == NULL)) {
        if ((rc = isx__cli_creds_read(c, file_url, sizeof(file_url), file_token,
                                      sizeof(file_token))) != 0)
            goto cleanup;
    }
    if (!c->resolved) {
        const char *url = c->url_opt != NULL ? c->url_opt : env_url;
        if (url == NULL && file_url[0] != '\0')
            url = file_url;
        if ((rc = set_url(c, url != NULL ? url : DEFAULT_URL)) != 0)
            goto cleanup;
        c->resolved = 1;
    }
    if (need_token && !c->have_token) {
        const char *tok = env_token;
        if (tok == NULL && file_token[0] != '\0' && same_server(file_url, c->url))
            tok = file_token;
        if (tok == NULL) {
            rc = isx__cli_fail(c, ISX_EAUTH, NULL, "cli.err.no_token", c->url, 2);
            goto cleanup;
        }
        if (strlen(tok) >= sizeof(c->token)) {
            rc = isx__cli_fail(c, ISX_EAUTH, NULL, "cli.err.token_shape", NULL, 2);
            goto cleanup;
        }
        memcpy(c->token, tok, strlen(tok) + 1);
        c->have_token = 1;
    }
cleanup:
    isx_memzero(file_token, sizeof(file_token));
    return rc;
}

int
isx__cli_query(struct isx_buf *path, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = isx_buf_printf(
        path, "%c%s=", strchr(path->data != NULL ? path->data : "", '?') ? '&' : '?', name);

    for (const unsigned char *p = (const unsigned char *)value; rc == 0 && *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            rc = isx_buf_putc(path, (char)*p);
        else
            rc = isx_buf_printf(path, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    return rc;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct isx_buf *b = arg;
    size_t n = size * nmemb;

    if (n > MAX_ANSWER - b->len || isx_buf_append(b, data, n) != 0)
        return 0;
    return n;
}

static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[512];
    struct curl_slist *l;
    int n = snprintf(line, sizeof(line), "%s: %s", name, value);

    if (n < 0 || (size_t)n >= sizeof(line) || strpbrk(value, "\r\n") != NULL)
        return ISX_EINVAL;
    l = curl_slist_append(*list, line);
    isx_memzero(line, sizeof(line));
    if (l == NULL)
        return ISX_ENOMEM;
    *list = l;
    return 0;
}

/*
 * A request with an If-Match header. isx_http_request cannot send extra headers yet, so this
 * keeps its rules (no redirects, http and https only, bounded answers, Accept-Language)
 * for the one kind of request that needs one; it goes when the library client grows headers.
 */
static int
send_if_match(struct isx__cli *c, const char *method, const char *url, const char *if_match,
              const char *body, size_t len, struct isx_http_response *resp)
{
    struct isx_http_response r;
    struct curl_slist *headers = NULL;
    const char *ctype = NULL;
    CURL *h = NULL;
    char bearer[sizeof(c->token) + 8];
    int rc;

    memset(&r, 0, sizeof(r));
    snprintf(bearer, sizeof(bearer), "Bearer %s", c->token);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = ISX_ENET;
        goto cleanup;
    }
    if ((rc = add_header(&headers, "Accept", "application/json")) != 0 ||
        (rc = add_header(&headers, "Accept-Language", isx_lang_code(c->lang))) != 0 ||
        (rc = add_header(&headers, "Content-Type", "application/json")) != 0 ||
        (rc = add_header(&headers, "If-Match", if_match)) != 0 ||
        (c->have_token && (rc = add_header(&headers, "Authorization", bearer)) != 0))
        goto cleanup;
    rc = ISX_ENOMEM;
    if ((h = curl_easy_init()) == NULL)
        goto cleanup;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "isx/" ISX_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    rc = ISX_ENET;
    if (curl_easy_perform(h) != CURLE_OK)
        goto cleanup;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
        snprintf(r.content_type, sizeof(r.content_type), "%s", ctype);
    if ((rc = isx_buf_puts(&r.body, "")) != 0)
        goto cleanup;
    *resp = r;
    r.body = (struct isx_buf)ISX_BUF_INIT;
    rc = 0;
cleanup:
    isx_memzero(bearer, sizeof(bearer));
    isx_buf_free(&r.body);
    /* The list holds the Authorization line; wipe it before it goes back to the heap. */
    for (struct curl_slist *l = headers; l != NULL; l = l->next)
        isx_memzero(l->data, strlen(l->data));
    curl_slist_free_all(headers);
    if (h != NULL)
        curl_easy_cleanup(h);
    return rc;
}

int
isx__cli_api(struct isx__cli *c, const char *method, const char *path, const char *if_match,
             const json_t *body, json_t **out, struct isx_buf *raw, long *status)
{
    char *text = NULL;
    int rc;

    if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
        return ISX_ENOMEM;
    rc = isx__cli_api_text(c, method, path, if_match, text, text != NULL ? strlen(text) : 0, out,
                           raw, status);
    free(text);
    return rc;
}

int
isx__cli_api_text(struct isx__cli *c, const char *method, const char *path, const char *if_match,
                  const char *text, size_t len, json_t **out, struct isx_buf *raw, long *status)
{
    struct isx_http_response resp;
    struct isx_buf url = ISX_BUF_INIT;
    json_t *doc = NULL;
    int rc;

    memset(&resp, 0, sizeof(resp));
    if ((rc = isx__cli_connect(c, (c->cmd->flags & ISX__CLI_TOKEN) != 0)) != 0)
        return rc;
    if ((rc = isx_buf_printf(&url, "%s%s", c->url, path)) != 0)
        goto cleanup;
    if (if_match != NULL)
        rc = send_if_match(c, method, url.data, if_match, text != NULL ? text : "", len, &resp);
    else
        rc = isx_http_request(method, url.data, c->have_token ? c->token : NULL, c->lang, text, len,
                              TIMEOUT_MS, &resp);
    if (rc == ISX_ENET) {
        rc = isx__cli_fail(c, rc, NULL, "cli.err.net", c->url, 1);
        goto cleanup;
    }
    if (rc != 0) {
        rc = isx__cli_fail(c, rc, NULL, NULL, NULL, 1);
        goto cleanup;
    }
    if (resp.status < 200 || resp.status > 299) {
        rc = isx__cli_problem(c, resp.status, resp.body.data, resp.body.len);
        goto cleanup;
    }
    if (resp.body.len > 0 && (doc = json_loadb(resp.body.data, resp.body.len, 0, NULL)) == NULL) {
        rc = isx__cli_fail(c, ISX_EPARSE, NULL, "cli.err.bad_answer", url.data, 1);
        goto cleanup;
    }
    if (out != NULL) {
        *out = doc;
        doc = NULL;
    }
    if (raw != NULL) {
        *raw = resp.body;
        resp.body = (struct isx_buf)ISX_BUF_INIT;
    }
    if (status != NULL)
        *status = resp.status;
cleanup:
    json_decref(doc);
    isx_buf_free(&url);
    isx_buf_free(&resp.body);
    return rc;
}

void
isx__cli_print_raw(const struct isx_buf *raw)
{
    if (raw->len == 0)
        return;
    fwrite(raw->data, 1, raw->len, stdout);
    if (raw->data[raw->len - 1] != '\n')
        fputc('\n', stdout);
}

int
isx__cli_read_input(struct isx__cli *c, const char *path, size_t max, struct isx_buf *out)
{
    struct isx_buf b = ISX_BUF_INIT;
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (strcmp(path, "-") != 0) {
        rc = isx_file_read(path, max, &b);
    } else {
        while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
            rc = b.len + n > max ? ISX_ETOOBIG : isx_buf_append(&b, chunk, n);
        if (rc == 0 && ferror(stdin))
            rc = ISX_EIO;
    }
    if (rc == 0)
        rc = isx_buf_puts(&b, "");
    if (rc != 0) {
        isx_buf_free(&b);
        return isx__cli_fail(c, rc, NULL, "cli.err.file",
                             strcmp(path, "-") == 0 ? isx_msg(c->lang, "cli.stdin") : path, 2);
    }
    *out = b;
    return 0;
}

int
isx__cli_read_json(struct isx__cli *c, const char *path, json_t **out)
{
    struct isx_buf text = ISX_BUF_INIT;
    struct isx_diag d = {0};
    json_t *doc = NULL;
    int rc;

    if ((rc = isx__cli_read_input(c, path, (size_t)16 << 20, &text)) != 0)
        return rc;
    if ((rc = isx_json_parse(text.data, text.len, &doc, &d)) != 0) {
        snprintf(d.field, sizeof(d.field), "%s",
                 strcmp(path, "-") == 0 ? isx_msg(c->lang, "cli.stdin") : path);
        rc = isx__cli_fail_diag(c, rc, &d);
        c->exit_code = 2;
        goto cleanup;
    }
    if (!json_is_object(doc)) {
        rc = isx__cli_fail(c, ISX_ETYPE,
                           strcmp(path, "-") == 0 ? isx_msg(c->lang, "cli.stdin") : path,
                           "cli.err.not_object", NULL, 2);
        goto cleanup;
    }
    *out = doc;
    doc = NULL;
cleanup:
    json_decref(doc);
    isx_buf_free(&text);
    return rc;
}
