/*
 * Federation end to end (issue 5), with four real isxd processes: CN, RU, KZ and the
 * depositary SCO, which relays. Links: CN-RU, CN-SCO (relay), RU-KZ, RU-SCO, KZ-SCO, so CN and
 * KZ reach each other only through others. Each rule of Art. 6 is checked on what the nodes
 * actually store, and each refusal of a signed request on what the receiving node answers.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "isx/hash.h"
#include "isx/httpsig.h"
#include "isx/note.h"
#include "isx/sign.h"
#include "isx/timeutil.h"

enum { CN, RU, KZ, SCO, NNODES };
static struct testnode nodes[NNODES];
static const char *const parties[NNODES] = {"CN", "RU", "KZ", "SCO"};

static void
pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *
get_json(struct testnode *n, const char *path, long *status)
{
    struct isx_http_response r;
    json_t *doc = NULL;

    *status = api(n, "GET", path, NULL, NULL, &r);
    if (r.body.data != NULL)
        doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    isx_buf_free(&r.body);
    return doc;
}

/* Polls GET `path` on `n` until it answers `want`, for up to `seconds`; 1 when it did. */
static int
wait_status(struct testnode *n, const char *path, long want, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        long status;
        json_decref(get_json(n, path, &status));
        if (status == want)
            return 1;
        pause_ms(100);
    }
    return 0;
}

/* Adds `b` as a peer of `a`, with the keys `b` publishes about itself. */
static void
link_to(struct testnode *a, struct testnode *b, int relay)
{
    struct isx_http_response r;
    long status;
    json_t *info = get_json(b, "/api/v1/node", &status), *body;
    char *text;

    assert_int_equal(status, 200);
    body =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "party", b->party, "url", b->url, "name",
                  json_string_value(json_object_get(info, "name")), "sign_key",
                  json_string_value(json_object_get(json_object_get(info, "key"), "public")),
                  "box_key", json_string_value(json_object_get(info, "box_key")), "relay", relay);
    text = json_dumps(body, JSON_COMPACT);
    status = api(a, "POST", "/api/v1/peers", NULL, text, &r);
    assert_true(status == 201 || status == 200);
    isx_buf_free(&r.body);
    free(text);
    json_decref(body);
    json_decref(info);
}

static int
setup(void **state)
{
    (void)state;
    for (int i = 0; i < NNODES; i++) {
        if (node_create(&nodes[i], parties[i]) != 0 ||
            node_config_set(&nodes[i], "sync_interval = 5", "sync_interval = 1") != 0 ||
            node_config_set(&nodes[i], "witness_interval = 30", "witness_interval = 1") != 0)
            return -1;
    }
    if (node_config_set(&nodes[SCO], "relay = no", "relay = yes") != 0)
        return -1;
    for (int i = 0; i < NNODES; i++)
        if (node_start(&nodes[i]) != 0)
            return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NNODES; i++)
        node_destroy(&nodes[i]);
    return 0;
}

/* Submits a report at `n` and returns its id (malloc'd). */
static char *
submit(struct testnode *n, const char *marking, const char *title)
{
    struct isx_http_response r;
    char body[1024];
    json_t *doc;
    char *id;

    snprintf(body, sizeof(body),
             "{\"marking\":%s,\"threat\":\"T2\",\"title\":{\"en\":\"%s\"},"
             "\"indicators\":[{\"value\":\"%s.fed.example\"}]}",
             marking, title, title);
    assert_int_equal(api(n, "POST", "/api/v1/reports", NULL, body, &r), 201);
    doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    id = strdup(json_string_value(json_object_get(doc, "id")));
    json_decref(doc);
    isx_buf_free(&r.body);
    return id;
}

/* How many stored objects of `n` have this id (read from its database, not its API). */
static int
stored_versions(struct testnode *n, const char *id, int with_body)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char db[320], sql[256];

    snprintf(db, sizeof(db), "%s/node/isx.db", n->dir);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM objects WHERE id = '%s'%s", id,
             with_body ? " AND instr(CAST(canonical AS TEXT), '\"body\"') > 0" : "");
    assert_int_equal(run_prog("/usr/bin/sqlite3", &out, &err, db, sql, NULL), 0);
    int count = atoi(out.data);
    isx_buf_free(&out);
    isx_buf_free(&err);
    return count;
}

