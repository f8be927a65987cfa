/*
 * Threat reports end to end against a real isxd: normalisation (one indicator however it is
 * written), correlation including CIDR ranges, filters and pagination, markings on every read
 * path, every refusal, and durability: a kill -9 during ingest loses no report that the API
 * acknowledged with 201.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "isx/hash.h"
#include "isx/object.h"
#include "isx/seal.h"
#include "isx/sign.h"

static struct testnode node;

static int
setup(void **state)
{
    (void)state;
    if (node_create(&node, "CN") != 0 || node_start(&node) != 0)
        return -1;
    /* Objects above TLP:GREEN are sealed for each party named, so RU's key must be known. */
    if (peer_register_keys(&node, "RU", NULL, NULL, NULL) != 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    node_destroy(&node);
    return 0;
}

static json_t *
call(const char *method, const char *path, const char *token, const char *body, long expect)
{
    struct isx_http_response r;
    long status = api(&node, method, path, token, body, &r);
    json_t *v;

    if (status != expect)
        fprintf(stderr, "%s %s -> %ld: %s\n", method, path, status, r.body.data ? r.body.data : "");
    assert_int_equal(status, expect);
    v = json_loadb(r.body.data != NULL ? r.body.data : "", r.body.len, 0, NULL);
    isx_buf_free(&r.body);
    return v;
}

static char *
submit(const char *body)
{
    json_t *o = call("POST", "/api/v1/reports", NULL, body, 201);
    char *id = strdup(json_string_value(json_object_get(o, "id")));
    json_decref(o);
    return id;
}

static void
expect_problem(const char *method, const char *path, const char *body, long status,
               const char *code, const char *field)
{
    long before = objects_stored(&node);
    json_t *p = call(method, path, NULL, body, status);

    assert_string_equal(json_string_value(json_object_get(p, "code")), code);
    if (field != NULL)
        assert_string_equal(json_string_value(json_object_get(p, "field")), field);
    json_decref(p);
    assert_int_equal(objects_stored(&node), before);
}

static const char report_a[] =
    "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"features\":[\"T3-F1\"],"
    "\"severity\":\"high\",\"status\":\"confirmed\",\"sectors\":[\"energy\"],"
    "\"first_seen\":\"2026-11-01T00:00:00Z\",\"last_seen\":\"2026-11-02T00:00:00.000Z\","
    "\"title\":{\"en\":\"Grid intrusion\",\"ru\":\"Вторжение в энергосеть\"},"
    "\"indicators\":[{\"value\":\"Evil.Example.\"},{\"value\":\"evil.example\"},"
    "{\"value\":\"2001:DB8:0:0:0:0:0:1\"},{\"type\":\"cidr4\",\"value\":\"203.0.113.0/24\"},"
    "{\"value\":\"hxxps://Evil.example:443/a/%7euser#x\"},"
    "{\"value\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}]}";

static void
test_submit_normalises(void **state)
{
    char path[128];
    char *id = submit(report_a);
    json_t *doc, *inds;

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
    doc = call("GET", path, NULL, NULL, 200);
    inds = json_object_get(json_object_get(json_object_get(doc, "object"), "body"), "indicators");
    /* Two spellings of one domain became one indicator. */
    assert_int_equal(json_array_size(inds), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 0), "value")),
                        "evil.example");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 1), "value")),
                        "2001:db8::1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 3), "value")),
                        "https://evil.example/a/~user");
    json_decref(doc);

    /* The report's page says where it sits in the transparency log, and which checkpoint
     * covers it once one has been signed. */
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char url[256], auth[128];
    json_decref(call("POST", "/api/v1/log/checkpoint", NULL, NULL, 201));
    snprintf(url, sizeof(url), "%s%s", node.url, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", node.token);
    assert_int_equal(run_prog("/usr/bin/curl", &out, &err, "-s", "-D", "-", "-o", "/dev/null", "-H",
                              auth, url, NULL),
                     0);
    assert_non_null(strstr(out.data, "ISX-Log-Index: "));
    assert_non_null(strstr(out.data, "ISX-Log-Checkpoint: "));
    isx_buf_free(&out);
    isx_buf_free(&err);
    free(id);
}

