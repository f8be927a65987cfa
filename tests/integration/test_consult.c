/*
 * Consultations (Art. 5.2) and the agreement's calendar (Art. 12) end to end, with real isxd
 * processes: CN and RU linked both ways, and KZ linked with CN.
 *
 * 1. CN proposes an extraordinary consultation to RU (sealed, TLP:AMBER); RU receives it,
 *    consents with the CLI, and CN sees it decided; RU cannot decide again, an objection
 *    needs a reason, and a consent signed by a third party is refused at CN's door. CN records
 *    the minutes and RU sees the consultation held.
 * 2. RU objects, with its reason, to another proposal; CN revises it (a new round) and RU
 *    consents. Regular consultations follow the half-yearly rhythm of [consultations] first:
 *    CN invites to one slot, and RU cannot invite to the next (the venue alternates with the
 *    Secretariat), but can to the one after.
 * 3. CN takes the depositary's notifications that leave KZ a signatory not bound: CN refuses
 *    KZ's objects at the door and sends KZ nothing, while RU still gets everything; once the
 *    depositary's record binds KZ, what CN held back reaches it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "isx/agreement.h"
#include "isx/consult.h"
#include "isx/fed.h"
#include "isx/object.h"
#include "isx/sign.h"

enum { CN, RU, KZ, NNODES };
static struct testnode nodes[NNODES];
static const char *const parties[NNODES] = {"CN", "RU", "KZ"};
static struct isx_sign_key *sco_key, *tj_key;
static struct isx_signer *sco, *tj;
static int64_t first; /* the first regular consultation of CN's and RU's rhythm */

/* Runs the CLI at a node and checks its exit status; on a surprise, shows what it said. */
#define CLI_IS(want, n, ...)                                                                       \
    do {                                                                                           \
        isx_buf_reset(&out);                                                                       \
        isx_buf_reset(&err);                                                                       \
        int rc_ = run_cli(n, NULL, &out, &err, __VA_ARGS__, NULL);                                 \
        if (rc_ != (want))                                                                         \
            fail_msg("isx exited %d, not %d: %s", rc_, (want), err.data != NULL ? err.data : "");  \
    } while (0)

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

static json_t *
get_json(struct testnode *n, const char *path, long *status)
{
    return call(n, "GET", path, NULL, status);
}

/* Polls until GET `path` answers `want`, for up to `seconds`; 1 when it did. */
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

/* Polls until the consultation's state at `n` is `want`; 1 when it was. */
static int
wait_state(struct testnode *n, const char *id, const char *want, int seconds)
{
    char path[160];

    snprintf(path, sizeof(path), "/api/v1/consultations/%s", id);
    for (int i = 0; i < seconds * 10; i++) {
        long status;
        json_t *doc = get_json(n, path, &status);
        const char *s = json_string_value(json_object_get(doc, "state"));
        int done = status == 200 && s != NULL && strcmp(s, want) == 0;
        json_decref(doc);
        if (done)
            return 1;
        pause_ms(100);
    }
    return 0;
}

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

/* A day from today, as YYYY-MM-DD. */
static void
day_from_today(int days, char out[ISX_AGREEMENT_DATE_LEN + 1])
{
    isx_agreement_format_date(isx_fed_today() + days, out);
}

