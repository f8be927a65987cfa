/*
 * Requests and their threads (include/isx/request.h): the shapes of request and message
 * bodies, the default deadlines, and the state of a request as a fold over its messages.
 *
 * Invariants: nothing here does I/O or reads the clock (the caller passes "now"); the fold
 * depends only on the set of messages, not on the order they arrived in, so every node
 * holding the same messages computes the same state; a step that is not allowed never
 * changes the state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/marking.h"
#include "isx/object.h"
#include "isx/request.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

#define MAX_SEQ     100000
#define MAX_REPORTS 64
#define MAX_ATTACH  20
#define HOUR_MS     ((int64_t)3600 * 1000)

const char *const isx_request_kinds[] = {"information", "assistance", "expertise",
                                         "legislation", "strategy",   NULL};
const char *const isx_request_urgencies[] = {"routine", "urgent", "critical", NULL};
const char *const isx_request_actions[] = {"acknowledge", "progress", "answer",  "decline",
                                           "close",       "withdraw", "comment", NULL};
const char *const isx_request_states[] = {"sent",   "acknowledged", "in_progress", "answered",
                                          "closed", "declined",     "withdrawn",   NULL};

/* Why a step is not possible in each state, in the order of isx_request_states. */
static const char *const wrong_state[] = {
    "request.wrong_state.sent",        "request.wrong_state.acknowledged",
    "request.wrong_state.in_progress", "request.wrong_state.answered",
    "request.wrong_state.closed",      "request.wrong_state.declined",
    "request.wrong_state.withdrawn",
};

/* Which direction of Art. 3 each kind serves, in the order of isx_request_kinds. */
static const char *const kind_directions[] = {"D02", "D02", "D06", "D11", "D09"};

const char *
isx_request_kind_direction(const char *kind)
{
    for (size_t i = 0; kind != NULL && isx_request_kinds[i] != NULL; i++) {
        if (strcmp(isx_request_kinds[i], kind) == 0)
            return kind_directions[i];
    }
    return NULL;
}

static int
index_of(const char *s, const char *const *values)
{
    for (int i = 0; s != NULL && values[i] != NULL; i++) {
        if (strcmp(values[i], s) == 0)
            return i;
    }
    return -1;
}

int
isx_request_urgency_index(const char *urgency)
{
    return index_of(urgency, isx_request_urgencies);
}

/* ---- body shapes ---- */

static int
check_kind(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_request_kinds, "request.kind");
}

static int
check_urgency(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_request_urgencies, "request.urgency");
}

static int
check_action(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_request_actions, "request.action");
}

/* Deadlines are stored in the canonical form, so every node reads and compares them alike. */
static int
check_time(const json_t *v, const char *path, struct isx_diag *d)
{
    char canon[ISX_TIME_LEN + 1];
    int64_t ms;

    if (isx_time_parse(json_string_value(v), &ms) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "request.time", json_string_value(v));
    isx_time_format(ms, canon);
    if (strcmp(canon, json_string_value(v)) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "request.time", json_string_value(v));
    return 0;
}

static int
check_report_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "report"))
        return isx_diag_set(d, ISX_EFIELD, path, "request.report_id", json_string_value(v));
    return 0;
}

static int
check_request_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "request"))
        return isx_diag_set(d, ISX_EFIELD, path, "request.id", json_string_value(v));
    return 0;
}

static int
check_document_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "document"))
        return isx_diag_set(d, ISX_EFIELD, path, "request.attachment_id", json_string_value(v));
    return 0;
}

static const struct isx_schema_field report_item = {
    "", ISX_SCHEMA_STRING, 0, 1, ISX_OBJECT_ID_MAX, check_report_id, NULL, NULL};