static void
test_lookup_and_correlation(void **state)
{
    char *a = submit("{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T2\",\"title\":{\"en\":\"A\"},"
                     "\"indicators\":[{\"value\":\"198.51.100.0/24\"},{\"value\":\"a.example\"},"
                     "{\"value\":\"shared.example\"}]}");
    char *b =
        submit("{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T2\",\"title\":{\"en\":\"B\"},"
               "\"indicators\":[{\"value\":\"SHARED.example.\"},{\"value\":\"198.51.100.77\"}]}");
    char path[128];
    json_t *r, *reports;

    (void)state;
    /* An address inside a reported range matches it. */
    r = call("GET", "/api/v1/indicators/lookup?value=198.51.100.200", NULL, NULL, 200);
    reports = json_object_get(r, "reports");
    assert_int_equal(json_array_size(reports), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(reports, 0), "match")),
                        "range");
    json_decref(r);
    /* Exact and range matches together: B reported the address, A the range around it. */
    r = call("GET", "/api/v1/indicators/lookup?value=198.51.100.77", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "reports")), 2);
    json_decref(r);
    r = call("GET", "/api/v1/indicators/lookup?value=nothing.example", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "reports")), 0);
    json_decref(r);
    /* B's page shows A as correlated: one shared domain, one address inside A's range. */
    snprintf(path, sizeof(path), "/api/v1/reports/%s", b);
    r = call("GET", path, NULL, NULL, 200);
    json_t *c = json_object_get(r, "correlated");
    assert_int_equal(json_array_size(c), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "id")), a);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(c, 0), "shared")), 2);
    json_decref(r);
    /* The batch form, with one value that does not parse. */
    r = call("POST", "/api/v1/indicators/lookup", NULL,
             "{\"values\":[\"shared.example\",\"300.1.1.1\",\"198.51.100.1\"]}", 200);
    json_t *results = json_object_get(r, "results");
    assert_int_equal(json_array_size(results), 3);
    assert_int_equal(json_array_size(json_object_get(json_array_get(results, 0), "reports")), 2);
    assert_non_null(json_object_get(json_array_get(results, 1), "error"));
    assert_int_equal(json_array_size(json_object_get(json_array_get(results, 2), "reports")), 1);
    json_decref(r);
    free(a);
    free(b);
}