/* The links of the scenario, and the depositary's directory that follows from them. */
static void
test_links_and_depositary_directory(void **state)
{
    long status;

    (void)state;
    link_to(&nodes[CN], &nodes[RU], 0);
    link_to(&nodes[RU], &nodes[CN], 0);
    link_to(&nodes[CN], &nodes[SCO], 1);
    link_to(&nodes[SCO], &nodes[CN], 0);
    link_to(&nodes[RU], &nodes[KZ], 0);
    link_to(&nodes[KZ], &nodes[RU], 0);
    link_to(&nodes[RU], &nodes[SCO], 1);
    link_to(&nodes[SCO], &nodes[RU], 0);
    link_to(&nodes[KZ], &nodes[SCO], 1);
    link_to(&nodes[SCO], &nodes[KZ], 0);

    /* KZ does not peer with CN, yet learns CN's node keys from the depositary's entry. */
    int found = 0;
    for (int i = 0; i < 300 && !found; i++) {
        json_t *p = get_json(&nodes[KZ], "/api/v1/parties/CN", &status);
        json_t *keys = json_object_get(json_object_get(p, "body"), "keys");
        const char *origin = json_string_value(json_object_get(p, "origin"));
        found = json_array_size(keys) == 1 && origin != NULL &&
                (strcmp(origin, "SCO") == 0 || strcmp(origin, "CN") == 0);
        json_decref(p);
        if (!found)
            pause_ms(100);
    }
    assert_true(found);

    /* Bad peers are refused, naming the field, and change nothing. */
    struct isx_http_response r;
    static const struct {
        const char *body;
        long status;
        const char *field;
    } bad[] = {
        {"{\"party\":\"CN\",\"url\":\"http://127.0.0.1:1\",\"name\":\"x\",\"sign_key\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"box_key\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
         400, "party"},
        {"{\"party\":\"TJ\",\"url\":\"ftp://x\",\"name\":\"x\",\"sign_key\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"box_key\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
         422, "url"},
        {"{\"party\":\"TJ\",\"url\":\"http://127.0.0.1:1\",\"name\":\"x\",\"sign_key\":"
         "\"AAAA\",\"box_key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
         422, "sign_key"},
        {"{\"party\":\"XX\",\"url\":\"http://127.0.0.1:1\",\"name\":\"x\",\"sign_key\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"box_key\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
         422, "party"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(api(&nodes[CN], "POST", "/api/v1/peers", NULL, bad[i].body, &r),
                         bad[i].status);
        json_t *p = json_loadb(r.body.data, r.body.len, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(p, "field")), bad[i].field);
        json_decref(p);
        isx_buf_free(&r.body);
    }
    json_t *list = get_json(&nodes[CN], "/api/v1/peers", &status);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 2);
    json_decref(list);
}

/* TLP:AMBER to RU only: RU reads it; KZ and the depositary never receive it. */
static void
test_amber_reaches_only_the_named_party(void **state)
{
    char path[160];
    long status;
    char *id = submit(&nodes[CN], "{\"tlp\":\"amber\",\"to\":[\"RU\"]}", "for-ru-only");

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
    assert_true(wait_status(&nodes[RU], path, 200, 30));
    json_t *doc = get_json(&nodes[RU], path, &status);
    json_t *obj = json_object_get(doc, "object");
    assert_non_null(json_object_get(obj, "sealed")); /* it travelled sealed */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(obj, "body"), "title"), "en")),
                        "for-ru-only");
    json_decref(doc);
    /* Several delivery rounds later, neither KZ nor the depositary holds it at all. */
    pause_ms(3000);
    assert_int_equal(stored_versions(&nodes[KZ], id, 0), 0);
    assert_int_equal(stored_versions(&nodes[SCO], id, 0), 0);
    free(id);
}

