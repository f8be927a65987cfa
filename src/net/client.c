/*
 * The HTTP client over libcurl, used by the CLI and by federation. One easy handle per
 * request, so calls from many threads share nothing but libcurl's global state, which is
 * initialised exactly once.
 *
 * Invariants: redirects are never followed (a peer cannot send our bearer token elsewhere);
 * only http and https URLs are fetched; no signal is raised for timeouts; a response body is
 * never held beyond 64 MiB; *resp is written only when an HTTP answer arrived.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "isx/hash.h"
#include "isx/http.h"

#define MAX_RESPONSE ((size_t)64 << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void
curl_init(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct isx_buf *b = arg;
    size_t n = size * nmemb;

    /* Returning less than was offered makes libcurl abort the transfer. */
    if (n > MAX_RESPONSE - b->len || isx_buf_append(b, data, n) != 0)
        return 0;
    return n;
}

/* Header values are copied into header lines verbatim; a line break would start a new one. */
static int
header_safe(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

/* Appends "name: value"; an empty value appends "name:", which tells libcurl to drop the header. */
static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[512];
    struct curl_slist *l;
    int n = snprintf(line, sizeof(line), value[0] != '\0' ? "%s: %s" : "%s:%s", name, value);

    if (n < 0 || (size_t)n >= sizeof(line))
        return ISX_EINVAL;
    l = curl_slist_append(*list, line);
    if (l == NULL)
        return ISX_ENOMEM;
    *list = l;
    return 0;
}

int
isx_http_request(const char *method, const char *url, const char *token, enum isx_lang lang,
                 const char *body, size_t body_len, long timeout_ms, struct isx_http_response *resp)
{
    struct isx_http_call call = {method, url, token, lang, body, body_len, timeout_ms, NULL, 0};

    return isx_http_call(&call, resp);
}

int
isx_http_call(const struct isx_http_call *c, struct isx_http_response *resp)
{
    const char *method = c->method, *url = c->url, *token = c->token, *body = c->body;
    size_t body_len = c->body_len;
    struct isx_http_response r = {0};
    struct curl_slist *headers = NULL;
    const char *ctype = NULL;
    CURL *h = NULL;
    int rc;

    if (method == NULL || url == NULL || resp == NULL || (body == NULL && body_len != 0) ||
        (token != NULL && !header_safe(token)) || (c->nheaders > 0 && c->headers == NULL))
        return ISX_EINVAL;
    for (size_t i = 0; i < c->nheaders * 2; i++)
        if (c->headers[i] == NULL || !header_safe(c->headers[i]))
            return ISX_EINVAL;
    pthread_once(&curl_once, curl_init);
    if (!curl_ready)
        return ISX_ENET;

    rc = add_header(&headers, "Accept", "application/json");
    if (rc == 0)
        rc = add_header(&headers, "Accept-Language", isx_lang_code(c->lang));
    for (size_t i = 0; rc == 0 && i < c->nheaders; i++)
        rc = add_header(&headers, c->headers[2 * i], c->headers[2 * i + 1]);
    if (rc == 0 && body != NULL)
        rc = add_header(&headers, "Content-Type", "application/json");
    else if (rc == 0 && strcmp(method, "POST") == 0)
        /* Drops the form Content-Type that libcurl would add to a bodiless POST. */
        rc = add_header(&headers, "Content-Type", "");
    if (rc == 0 && token != NULL) {
        char auth[448];
        int n = snprintf(auth, sizeof(auth), "Bearer %s", token);
        rc = n > 0 && (size_t)n < sizeof(auth) ? add_header(&headers, "Authorization", auth)
                                               : ISX_EINVAL;
        isx_memzero(auth, sizeof(auth));
    }
    if (rc != 0)
        goto cleanup;

    rc = ISX_ENOMEM;
    h = curl_easy_init();
    if (h == NULL)
        goto cleanup;
    rc = ISX_EINVAL;
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK)
        goto cleanup;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    if (c->timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "isx/" ISX_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_RESPONSE);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);

    if (body != NULL || strcmp(method, "POST") == 0) {
        /* POSTFIELDS with an explicit size sends the bytes as given, NULs included. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }

    rc = ISX_ENET;
    if (curl_easy_perform(h) != CURLE_OK)
        goto cleanup;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
        snprintf(r.content_type, sizeof(r.content_type), "%s", ctype);
    if (r.body.data == NULL && isx_buf_puts(&r.body, "") != 0) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    *resp = r;
    r.body = (struct isx_buf)ISX_BUF_INIT;
    rc = 0;

cleanup:
    isx_buf_free(&r.body);
    /* The header list holds the bearer token: wipe it before giving the memory back. */
    for (struct curl_slist *l = headers; l != NULL; l = l->next)
        isx_memzero(l->data, strlen(l->data));
    curl_slist_free_all(headers);
    if (h != NULL)
        curl_easy_cleanup(h);
    return rc;
}