static void
test_filters_and_pages(void **state)
{
    json_t *r;
    char path[256];
    size_t total = 0;
    const char *next;

    (void)state;
    r = call("GET", "/api/v1/reports?threat=T3&sector=energy&severity=high", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    r = call("GET", "/api/v1/reports?indicator=EVIL.example.", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    r = call("GET", "/api/v1/reports?q=%D1%8D%D0%BD%D0%B5%D1%80%D0%B3%D0%BE", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1); /* "энерго" */
    json_decref(r);
    r = call("GET", "/api/v1/reports?since=2026-11-01T12:00:00Z&until=2026-11-03T00:00:00Z", NULL,
             NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    /* Case-free search in Cyrillic; language keys are not text. */
    r = call("GET", "/api/v1/reports?q=%D0%92%D0%A2%D0%9E%D0%A0%D0%96%D0%95%D0%9D%D0%98%D0%95",
             NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1); /* "ВТОРЖЕНИЕ" */
    json_decref(r);
    r = call("GET", "/api/v1/reports?q=en", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    /* A bound equal to the report's time includes it, however either is written. */
    r = call("GET", "/api/v1/reports?since=2026-11-02T00:00:00Z&until=2026-11-02T00:00:00Z", NULL,
             NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    snprintf(path, sizeof(path), "/api/v1/reports?limit=1");
    for (int pages = 0; pages < 20; pages++) {
        r = call("GET", path, NULL, NULL, 200);
        total += json_array_size(json_object_get(r, "items"));
        next = json_string_value(json_object_get(r, "next"));
        if (next == NULL) {
            json_decref(r);
            break;
        }
        snprintf(path, sizeof(path), "/api/v1/reports?limit=1&cursor=%s", next);
        json_decref(r);
    }
    assert_int_equal(total, 3);
    expect_problem("GET", "/api/v1/reports?threat=T9", NULL, 400, "INVAL", "threat");
    expect_problem("GET", "/api/v1/reports?severity=apocalyptic", NULL, 400, "INVAL", "severity");
    expect_problem("GET", "/api/v1/reports?since=yesterday", NULL, 400, "INVAL", "since");
    expect_problem("GET", "/api/v1/reports?indicator=1.2.3", NULL, 400, "INVAL", "indicator");
}

static void
test_refusals(void **state)
{
    (void)state;
    expect_problem("POST", "/api/v1/reports",
                   "{\"threat\":\"T3\",\"title\":{\"en\":\"x\"},\"indicators\":[]}", 422, "MISSING",
                   "marking");
    expect_problem("POST", "/api/v1/reports",
                   "{\"marking\":{\"tlp\":\"green\",\"labels\":[\"绝密\"]},\"threat\":\"T9\","
                   "\"title\":{\"en\":\"x\"}}",
                   422, "SECRET", "marking.labels[0]");
    expect_problem("POST", "/api/v1/reports",
                   "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T9\",\"title\":{\"en\":\"x\"}}",
                   422, "FIELD", "threat");
    expect_problem("POST", "/api/v1/reports",
                   "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"features\":[\"T1-F1\"],"
                   "\"title\":{\"en\":\"x\"}}",
                   422, "FIELD", "features[0]");
    expect_problem(
        "POST", "/api/v1/reports",
        "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"x\"},"
        "\"first_seen\":\"2026-11-02T00:00:00Z\",\"last_seen\":\"2026-11-01T00:00:00Z\"}",
        422, "FIELD", "last_seen");
    expect_problem("POST", "/api/v1/reports",
                   "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"x\"},"
                   "\"indicators\":[{\"value\":\"ok.example\"},{\"value\":\"10.0.0.1/8\"}]}",
                   422, "FIELD", "indicators[1].value");
    expect_problem("POST", "/api/v1/reports",
                   "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"x\"},"
                   "\"indicators\":[{\"type\":\"sha256\",\"value\":\"abc\"}]}",
                   422, "FIELD", "indicators[0].value");
    expect_problem("POST", "/api/v1/reports",
                   "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"x\"},"
                   "\"confidence\":5}",
                   422, "UNKNOWN_FIELD", "confidence");
    expect_problem("POST", "/api/v1/indicators/lookup", "{\"values\":[]}", 422, "RANGE", "values");
    expect_problem("GET", "/api/v1/indicators/lookup", NULL, 400, "INVAL", "value");
    expect_problem("GET", "/api/v1/indicators/lookup?value=not%20an%20indicator", NULL, 422,
                   "FIELD", "value");
}

static void
test_markings_per_role(void **state)
{
    json_t *u, *r;
    char token[ISX_TOKEN_LEN + 1], path[128];
    char *red = submit("{\"marking\":{\"tlp\":\"red\",\"to\":[\"RU\"]},\"threat\":\"T1\","
                       "\"title\":{\"en\":\"Red one\"},\"indicators\":[{\"value\":\"red.example\"},"
                       "{\"value\":\"shared.example\"}]}");

    (void)state;
    u = call("POST", "/api/v1/users", NULL, "{\"name\":\"watcher\",\"role\":\"observer\"}", 201);
    snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(u, "token")));
    json_decref(u);
    /* The observer: not in lists, lookups, correlation, nor by id. */
    r = call("GET", "/api/v1/reports?threat=T1", token, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    r = call("GET", "/api/v1/indicators/lookup?value=red.example", token, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "reports")), 0);
    json_decref(r);
    r = call("GET", "/api/v1/indicators/lookup?value=shared.example", token, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "reports")), 2);
    json_decref(r);
    snprintf(path, sizeof(path), "/api/v1/reports/%s", red);
    json_decref(call("GET", path, token, NULL, 404));
    snprintf(path, sizeof(path), "/api/v1/objects/%s", red);
    json_decref(call("GET", path, token, NULL, 404));
    snprintf(path, sizeof(path), "/api/v1/objects/%s/versions", red);
    json_decref(call("GET", path, token, NULL, 404));
    /* Nor through the log: a proof asked for by hash must not carry the report either. */
    snprintf(path, sizeof(path), "/api/v1/objects/%s/log", red);
    json_t *entry = call("GET", path, NULL, NULL, 200);
    snprintf(path, sizeof(path), "/api/v1/log/inclusion?object=%s&with_object=true",
             json_string_value(json_object_get(entry, "object_hash")));
    json_decref(entry);
    json_decref(call("POST", "/api/v1/log/checkpoint", NULL, NULL, 201));
    json_decref(call("GET", path, token, NULL, 404));
    json_decref(call("GET", path, NULL, NULL, 200));
    snprintf(path, sizeof(path), "/api/v1/objects/%s/log", red);
    json_decref(call("GET", path, token, NULL, 404));
    /* An observer cannot report. */
    json_decref(call("POST", "/api/v1/reports", token, report_a, 403));
    /* The admin sees it everywhere. */
    r = call("GET", "/api/v1/indicators/lookup?value=shared.example", NULL, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(r, "reports")), 3);
    json_decref(r);
    free(red);
}