/* The depositary relays a sealed object for KZ, which CN does not reach, and cannot read it. */
static void
test_relay_carries_what_it_cannot_read(void **state)
{
    char path[160];
    char *id = submit(&nodes[CN], "{\"tlp\":\"amber\",\"to\":[\"KZ\"]}", "via-depositary");

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
    assert_true(wait_status(&nodes[KZ], path, 200, 30));
    /* SCO stores it (it is in its log) but only sealed, and shows it to no one. */
    assert_int_equal(stored_versions(&nodes[SCO], id, 0), 1);
    assert_int_equal(stored_versions(&nodes[SCO], id, 1), 0);
    snprintf(path, sizeof(path), "/api/v1/objects/%s", id);
    assert_true(wait_status(&nodes[SCO], path, 404, 1));
    /* RU is not named and is no relay: it never gets it. */
    assert_int_equal(stored_versions(&nodes[RU], id, 0), 0);
    free(id);
}

/* Onward transfer needs the originator's release (Art. 6.3). */
static void
test_release_lets_ru_forward_to_kz(void **state)
{
    struct isx_http_response r;
    char path[160], body[256];
    char *id = submit(&nodes[CN], "{\"tlp\":\"amber\",\"to\":[\"RU\"]}", "released-later");

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
    assert_true(wait_status(&nodes[RU], path, 200, 30));
    pause_ms(2500);
    assert_int_equal(stored_versions(&nodes[KZ], id, 0), 0);

    /* RU cannot release what it did not originate; CN can. */
    snprintf(body, sizeof(body), "{\"object\":\"%s\",\"to\":[\"KZ\"]}", id);
    assert_int_equal(api(&nodes[RU], "POST", "/api/v1/releases", NULL, body, &r), 403);
    isx_buf_free(&r.body);
    snprintf(body, sizeof(body), "{\"object\":\"%s\",\"to\":[\"RU\"]}", id);
    assert_int_equal(api(&nodes[CN], "POST", "/api/v1/releases", NULL, body, &r), 400);
    isx_buf_free(&r.body);
    assert_int_equal(api(&nodes[CN], "POST", "/api/v1/releases", NULL,
                         "{\"object\":\"report--00000000-0000-4000-8000-000000000000\","
                         "\"to\":[\"KZ\"]}",
                         &r),
                     404);
    isx_buf_free(&r.body);
    snprintf(body, sizeof(body), "{\"object\":\"%s\",\"to\":[\"KZ\"],\"reason\":\"joint work\"}",
             id);
    assert_int_equal(api(&nodes[CN], "POST", "/api/v1/releases", NULL, body, &r), 201);
    isx_buf_free(&r.body);

    /* RU's node forwards it with the release; KZ opens it with the key the release carries. */
    assert_true(wait_status(&nodes[KZ], path, 200, 30));
    long status;
    json_t *doc = get_json(&nodes[KZ], path, &status);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_object_get(doc, "object"), "body"), "title"),
            "en")),
        "released-later");
    json_decref(doc);
    assert_int_equal(stored_versions(&nodes[KZ], id, 0), 1);
    free(id);
}

/* A signed request to `n` as `party` with `key`; fields of `h` can be altered by the caller. */
static long
signed_call(struct testnode *n, const char *party, struct isx_signer *signer, const char *method,
            const char *path, const char *body, int64_t created, const char *send_body,
            struct isx_httpsig_headers *reuse)
{
    struct isx_httpsig_headers h;
    struct isx_http_response r;
    char url[256];
    long status;

    if (reuse != NULL && reuse->signature[0] != '\0') {
        h = *reuse;
    } else {
        struct isx_httpsig_request hr = {
            method, path, NULL, NULL, body, body != NULL ? strlen(body) : 0, NULL, NULL};
        struct isx_httpsig_signing s = {
            party, isx_signer_key_id(signer), isx_httpsig_use_signer, signer, NULL, 0};
        assert_int_equal(isx_httpsig_sign(&hr, &s, created, NULL, &h), 0);
        if (reuse != NULL)
            *reuse = h;
    }
    const char *headers[] = {"Content-Digest",  h.content_digest, "Signature-Input",
                             h.signature_input, "Signature",      h.signature};
    snprintf(url, sizeof(url), "%s%s", n->url, path);
    struct isx_http_call call = {method,      url,       NULL,
                                 ISX_LANG_EN, send_body, send_body != NULL ? strlen(send_body) : 0,
                                 10000,       headers,   3};
    assert_int_equal(isx_http_call(&call, &r), 0);
    status = r.status;
    isx_buf_free(&r.body);
    return status;
}

