/*
 * Requests and joint response (issue 6, Art. 3.2, 3.6, 3.11) with two real isxd processes,
 * CN and RU, peered with each other. CN opens a request to RU; RU sees it, acknowledges and
 * answers with an attachment; CN sees the answer, saves the file and closes. Every refusal is
 * checked where it happens: the API of the node whose user tries the step, and the door of
 * the node that receives a signed message breaking a rule. Overdue acknowledgements and
 * answers show on both sides, in the API, the CLI and /metrics.
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
#include "isx/sign.h"
#include "isx/timeutil.h"

enum { CN, RU, NNODES };
static struct testnode nodes[NNODES];
static const char *const parties[NNODES] = {"CN", "RU"};

static void
pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* An API call with the node's admin token; the parsed answer (NULL when none). */
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

static json_t *
get_json(struct testnode *n, const char *path, long *status)
{
    return call(n, "GET", path, NULL, status);
}

/* Adds `b` as a peer of `a`, with the keys `b` publishes about itself. */
static void
link_to(struct testnode *a, struct testnode *b)
{
    long status;
    json_t *info = get_json(b, "/api/v1/node", &status), *body;
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
    (void)state;
    for (int i = 0; i < NNODES; i++) {
        if (node_create(&nodes[i], parties[i]) != 0 ||
            node_config_set(&nodes[i], "sync_interval = 5", "sync_interval = 1") != 0)
            return -1;
    }
    /* CN's own rhythm for critical requests: acknowledge within 2 hours, not 4. */
    if (node_config_set(&nodes[CN], "ack_critical = 4", "ack_critical = 2") != 0)
        return -1;
    for (int i = 0; i < NNODES; i++)
        if (node_start(&nodes[i]) != 0)
            return -1;
    link_to(&nodes[CN], &nodes[RU]);
    link_to(&nodes[RU], &nodes[CN]);
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

static const char *
str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(obj, field));
}

/* The request's state at `n` ("" when the node does not hold it yet). */
static char *
state_at(struct testnode *n, const char *id)
{
    char path[160];
    long status;

    snprintf(path, sizeof(path), "/api/v1/requests/%s", id);
    json_t *doc = get_json(n, path, &status);
    const char *s = status == 200 ? str(json_object_get(doc, "status"), "state") : NULL;
    char *out = strdup(s != NULL ? s : "");
    json_decref(doc);
    return out;
}

/* Polls until the request is in `want` at `n`, for up to 20 s; 1 when it is. */
static int
wait_state(struct testnode *n, const char *id, const char *want)
{
    for (int i = 0; i < 200; i++) {
        char *s = state_at(n, id);
        int ok = strcmp(s, want) == 0;
        free(s);
        if (ok)
            return 1;
        pause_ms(100);
    }
    return 0;
}

/* Opens a request at `n` through the API; returns its id (malloc'd). */
static char *
open_request(struct testnode *n, const char *extra)
{
    char body[1024];
    long status;

    snprintf(body, sizeof(body),
             "{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"Indicators\"}%s%s}",
             extra != NULL ? "," : "", extra != NULL ? extra : "");
    json_t *doc = call(n, "POST", "/api/v1/requests", body, &status);
    assert_int_equal(status, 201);
    char *id = strdup(str(json_object_get(doc, "status"), "id"));
    json_decref(doc);
    return id;
}

/* Takes a step through the API; returns the HTTP status, and the problem's field and detail. */
static long
step(struct testnode *n, const char *id, const char *json, char *field, size_t cap)
{
    char path[160];
    long status;

    snprintf(path, sizeof(path), "/api/v1/requests/%s/messages", id);
    json_t *doc = call(n, "POST", path, json, &status);
    if (field != NULL)
        snprintf(field, cap, "%s", str(doc, "field") != NULL ? str(doc, "field") : "");
    json_decref(doc);
    return status;
}

