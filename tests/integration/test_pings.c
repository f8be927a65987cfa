/*
 * Communication checks end to end (issue 6), with two real isxd processes, CN and RU. CN pings
 * RU's three contacts; RU's node receives the ping; one contact answers through the API,
 * another through its one-time link, the third never. The answers reach CN, whose results
 * show 2/3 with the split per kind; answers twice, late, for another party's contact or
 * through a forged link are refused, at the API and at the door; after the deadline the
 * silent contact is flagged in the directory on both nodes. CN also runs a daily schedule,
 * whose check starts once per slot, restart or not.
 */
#include <setjmp.h>
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
#include "isx/object.h"
#include "isx/ping.h"
#include "isx/sign.h"
#include "isx/timeutil.h"

enum { CN, RU, NNODES };
static struct testnode nodes[NNODES];
static const char *const parties[NNODES] = {"CN", "RU"};

/* RU's three contacts: two from examples/directory.json, one added by the test. */
static char ru_tech[80], ru_dipl[80], ru_new[80];
/* The first ping and its deadline; the link of the contact that never answers. */
static char ping_id[80], deadline[ISX_TIME_LEN + 1], silent_link[160];

static void
pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *
call(struct testnode *n, const char *method, const char *path, const char *body, long *status)
{
    struct isx_http_response r;
    json_t *doc = NULL;

    *status = api(n, method, path, NULL, body, &r);
    if (r.body.data != NULL)
        doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    isx_buf_free(&r.body);
    return doc;
}

/* A call without any token, as a contact following a link makes it. */
static json_t *
public_call(struct testnode *n, const char *method, const char *path, long *status)
{
    struct isx_http_response r = {0};
    char url[512];
    json_t *doc = NULL;

    snprintf(url, sizeof(url), "%s%s", n->url, path);
    assert_int_equal(isx_http_request(method, url, NULL, ISX_LANG_EN, NULL, 0, 10000, &r), 0);
    *status = r.status;
    if (r.body.data != NULL)
        doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    isx_buf_free(&r.body);
    return doc;
}

/* Asserts a problem answer: its status, code and field. */
static void
expect_problem(json_t *doc, long status, long want, const char *code, const char *field)
{
    assert_int_equal(status, want);
    assert_string_equal(json_string_value(json_object_get(doc, "code")), code);
    if (field != NULL)
        assert_string_equal(json_string_value(json_object_get(doc, "field")), field);
    json_decref(doc);
}

static void
link_to(struct testnode *a, struct testnode *b)
{
    long status;
    json_t *info = call(b, "GET", "/api/v1/node", NULL, &status), *body;
    char *text;

    assert_int_equal(status, 200);
    body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "party", b->party, "url", b->url, "name",
                     json_string_value(json_object_get(info, "name")), "sign_key",
                     json_string_value(json_object_get(json_object_get(info, "key"), "public")),
                     "box_key", json_string_value(json_object_get(info, "box_key")));
    text = json_dumps(body, JSON_COMPACT);
    json_decref(call(a, "POST", "/api/v1/peers", text, &status));
    assert_true(status == 201 || status == 200);
    free(text);
    json_decref(body);
    json_decref(info);
}