/* Signs an object as another party (a test key the node knows) and imports it at `n`. */
static long
import_as(struct testnode *n, struct isx_signer *signer, const char *origin, const char *type,
          json_t *marking, json_t *body, json_t **problem)
{
    struct isx_object *o = NULL;
    struct isx_http_response r;
    long status;

    assert_int_equal(isx_object_new(type, NULL, origin, marking, body, NULL, &o), 0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    char *text = strndup(o->canonical.data, o->canonical.len);
    status = api(n, "POST", "/api/v1/objects", NULL, text, &r);
    if (problem != NULL)
        *problem = json_loadb(r.body.data, r.body.len, 0, NULL);
    free(text);
    isx_buf_free(&r.body);
    isx_object_free(o);
    return status;
}

/* Submits a TLP:GREEN report at `n` and returns its id (malloc'd). */
static char *
submit_report(struct testnode *n, const char *title)
{
    char body[512];
    long status;
    json_t *doc;
    char *id;

    snprintf(body, sizeof(body),
             "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T2\",\"title\":{\"en\":\"%s\"},"
             "\"indicators\":[{\"value\":\"%s.consult.example\"}]}",
             title, title);
    doc = call(n, "POST", "/api/v1/reports", body, &status);
    assert_int_equal(status, 201);
    id = strdup(json_string_value(json_object_get(doc, "id")));
    json_decref(doc);
    return id;
}

static int
setup(void **state)
{
    char line[64], date[ISX_AGREEMENT_DATE_LEN + 1];

    (void)state;
    first = isx_fed_today() + 30;
    isx_agreement_format_date(first, date);
    snprintf(line, sizeof(line), "first = %s", date);
    for (int i = 0; i < NNODES; i++) {
        if (node_create(&nodes[i], parties[i]) != 0 ||
            node_config_set(&nodes[i], "sync_interval = 5", "sync_interval = 1") != 0 ||
            node_config_set(&nodes[i], "first = ", line) != 0 || node_start(&nodes[i]) != 0)
            return -1;
    }
    /* Keys CN knows for the depositary and for TJ, so the tests can sign as them. */
    if (peer_register_keys(&nodes[CN], "SCO", NULL, &sco_key, NULL) != 0 ||
        peer_register_keys(&nodes[CN], "TJ", NULL, &tj_key, NULL) != 0 ||
        isx_signer_local(sco_key, "isx-sco", &sco) != 0 ||
        isx_signer_local(tj_key, "isx-tj", &tj) != 0)
        return -1;
    sco_key = tj_key = NULL; /* the signers own them */
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NNODES; i++)
        node_destroy(&nodes[i]);
    isx_signer_free(sco);
    isx_signer_free(tj);
    return 0;
}

/* ---- 1. an extraordinary consultation between CN and RU ---- */