static const struct isx_schema_field request_fields[] = {
    {"to", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"kind", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 32, check_kind, NULL, NULL},
    {"subject", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 300, NULL, NULL, NULL},
    {"text", ISX_SCHEMA_LANGMAP, 0, 0, 20000, NULL, NULL, NULL},
    {"reports", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, MAX_REPORTS, NULL, NULL, &report_item},
    {"urgency", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_urgency, NULL, NULL},
    {"ack_by", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 20, 40, check_time, NULL, NULL},
    {"answer_by", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 20, 40, check_time, NULL, NULL},
    END,
};

static const struct isx_schema_field attachment_item = {
    "", ISX_SCHEMA_STRING, 0, 1, ISX_OBJECT_ID_MAX, check_document_id, NULL, NULL};
static const struct isx_schema_field message_fields[] = {
    {"request", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, check_request_id,
     NULL, NULL},
    {"seq", ISX_SCHEMA_INTEGER, ISX_SCHEMA_REQUIRED, 1, MAX_SEQ, NULL, NULL, NULL},
    {"action", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_action, NULL, NULL},
    {"text", ISX_SCHEMA_LANGMAP, 0, 0, 20000, NULL, NULL, NULL},
    {"attachments", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, MAX_ATTACH, NULL, NULL,
     &attachment_item},
    END,
};

static void
sub_path(char *out, size_t cap, const char *path, const char *field)
{
    snprintf(out, cap, "%s%s%s", path, *path ? "." : "", field);
}

int
isx_request_check(const json_t *body, const char *path, struct isx_diag *d)
{
    int64_t ack, answer;
    char sub[160];
    int rc;

    if (!json_is_object(body))
        return isx_diag_set(d, ISX_ETYPE, path, "schema.type", "object");
    if ((rc = isx_schema_check(body, request_fields, path, d)) != 0)
        return rc;
    isx_time_parse(json_string_value(json_object_get(body, "ack_by")), &ack);
    isx_time_parse(json_string_value(json_object_get(body, "answer_by")), &answer);
    if (answer < ack) {
        sub_path(sub, sizeof(sub), path, "answer_by");
        return isx_diag_set(d, ISX_EFIELD, sub, "request.deadline_order",
                            json_string_value(json_object_get(body, "ack_by")));
    }
    return 0;
}

int
isx_request_message_check(const json_t *body, const char *path, struct isx_diag *d)
{
    const char *action;
    char sub[160];
    int rc, has_text, has_files;

    if (!json_is_object(body))
        return isx_diag_set(d, ISX_ETYPE, path, "schema.type", "object");
    if ((rc = isx_schema_check(body, message_fields, path, d)) != 0)
        return rc;
    action = json_string_value(json_object_get(body, "action"));
    has_text = json_object_get(body, "text") != NULL;
    has_files = json_array_size(json_object_get(body, "attachments")) > 0;
    /* A refusal says why (Art. 6.1 lets a party refuse; the other side is owed a reason). */
    if (strcmp(action, "decline") == 0 && !has_text) {
        sub_path(sub, sizeof(sub), path, "text");
        return isx_diag_set(d, ISX_EMISSING, sub, "request.reason_required", NULL);
    }
    /* An answer or a comment with nothing in it says nothing. */
    if ((strcmp(action, "answer") == 0 || strcmp(action, "comment") == 0) && !has_text &&
        !has_files) {
        sub_path(sub, sizeof(sub), path, "text");
        return isx_diag_set(d, ISX_EMISSING, sub, "request.content_required", NULL);
    }
    return 0;
}

int
isx_request_check_marking(const char *origin, const json_t *marking, const json_t *body,
                          struct isx_diag *d)
{
    const char *to = json_string_value(json_object_get(body, "to"));
    const json_t *mto = json_object_get(marking, "to");
    enum isx_tlp tlp = ISX_TLP_CLEAR;

