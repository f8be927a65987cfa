/*
 * /api/v1/reports and /api/v1/indicators/lookup: threat reports classified by Annex 2, their
 * indicators, and the question every node asks — "have we seen this before, and where?".
 * Every read path leaves out what the caller's role may not see (TLP:RED from observers);
 * reports from other parties are stored only when their marking reaches this node's party.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/api.h"
#include "isx/indicator.h"
#include "isx/marking.h"
#include "isx/report.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500
#define BATCH_MAX    10000
#define CORRELATED   50

static int
may_see_red(const struct isx_http_req *req)
{
    return req->user->role != ISX_ROLE_OBSERVER;
}

/* Takes ownership of `body`. The marking is required: the originator chooses the TLP. */
static int
publish(struct isx_http_req *req, const char *id, json_t *body, const json_t *current_marking,
        const char *expect, int status)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, expect != NULL ? "update" : "create"};
    struct isx_object *o = NULL;
    json_t *marking = json_object_get(body, "marking");
    int rc;

    if (marking != NULL) {
        json_incref(marking);
        json_object_del(body, "marking");
    } else if (current_marking != NULL) {
        marking = json_deep_copy(current_marking);
    } else {
        json_decref(body);
        return isx_diag_set(&req->diag, ISX_EMISSING, "marking", "report.marking", NULL);
    }
    /* The marking first, so a state-secret label is refused citing Art. 6.2 whatever else. */
    if ((rc = isx_marking_check(marking, "marking", &req->diag)) != 0 ||
        (rc = isx_report_prepare(body, &req->diag)) != 0) {
        json_decref(marking);
        json_decref(body);
        return rc;
    }
    rc = isx_node_publish(n, "report", id, marking, body, &change, expect, &o, &req->diag);
    if (rc == 0) {
        if (status == 201)
            isx_http_set_header(req, "Location",
                                isx_arena_printf(req->arena, "/api/v1/reports/%s", o->id));
        rc = isx__api_reply_object(req, status, o);
    }
    isx_object_free(o);
    return rc;
}

int
isx__api_report_create(struct isx_http_req *req)
{
    json_t *body;
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if (!json_is_object(body)) {
        json_decref(body);
        return isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
    }
    return publish(req, NULL, body, NULL, NULL, 201);
}

static int
report_id(struct isx_http_req *req, const char **id)
{
    const char *p = req->nparams > 0 ? req->params[0] : "";

    if (!isx_object_id_valid(p, "report"))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "object.id", p);
    *id = p;
    return 0;
}