static long
metric(struct testnode *n, const char *name)
{
    struct isx_http_response r;
    char url[128];
    long v = -1;

    snprintf(url, sizeof(url), "%s/metrics", n->url);
    if (isx_http_request("GET", url, NULL, ISX_LANG_EN, NULL, 0, 5000, &r) == 0 &&
        r.body.data != NULL) {
        const char *p = strstr(r.body.data, name);
        if (p != NULL)
            v = strtol(p + strlen(name), NULL, 10);
    }
    isx_buf_free(&r.body);
    return v;
}

/* The whole workflow across the two nodes, from the command line. */
static void
test_open_ack_reply_close(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char dir[300], file[340], saved[400], path[200];
    json_t *doc;
    long status;

    (void)state;
    /* CN asks RU for expertise (Art. 3.6), urgently, at TLP:AMBER (the default). */
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "--json", "request", "open", "--to",
                             "RU", "--kind", "expertise", "--subject", "en:Sample analysis",
                             "--subject", "zh:样本分析", "--note", "ru:Просим исследовать образец",
                             "--urgency", "urgent", NULL),
                     0);
    doc = json_loads(out.data, 0, NULL);
    assert_non_null(doc);
    char *id = strdup(str(json_object_get(doc, "status"), "id"));
    char *ack_by = strdup(str(json_object_get(doc, "status"), "ack_by"));
    assert_string_equal(str(json_object_get(doc, "status"), "state"), "sent");
    assert_string_equal(str(json_object_get(doc, "status"), "direction"), "outgoing");
    assert_string_equal(str(json_object_get(doc, "status"), "cooperation_direction"), "D06");
    /* Sealed for RU (and CN), like anything above TLP:GREEN. */
    assert_non_null(json_object_get(json_object_get(doc, "request"), "sealed"));
    json_decref(doc);

    /* RU sees it, incoming, with the very deadlines CN wrote into it. */
    assert_true(wait_state(&nodes[RU], id, "sent"));
    snprintf(path, sizeof(path), "/api/v1/requests/%s", id);
    doc = get_json(&nodes[RU], path, &status);
    assert_int_equal(status, 200);
    json_t *st = json_object_get(doc, "status");
    assert_string_equal(str(st, "direction"), "incoming");
    assert_string_equal(str(st, "from"), "CN");
    assert_string_equal(str(st, "ack_by"), ack_by);
    assert_string_equal(str(json_object_get(st, "subject"), "zh"), "样本分析");
    json_decref(doc);
    isx_buf_reset(&out);
    assert_int_equal(run_cli(&nodes[RU], NULL, &out, &err, "request", "list", NULL), 0);
    assert_non_null(strstr(out.data, id));

    /* RU acknowledges; CN sees it. */
    isx_buf_reset(&out);
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "request", "ack", id, "--note", "ru:Получено", NULL),
        0);
    assert_non_null(strstr(out.data, "acknowledged"));
    assert_true(wait_state(&nodes[CN], id, "acknowledged"));

    /* RU answers with a file, which travels as a sealed document. */
    snprintf(dir, sizeof(dir), "%s/files", nodes[RU].dir);
    snprintf(file, sizeof(file), "%s/analysis.bin", dir);
    assert_int_equal(run_prog("/bin/mkdir", &out, &err, "-p", dir, NULL), 0);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    for (int i = 0; i < 3000; i++)
        fputc((i * 7) & 0xff, f);
    fclose(f);
    isx_buf_reset(&out);
    assert_int_equal(run_cli(&nodes[RU], NULL, &out, &err, "request", "reply", id, "--note",
                             "en:The sample is a dropper", "--attach", file, NULL),
                     0);
    assert_true(wait_state(&nodes[CN], id, "answered"));

    /* CN reads the answer and its attachment. */
    doc = get_json(&nodes[CN], path, &status);
    json_t *msgs = json_object_get(doc, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    json_t *answer = json_array_get(msgs, 1);
    assert_string_equal(str(answer, "action"), "answer");
    assert_string_equal(str(answer, "origin"), "RU");
    assert_true(json_is_true(json_object_get(answer, "valid")));
    json_t *att = json_array_get(json_object_get(answer, "attachments"), 0);
    assert_string_equal(str(att, "title"), "analysis.bin");
    assert_int_equal(json_integer_value(json_object_get(att, "size")), 3000);
    char docpath[160];
    snprintf(docpath, sizeof(docpath), "/api/v1/objects/%s", str(att, "id"));
    json_t *d = get_json(&nodes[CN], docpath, &status);
    assert_int_equal(status, 200);
    assert_non_null(json_object_get(d, "sealed"));
    assert_string_equal(str(d, "origin"), "RU");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_object_get(d, "marking"), "to"), 0)),
        "CN");
    json_decref(d);
    assert_non_null(json_object_get(json_object_get(doc, "status"), "answered_at"));
    json_decref(doc);

    snprintf(dir, sizeof(dir), "%s/saved", nodes[CN].dir);
    assert_int_equal(run_prog("/bin/mkdir", &out, &err, "-p", dir, NULL), 0);
    isx_buf_reset(&out);
    assert_int_equal(
        run_cli(&nodes[CN], NULL, &out, &err, "request", "show", id, "--out", dir, NULL), 0);
    assert_non_null(strstr(out.data, "The sample is a dropper"));
    assert_non_null(strstr(out.data, "analysis.bin"));
    snprintf(saved, sizeof(saved), "%s/analysis.bin", dir);
    assert_int_equal(run_prog("/usr/bin/cmp", &out, &err, file, saved, NULL), 0);

    /* CN closes; RU sees it closed. */
    isx_buf_reset(&out);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "request", "close", id, NULL), 0);
    assert_non_null(strstr(out.data, "closed"));
    assert_true(wait_state(&nodes[RU], id, "closed"));
    isx_buf_reset(&out);
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "--lang", "zh", "request", "show", id, NULL), 0);
    assert_non_null(strstr(out.data, "已关闭"));
    assert_non_null(strstr(out.data, "样本分析"));

    /* Wrong steps from the command line are refused with one line and exit status 2. */
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&nodes[RU], NULL, &out, &err, "request", "decline", id, NULL), 2);
    assert_non_null(strstr(err.data, "--note"));
    isx_buf_reset(&err);
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "request", "comment", id, "--note", "late", NULL), 2);
    assert_non_null(strstr(err.data, "closed"));
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "request", "open", "--to", "RU", NULL),
                     2);
    free(id);
    free(ack_by);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* Each rule, tried by a local user at the node where it is broken: 403 naming the field. */