static long
metric(struct testnode *n, const char *line)
{
    struct isx_http_response r;
    long v = -1;

    api(n, "GET", "/metrics", NULL, NULL, &r);
    const char *at = r.body.data != NULL ? strstr(r.body.data, line) : NULL;
    if (at != NULL)
        v = atol(at + strlen(line));
    isx_buf_free(&r.body);
    return v;
}

/* Unsigned, unknown-key, forged, altered, stale and replayed requests are refused, counted. */
static void
test_signed_requests_and_refusals(void **state)
{
    struct isx_sign_key *tj_key = NULL, *stranger_key = NULL;
    struct isx_signer *tj = NULL, *stranger = NULL;
    struct isx_httpsig_headers h = {0};
    struct isx_http_response r;
    struct testnode *kz = &nodes[KZ];
    int64_t now = isx_time_now_ms() / 1000;
    static const char body[] = "{\"objects\":[]}";

    (void)state;
    assert_int_equal(peer_register_keys(kz, "TJ", NULL, &tj_key, NULL), 0);
    assert_int_equal(isx_signer_local(tj_key, "isx-tj", &tj), 0);
    assert_int_equal(isx_sign_key_generate(&stranger_key), 0);
    assert_int_equal(isx_signer_local(stranger_key, "isx-tj", &stranger), 0);

    /* A correctly signed request from a peer is answered. */
    assert_int_equal(signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", body, now, body, NULL),
                     200);
    assert_int_equal(signed_call(kz, "TJ", tj, "GET", "/fed/v1/objects", NULL, now, NULL, NULL),
                     200);

    /* Unsigned. */
    struct isx_http_call plain = {"POST", NULL, NULL, ISX_LANG_EN, body, strlen(body),
                                  10000,  NULL, 0};
    char url[256];
    snprintf(url, sizeof(url), "%s/fed/v1/objects", kz->url);
    plain.url = url;
    assert_int_equal(isx_http_call(&plain, &r), 0);
    assert_int_equal(r.status, 401);
    json_t *p = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(p, "code")), "AUTH");
    json_decref(p);
    isx_buf_free(&r.body);
    /* Unknown key: TJ's name, another key. */
    assert_int_equal(
        signed_call(kz, "TJ", stranger, "POST", "/fed/v1/objects", body, now, body, NULL), 401);
    /* Forged: a valid request whose signature bytes were changed. */
    struct isx_httpsig_headers forged = {0};
    signed_call(kz, "TJ", tj, "GET", "/fed/v1/objects", NULL, now, NULL, &forged);
    char *sig = strchr(forged.signature, ':') + 1;
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    assert_int_equal(signed_call(kz, "TJ", tj, "GET", "/fed/v1/objects", NULL, now, NULL, &forged),
                     401);
    /* Altered: signed over one body, sent with another. */
    assert_int_equal(
        signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", body, now, "{\"objects\":[{}]}", NULL),
        401);
    /* Stale: made an hour ago (the window is five minutes), and an hour ahead. */
    assert_int_equal(
        signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", body, now - 3600, body, NULL), 401);
    assert_int_equal(
        signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", body, now + 3600, body, NULL), 401);
    /* Replayed: the very same signed request twice. */
    memset(&h, 0, sizeof(h));
    assert_int_equal(signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", body, now, body, &h),
                     200);
    assert_int_equal(signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", body, now, body, &h),
                     401);

    static const char *const reasons[] = {"unsigned", "unknown_key", "forged",
                                          "altered",  "stale",       "replayed"};
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        char line[96];
        snprintf(line, sizeof(line), "isx_fed_requests_refused_total{reason=\"%s\"} ", reasons[i]);
        assert_true(metric(kz, line) >= 1);
    }

    /* Signed but malformed: a batch that is not {"objects":[...]}, and a cursor that is not a
     * number, are refused naming what is wrong. */
    static const char notabatch[] = "{\"things\":[]}";
    assert_int_equal(
        signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", notabatch, now, notabatch, NULL), 422);
    assert_int_equal(signed_call(kz, "TJ", tj, "GET", "/fed/v1/objects", NULL, now, NULL, NULL),
                     200);
    struct isx_httpsig_headers q = {0};
    /* The query is not covered by the signature: a signed path with a bad cursor. */
    struct isx_httpsig_request qr = {"GET", "/fed/v1/consistency", NULL, NULL, NULL, 0, NULL, NULL};
    struct isx_httpsig_signing qs = {"TJ", isx_signer_key_id(tj), isx_httpsig_use_signer, tj, NULL,
                                     0};
    assert_int_equal(isx_httpsig_sign(&qr, &qs, now, NULL, &q), 0);
    const char *qh[] = {"Content-Digest",  q.content_digest, "Signature-Input",
                        q.signature_input, "Signature",      q.signature};
    char qurl[256];
    snprintf(qurl, sizeof(qurl), "%s/fed/v1/consistency?from=abc", kz->url);
    struct isx_http_call qc = {"GET", qurl, NULL, ISX_LANG_EN, NULL, 0, 10000, qh, 3};
    assert_int_equal(isx_http_call(&qc, &r), 0);
    assert_int_equal(r.status, 400);
    p = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(p, "field")), "from");
    json_decref(p);
    isx_buf_free(&r.body);

    /* A pushed object that fails verification is refused with a reason, and not stored. */
    char bad[512];
    snprintf(
        bad, sizeof(bad),
        "{\"objects\":[{\"isx\":1,\"type\":\"report\",\"id\":"
        "\"report--11111111-1111-4111-8111-111111111111\",\"version\":"
        "\"2026-11-21T10:00:00.000Z\",\"origin\":\"TJ\",\"marking\":{\"tlp\":\"green\"},"
        "\"body\":{\"threat\":\"T2\",\"title\":{\"en\":\"x\"},\"indicators\":[]},"
        "\"sig\":[{\"suite\":\"ed25519\",\"key\":\"%s\",\"value\":\"%s\"}]}]}",
        isx_signer_key_id(tj),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        "==");
    assert_int_equal(signed_call(kz, "TJ", tj, "POST", "/fed/v1/objects", bad, now, bad, NULL),
                     200);
    assert_int_equal(stored_versions(kz, "report--11111111-1111-4111-8111-111111111111", 0), 0);
    isx_signer_free(tj);
    isx_signer_free(stranger);
}