static void
test_extraordinary_consultation(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char from[16], until[16], body[1024], path[160], *report;
    const char *id;
    long status;
    json_t *doc, *p;

    (void)state;
    link_to(&nodes[CN], &nodes[RU]);
    link_to(&nodes[RU], &nodes[CN]);
    report = submit_report(&nodes[CN], "agenda-ref");
    day_from_today(60, from);
    day_from_today(61, until);

    /* Refusals before anything is stored: no dates, an unknown reference, a past day. */
    doc = call(&nodes[CN], "POST", "/api/v1/consultations",
               "{\"kind\":\"extraordinary\",\"agenda\":[{\"text\":{\"en\":\"x\"}}],"
               "\"marking\":{\"tlp\":\"green\",\"to\":[\"RU\"]}}",
               &status);
    assert_int_equal(status, 422);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "dates");
    json_decref(doc);
    snprintf(body, sizeof(body),
             "{\"kind\":\"extraordinary\",\"dates\":{\"from\":\"%s\"},\"agenda\":[{\"text\":{"
             "\"en\":\"x\"},\"refs\":[\"report--00000000-0000-4000-8000-000000000009\"]}],"
             "\"marking\":{\"tlp\":\"green\",\"to\":[\"RU\"]}}",
             from);
    doc = call(&nodes[CN], "POST", "/api/v1/consultations", body, &status);
    assert_int_equal(status, 422);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "agenda[0].refs[0]");
    json_decref(doc);
    doc = call(&nodes[CN], "POST", "/api/v1/consultations",
               "{\"kind\":\"extraordinary\",\"dates\":{\"from\":\"2020-01-01\"},\"agenda\":[{"
               "\"text\":{\"en\":\"x\"}}],\"marking\":{\"tlp\":\"green\",\"to\":[\"RU\"]}}",
               &status);
    assert_int_equal(status, 422);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "dates.from");
    json_decref(doc);

    /* CN proposes, with the CLI: dates, venue, agenda referring to its report, sealed for RU. */
    char agenda[256];
    snprintf(agenda, sizeof(agenda), "en:Review of the incident in %s", report);
    CLI_IS(0, &nodes[CN], "--json", "consult", "propose", "--kind", "extraordinary", "--date", from,
           "--until", until, "--name", "zh:北京", "--agenda", agenda, "--to", "RU", "--tlp",
           "amber");
    doc = json_loadb(out.data, out.len, 0, NULL);
    assert_non_null(doc);
    id = json_string_value(json_object_get(doc, "id"));
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "proposed");
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "required"), 0)),
                        "RU");
    p = json_array_get(json_object_get(doc, "agenda"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "refs"), 0)), report);
    char *cid = strdup(id);
    json_decref(doc);
    isx_buf_reset(&out);
    isx_buf_reset(&err);

    /* RU receives it (opened: it was sealed for RU) and shows it. */
    snprintf(path, sizeof(path), "/api/v1/consultations/%s", cid);
    assert_true(wait_status(&nodes[RU], path, 200, 30));
    assert_int_equal(
        run_cli(&nodes[RU], NULL, &out, &err, "--lang", "en", "consult", "show", cid, NULL), 0);
    assert_non_null(strstr(out.data, "Review of the incident"));
    assert_non_null(strstr(out.data, "proposed"));
    isx_buf_reset(&out);
    isx_buf_reset(&err);

    /* An objection without a reason: refused by the node (422) and by the CLI (usage). */
    snprintf(path, sizeof(path), "/api/v1/consultations/%s/consents", cid);
    doc = call(&nodes[RU], "POST", path, "{\"decision\":\"object\"}", &status);
    assert_int_equal(status, 422);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "reason");
    json_decref(doc);
    CLI_IS(2, &nodes[RU], "consult", "object", cid);
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    /* The proposer does not consent to its own proposal. */
    doc = call(&nodes[CN], "POST", path, "{\"decision\":\"consent\"}", &status);
    assert_int_equal(status, 409);
    json_decref(doc);

    /* RU consents with the CLI; CN sees the consultation decided. */
    CLI_IS(0, &nodes[RU], "consult", "consent", cid, "--note", "ru:Согласны");
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    assert_true(wait_state(&nodes[CN], cid, "decided", 30));

    /* After the decision RU cannot decide again (409), with the API or the CLI. */
    doc = call(&nodes[RU], "POST", path, "{\"decision\":\"object\",\"reason\":{\"en\":\"late\"}}",
               &status);
    assert_int_equal(status, 409);
    assert_string_equal(json_string_value(json_object_get(doc, "code")), "CONFLICT");
    json_decref(doc);
    CLI_IS(2, &nodes[RU], "consult", "consent", cid);
    isx_buf_reset(&out);
    isx_buf_reset(&err);

    /* A consent from a third party, TJ, which the proposal does not name: refused at the door,
     * naming the origin, and not stored. */
    json_t *problem = NULL;
    status = import_as(
        &nodes[CN], tj, "TJ", "consent", json_pack("{s:s, s:[s]}", "tlp", "green", "to", "CN"),
        json_pack("{s:s, s:i, s:s}", "consultation", cid, "round", 1, "decision", "consent"),
        &problem);
    assert_int_equal(status, 403);
    assert_string_equal(json_string_value(json_object_get(problem, "field")), "origin");
    assert_non_null(strstr(json_string_value(json_object_get(problem, "detail")), "TJ"));
    json_decref(problem);
    snprintf(path, sizeof(path), "/api/v1/consultations/%s", cid);
    doc = get_json(&nodes[CN], path, &status);
    assert_int_equal(json_array_size(json_object_get(doc, "consents")), 1);
    json_decref(doc);

    /* Minutes: only by the proposer, once decided; then RU sees it held. */
    snprintf(path, sizeof(path), "/api/v1/consultations/%s/minutes", cid);
    doc = call(&nodes[RU], "POST", path, "{\"text\":{\"en\":\"x\"}}", &status);
    assert_int_equal(status, 403);
    json_decref(doc);
    CLI_IS(0, &nodes[CN], "consult", "minutes", cid, "en:Held; measures agreed.");
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    assert_true(wait_state(&nodes[RU], cid, "held", 30));
    snprintf(path, sizeof(path), "/api/v1/consultations/%s", cid);
    doc = get_json(&nodes[RU], path, &status);
    const json_t *minutes = json_object_get(doc, "minutes");
    const json_t *counted = json_array_get(json_object_get(doc, "consents"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(minutes, "consents"), 0)),
                        json_string_value(json_object_get(counted, "hash")));
    json_decref(doc);

    /* The list, in Russian, on RU. */
    CLI_IS(0, &nodes[RU], "--lang", "ru", "consult", "list");
    assert_non_null(strstr(out.data, cid));
    assert_non_null(strstr(out.data, "внеочередные консультации"));
    isx_buf_reset(&out);
    isx_buf_reset(&err);

    /* Consenting twice before the decision: a proposal to RU and TJ, RU decides twice. */
    snprintf(body, sizeof(body),
             "{\"kind\":\"extraordinary\",\"dates\":{\"from\":\"%s\"},\"agenda\":[{\"text\":{"
             "\"ru\":\"Обмен опытом\"}}],\"marking\":{\"tlp\":\"green\",\"to\":[\"RU\",\"TJ\"]}}",
             until);
    doc = call(&nodes[CN], "POST", "/api/v1/consultations", body, &status);
    assert_int_equal(status, 201);
    char *second = strdup(json_string_value(json_object_get(doc, "id")));
    json_decref(doc);
    snprintf(path, sizeof(path), "/api/v1/consultations/%s", second);
    assert_true(wait_status(&nodes[RU], path, 200, 30));
    snprintf(path, sizeof(path), "/api/v1/consultations/%s/consents", second);
    json_decref(call(&nodes[RU], "POST", path, "{\"decision\":\"consent\"}", &status));
    assert_int_equal(status, 201);
    doc = call(&nodes[RU], "POST", path, "{\"decision\":\"consent\"}", &status);
    assert_int_equal(status, 409);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), "RU"));
    json_decref(doc);
    /* TJ, named this time, consents at CN's door: the consultation is decided there. */
    status = import_as(
        &nodes[CN], tj, "TJ", "consent", json_pack("{s:s, s:[s]}", "tlp", "green", "to", "CN"),
        json_pack("{s:s, s:i, s:s}", "consultation", second, "round", 1, "decision", "consent"),
        NULL);
    assert_int_equal(status, 201);
    assert_true(wait_state(&nodes[CN], second, "decided", 30));

    free(second);
    free(cid);
    free(report);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* ---- 2. an objection, a revision, and the rhythm of regular consultations ---- */