int
isx__api_report_update(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    const char *id = NULL;
    json_t *body = NULL;
    int rc;

    if ((rc = report_id(req, &id)) != 0)
        return rc;
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    if (strcmp(o->origin, n->cfg.party) != 0) {
        rc = isx_diag_set(&req->diag, ISX_EFORBIDDEN, "id", "directory.not_origin", o->origin);
        goto done;
    }
    if ((rc = isx__api_if_match(req, o->version)) != 0)
        goto done;
    if ((rc = isx_http_body_json(req, &body)) != 0)
        goto done;
    if (!json_is_object(body)) {
        json_decref(body);
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    rc = publish(req, id, body, o->marking, o->version, 200);
done:
    isx_object_free(o);
    return rc;
}

/* Parses one value into a lookup key whose strings live in the request arena. */
static int
to_key(struct isx_http_req *req, const char *type, const char *value, const char *path,
       struct isx_indicator *ind, struct isx_lookup_key *key, struct isx_diag *d)
{
    int rc = isx_indicator_parse(type, value, path, ind, d);

    if (rc != 0)
        return rc;
    memset(key, 0, sizeof(*key));
    key->type = isx_indicator_type_name(ind->type);
    key->value = isx_arena_strdup(req->arena, ind->value);
    if (key->value == NULL)
        return ISX_ENOMEM;
    if (ind->type == ISX_IND_IPV4 || ind->type == ISX_IND_IPV6) {
        key->family = ind->type == ISX_IND_IPV4 ? 4 : 6;
        memcpy(key->addr, ind->addr, sizeof(key->addr));
    }
    return 0;
}

static int
query_value(struct isx_http_req *req, const char *name, const char **out)
{
    const char *v = isx_http_query(req, name);

    if (v != NULL && *v == '\0')
        return isx_diag_set(&req->diag, ISX_EINVAL, name, "api.empty", NULL);
    *out = v;
    return 0;
}

static int
check_query(struct isx_http_req *req, const char *name, const char *v, int ok, const char *key)
{
    if (v != NULL && !ok)
        return isx_diag_set(&req->diag, ISX_EINVAL, name, key, v);
    return 0;
}

int
isx__api_report_list(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_report_query q = {0};
    struct isx_indicator *ind = NULL;
    struct isx_lookup_key key;
    const char *limit = NULL, *indicator = NULL, *cursor = NULL;
    json_t *items = NULL, *page = NULL;
    char *next = NULL;
    int64_t ms;
    int rc;

    if ((rc = query_value(req, "threat", &q.threat)) != 0 ||
        (rc = query_value(req, "feature", &q.feature)) != 0 ||
        (rc = query_value(req, "severity", &q.severity)) != 0 ||
        (rc = query_value(req, "status", &q.status)) != 0 ||
        (rc = query_value(req, "sector", &q.sector)) != 0 ||
        (rc = query_value(req, "party", &q.origin)) != 0 ||
        (rc = query_value(req, "since", &q.since)) != 0 ||
        (rc = query_value(req, "until", &q.until)) != 0 ||
        (rc = query_value(req, "indicator", &indicator)) != 0 ||
        (rc = query_value(req, "q", &q.text)) != 0 ||
        (rc = query_value(req, "limit", &limit)) != 0 ||
        (rc = query_value(req, "cursor", &cursor)) != 0)
        return rc;
    if ((rc = check_query(req, "threat", q.threat, isx_taxonomy_threat(q.threat) != NULL,
                          "report.threat")) != 0 ||
        (rc = check_query(req, "feature", q.feature, isx_taxonomy_feature(q.feature, NULL) != NULL,
                          "report.feature")) != 0 ||
        (rc = check_query(req, "severity", q.severity,
                          isx_str_in(q.severity, isx_report_severities), "report.severity")) != 0 ||
        (rc = check_query(req, "status", q.status, isx_str_in(q.status, isx_report_statuses),
                          "report.status")) != 0 ||
        (rc = check_query(req, "sector", q.sector,
                          isx_vocab_find(ISX_VOCAB_SECTORS, q.sector) != NULL, "report.sector")) !=
            0 ||
        (rc = check_query(req, "party", q.origin, isx_party_code_valid(q.origin), "party.code")) !=
            0 ||
        (rc = check_query(req, "since", q.since, isx_time_parse(q.since, &ms) == 0,
                          "report.time")) != 0 ||
        (rc = check_query(req, "until", q.until, isx_time_parse(q.until, &ms) == 0,
                          "report.time")) != 0 ||
        (rc = check_query(req, "cursor", cursor,
                          cursor != NULL && isx_object_id_valid(cursor, "report"), "api.cursor")) !=
            0)
        return rc;
    /* The stored times are canonical; so must the bounds be, for text comparison. */
    char since[ISX_TIME_LEN + 1], until[ISX_TIME_LEN + 1];
    if (q.since != NULL && isx_time_parse(q.since, &ms) == 0) {
        isx_time_format(ms, since);
        q.since = since;
    }
    if (q.until != NULL && isx_time_parse(q.until, &ms) == 0) {
        isx_time_format(ms, until);
        q.until = until;
    }
    q.after = cursor;
    q.limit = PAGE_DEFAULT;
    if (limit != NULL) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*limit < '0' || *limit > '9' || *end != '\0' || v < 1 || v > PAGE_MAX)
            return isx_diag_set(&req->diag, ISX_EINVAL, "limit", "api.limit", "500");
        q.limit = (size_t)v;
    }
    if (indicator != NULL) {
        if ((ind = malloc(sizeof(*ind))) == NULL)
            return ISX_ENOMEM;
        struct isx_diag d = {0};
        rc = to_key(req, NULL, indicator, "indicator", ind, &key, &d);
        free(ind);
        /* In a query an unparsable indicator is a bad request (400), not a bad body field. */
        if (rc == ISX_EFIELD)
            return isx_diag_set(&req->diag, ISX_EINVAL, d.field, d.key, d.arg);
        if (rc != 0)
            return rc;
        q.indicator_type = key.type;
        q.indicator_value = key.value;
    }
    q.include_red = may_see_red(req);
    if ((rc = isx_store_report_list(n->store, &q, &items, &next)) != 0)
        return isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
    page = json_pack("{s:o, s:s?}", "items", items, "next", next);
    rc = page != NULL ? isx_http_reply_json(req, 200, page) : ISX_ENOMEM;
    json_decref(page);
    free(next);
    return rc;
}