static int
setup(void **state)
{
    char hour[32];
    time_t now = time(NULL);
    struct tm tm;

    (void)state;
    gmtime_r(&now, &tm);
    snprintf(hour, sizeof(hour), "hour = %d", tm.tm_hour);
    for (int i = 0; i < NNODES; i++) {
        if (node_create(&nodes[i], parties[i]) != 0 ||
            node_config_set(&nodes[i], "sync_interval = 5", "sync_interval = 1") != 0)
            return -1;
    }
    /* CN checks its own contacts every day at this hour, so the slot is always behind us and
     * its 24-hour window still open. */
    if (node_config_set(&nodes[CN], "schedule = off", "schedule = daily") != 0 ||
        node_config_set(&nodes[CN], "hour = 9", hour) != 0 ||
        node_config_set(&nodes[CN], "deadline_hours = 48", "deadline_hours = 24") != 0 ||
        node_config_set(&nodes[CN], "parties = all", "parties = CN") != 0)
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

/* The scheduled pings CN holds (ids in `first`, when one is there). */
static size_t
scheduled(char *first, size_t cap)
{
    long status;
    json_t *doc = call(&nodes[CN], "GET", "/api/v1/pings", NULL, &status), *p;
    size_t i, n = 0;

    assert_int_equal(status, 200);
    json_array_foreach(json_object_get(doc, "items"), i, p)
    {
        if (json_object_get(p, "schedule") == NULL)
            continue;
        if (n++ == 0 && first != NULL)
            snprintf(first, cap, "%s", json_string_value(json_object_get(p, "id")));
    }
    json_decref(doc);
    return n;
}

static void
test_schedule(void **state)
{
    char id[80] = "", path[160];
    long status;

    (void)state;
    for (int i = 0; i < 100 && scheduled(id, sizeof(id)) == 0; i++)
        pause_ms(100);
    assert_int_equal(scheduled(id, sizeof(id)), 1);
    snprintf(path, sizeof(path), "/api/v1/pings/%s", id);
    json_t *doc = call(&nodes[CN], "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    const json_t *r = json_object_get(doc, "results");
    assert_string_equal(json_string_value(json_object_get(r, "state")), "open");
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "parties"), 0)), "CN");
    /* The deadline is the slot plus deadline_hours, and the slot is on the hour. */
    const char *slot = json_string_value(json_object_get(r, "schedule"));
    int64_t s, dl;
    assert_int_equal(isx_time_parse(slot, &s), 0);
    assert_int_equal(isx_time_parse(json_string_value(json_object_get(r, "deadline")), &dl), 0);
    assert_int_equal(s % 3600000, 0);
    assert_int_equal(dl - s, INT64_C(24) * 3600000);
    /* CN's own liaisons get the links of CN's contacts. */
    assert_int_equal(json_array_size(json_object_get(doc, "links")), 2);
    json_decref(doc);

    /* A restart does not start the same slot's check again. */
    nodes[CN].want_port = nodes[CN].port;
    assert_int_equal(node_stop(&nodes[CN]), 0);
    assert_int_equal(node_start(&nodes[CN]), 0);
    pause_ms(500);
    assert_int_equal(scheduled(NULL, 0), 1);
}

/* The id of RU's contact whose English name is `who`, as RU lists it. */
static void
ru_contact(const char *who, char *out, size_t cap)
{
    long status;
    json_t *doc = call(&nodes[RU], "GET", "/api/v1/pocs?party=RU", NULL, &status), *p;
    size_t i;

    assert_int_equal(status, 200);
    out[0] = '\0';
    json_array_foreach(json_object_get(doc, "items"), i, p)
    {
        const char *en = json_string_value(
            json_object_get(json_object_get(json_object_get(p, "body"), "person"), "en"));
        if (en != NULL && strcmp(en, who) == 0)
            snprintf(out, cap, "%s", json_string_value(json_object_get(p, "id")));
    }
    json_decref(doc);
    assert_true(out[0] != '\0');
}

static size_t
list_size(struct testnode *n, const char *path)
{
    long status;
    json_t *doc = call(n, "GET", path, NULL, &status);
    size_t size = json_array_size(json_object_get(doc, "items"));

    json_decref(doc);
    return status == 200 ? size : 0;
}

/* Waits until `n` holds the ping; 1 when it does. */
static int
wait_ping(struct testnode *n, const char *id)
{
    char path[160];
    long status = 0;

    snprintf(path, sizeof(path), "/api/v1/pings/%s", id);
    for (int i = 0; i < 300 && status != 200; i++) {
        json_decref(call(n, "GET", path, NULL, &status));
        if (status != 200)
            pause_ms(100);
    }
    return status == 200;
}

static json_t *
ack(struct testnode *n, const char *id, const char *poc, const char *how, long *status)
{
    char path[160], body[256];

    snprintf(path, sizeof(path), "/api/v1/pings/%s/ack", id);
    snprintf(body, sizeof(body), "{\"poc\":\"%s\",\"how\":\"%s\"}", poc, how);
    return call(n, "POST", path, body, status);
}