/*
 * Another party's report is stored only when its marking names this node's party: the node
 * learns RU's key from RU's directory entry, then RU's reports arrive for CN or for others.
 */
static void
test_markings_per_party(void **state)
{
    struct isx_sign_key *k = NULL;
    struct isx_signer *ru = NULL;
    uint8_t pk[32];
    char pk64[64], body[512], *text;
    struct isx_object *o = NULL;

    (void)state;
    assert_int_equal(isx_sign_key_generate(&k), 0);
    isx_sign_key_public(k, pk);
    assert_int_equal(isx_signer_local(k, "isx-ru", &ru), 0);
    isx_base64_encode(pk, sizeof(pk), pk64);
    snprintf(body, sizeof(body),
             "{\"code\":\"RU\",\"name\":{\"en\":\"Russian Federation\"},\"keys\":[{\"suite\":"
             "\"ed25519\",\"key\":\"%s\",\"public\":\"%s\"}]}",
             isx_signer_key_id(ru), pk64);
    json_decref(call("PUT", "/api/v1/parties/RU", NULL, body, 200));

    /* Above TLP:GREEN RU seals the body for each party named: CN with the key its node
     * publishes, KZ with a key of its own. */
    struct isx_seal_recipient rcpt[3] = {{"CN", {0}}, {"KZ", {0}}, {"RU", {0}}};
    struct isx_box_key *kz = NULL;
    json_t *info = call("GET", "/api/v1/node", NULL, NULL, 200);
    const char *cn_box = json_string_value(json_object_get(info, "box_key"));
    size_t len;
    assert_int_equal(isx_base64_decode(cn_box, strlen(cn_box), rcpt[0].box_pk, 32, &len), 0);
    json_decref(info);
    assert_int_equal(isx_box_key_generate(&kz), 0);
    isx_box_key_public(kz, rcpt[1].box_pk);
    isx_box_key_public(kz, rcpt[2].box_pk);

    /* 0: not for CN; 1: for CN but in clear; 2: for CN and sealed. */
    static const char *const to[] = {"[\"KZ\"]", "[\"CN\",\"KZ\"]", "[\"CN\",\"KZ\"]"};
    for (int i = 0; i < 3; i++) {
        char marking[64];
        snprintf(marking, sizeof(marking), "{\"tlp\":\"amber\",\"to\":%s}", to[i]);
        assert_int_equal(isx_object_new("report", NULL, "RU", json_loads(marking, 0, NULL),
                                        json_pack("{s:s, s:{s:s}, s:[]}", "threat", "T2", "title",
                                                  "ru", "Сообщение", "indicators"),
                                        NULL, &o),
                         0);
        if (i == 0)
            assert_int_equal(isx_object_seal(o, rcpt + 1, 2), 0);
        if (i == 2)
            assert_int_equal(isx_object_seal(o, rcpt, 3), 0);
        assert_int_equal(isx_object_sign(o, ru), 0);
        text = json_dumps(o->env, JSON_COMPACT);
        if (i == 0) {
            expect_problem("POST", "/api/v1/objects", text, 403, "MARKING", "marking.to");
        } else if (i == 1) {
            /* Art. 6 by construction: above GREEN a clear body is refused at the door. */
            expect_problem("POST", "/api/v1/objects", text, 403, "MARKING", "body");
        } else {
            json_t *stored = call("POST", "/api/v1/objects", NULL, text, 201);
            /* The node opened it: its users read the body, beside the sealed form. */
            assert_non_null(json_object_get(stored, "sealed"));
            assert_string_equal(
                json_string_value(json_object_get(
                    json_object_get(json_object_get(stored, "body"), "title"), "ru")),
                "Сообщение");
            json_decref(stored);
            json_t *r = call("GET", "/api/v1/reports?party=RU", NULL, NULL, 200);
            assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
            json_decref(r);
        }
        free(text);
        isx_object_free(o);
        o = NULL;
    }
    isx_box_key_free(kz);
    isx_signer_free(ru);
}