/*
 * Reports sharing indicators with `o`: each indicator of the report is looked up, matches
 * on the report itself are dropped, and the rest are counted per report.
 */
static int
correlate(struct isx_http_req *req, const struct isx_object *o, json_t **out)
{
    struct isx_node *n = req->ctx;
    const json_t *list = json_object_get(isx_object_clear_body(o), "indicators");
    size_t count = json_array_size(list), i, j;
    struct isx_lookup_key *keys = NULL;
    struct isx_indicator *ind = malloc(sizeof(*ind));
    json_t *results = NULL, *by_id = json_object(), *item, *m, *sorted = json_array();
    const char *kid;
    int rc = ISX_ENOMEM;

    if (ind == NULL || by_id == NULL || sorted == NULL ||
        (count > 0 && (keys = calloc(count, sizeof(*keys))) == NULL))
        goto done;
    json_array_foreach(list, i, item)
    {
        /* Stored reports are canonical, so parsing cannot fail; skip defensively if it does. */
        if (to_key(req, json_string_value(json_object_get(item, "type")),
                   json_string_value(json_object_get(item, "value")), NULL, ind, &keys[i],
                   NULL) != 0)
            keys[i].type = keys[i].value = "";
    }
    if ((rc = isx_store_lookup(n->store, keys, count, may_see_red(req), &results)) != 0)
        goto done;
    json_array_foreach(results, i, item)
    {
        json_array_foreach(item, j, m)
        {
            kid = json_string_value(json_object_get(m, "id"));
            if (strcmp(kid, o->id) == 0)
                continue;
            json_t *agg = json_object_get(by_id, kid);
            if (agg == NULL) {
                agg = json_pack("{s:s, s:s, s:O?, s:s, s:i}", "id", kid, "origin",
                                json_string_value(json_object_get(m, "origin")), "title",
                                json_object_get(m, "title"), "threat",
                                json_string_value(json_object_get(m, "threat")), "shared", 0);
                json_object_set_new(by_id, kid, agg);
            }
            json_object_set_new(
                agg, "shared",
                json_integer(json_integer_value(json_object_get(agg, "shared")) + 1));
        }
    }
    /* Most shared first; the list is short, so a simple insertion order is enough. */
    json_object_foreach(by_id, kid, m)
    {
        size_t pos = 0;
        json_int_t shared = json_integer_value(json_object_get(m, "shared"));
        while (pos < json_array_size(sorted) &&
               json_integer_value(json_object_get(json_array_get(sorted, pos), "shared")) >= shared)
            pos++;
        json_array_insert(sorted, pos, m);
    }
    while (json_array_size(sorted) > CORRELATED)
        json_array_remove(sorted, CORRELATED);
    *out = sorted;
    sorted = NULL;
    rc = 0;
done:
    free(ind);
    free(keys);
    json_decref(results);
    json_decref(by_id);
    json_decref(sorted);
    return rc;
}