static void
test_round(void **state)
{
    char path[256], body[512];
    long status;
    json_t *doc;

    (void)state;
    link_to(&nodes[CN], &nodes[RU]);
    link_to(&nodes[RU], &nodes[CN]);

    /* A third RU contact, technical, besides the two of the examples. */
    json_decref(call(&nodes[RU], "POST", "/api/v1/pocs",
                     "{\"party\":\"RU\",\"kind\":\"technical\",\"person\":{\"en\":\"Pavel Orlov\","
                     "\"ru\":\"Павел Орлов\"},\"organisation\":{\"en\":\"CERT RU\"},\"channels\":"
                     "[{\"type\":\"email\",\"value\":\"p.orlov@cert.example.ru\"}],"
                     "\"languages\":[\"ru\",\"en\"]}",
                     &status));
    assert_int_equal(status, 201);
    ru_contact("Ivan Petrov", ru_tech, sizeof(ru_tech));
    ru_contact("Anna Smirnova", ru_dipl, sizeof(ru_dipl));
    ru_contact("Pavel Orlov", ru_new, sizeof(ru_new));
    for (int i = 0; i < 300 && list_size(&nodes[CN], "/api/v1/pocs?party=RU") < 3; i++)
        pause_ms(100);
    assert_int_equal(list_size(&nodes[CN], "/api/v1/pocs?party=RU"), 3);

    /* A party whose contacts CN does not know cannot be pinged; nor can a ping last 31 days. */
    doc = call(&nodes[CN], "POST", "/api/v1/pings", "{\"parties\":[\"TJ\"]}", &status);
    expect_problem(doc, status, 422, "FIELD", "parties[0]");
    doc = call(&nodes[CN], "POST", "/api/v1/pings", "{\"parties\":[\"RU\"],\"deadline_hours\":744}",
               &status);
    expect_problem(doc, status, 422, "RANGE", "deadline_hours");

    /* CN pings RU, closing in 15 seconds. */
    isx_time_format(isx_time_now_ms() + 15000, deadline);
    snprintf(body, sizeof(body),
             "{\"parties\":[\"RU\"],\"deadline\":\"%s\",\"message\":{\"en\":\"Please "
             "acknowledge\",\"ru\":\"Подтвердите получение\"}}",
             deadline);
    doc = call(&nodes[CN], "POST", "/api/v1/pings", body, &status);
    assert_int_equal(status, 201);
    snprintf(ping_id, sizeof(ping_id), "%s", json_string_value(json_object_get(doc, "id")));
    const json_t *pb = json_object_get(doc, "body");
    assert_int_equal(json_array_size(json_object_get(pb, "pocs")), 3);
    assert_string_equal(json_string_value(json_object_get(pb, "deadline")), deadline);
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(doc, "marking"), "to"), 0)),
                        "RU");
    json_decref(doc);

    /* CN cannot answer for RU's contact. */
    doc = ack(&nodes[CN], ping_id, ru_tech, "api", &status);
    expect_problem(doc, status, 403, "FORBIDDEN", "poc");

    /* RU's node receives it; Ivan answers through the API. */
    assert_true(wait_ping(&nodes[RU], ping_id));
    doc = ack(&nodes[RU], ping_id, ru_tech, "api", &status);
    assert_int_equal(status, 201);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "body"), "how")),
                        "api");
    json_decref(doc);
    /* Twice is refused, as are a contact the ping does not cover and a "link" made here. */
    doc = ack(&nodes[RU], ping_id, ru_tech, "api", &status);
    expect_problem(doc, status, 409, "EXISTS", "poc");
    doc = ack(&nodes[RU], ping_id, "poc--00000000-0000-4000-8000-000000000000", "api", &status);
    expect_problem(doc, status, 422, "FIELD", "poc");
    doc = ack(&nodes[RU], ping_id, ru_dipl, "link", &status);
    expect_problem(doc, status, 422, "FIELD", "how");

    /* RU's liaisons see links for the two contacts that have not answered. */
    snprintf(path, sizeof(path), "/api/v1/pings/%s", ping_id);
    doc = call(&nodes[RU], "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    char dipl_link[160] = "";
    size_t i;
    json_t *l;
    assert_int_equal(json_array_size(json_object_get(doc, "links")), 2);
    json_array_foreach(json_object_get(doc, "links"), i, l)
    {
        const char *poc = json_string_value(json_object_get(l, "poc"));
        const char *p = json_string_value(json_object_get(l, "path"));
        assert_int_equal(strncmp(p, "/api/v1/ping-links/", 19), 0);
        if (strcmp(poc, ru_dipl) == 0)
            snprintf(dipl_link, sizeof(dipl_link), "%s", p);
        else if (strcmp(poc, ru_new) == 0)
            snprintf(silent_link, sizeof(silent_link), "%s", p);
    }
    assert_true(dipl_link[0] != '\0' && silent_link[0] != '\0');
    json_decref(doc);

    /* Anna follows her link: no token; she sees what she confirms, then confirms it once. */
    doc = public_call(&nodes[RU], "GET", dipl_link, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(doc, "poc")), ru_dipl);
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "diplomatic");
    assert_true(json_is_false(json_object_get(doc, "answered")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "message"), "ru")),
                        "Подтвердите получение");
    json_decref(doc);
    doc = public_call(&nodes[RU], "POST", dipl_link, &status);
    assert_int_equal(status, 201);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "body"), "how")),
                        "link");
    json_decref(doc);
    doc = public_call(&nodes[RU], "POST", dipl_link, &status);
    expect_problem(doc, status, 409, "EXISTS", "poc");
    doc = public_call(&nodes[RU], "GET", dipl_link, &status);
    assert_true(json_is_true(json_object_get(doc, "answered")));
    json_decref(doc);

    /* A link altered by one character, or shown to the other node, opens nothing. */
    char forged[160];
    snprintf(forged, sizeof(forged), "%s", silent_link);
    size_t last = strlen(forged) - 1;
    forged[last] = forged[last] == 'A' ? 'B' : 'A';
    doc = public_call(&nodes[RU], "POST", forged, &status);
    expect_problem(doc, status, 404, "NOTFOUND", "token");
    doc = public_call(&nodes[CN], "POST", silent_link, &status);
    expect_problem(doc, status, 404, "NOTFOUND", "token");
    doc = public_call(&nodes[RU], "POST", "/api/v1/ping-links/short", &status);
    expect_problem(doc, status, 404, "NOTFOUND", "token");
    /* The public routes are only the link's: the ping itself needs a token. */
    snprintf(path, sizeof(path), "/api/v1/pings/%s", ping_id);
    doc = public_call(&nodes[RU], "GET", path, &status);
    expect_problem(doc, status, 401, "AUTH", NULL);

    /* Pavel never answers. After the deadline, neither the API nor his link accept. */
    int64_t dl;
    assert_int_equal(isx_time_parse(deadline, &dl), 0);
    while (isx_time_now_ms() <= dl + 50)
        pause_ms(100);
    doc = ack(&nodes[RU], ping_id, ru_new, "api", &status);
    /* The answer says why, naming the deadline. */
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), deadline));
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), "closed"));
    expect_problem(doc, status, 409, "CONFLICT", "at");
    doc = public_call(&nodes[RU], "POST", silent_link, &status);
    expect_problem(doc, status, 409, "CONFLICT", "at");
}