static json_t *
consultation_at(struct testnode *n, const char *id, long *status)
{
    char path[160];

    snprintf(path, sizeof(path), "/api/v1/consultations/%s", id);
    return get_json(n, path, status);
}

static void
test_objection_revision_and_rhythm(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char from[16], later[16], slot1[16], slot2[16], slot3[16], body[512], path[160];
    long status;
    json_t *doc;

    (void)state;
    day_from_today(40, from);
    day_from_today(47, later);
    snprintf(body, sizeof(body),
             "{\"kind\":\"extraordinary\",\"dates\":{\"from\":\"%s\"},\"agenda\":[{\"text\":{"
             "\"zh\":\"交流经验\"}}],\"marking\":{\"tlp\":\"green\",\"to\":[\"RU\"]}}",
             from);
    doc = call(&nodes[CN], "POST", "/api/v1/consultations", body, &status);
    assert_int_equal(status, 201);
    char *id = strdup(json_string_value(json_object_get(doc, "id")));
    json_decref(doc);
    snprintf(path, sizeof(path), "/api/v1/consultations/%s", id);
    assert_true(wait_status(&nodes[RU], path, 200, 30));

    /* RU objects, saying why; CN sees the objection and its reason. */
    CLI_IS(0, &nodes[RU], "consult", "object", id, "ru:Сроки неудобны");
    assert_true(wait_state(&nodes[CN], id, "objected", 30));
    doc = consultation_at(&nodes[CN], id, &status);
    const json_t *o = json_array_get(json_object_get(doc, "objected"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "party")), "RU");
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "reason"), "ru")),
                        "Сроки неудобны");
    json_decref(doc);

    /* Only the proposer revises; CN moves the dates, which is round 2. */
    doc = call(&nodes[RU], "PUT", path, "{\"note\":{\"ru\":\"x\"}}", &status);
    assert_int_equal(status, 403);
    json_decref(doc);
    CLI_IS(0, &nodes[CN], "consult", "revise", id, "--date", later);
    for (int i = 0; i < 300; i++) {
        doc = consultation_at(&nodes[RU], id, &status);
        long round = (long)json_integer_value(json_object_get(doc, "round"));
        json_decref(doc);
        if (round == 2)
            break;
        pause_ms(100);
    }
    doc = consultation_at(&nodes[RU], id, &status);
    assert_int_equal(json_integer_value(json_object_get(doc, "round")), 2);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "proposed");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "dates"), "from")),
                        later);
    json_decref(doc);
    CLI_IS(0, &nodes[RU], "consult", "consent", id);
    assert_true(wait_state(&nodes[CN], id, "decided", 30));
    doc = consultation_at(&nodes[CN], id, &status);
    o = json_array_get(json_object_get(doc, "consents"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "key")), "consult.superseded");
    json_decref(doc);

    /* Regular consultations: every six months from [consultations] first. */
    isx_agreement_format_date(isx_consult_slot(first, 1), slot1);
    isx_agreement_format_date(isx_consult_slot(first, 2), slot2);
    isx_agreement_format_date(isx_consult_slot(first, 3), slot3);
    char off[16];
    isx_agreement_format_date(isx_consult_slot(first, 1) + 1, off);
    CLI_IS(2, &nodes[CN], "consult", "propose", "--kind", "regular", "--date", off, "--to", "RU");
    CLI_IS(0, &nodes[CN], "--json", "consult", "propose", "--kind", "regular", "--date", slot1,
           "--name", "zh:上海", "--to", "RU");
    doc = json_loadb(out.data, out.len, 0, NULL);
    char *reg = strdup(json_string_value(json_object_get(doc, "id")));
    json_decref(doc);
    snprintf(path, sizeof(path), "/api/v1/consultations/%s", reg);
    assert_true(wait_status(&nodes[RU], path, 200, 30));
    CLI_IS(0, &nodes[RU], "consult", "consent", reg);
    assert_true(wait_state(&nodes[CN], reg, "decided", 30));

    /* RU cannot invite to the next slot: a party hosts the one before it. */
    snprintf(body, sizeof(body),
             "{\"kind\":\"regular\",\"slot\":\"%s\",\"marking\":{\"tlp\":\"green\",\"to\":["
             "\"CN\"]}}",
             slot2);
    doc = call(&nodes[RU], "POST", "/api/v1/consultations", body, &status);
    assert_int_equal(status, 409);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "slot");
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), slot1));
    json_decref(doc);
    snprintf(body, sizeof(body),
             "{\"kind\":\"regular\",\"slot\":\"%s\",\"marking\":{\"tlp\":\"green\",\"to\":["
             "\"CN\"]}}",
             slot3);
    doc = call(&nodes[RU], "POST", "/api/v1/consultations", body, &status);
    assert_int_equal(status, 201);
    json_decref(doc);

    /* The schedule, in Chinese: the Secretariat, CN, the Secretariat, RU. */
    CLI_IS(0, &nodes[CN], "--lang", "zh", "consult", "list");
    assert_non_null(strstr(out.data, slot1));
    assert_non_null(strstr(out.data, "CN（中国）, 上海"));
    doc = get_json(&nodes[RU], "/api/v1/consultations?upcoming=4", &status);
    const json_t *sch = json_object_get(doc, "schedule");
    static const char *const venues[] = {"SCO", "CN", "SCO", "RU"};
    assert_int_equal(json_array_size(sch), 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_array_get(sch, i), "venue"), "party")),
                            venues[i]);
    json_decref(doc);

    free(reg);
    free(id);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* ---- 3. the calendar decides who is a party ---- */