int
isx__api_report_get(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_object *o = NULL;
    json_t *correlated = NULL, *doc;
    const char *id = NULL;
    int rc;

    if ((rc = report_id(req, &id)) != 0)
        return rc;
    if ((rc = isx_node_get(n, id, isx_http_query(req, "version"), &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    if (!isx__api_readable(req, o)) {
        rc = isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
        goto done;
    }
    if ((rc = correlate(req, o, &correlated)) != 0)
        goto done;
    isx__api_log_headers(req, o);
    doc = json_pack("{s:o?, s:s, s:o}", "object", isx__api_object_view(o), "hash", o->hash_hex,
                    "correlated", correlated);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    isx_object_free(o);
    return rc;
}

/* ---- lookup answers, written as text ----
 *
 * A batch answer holds thousands of small objects; building them as jansson trees and dumping
 * those cost more than the lookups themselves, so the answers are written straight into the
 * response buffer. The text is byte for byte what jansson's compact dump of the same document
 * gives, so the shape in docs/reports-api-contract.md and the clients that read it do not
 * notice.
 */

#define JSON_DEPTH_MAX 32

/*
 * An answer being written: the first failure is kept and later writes do nothing. The bytes
 * are appended here rather than through isx_buf_append, which costs a call and a capacity
 * check per piece, thousands of pieces an answer; `buf` keeps isx_buf's invariant (data[len]
 * is NUL and len < cap), so it is handed over as the response as it is.
 */
struct out {
    struct isx_buf buf;
    int rc;
};

/* Makes room for `extra` more bytes and the NUL, doubling the capacity. */
static void
out_grow(struct out *o, size_t extra)
{
    size_t cap = o->buf.cap != 0 ? o->buf.cap : 1024;
    char *p;

    if (extra > SIZE_MAX / 4 - o->buf.len) {
        o->rc = ISX_ENOMEM;
        return;
    }
    while (cap < o->buf.len + extra + 1)
        cap *= 2;
    if ((p = realloc(o->buf.data, cap)) == NULL) {
        o->rc = ISX_ENOMEM;
        return;
    }
    if (o->buf.data == NULL)
        p[0] = '\0';
    o->buf.data = p;
    o->buf.cap = cap;
}

static void
put(struct out *o, const char *s, size_t len)
{
    if (o->rc != 0)
        return;
    if (o->buf.len + len + 1 > o->buf.cap && (out_grow(o, len), o->rc != 0))
        return;
    memcpy(o->buf.data + o->buf.len, s, len);
    o->buf.len += len;
    o->buf.data[o->buf.len] = '\0';
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

/* The length of the UTF-8 sequence at `s` (at most `len` bytes), or 0 when it is not valid:
 * overlong forms, surrogates and code points above U+10FFFF are refused, as jansson does. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
    uint32_t cp;
    size_t n;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
        cp = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        cp = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/*
 * Appends `len` bytes of `s` as a JSON string escaped as jansson escapes by default: '"' and
 * '\\', the short forms \b \f \n \r \t, \u00XX (upper-case hex) for the other control
 * characters, and everything else as it is ('/' and non-ASCII included). Text that is not
 * UTF-8 fails with ISX_EINVAL, where jansson's dump would fail too.
 */
static void
put_string(struct out *o, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, i = 0;

    PUT_LIT(o, "\"");
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            if ((n = utf8_seq(p + i, len - i)) == 0) {
                if (o->rc == 0)
                    o->rc = ISX_EINVAL;
                return;
            }
            i += n;
            continue;
        }
        /* A byte to escape: first the plain run before it. */
        put(o, s + run, i - run);
        switch (c) {
        case '"':
            PUT_LIT(o, "\\\"");
            break;
        case '\\':
            PUT_LIT(o, "\\\\");
            break;
        case '\b':
            PUT_LIT(o, "\\b");
            break;
        case '\f':
            PUT_LIT(o, "\\f");
            break;
        case '\n':
            PUT_LIT(o, "\\n");
            break;
        case '\r':
            PUT_LIT(o, "\\r");
            break;
        case '\t':
            PUT_LIT(o, "\\t");
            break;
        default: {
            static const char hex[] = "0123456789ABCDEF";
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            put(o, u, sizeof(u));
            break;
        }
        }
        run = ++i;
    }
    put(o, s + run, len - run);
    PUT_LIT(o, "\"");
}

static void
put_cstring(struct out *o, const char *s)
{
    put_string(o, s, strlen(s));
}

/* Appends any JSON value as jansson's compact dump writes it (objects in insertion order). */
static void
put_json(struct out *o, const json_t *v, int depth)
{
    const char *key;
    json_t *item;
    size_t i;

    if (depth > JSON_DEPTH_MAX) {
        if (o->rc == 0)
            o->rc = ISX_EINVAL;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        PUT_LIT(o, "{");
        i = 0;
        json_object_foreach((json_t *)v, key, item)
        {
            if (i++ > 0)
                PUT_LIT(o, ",");
            put_cstring(o, key);
            PUT_LIT(o, ":");
            put_json(o, item, depth + 1);
        }
        PUT_LIT(o, "}");
        break;
    case JSON_ARRAY:
        PUT_LIT(o, "[");
        json_array_foreach(v, i, item)
        {
            if (i > 0)
                PUT_LIT(o, ",");
            put_json(o, item, depth + 1);
        }
        PUT_LIT(o, "]");
        break;
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_TRUE:
        PUT_LIT(o, "true");
        break;
    case JSON_FALSE:
        PUT_LIT(o, "false");
        break;
    case JSON_NULL:
        PUT_LIT(o, "null");
        break;
    default: {
        /* Numbers: none in these answers today; jansson knows how it prints them. */
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL) {
            if (o->rc == 0)
                o->rc = ISX_ENOMEM;
            return;
        }
        put(o, text, strlen(text));
        free(text);
        break;
    }
    }
}

/* {"input","type","value","reports"}: one value's result. */
static void
put_result(struct out *o, const char *input, const struct isx_lookup_key *key,
           const json_t *reports)
{
    PUT_LIT(o, "{\"input\":");
    put_cstring(o, input);
    PUT_LIT(o, ",\"type\":");
    put_cstring(o, key->type);
    PUT_LIT(o, ",\"value\":");
    put_cstring(o, key->value);
    PUT_LIT(o, ",\"reports\":");
    put_json(o, reports, 0);
    PUT_LIT(o, "}");
}

/* Sends what `o` holds as a 200 JSON answer, or fails with its error. */
static int
reply_out(struct isx_http_req *req, struct out *o)
{
    if (o->rc != 0) {
        isx_buf_free(&o->buf);
        return isx_diag_set(&req->diag, o->rc, NULL, NULL, NULL);
    }
    isx_buf_free(&req->out);
    req->out = o->buf;
    o->buf = (struct isx_buf)ISX_BUF_INIT;
    req->status = 200;
    req->content_type = NULL; /* the server's default: JSON in UTF-8 */
    return 0;
}

int
isx__api_indicator_lookup(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_indicator *ind = NULL;
    struct isx_lookup_key key;
    const char *value = isx_http_query(req, "value"), *type = isx_http_query(req, "type");
    struct out o = {ISX_BUF_INIT, 0};
    json_t *results = NULL;
    int rc;

    if (value == NULL || *value == '\0')
        return isx_diag_set(&req->diag, ISX_EINVAL, "value", "schema.missing", "value");
    if ((ind = malloc(sizeof(*ind))) == NULL)
        return ISX_ENOMEM;
    rc = to_key(req, type, value, "value", ind, &key, &req->diag);
    free(ind);
    if (rc != 0)
        return rc;
    if ((rc = isx_store_lookup(n->store, &key, 1, may_see_red(req), &results)) != 0)
        return isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
    put_result(&o, value, &key, json_array_get(results, 0));
    json_decref(results);
    return reply_out(req, &o);
}

/* {"input", "error": {"code","field","detail"}}: a value that does not parse. */
static void
put_error(struct isx_http_req *req, struct out *o, const char *input, size_t i)
{
    struct isx_indicator *ind = malloc(sizeof(*ind));
    struct isx_diag d = {0};
    struct isx_buf detail = ISX_BUF_INIT;
    char path[32];

    if (ind == NULL) {
        if (o->rc == 0)
            o->rc = ISX_ENOMEM;
        return;
    }
    /* Parse again for the reason: invalid values are rare, so this costs nothing. */
    snprintf(path, sizeof(path), "values[%zu]", i);
    isx_indicator_parse(NULL, input, path, ind, &d);
    isx_msg_format(req->lang, d.key, d.arg, &detail);
    PUT_LIT(o, "{\"input\":");
    put_cstring(o, input);
    PUT_LIT(o, ",\"error\":{\"code\":");
    put_cstring(o, isx_err_name(d.code));
    PUT_LIT(o, ",\"field\":");
    put_cstring(o, d.field);
    PUT_LIT(o, ",\"detail\":");
    put_cstring(o, detail.data != NULL ? detail.data : "");
    PUT_LIT(o, "}}");
    isx_buf_free(&detail);
    free(ind);
}

int
isx__api_indicator_lookup_batch(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_indicator *ind = NULL;
    struct isx_lookup_key *keys = NULL;
    struct out o = {ISX_BUF_INIT, 0};
    json_t *body = NULL, *results = NULL, *v;
    const json_t *values;
    size_t count, nkeys = 0, i;
    int *slot = NULL, rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    values = json_object_get(body, "values");
    if (!json_is_object(body) || json_object_size(body) != 1 || !json_is_array(values)) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "values", "report.batch", NULL);
        goto done;
    }
    count = json_array_size(values);
    if (count == 0 || count > BATCH_MAX) {
        rc = isx_diag_set(&req->diag, ISX_ERANGE, "values",
                          count == 0 ? "schema.too_few" : "schema.too_many",
                          count == 0 ? "1" : "10000");
        goto done;
    }
    rc = ISX_ENOMEM;
    if ((ind = malloc(sizeof(*ind))) == NULL || (keys = calloc(count, sizeof(*keys))) == NULL ||
        (slot = calloc(count, sizeof(*slot))) == NULL)
        goto done;
    json_array_foreach(values, i, v)
    {
        struct isx_diag d = {0};
        char path[32];
        snprintf(path, sizeof(path), "values[%zu]", i);
        slot[i] = -1;
        if (!json_is_string(v)) {
            rc = isx_diag_set(&req->diag, ISX_ETYPE, path, "schema.type", "string");
            goto done;
        }
        if (to_key(req, NULL, json_string_value(v), path, ind, &keys[nkeys], &d) == 0)
            slot[i] = (int)nkeys++;
        else if (d.code == 0) /* not a parse problem: out of memory */
            goto done;
    }
    if ((rc = isx_store_lookup(n->store, keys, nkeys, may_see_red(req), &results)) != 0) {
        rc = isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
        goto done;
    }
    /* A result with one match takes about 400 bytes; sizing for that spares most regrowth. */
    out_grow(&o, count * 512);
    PUT_LIT(&o, "{\"results\":[");
    json_array_foreach(values, i, v)
    {
        if (i > 0)
            PUT_LIT(&o, ",");
        if (slot[i] >= 0)
            put_result(&o, json_string_value(v), &keys[slot[i]],
                       json_array_get(results, (size_t)slot[i]));
        else
            put_error(req, &o, json_string_value(v), i);
    }
    PUT_LIT(&o, "]}");
    rc = reply_out(req, &o);
done:
    isx_buf_free(&o.buf);
    free(ind);
    free(keys);
    free(slot);
    json_decref(body);
    json_decref(results);
    return rc;
}