/* Posts reports until stopped; records the ids acknowledged with 201. */
struct ingest {
    volatile int stop;
    json_t *acked;
    pthread_mutex_t lock;
};

static void *
ingest_loop(void *arg)
{
    struct ingest *g = arg;
    char body[2048];

    for (int i = 0; i < 2000 && !g->stop; i++) {
        struct isx_http_response r;
        snprintf(body, sizeof(body),
                 "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"k%d\"},"
                 "\"indicators\":[{\"value\":\"k%d.durable.example\"},{\"value\":\"10.9.%d.%d\"}]}",
                 i, i, i / 250, i % 250);
        if (api(&node, "POST", "/api/v1/reports", NULL, body, &r) == 201) {
            json_t *o = json_loadb(r.body.data, r.body.len, 0, NULL);
            pthread_mutex_lock(&g->lock);
            json_array_append(g->acked, json_object_get(o, "id"));
            pthread_mutex_unlock(&g->lock);
            json_decref(o);
        }
        isx_buf_free(&r.body);
    }
    return NULL;
}

static void
test_kill9_loses_no_acknowledged_report(void **state)
{
    struct ingest g = {0, json_array(), PTHREAD_MUTEX_INITIALIZER};
    pthread_t t[2];
    struct timespec pause = {0, 400 * 1000000};
    int status;
    size_t i;
    json_t *id;
    char path[128];

    (void)state;
    pthread_create(&t[0], NULL, ingest_loop, &g);
    pthread_create(&t[1], NULL, ingest_loop, &g);
    nanosleep(&pause, NULL);
    kill(node.pid, SIGKILL); /* mid-ingest, no chance to flush anything */
    waitpid(node.pid, &status, 0);
    node.pid = 0;
    g.stop = 1;
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    assert_true(json_array_size(g.acked) > 0);
    assert_int_equal(node_start(&node), 0);
    json_array_foreach(g.acked, i, id)
    {
        snprintf(path, sizeof(path), "/api/v1/reports/%s", json_string_value(id));
        json_decref(call("GET", path, NULL, NULL, 200));
    }
    json_decref(g.acked);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_normalises),
        cmocka_unit_test(test_lookup_and_correlation),
        cmocka_unit_test(test_filters_and_pages),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_markings_per_role),
        cmocka_unit_test(test_markings_per_party),
        cmocka_unit_test(test_kill9_loses_no_acknowledged_report),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