    if (to == NULL)
        return isx_diag_set(d, ISX_EMISSING, "body.to", "schema.missing", "to");
    if (origin != NULL && strcmp(origin, to) == 0)
        return isx_diag_set(d, ISX_EFIELD, "body.to", "request.self", to);
    if (isx_tlp_parse(json_string_value(json_object_get(marking, "tlp")), &tlp) != 0 ||
        tlp == ISX_TLP_CLEAR)
        return isx_diag_set(d, ISX_EMARKING, "marking.tlp", "request.tlp_clear", NULL);
    if (json_array_size(mto) != 1 || json_string_value(json_array_get(mto, 0)) == NULL ||
        strcmp(json_string_value(json_array_get(mto, 0)), to) != 0)
        return isx_diag_set(d, ISX_EMARKING, "marking.to", "request.marking_to", to);
    return 0;
}

json_t *
isx_request_thread_marking(const json_t *request_marking, const char *party)
{
    const json_t *labels = json_object_get(request_marking, "labels");

    return json_pack("{s:O, s:[s], s:O*}", "tlp", json_object_get(request_marking, "tlp"), "to",
                     party, "labels", labels);
}

/* ---- deadlines ---- */

int
isx_request_default_deadlines(const struct isx_config *cfg, const char *urgency, int64_t opened_ms,
                              int64_t *ack_by, int64_t *answer_by)
{
    int u = isx_request_urgency_index(urgency);
    int64_t ack, answer;

    if (u < 0)
        return ISX_EINVAL;
    ack = opened_ms + (int64_t)cfg->request_ack_hours[u] * HOUR_MS;
    answer = opened_ms + (int64_t)cfg->request_answer_hours[u] * HOUR_MS;
    *ack_by = ack < answer ? ack : answer;
    *answer_by = answer;
    return 0;
}

/* ---- the fold ---- */

int
isx_request_step_from(const json_t *env, struct isx_request_step *out)
{
    const json_t *body = json_object_get(env, "body");
    struct isx_request_step s;
    int action;

    memset(&s, 0, sizeof(s));
    s.id = json_string_value(json_object_get(env, "id"));
    s.origin = json_string_value(json_object_get(env, "origin"));
    s.version = json_string_value(json_object_get(env, "version"));
    action = index_of(json_string_value(json_object_get(body, "action")), isx_request_actions);
    if (s.id == NULL || s.origin == NULL || s.version == NULL || action < 0 ||
        !json_is_integer(json_object_get(body, "seq")) || isx_time_parse(s.version, &s.at_ms) != 0)
        return ISX_EINVAL;
    s.seq = (int64_t)json_integer_value(json_object_get(body, "seq"));
    s.action = (enum isx_request_action)action;
    *out = s;
    return 0;
}

/* Thread order: a step's place as its author saw it, then its time, then its id. */
static int
step_cmp(const void *pa, const void *pb)
{
    const struct isx_request_step *a = pa, *b = pb;
    int c;

    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if ((c = strcmp(a->version, b->version)) != 0)
        return c;
    return strcmp(a->id, b->id);
}

enum side { BY_ADDRESSED = 1, BY_REQUESTER = 2, BY_EITHER = 3 };

#define S(x) (1u << ISX_REQUEST_##x)
#define OPEN (S(SENT) | S(ACKNOWLEDGED) | S(IN_PROGRESS))

/* Who may take each step, from which states, and where it leads (-1: nowhere). */
static const struct {
    enum isx_request_action action;
    enum side by;
    unsigned from;
    int to;
} rules[] = {
    {ISX_REQUEST_ACKNOWLEDGE, BY_ADDRESSED, S(SENT), ISX_REQUEST_ACKNOWLEDGED},
    {ISX_REQUEST_PROGRESS, BY_ADDRESSED, OPEN, ISX_REQUEST_IN_PROGRESS},
    {ISX_REQUEST_ANSWER, BY_ADDRESSED, OPEN, ISX_REQUEST_ANSWERED},
    {ISX_REQUEST_DECLINE, BY_ADDRESSED, OPEN, ISX_REQUEST_DECLINED},
    {ISX_REQUEST_CLOSE, BY_REQUESTER, S(ANSWERED), ISX_REQUEST_CLOSED},
    {ISX_REQUEST_WITHDRAW, BY_REQUESTER, OPEN, ISX_REQUEST_WITHDRAWN},
    {ISX_REQUEST_COMMENT, BY_EITHER, OPEN | S(ANSWERED), -1},
};