/*
 * A backlog larger than one batch either way: a push stays under the peer's 1 MiB body limit
 * and a pulled page is about 2 MiB, so 14 reports of 4000 indicators (about 2.5 MiB) fill
 * both. Each still arrives, once, and the reports stored together keep their indicators.
 */
static void
test_backlog_larger_than_a_batch(void **state)
{
    enum { REPORTS = 14, PER = 4000 };
    struct isx_buf body = ISX_BUF_INIT;
    struct isx_http_response r;
    char *ids[REPORTS], path[200];
    long status;

    (void)state;
    for (int k = 0; k < REPORTS; k++) {
        isx_buf_reset(&body);
        isx_buf_printf(&body,
                       "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T2\","
                       "\"title\":{\"en\":\"backlog %d\"},\"indicators\":[",
                       k);
        for (int i = 0; i < PER; i++)
            isx_buf_printf(&body, "%s{\"value\":\"i%d.backlog%d.fed.example\"}", i ? "," : "", i,
                           k);
        isx_buf_puts(&body, "]}");
        assert_int_equal(api(&nodes[CN], "POST", "/api/v1/reports", NULL, body.data, &r), 201);
        json_t *doc = json_loadb(r.body.data, r.body.len, 0, NULL);
        ids[k] = strdup(json_string_value(json_object_get(doc, "id")));
        json_decref(doc);
        isx_buf_free(&r.body);
    }
    isx_buf_free(&body);
    for (int k = 0; k < REPORTS; k++) {
        snprintf(path, sizeof(path), "/api/v1/reports/%s", ids[k]);
        assert_true(wait_status(&nodes[RU], path, 200, 60));
    }
    for (int k = 0; k < REPORTS; k++)
        assert_int_equal(stored_versions(&nodes[RU], ids[k], 0), 1);
    /* Each report's last indicator is found at RU, in that report alone. */
    for (int k = 0; k < REPORTS; k++) {
        snprintf(path, sizeof(path), "/api/v1/indicators/lookup?value=i%d.backlog%d.fed.example",
                 PER - 1, k);
        json_t *found = get_json(&nodes[RU], path, &status);
        json_t *reports = json_object_get(found, "reports");
        assert_int_equal(status, 200);
        assert_int_equal(json_array_size(reports), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(reports, 0), "id")),
                            ids[k]);
        json_decref(found);
        free(ids[k]);
    }
}