/* CN's view of the ping once both answers have arrived. */
static json_t *
cn_results(void)
{
    char path[160];
    long status;
    json_t *doc = NULL;

    snprintf(path, sizeof(path), "/api/v1/pings/%s", ping_id);
    for (int i = 0; i < 300; i++) {
        doc = call(&nodes[CN], "GET", path, NULL, &status);
        assert_int_equal(status, 200);
        if (json_integer_value(json_object_get(json_object_get(doc, "results"), "answered")) == 2)
            return doc;
        json_decref(doc);
        pause_ms(100);
    }
    fail_msg("the answers did not reach CN");
    return NULL;
}

static void
test_results_at_origin(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *doc = cn_results();
    const json_t *r = json_object_get(doc, "results");

    (void)state;
    assert_string_equal(json_string_value(json_object_get(r, "state")), "closed");
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 3);
    double rate = json_real_value(json_object_get(r, "rate"));
    assert_true(rate > 0.666 && rate < 0.667);
    assert_true(json_integer_value(json_object_get(r, "median_ms")) > 0);
    assert_true(json_integer_value(json_object_get(r, "median_ms")) < 15000);
    const json_t *tech = json_object_get(json_object_get(r, "by_kind"), "technical");
    const json_t *dipl = json_object_get(json_object_get(r, "by_kind"), "diplomatic");
    assert_int_equal(json_integer_value(json_object_get(tech, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(tech, "answered")), 1);
    assert_int_equal(json_integer_value(json_object_get(dipl, "total")), 1);
    assert_int_equal(json_integer_value(json_object_get(dipl, "answered")), 1);
    const json_t *ru = json_object_get(json_object_get(r, "by_party"), "RU");
    assert_int_equal(json_integer_value(json_object_get(ru, "answered")), 2);
    /* Who answered how, with their names as CN's directory has them. */
    size_t i;
    json_t *c;
    int seen = 0;
    json_array_foreach(json_object_get(r, "contacts"), i, c)
    {
        const char *poc = json_string_value(json_object_get(c, "poc"));
        const char *how = json_string_value(json_object_get(c, "how"));
        if (strcmp(poc, ru_tech) == 0)
            seen += how != NULL && strcmp(how, "api") == 0;
        else if (strcmp(poc, ru_dipl) == 0)
            seen += how != NULL && strcmp(how, "link") == 0;
        else if (strcmp(poc, ru_new) == 0)
            seen += json_is_false(json_object_get(c, "answered")) &&
                    strcmp(json_string_value(json_object_get(json_object_get(c, "person"), "en")),
                           "Pavel Orlov") == 0;
    }
    assert_int_equal(seen, 3);
    /* CN makes no links for RU's contacts: only RU's node can. */
    assert_int_equal(json_array_size(json_object_get(doc, "links")), 0);
    json_decref(doc);

    /* The command line shows the same. */
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "ping", "status", ping_id, NULL), 0);
    assert_non_null(strstr(out.data, "2/3 (67%)"));
    assert_non_null(strstr(out.data, "technical   1/2"));
    assert_non_null(strstr(out.data, "diplomatic  1/1"));
    assert_non_null(strstr(out.data, "Pavel Orlov"));
    isx_buf_free(&out);
    isx_buf_free(&err);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "--lang", "ru", "ping", "history", NULL),
                     0);
    assert_non_null(strstr(out.data, ping_id));
    assert_non_null(strstr(out.data, "Закрытых проверок: 1; ответили 2/3 (67%)"));
    assert_non_null(strstr(out.data, "Павел Орлов"));
    isx_buf_free(&out);
    isx_buf_free(&err);

    /* /metrics: the latest closed ping's rate. */
    struct isx_http_response m;
    assert_int_equal(api(&nodes[CN], "GET", "/metrics", NULL, NULL, &m), 200);
    char line[200];
    snprintf(line, sizeof(line), "isx_ping_last_response_rate{ping=\"%s\",origin=\"CN\"} 0.666667",
             ping_id);
    assert_non_null(strstr(m.body.data, line));
    assert_non_null(strstr(m.body.data, "\nisx_ping_contacts_unanswered 1\n"));
    assert_non_null(strstr(m.body.data, "\nisx_pings_open 1\n")); /* the scheduled one */
    isx_buf_free(&m.body);
}