/* Applies one step to `st`, or says why it may not be taken. */
static void
apply(struct isx_request_status *st, struct isx_request_step *s)
{
    unsigned side = 0;
    size_t r;

    s->valid = 0;
    s->why = NULL;
    s->why_arg = NULL;
    if (strcmp(s->origin, st->addressed) == 0)
        side = BY_ADDRESSED;
    else if (strcmp(s->origin, st->requester) == 0)
        side = BY_REQUESTER;
    for (r = 0; r < sizeof(rules) / sizeof(rules[0]) && rules[r].action != s->action; r++)
        ;
    if (side == 0) {
        s->why = "request.not_party";
        s->why_arg = s->origin;
    } else if ((rules[r].by & side) == 0) {
        s->why = rules[r].by == BY_ADDRESSED ? "request.addressed_only" : "request.requester_only";
        s->why_arg = rules[r].by == BY_ADDRESSED ? st->addressed : st->requester;
    } else if ((rules[r].from & (1u << st->state)) == 0) {
        s->why = wrong_state[st->state];
        s->why_arg = isx_request_states[st->state];
    }
    if (s->why != NULL) {
        st->flagged++;
        return;
    }
    s->valid = 1;
    if (side == BY_ADDRESSED && st->acknowledged_ms == 0 && s->action != ISX_REQUEST_COMMENT)
        st->acknowledged_ms = s->at_ms;
    if (s->action == ISX_REQUEST_ANSWER || s->action == ISX_REQUEST_DECLINE)
        st->answered_ms = s->at_ms;
    if (rules[r].to >= 0)
        st->state = (enum isx_request_state)rules[r].to;
    if (st->state == ISX_REQUEST_CLOSED || st->state == ISX_REQUEST_DECLINED ||
        st->state == ISX_REQUEST_WITHDRAWN)
        st->ended_ms = s->at_ms;
}

int
isx_request_fold(const char *requester, const char *opened_version, const json_t *body,
                 struct isx_request_step *steps, size_t n, struct isx_request_status *out)
{
    struct isx_request_status st;

    memset(&st, 0, sizeof(st));
    st.requester = requester;
    st.addressed = json_string_value(json_object_get(body, "to"));
    if (requester == NULL || st.addressed == NULL || opened_version == NULL ||
        isx_time_parse(opened_version, &st.opened_ms) != 0 ||
        isx_time_parse(json_string_value(json_object_get(body, "ack_by")), &st.ack_by_ms) != 0 ||
        isx_time_parse(json_string_value(json_object_get(body, "answer_by")), &st.answer_by_ms) !=
            0)
        return ISX_EINVAL;
    st.state = ISX_REQUEST_SENT;
    st.steps = n;
    if (n > 1)
        qsort(steps, n, sizeof(*steps), step_cmp);
    for (size_t i = 0; i < n; i++)
        apply(&st, &steps[i]);
    *out = st;
    return 0;
}

int
isx_request_ack_overdue(const struct isx_request_status *s, int64_t now_ms)
{
    return s->state == ISX_REQUEST_SENT && now_ms > s->ack_by_ms;
}

int
isx_request_answer_overdue(const struct isx_request_status *s, int64_t now_ms)
{
    return (s->state == ISX_REQUEST_SENT || s->state == ISX_REQUEST_ACKNOWLEDGED ||
            s->state == ISX_REQUEST_IN_PROGRESS) &&
           now_ms > s->answer_by_ms;
}