/* A receiver killed in the middle of a transfer ends with every object exactly once. */
static void
test_restart_mid_transfer_delivers_exactly_once(void **state)
{
    struct testnode *kz = &nodes[KZ];
    char *ids[40];
    char path[160], title[32];

    (void)state;
    for (int i = 0; i < 40; i++) {
        snprintf(title, sizeof(title), "green-%d", i);
        ids[i] = submit(&nodes[RU], "{\"tlp\":\"green\"}", title);
        if (i == 10) {
            /* Killed with no chance to finish anything it was doing. */
            kill(kz->pid, SIGKILL);
            node_stop(kz);
        }
    }
    kz->want_port = (uint16_t)atoi(strrchr(kz->url, ':') + 1);
    assert_int_equal(node_start(kz), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "/api/v1/reports/%s", ids[i]);
        assert_true(wait_status(kz, path, 200, 60));
    }
    pause_ms(2500); /* more rounds: nothing arrives twice */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(stored_versions(kz, ids[i], 0), 1);
        free(ids[i]);
    }
    /* The log holds each object once: its size equals the objects stored. */
    long status;
    json_t *log = get_json(kz, "/api/v1/log", &status);
    assert_int_equal(json_integer_value(json_object_get(log, "size")), objects_stored(kz));
    json_decref(log);
}

/* The peers' state as an operator sees it, from the CLI. */
static void
test_peer_list_cli(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *doc, *p;
    size_t i;
    int saw_ru = 0;

    (void)state;
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "--json", "peer", "list", NULL), 0);
    doc = json_loadb(out.data, out.len, 0, NULL);
    json_array_foreach(json_object_get(doc, "items"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "party")), "RU") != 0)
            continue;
        saw_ru = 1;
        assert_non_null(json_string_value(json_object_get(p, "last_contact")));
        assert_true(json_integer_value(json_object_get(p, "received")) > 0);
        assert_true(json_integer_value(json_object_get(p, "sent")) > 0);
        assert_true(json_integer_value(json_object_get(p, "witnessed_size")) > 0);
    }
    assert_true(saw_ru);
    json_decref(doc);
    isx_buf_reset(&out);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "--lang", "ru", "peer", "list", NULL),
                     0);
    assert_non_null(strstr(out.data, "Последняя связь"));
    isx_buf_reset(&out);
    /* A peer add with neither --fetch nor keys is a usage error. */
    assert_int_equal(
        run_cli(&nodes[CN], NULL, &out, &err, "peer", "add", "TJ", "http://127.0.0.1:1", NULL), 2);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* A peer that shows two views of its log raises an alarm, with the evidence kept. */