/* `n`'s directory entry for `poc`: did it answer its latest closed ping? (-1: no flag) */
static int
answered_flag(struct testnode *n, const char *poc, char *ping, size_t cap)
{
    char path[160];
    long status;
    json_t *doc;
    int v = -1;

    snprintf(path, sizeof(path), "/api/v1/pocs/%s", poc);
    doc = call(n, "GET", path, NULL, &status);
    assert_int_equal(status, 200);
    const json_t *last = json_object_get(doc, "last_ping");
    if (last != NULL) {
        v = json_is_true(json_object_get(last, "answered"));
        if (ping != NULL)
            snprintf(ping, cap, "%s", json_string_value(json_object_get(last, "id")));
    }
    json_decref(doc);
    return v;
}

static void
test_flags(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char which[80];
    long status;

    (void)state;
    for (int n = CN; n <= RU; n++) {
        assert_int_equal(answered_flag(&nodes[n], ru_new, which, sizeof(which)), 0);
        assert_string_equal(which, ping_id);
        assert_int_equal(answered_flag(&nodes[n], ru_tech, NULL, 0), 1);
        assert_int_equal(answered_flag(&nodes[n], ru_dipl, NULL, 0), 1);
        json_t *doc = call(&nodes[n], "GET", "/api/v1/pings/unanswered?party=RU", NULL, &status);
        assert_int_equal(status, 200);
        assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(doc, "items"), 0), "poc")),
                            ru_new);
        json_decref(doc);
    }
    /* The list of contacts carries the flag too; CN's own contacts have no closed ping yet. */
    json_t *doc = call(&nodes[CN], "GET", "/api/v1/pocs", NULL, &status);
    size_t i, flagged = 0;
    json_t *p;
    json_array_foreach(json_object_get(doc, "items"), i, p)
    {
        const json_t *last = json_object_get(p, "last_ping");
        if (last != NULL && json_is_false(json_object_get(last, "answered")))
            flagged++;
    }
    assert_int_equal(flagged, 1);
    json_decref(doc);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "poc", "list", "--party", "RU", NULL),
                     0);
    assert_non_null(strstr(out.data, "did not answer the latest ping"));
    isx_buf_free(&out);
    isx_buf_free(&err);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "poc", "show", ru_new, NULL), 0);
    assert_non_null(strstr(out.data, ping_id));
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* An object as node `who` would sign it, with its own key: the canonical text (malloc'd). */
static char *
signed_by(int who, const char *type, const char *id, json_t *marking, json_t *body)
{
    struct isx_sign_key *sk = NULL;
    struct isx_signer *signer = NULL;
    struct isx_object *o = NULL;
    char path[320], name[16];
    char *text;

    snprintf(path, sizeof(path), "%s/node/keys/sign.key", nodes[who].dir);
    snprintf(name, sizeof(name), "isx-%s", who == CN ? "cn" : "ru");
    assert_int_equal(isx_sign_key_load(path, &sk), 0);
    assert_int_equal(isx_signer_local(sk, name, &signer), 0);
    assert_int_equal(isx_object_new(type, id, parties[who], marking, body, NULL, &o), 0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    text = strndup(o->canonical.data, o->canonical.len);
    isx_object_free(o);
    isx_signer_free(signer);
    return text;
}

/* An ack of the first ping as RU's node would sign it. */
static char *
signed_ack(const char *id, const char *poc, const char *at)
{
    char derived[ISX_OBJECT_ID_MAX + 1];

    isx_ping_ack_id(ping_id, poc, derived);
    return signed_by(
        RU, "ack", id != NULL ? id : derived,
        json_pack("{s:s, s:[s, s]}", "tlp", "green", "to", "RU", "CN"),
        json_pack("{s:s, s:s, s:s, s:s}", "ping", ping_id, "poc", poc, "how", "api", "at", at));
}

static void
test_door(void **state)
{
    int64_t dl;
    char before[ISX_TIME_LEN + 1], after[ISX_TIME_LEN + 1], *text;
    long status;
    json_t *doc;

    (void)state;
    assert_int_equal(isx_time_parse(deadline, &dl), 0);
    isx_time_format(dl - 1000, before);
    isx_time_format(dl + 1000, after);
    long stored = objects_stored(&nodes[CN]);

    /* A second answer for Ivan, properly signed by RU: the same id, refused. */
    text = signed_ack(NULL, ru_tech, before);
    doc = call(&nodes[CN], "POST", "/api/v1/objects", text, &status);
    expect_problem(doc, status, 409, "CONFLICT", "body.poc");
    free(text);
    /* Pavel's answer, stamped after the deadline. */
    text = signed_ack(NULL, ru_new, after);
    doc = call(&nodes[CN], "POST", "/api/v1/objects", text, &status);
    expect_problem(doc, status, 409, "CONFLICT", "body.at");
    free(text);
    /* Pavel's answer in time, under an id of RU's choosing. */
    text = signed_ack("ack--eeeeeeee-0000-4000-8000-000000000001", ru_new, before);
    doc = call(&nodes[CN], "POST", "/api/v1/objects", text, &status);
    expect_problem(doc, status, 422, "FIELD", "id");
    free(text);
    assert_int_equal(objects_stored(&nodes[CN]), stored);

    /* CN's node itself cannot change the contacts of its ping once RU holds it. */
    stored = objects_stored(&nodes[RU]);
    text = signed_by(CN, "ping", ping_id, json_pack("{s:s, s:[s]}", "tlp", "green", "to", "RU"),
                     json_pack("{s:[s], s:[{s:s, s:s, s:s}], s:s, s:s, s:{s:s}}", "parties", "RU",
                               "pocs", "id", ru_tech, "party", "RU", "kind", "technical", "started",
                               before, "deadline", after, "message", "en", "x"));
    doc = call(&nodes[RU], "POST", "/api/v1/objects", text, &status);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), "fixed"));
    expect_problem(doc, status, 409, "CONFLICT", "id");
    free(text);
    assert_int_equal(objects_stored(&nodes[RU]), stored);

    /* Nothing changed: still 2/3, Pavel still flagged. */
    doc = cn_results();
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "results"), "answered")), 2);
    json_decref(doc);
    assert_int_equal(answered_flag(&nodes[CN], ru_new, NULL, 0), 0);
}