static void
test_refusals_via_api(void **state)
{
    char field[64];
    char *id;

    (void)state;
    id = open_request(&nodes[CN], NULL);
    assert_true(wait_state(&nodes[RU], id, "sent"));

    /* CN is not addressed: it may not move its own request forward. */
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"acknowledge\"}", field, sizeof(field)),
                     403);
    assert_string_equal(field, "action");
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"answer\",\"text\":{\"en\":\"x\"}}", field,
                          sizeof(field)),
                     403);
    /* Nor close what has not been answered. */
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"close\"}", field, sizeof(field)), 403);
    /* RU may not close or withdraw CN's request. */
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"close\"}", field, sizeof(field)), 403);
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"withdraw\"}", field, sizeof(field)), 403);
    /* A refusal without its reason, an unknown step, a document that is not in the thread. */
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"decline\"}", field, sizeof(field)), 422);
    assert_string_equal(field, "text");
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"shrug\"}", field, sizeof(field)), 422);
    assert_string_equal(field, "action");
    assert_int_equal(step(&nodes[RU], id,
                          "{\"action\":\"answer\",\"attachments\":"
                          "[\"document--00000000-0000-4000-8000-000000000000\"]}",
                          field, sizeof(field)),
                     422);
    assert_string_equal(field, "attachments[0]");

    /* RU answers once; a second answer is refused. */
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"answer\",\"text\":{\"ru\":\"Ответ\"}}",
                          field, sizeof(field)),
                     201);
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"answer\",\"text\":{\"ru\":\"Ещё\"}}",
                          field, sizeof(field)),
                     403);
    assert_string_equal(field, "action");
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"decline\",\"text\":{\"en\":\"no\"}}",
                          field, sizeof(field)),
                     403);
    /* CN sees the answer; it can no longer withdraw, but closes once. */
    assert_true(wait_state(&nodes[CN], id, "answered"));
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"withdraw\"}", field, sizeof(field)), 403);
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"close\"}", field, sizeof(field)), 201);
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"close\"}", field, sizeof(field)), 403);
    assert_int_equal(step(&nodes[CN], id, "{\"action\":\"comment\",\"text\":{\"en\":\"x\"}}", field,
                          sizeof(field)),
                     403);
    /* A closed request moves no more at RU either. */
    assert_true(wait_state(&nodes[RU], id, "closed"));
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"comment\",\"text\":{\"en\":\"x\"}}", field,
                          sizeof(field)),
                     403);
    /* Neither node counted a refused step: each thread has the answer and the close. */
    for (int i = 0; i < NNODES; i++) {
        char path[160];
        long status;
        snprintf(path, sizeof(path), "/api/v1/requests/%s", id);
        json_t *doc = get_json(&nodes[i], path, &status);
        assert_int_equal(json_array_size(json_object_get(doc, "messages")), 2);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(doc, "status"), "flagged")), 0);
        json_decref(doc);
    }
    free(id);
}