static void
test_witness_alarm_on_a_forked_log(void **state)
{
    struct testnode *ru = &nodes[RU];
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT, note = ISX_BUF_INIT;
    struct isx_sign_key *key = NULL;
    struct isx_signer *signer = NULL;
    struct isx_checkpoint cp;
    char db[320], keypath[320], sql[2048];
    long status;

    (void)state;
    /* RU's witnesses cosigned its checkpoints. */
    snprintf(db, sizeof(db), "%s/node/isx.db", ru->dir);
    assert_int_equal(run_prog("/usr/bin/sqlite3", &out, &err, db,
                              "SELECT count(*) FROM cosignatures WHERE witness = 'CN'", NULL),
                     0);
    assert_true(atoi(out.data) >= 1);
    isx_buf_reset(&out);

    /* Wait until CN has witnessed RU's latest checkpoint, then stop RU and forge one of the
     * same size with another root, signed with RU's own key. */
    uint64_t latest = 0;
    for (int i = 0; i < 100; i++) {
        json_t *st = get_json(ru, "/api/v1/log", &status);
        latest = (uint64_t)json_integer_value(json_object_get(st, "checkpoint_size"));
        json_decref(st);
        json_t *p = get_json(&nodes[CN], "/api/v1/peers/RU", &status);
        uint64_t seen = (uint64_t)json_integer_value(json_object_get(p, "witnessed_size"));
        json_decref(p);
        if (latest > 0 && seen == latest)
            break;
        pause_ms(200);
    }
    node_stop(ru);
    snprintf(sql, sizeof(sql), "SELECT note FROM checkpoints WHERE size = %llu",
             (unsigned long long)latest);
    assert_int_equal(run_prog("/usr/bin/sqlite3", &out, &err, db, sql, NULL), 0);
    const char *cut = strstr(out.data, "\n\n");
    assert_non_null(cut);
    assert_int_equal(isx_checkpoint_parse(out.data, (size_t)(cut - out.data) + 1, &cp), 0);
    cp.root[0] ^= 1;
    snprintf(keypath, sizeof(keypath), "%s/node/keys/sign.key", ru->dir);
    assert_int_equal(isx_sign_key_load(keypath, &key), 0);
    assert_int_equal(isx_signer_local(key, cp.origin, &signer), 0);
    assert_int_equal(isx_checkpoint_sign(&cp, signer, &note), 0);
    snprintf(sql, sizeof(sql), "UPDATE checkpoints SET note = '%s' WHERE size = %llu", note.data,
             (unsigned long long)latest);
    assert_int_equal(run_prog("/usr/bin/sqlite3", &out, &err, db, sql, NULL), 0);
    ru->want_port = (uint16_t)atoi(strrchr(ru->url, ':') + 1);
    assert_int_equal(node_start(ru), 0);

    int alarmed = 0;
    for (int i = 0; i < 300 && !alarmed; i++) {
        json_t *a = get_json(&nodes[CN], "/api/v1/alarms", &status);
        json_t *first = json_array_get(json_object_get(a, "items"), 0);
        if (first != NULL) {
            alarmed = 1;
            assert_string_equal(json_string_value(json_object_get(first, "peer")), "RU");
            /* Both signed views are kept as evidence. */
            json_t *ev = json_object_get(first, "evidence");
            assert_non_null(json_string_value(json_object_get(ev, "seen")));
            assert_non_null(json_string_value(json_object_get(ev, "shown")));
        }
        json_decref(a);
        if (!alarmed)
            pause_ms(100);
    }
    assert_true(alarmed);
    assert_true(metric(&nodes[CN], "\nisx_fed_alarms ") >= 1);
    isx_buf_reset(&out);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "peer", "alarms", NULL), 0);
    assert_non_null(strstr(out.data, "RU"));
    assert_true(strstr(out.data, "fork") != NULL || strstr(out.data, "inconsistent") != NULL);
    isx_signer_free(signer);
    isx_buf_free(&note);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_and_depositary_directory),
        cmocka_unit_test(test_amber_reaches_only_the_named_party),
        cmocka_unit_test(test_relay_carries_what_it_cannot_read),
        cmocka_unit_test(test_release_lets_ru_forward_to_kz),
        cmocka_unit_test(test_signed_requests_and_refusals),
        cmocka_unit_test(test_backlog_larger_than_a_batch),
        cmocka_unit_test(test_restart_mid_transfer_delivers_exactly_once),
        cmocka_unit_test(test_peer_list_cli),
        cmocka_unit_test(test_witness_alarm_on_a_forked_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