static void
test_cli(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char id[80];
    json_t *doc;

    (void)state;
    /* Usage errors exit 2 with one line. */
    assert_int_equal(
        run_cli(&nodes[CN], NULL, &out, &err, "ping", "start", "--deadline", "soon", NULL), 2);
    assert_non_null(strstr(err.data, "--deadline"));
    isx_buf_reset(&err);
    assert_int_equal(
        run_cli(&nodes[CN], NULL, &out, &err, "ping", "ack", "nonsense", "--poc", ru_new, NULL), 2);
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "ping", "ack", ping_id, NULL), 2);
    isx_buf_reset(&out);
    isx_buf_reset(&err);

    /* CN starts a check of RU from the command line. */
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "--json", "ping", "start", "--party",
                             "ru", "--deadline", "2h", "--message", "en:Monthly check", NULL),
                     0);
    doc = json_loadb(out.data, out.len, 0, NULL);
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(doc, "id")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(doc, "body"), "message"), "en")),
                        "Monthly check");
    json_decref(doc);
    isx_buf_reset(&out);

    /* RU's operator sees the links and answers for Pavel from the command line. */
    assert_true(wait_ping(&nodes[RU], id));
    assert_int_equal(run_cli(&nodes[RU], NULL, &out, &err, "ping", "status", id, NULL), 0);
    assert_non_null(strstr(out.data, "/api/v1/ping-links/"));
    assert_non_null(strstr(out.data, nodes[RU].url));
    isx_buf_reset(&out);
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "ping", "ack", id, "--poc", ru_new, NULL), 0);
    assert_non_null(strstr(out.data, "Acknowledged"));
    isx_buf_reset(&out);
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "ping", "ack", id, "--poc", ru_new, NULL), 2);
    assert_non_null(strstr(err.data, "already acknowledged"));
    isx_buf_reset(&err);

    /* The answer reaches CN, marked as made on the command line. */
    char path[160];
    long status;
    int got = 0;
    snprintf(path, sizeof(path), "/api/v1/pings/%s", id);
    for (int i = 0; i < 300 && !got; i++) {
        doc = call(&nodes[CN], "GET", path, NULL, &status);
        const json_t *r = json_object_get(doc, "results");
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(r, "contacts"), k, c)
        {
            const char *how = json_string_value(json_object_get(c, "how"));
            got |= strcmp(json_string_value(json_object_get(c, "poc")), ru_new) == 0 &&
                   how != NULL && strcmp(how, "cli") == 0;
        }
        json_decref(doc);
        if (!got)
            pause_ms(100);
    }
    assert_true(got);
    /* Lists by state: the first ping is closed, this one open. */
    doc = call(&nodes[CN], "GET", "/api/v1/pings?state=closed", NULL, &status);
    assert_int_equal(status, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(doc, "items"), 0), "id")),
        ping_id);
    json_decref(doc);
    doc = call(&nodes[CN], "GET", "/api/v1/pings?state=open", NULL, &status);
    assert_int_equal(json_array_size(json_object_get(doc, "items")), 2);
    /* Newest first. */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(doc, "items"), 0), "id")),
        id);
    json_decref(doc);
    doc = call(&nodes[CN], "GET", "/api/v1/pings?state=late", NULL, &status);
    expect_problem(doc, status, 400, "INVAL", "state");
    /* The list shows both of CN's pings to RU and the scheduled one. */
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "ping", "status", NULL), 0);
    assert_non_null(strstr(out.data, id));
    assert_non_null(strstr(out.data, ping_id));
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_results_at_origin),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_door),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