/* What opening a request refuses, and the defaults it fills in. */
static void
test_open_rules(void **state)
{
    char body[512];
    json_t *doc;
    long status;

    (void)state;
    const struct {
        const char *body;
        long status;
        const char *field;
    } bad[] = {
        {"{\"to\":\"CN\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"}}", 422, "to"},
        {"{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"},"
         "\"marking\":{\"tlp\":\"clear\"}}",
         403, "marking.tlp"},
        {"{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"},"
         "\"marking\":{\"tlp\":\"amber\",\"to\":[\"RU\",\"KZ\"]}}",
         403, "marking.to"},
        {"{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"},"
         "\"marking\":{\"tlp\":\"amber\",\"labels\":[\"绝密\"]}}",
         422, "marking.labels[0]"},
        {"{\"to\":\"RU\",\"kind\":\"gossip\",\"subject\":{\"en\":\"x\"}}", 422, "kind"},
        {"{\"to\":\"RU\",\"kind\":\"information\"}", 422, "subject"},
        {"{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"},"
         "\"reports\":[\"report--00000000-0000-4000-8000-000000000000\"]}",
         422, "reports[0]"},
        {"{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"},"
         "\"ack_by\":\"2020-01-01T00:00:00Z\"}",
         422, "ack_by"},
        {"{\"to\":\"RU\",\"kind\":\"information\",\"subject\":{\"en\":\"x\"},"
         "\"urgency\":\"whenever\"}",
         422, "urgency"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = call(&nodes[CN], "POST", "/api/v1/requests", bad[i].body, &status);
        assert_int_equal(status, bad[i].status);
        assert_string_equal(str(doc, "field"), bad[i].field);
        json_decref(doc);
    }
    /* A critical request takes CN's own configured 2 hours to acknowledge, 48 to answer. */
    snprintf(body, sizeof(body),
             "{\"to\":\"RU\",\"kind\":\"legislation\",\"subject\":{\"ru\":\"Закон\"},"
             "\"urgency\":\"critical\",\"marking\":{\"tlp\":\"green\"}}");
    doc = call(&nodes[CN], "POST", "/api/v1/requests", body, &status);
    assert_int_equal(status, 201);
    json_t *st = json_object_get(doc, "status");
    int64_t opened, ack, answer;
    assert_int_equal(isx_time_parse(str(st, "opened_at"), &opened), 0);
    assert_int_equal(isx_time_parse(str(st, "ack_by"), &ack), 0);
    assert_int_equal(isx_time_parse(str(st, "answer_by"), &answer), 0);
    assert_true(ack - opened <= 2 * 3600000LL && ack - opened > 2 * 3600000LL - 10000);
    assert_true(answer - opened <= 48 * 3600000LL && answer - opened > 48 * 3600000LL - 10000);
    assert_string_equal(str(st, "tlp"), "green");
    /* The marking names RU alone, filled in from "to". */
    json_t *mto =
        json_object_get(json_object_get(json_object_get(doc, "request"), "marking"), "to");
    assert_int_equal(json_array_size(mto), 1);
    assert_string_equal(json_string_value(json_array_get(mto, 0)), "RU");
    json_decref(doc);
}