static void
ratification(const char *party, const char *date)
{
    json_t *problem = NULL;
    long status = import_as(
        &nodes[CN], sco, "SCO", "notification",
        json_pack("{s:s, s:[s]}", "tlp", "green", "to", "CN"),
        json_pack("{s:s, s:s, s:s}", "kind", "ratification", "party", party, "date", date),
        &problem);
    if (status != 201)
        fail_msg("%s: %ld %s", party, status,
                 json_string_value(json_object_get(problem, "detail")));
    json_decref(problem);
}

/* 1 when `n` stores the object `id` (read through its API). */
static int
holds(struct testnode *n, const char *id)
{
    char path[160];
    long status;

    snprintf(path, sizeof(path), "/api/v1/objects/%s", id);
    json_decref(get_json(n, path, &status));
    return status == 200;
}

static void
test_not_bound_party(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char path[160];
    long status;
    json_t *doc;

    (void)state;
    link_to(&nodes[CN], &nodes[KZ]);
    link_to(&nodes[KZ], &nodes[CN]);
    /* Bootstrap: no notification yet, so KZ is a party and its report reaches CN. */
    char *early = submit_report(&nodes[KZ], "kz-early");
    snprintf(path, sizeof(path), "/api/v1/objects/%s", early);
    assert_true(wait_status(&nodes[CN], path, 200, 30));

    /* The depositary's record: CN, RU, KG and TJ completed their procedures, KZ did not. */
    ratification("CN", "2010-03-01");
    ratification("RU", "2010-06-10");
    ratification("KG", "2010-09-15");
    ratification("TJ", "2011-01-31");
    doc = get_json(&nodes[CN], "/api/v1/agreement", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(doc, "in_force")), "2011-03-02");
    json_t *bound = json_object_get(doc, "bound");
    assert_int_equal(json_array_size(bound), 4);
    for (size_t i = 0; i < json_array_size(bound); i++)
        assert_string_not_equal(json_string_value(json_array_get(bound, i)), "KZ");
    assert_false(json_is_true(json_object_get(doc, "bootstrap")));
    json_decref(doc);

    /* KZ's objects are refused at CN's door, with the reason. */
    char *late = submit_report(&nodes[KZ], "kz-late");
    for (int i = 0; i < 300; i++) {
        doc = get_json(&nodes[KZ], "/api/v1/peers/CN", &status);
        long refused = (long)json_integer_value(json_object_get(doc, "refused"));
        json_decref(doc);
        if (refused > 0)
            break;
        pause_ms(100);
    }
    assert_false(holds(&nodes[CN], late));
    snprintf(path, sizeof(path), "/api/v1/objects/%s", late);
    doc = get_json(&nodes[KZ], path, &status);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    doc = call(&nodes[CN], "POST", "/api/v1/objects", text, &status);
    free(text);
    assert_int_equal(status, 403);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "origin");
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), "KZ"));
    json_decref(doc);

    /* CN sends KZ nothing, while RU, bound, still gets what CN publishes. */
    char *held = submit_report(&nodes[CN], "cn-held");
    snprintf(path, sizeof(path), "/api/v1/objects/%s", held);
    assert_true(wait_status(&nodes[RU], path, 200, 30));
    pause_ms(3000);
    assert_false(holds(&nodes[KZ], held));
    doc = get_json(&nodes[CN], "/api/v1/peers/KZ", &status);
    assert_true(json_integer_value(json_object_get(doc, "backlog")) > 0);
    json_decref(doc);

    /* The calendar in the CLI: KZ a signatory, the others bound to each other. */
    assert_int_equal(
        run_cli(&nodes[CN], NULL, &out, &err, "--lang", "en", "agreement", "status", NULL), 0);
    assert_non_null(strstr(out.data, "Parties bound to each other on that date: CN, KG, RU, TJ"));
    assert_non_null(strstr(out.data, "In force since: 2011-03-02"));
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    CLI_IS(0, &nodes[CN], "--lang", "en", "agreement", "status", "--at", "2011-01-01");
    assert_non_null(strstr(out.data, "not in force"));
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    /* CN records its own notification with the CLI, and not another party's. */
    CLI_IS(0, &nodes[CN], "agreement", "notify", "--kind", "authority_details", "--party", "CN",
           "--date", "2011-04-01");
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    CLI_IS(2, &nodes[CN], "agreement", "notify", "--kind", "ratification", "--party", "UZ",
           "--date", "2011-05-31");
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    /* A proposal now needs the consent of every bound party, so its marking must name them. */
    char from[16], body[512];
    day_from_today(90, from);
    snprintf(body, sizeof(body),
             "{\"kind\":\"extraordinary\",\"dates\":{\"from\":\"%s\"},\"agenda\":[{\"text\":{"
             "\"en\":\"x\"}}],\"marking\":{\"tlp\":\"green\",\"to\":[\"RU\"]}}",
             from);
    doc = call(&nodes[CN], "POST", "/api/v1/consultations", body, &status);
    assert_int_equal(status, 422);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "marking.to");
    json_decref(doc);

    /* The depositary records KZ's procedures: KZ is bound, and gets what was held back. */
    ratification("KZ", "2012-01-01");
    snprintf(path, sizeof(path), "/api/v1/objects/%s", held);
    assert_true(wait_status(&nodes[KZ], path, 200, 30));
    char *again = submit_report(&nodes[KZ], "kz-again");
    snprintf(path, sizeof(path), "/api/v1/objects/%s", again);
    assert_true(wait_status(&nodes[CN], path, 200, 30));

    free(early);
    free(late);
    free(held);
    free(again);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extraordinary_consultation),
        cmocka_unit_test(test_objection_revision_and_rhythm),
        cmocka_unit_test(test_not_bound_party),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