/* Loads CN's signing key, so the test can sign what CN's node would never send. */
static struct isx_signer *
cn_signer(void)
{
    struct isx_sign_key *key = NULL;
    struct isx_signer *signer = NULL;
    char keypath[320];

    snprintf(keypath, sizeof(keypath), "%s/node/keys/sign.key", nodes[CN].dir);
    assert_int_equal(isx_sign_key_load(keypath, &key), 0);
    assert_int_equal(isx_signer_local(key, "isx-cn", &signer), 0);
    return signer;
}

/* Signs an object as CN and imports it at RU (the door every peer's object passes). */
static long
import_as_cn(struct isx_signer *signer, const char *type, const char *id, const char *marking,
             const char *body, char *field, size_t cap)
{
    struct isx_object *o = NULL;
    struct isx_http_response r;
    long status;

    assert_int_equal(isx_object_new(type, id, "CN", json_loads(marking, 0, NULL),
                                    json_loads(body, 0, NULL), NULL, &o),
                     0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    char *text = strndup(o->canonical.data, o->canonical.len);
    status = api(&nodes[RU], "POST", "/api/v1/objects", NULL, text, &r);
    json_t *doc = json_loadb(r.body.data, r.body.len, 0, NULL);
    snprintf(field, cap, "%s", str(doc, "field") != NULL ? str(doc, "field") : "");
    json_decref(doc);
    isx_buf_free(&r.body);
    free(text);
    isx_object_free(o);
    return status;
}

/* RU's door refuses signed messages that break the rules, whoever sends them. */
static void
test_door_refusals(void **state)
{
    struct isx_signer *signer = cn_signer();
    char body[512], field[64];
    const char *green = "{\"tlp\":\"green\",\"to\":[\"RU\"]}";
    char *id;

    (void)state;
    id = open_request(&nodes[CN], "\"marking\":{\"tlp\":\"green\"}");
    assert_true(wait_state(&nodes[RU], id, "sent"));

    /* CN, not addressed, "acknowledges" its own request. */
    snprintf(body, sizeof(body), "{\"request\":\"%s\",\"seq\":1,\"action\":\"acknowledge\"}", id);
    assert_int_equal(import_as_cn(signer, "message", NULL, green, body, field, sizeof(field)), 403);
    assert_string_equal(field, "body.action");
    /* CN closes before any answer. */
    snprintf(body, sizeof(body), "{\"request\":\"%s\",\"seq\":1,\"action\":\"close\"}", id);
    assert_int_equal(import_as_cn(signer, "message", NULL, green, body, field, sizeof(field)), 403);
    assert_string_equal(field, "body.action");
    /* A message whose marking would take the thread to a third party. */
    snprintf(body, sizeof(body),
             "{\"request\":\"%s\",\"seq\":1,\"action\":\"comment\",\"text\":{\"en\":\"x\"}}", id);
    assert_int_equal(import_as_cn(signer, "message", NULL,
                                  "{\"tlp\":\"green\",\"to\":[\"RU\",\"KZ\"]}", body, field,
                                  sizeof(field)),
                     403);
    assert_string_equal(field, "marking");
    /* A message in a thread RU does not hold. */
    snprintf(body, sizeof(body),
             "{\"request\":\"request--00000000-0000-4000-8000-000000000000\",\"seq\":1,"
             "\"action\":\"comment\",\"text\":{\"en\":\"x\"}}");
    assert_int_equal(import_as_cn(signer, "message", NULL, green, body, field, sizeof(field)), 422);
    assert_string_equal(field, "body.request");
    /* The request rewritten after it was sent: another version of the same id. */
    snprintf(body, sizeof(body),
             "{\"to\":\"RU\",\"kind\":\"assistance\",\"subject\":{\"en\":\"Changed\"},"
             "\"urgency\":\"routine\",\"ack_by\":\"2099-01-01T00:00:00.000Z\","
             "\"answer_by\":\"2099-01-02T00:00:00.000Z\"}");
    assert_int_equal(import_as_cn(signer, "request", id, green, body, field, sizeof(field)), 403);
    assert_string_equal(field, "id");
    /* A request CN addresses to itself, and one whose marking names another party. */
    assert_int_equal(import_as_cn(signer, "request", NULL, "{\"tlp\":\"green\",\"to\":[\"RU\"]}",
                                  "{\"to\":\"CN\",\"kind\":\"assistance\",\"subject\":{\"en\":"
                                  "\"x\"},\"urgency\":\"routine\",\"ack_by\":\"2099-01-01T00:00:"
                                  "00.000Z\",\"answer_by\":\"2099-01-02T00:00:00.000Z\"}",
                                  field, sizeof(field)),
                     422);
    assert_string_equal(field, "body.to");
    /* A legitimate step signed the same way passes the same door: the withdrawal is CN's. */
    snprintf(body, sizeof(body), "{\"request\":\"%s\",\"seq\":1,\"action\":\"withdraw\"}", id);
    assert_int_equal(import_as_cn(signer, "message", NULL, green, body, field, sizeof(field)), 201);
    assert_true(wait_state(&nodes[RU], id, "withdrawn"));
    /* Nothing refused was stored: RU's thread holds the withdrawal alone. */
    char path[160];
    long status;
    snprintf(path, sizeof(path), "/api/v1/requests/%s", id);
    json_t *doc = get_json(&nodes[RU], path, &status);
    assert_int_equal(json_array_size(json_object_get(doc, "messages")), 1);
    json_decref(doc);
    isx_signer_free(signer);
    free(id);
}

/* Polls GET /api/v1/requests?overdue=... at `n` until `id` is listed; its status then. */
static json_t *
wait_overdue(struct testnode *n, const char *id, const char *which)
{
    char path[96];

    snprintf(path, sizeof(path), "/api/v1/requests?overdue=%s", which);
    for (int i = 0; i < 200; i++) {
        long status;
        json_t *doc = get_json(n, path, &status), *it;
        size_t k;
        json_array_foreach(json_object_get(doc, "items"), k, it)
        {
            if (strcmp(str(it, "id"), id) == 0) {
                json_t *found = json_incref(it);
                json_decref(doc);
                return found;
            }
        }
        json_decref(doc);
        pause_ms(100);
    }
    return NULL;
}

static int
listed(struct testnode *n, const char *path, const char *id)
{
    long status;
    json_t *doc = get_json(n, path, &status), *it;
    size_t k;
    int found = 0;

    json_array_foreach(json_object_get(doc, "items"), k, it)
    {
        found |= strcmp(str(it, "id"), id) == 0;
    }
    json_decref(doc);
    return found;
}

/* A tiny deadline makes a request overdue on both sides within seconds. */
static void
test_overdue_on_both_sides(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char extra[160], ack_by[ISX_TIME_LEN + 1], answer_by[ISX_TIME_LEN + 1];
    int64_t now = isx_time_now_ms();
    long before_cn = metric(&nodes[CN], "isx_requests_ack_overdue{direction=\"outgoing\"} ");
    long before_ru = metric(&nodes[RU], "isx_requests_ack_overdue{direction=\"incoming\"} ");
    json_t *st;
    char *id;

    (void)state;
    assert_true(before_cn >= 0 && before_ru >= 0);
    isx_time_format(now + 3000, ack_by);
    isx_time_format(now + 6000, answer_by);
    snprintf(extra, sizeof(extra), "\"ack_by\":\"%s\",\"answer_by\":\"%s\"", ack_by, answer_by);
    id = open_request(&nodes[CN], extra);
    assert_true(wait_state(&nodes[RU], id, "sent"));
    /* Not late yet (the deadline is seconds away). */
    if (isx_time_now_ms() < now + 2500)
        assert_false(listed(&nodes[RU], "/api/v1/requests?overdue=1", id));
    assert_true(listed(&nodes[RU], "/api/v1/requests?overdue=0", id));

    /* Past ack_by, both sides list the acknowledgement as overdue. */
    for (int i = 0; i < NNODES; i++) {
        st = wait_overdue(&nodes[i], id, "ack");
        assert_non_null(st);
        assert_true(json_is_true(json_object_get(json_object_get(st, "overdue"), "ack")));
        json_decref(st);
    }
    assert_true(listed(&nodes[CN], "/api/v1/requests?overdue=1&direction=outgoing", id));
    assert_false(listed(&nodes[CN], "/api/v1/requests?overdue=1&direction=incoming", id));
    assert_true(listed(&nodes[RU], "/api/v1/requests?overdue=1&direction=incoming&party=CN", id));
    assert_true(metric(&nodes[CN], "isx_requests_ack_overdue{direction=\"outgoing\"} ") >=
                before_cn + 1);
    assert_true(metric(&nodes[RU], "isx_requests_ack_overdue{direction=\"incoming\"} ") >=
                before_ru + 1);
    assert_int_equal(run_cli(&nodes[CN], NULL, &out, &err, "request", "list", "--overdue", NULL),
                     0);
    assert_non_null(strstr(out.data, id));
    assert_non_null(strstr(out.data, "ack overdue"));

    /* RU acknowledges late: the acknowledgement is no longer owed, the answer soon is. */
    assert_int_equal(step(&nodes[RU], id, "{\"action\":\"acknowledge\"}", NULL, 0), 201);
    assert_false(listed(&nodes[RU], "/api/v1/requests?overdue=ack", id));
    for (int i = 0; i < NNODES; i++) {
        st = wait_overdue(&nodes[i], id, "answer");
        assert_non_null(st);
        assert_false(json_is_true(json_object_get(json_object_get(st, "overdue"), "ack")));
        json_decref(st);
    }
    assert_true(metric(&nodes[RU], "isx_requests_answer_overdue{direction=\"incoming\"} ") >= 1);
    assert_true(metric(&nodes[CN], "isx_requests_answer_overdue{direction=\"outgoing\"} ") >= 1);
    isx_buf_reset(&out);
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "--lang", "ru", "request", "list", "--overdue", NULL),
        0);
    assert_non_null(strstr(out.data, "ответ просрочен"));

    /* Answered, it is overdue nowhere. */
    assert_int_equal(
        step(&nodes[RU], id, "{\"action\":\"answer\",\"text\":{\"en\":\"late\"}}", NULL, 0), 201);
    assert_true(wait_state(&nodes[CN], id, "answered"));
    for (int i = 0; i < NNODES; i++)
        assert_false(listed(&nodes[i], "/api/v1/requests?overdue=1", id));
    /* A bad filter is the caller's mistake. */
    long status;
    json_decref(get_json(&nodes[CN], "/api/v1/requests?overdue=maybe", &status));
    assert_int_equal(status, 400);
    json_decref(get_json(&nodes[CN], "/api/v1/requests?state=lost", &status));
    assert_int_equal(status, 400);
    free(id);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_ack_reply_close),
        cmocka_unit_test(test_refusals_via_api),
        cmocka_unit_test(test_open_rules),
        cmocka_unit_test(test_door_refusals),
        cmocka_unit_test(test_overdue_on_both_sides),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
