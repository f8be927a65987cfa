/*
 * Requests (include/isx/request.h) and documents (include/isx/document.h): the body checks,
 * the marking rule, the default deadlines and their configuration, and the state fold —
 * every transition, each refusal (the wrong party, the wrong state, a third party), the
 * order of a thread, and what is overdue when.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isx/config.h"
#include "isx/document.h"
#include "isx/request.h"
#include "isx/timeutil.h"

#define HOUR ((int64_t)3600 * 1000)

static json_t *
j(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    return v;
}

static const char *const good_request =
    "{\"to\":\"RU\",\"kind\":\"expertise\",\"subject\":{\"zh\":\"恶意软件样本\",\"en\":\"Sample\"},"
    "\"reports\":[\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\"],\"urgency\":\"urgent\","
    "\"ack_by\":\"2026-11-22T10:00:00.000Z\",\"answer_by\":\"2026-11-28T10:00:00.000Z\"}";

/* The request body `good_request` with `field` set to the JSON `value` (NULL: removed). */
static json_t *
request_with(const char *field, const char *value)
{
    json_t *b = j(good_request);

    if (value == NULL)
        json_object_del(b, field);
    else
        json_object_set_new(b, field, j(value));
    return b;
}

static void
request_fails(json_t *b, int code, const char *field)
{
    struct isx_diag d = {0};

    assert_int_equal(isx_request_check(b, "body", &d), code);
    assert_string_equal(d.field, field);
    json_decref(b);
}

static void
test_request_body(void **state)
{
    struct isx_diag d = {0};
    json_t *b = j(good_request);

    (void)state;
    assert_int_equal(isx_request_check(b, "body", &d), 0);
    json_decref(b);
    request_fails(request_with("kind", "\"gossip\""), ISX_EFIELD, "body.kind");
    request_fails(request_with("urgency", "\"whenever\""), ISX_EFIELD, "body.urgency");
    request_fails(request_with("subject", NULL), ISX_EMISSING, "body.subject");
    request_fails(request_with("to", "\"XX\""), ISX_EFIELD, "body.to");
    request_fails(request_with("ack_by", NULL), ISX_EMISSING, "body.ack_by");
    /* Deadlines are compared as text by every node, so only the canonical form is taken. */
    request_fails(request_with("ack_by", "\"2026-11-22T10:00:00Z\""), ISX_EFIELD, "body.ack_by");
    request_fails(request_with("answer_by", "\"2026-11-21T10:00:00.000Z\""), ISX_EFIELD,
                  "body.answer_by");
    request_fails(request_with("reports", "[\"indicator--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\"]"),
                  ISX_EFIELD, "body.reports[0]");
    request_fails(request_with("colour", "\"red\""), ISX_EUNKNOWN_FIELD, "body.colour");
    /* Every kind of Art. 3 that a request serves, with its direction. */
    assert_string_equal(isx_request_kind_direction("information"), "D02");
    assert_string_equal(isx_request_kind_direction("assistance"), "D02");
    assert_string_equal(isx_request_kind_direction("expertise"), "D06");
    assert_string_equal(isx_request_kind_direction("legislation"), "D11");
    assert_string_equal(isx_request_kind_direction("strategy"), "D09");
    assert_null(isx_request_kind_direction("gossip"));
}

static void
message_fails(const char *text, int code, const char *field)
{
    struct isx_diag d = {0};
    json_t *b = j(text);

    assert_int_equal(isx_request_message_check(b, "body", &d), code);
    assert_string_equal(d.field, field);
    json_decref(b);
}

static void
message_ok(const char *text)
{
    struct isx_diag d = {0};
    json_t *b = j(text);

    assert_int_equal(isx_request_message_check(b, "body", &d), 0);
    json_decref(b);
}

#define RID "\"request\":\"request--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\""
#define DOC "\"document--1d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\""

static void
test_message_body(void **state)
{
    (void)state;
    message_ok("{" RID ",\"seq\":1,\"action\":\"acknowledge\"}");
    message_ok("{" RID ",\"seq\":2,\"action\":\"answer\",\"text\":{\"ru\":\"Ответ\"}}");
    message_ok("{" RID ",\"seq\":2,\"action\":\"answer\",\"attachments\":[" DOC "]}");
    message_ok("{" RID ",\"seq\":2,\"action\":\"decline\",\"text\":{\"en\":\"Art. 6.1\"}}");
    message_fails("{" RID ",\"seq\":2,\"action\":\"decline\"}", ISX_EMISSING, "body.text");
    message_fails("{" RID ",\"seq\":2,\"action\":\"answer\"}", ISX_EMISSING, "body.text");
    message_fails("{" RID ",\"seq\":2,\"action\":\"comment\",\"attachments\":[]}", ISX_EMISSING,
                  "body.text");
    message_fails("{" RID ",\"seq\":2,\"action\":\"shrug\"}", ISX_EFIELD, "body.action");
    message_fails("{" RID ",\"seq\":0,\"action\":\"acknowledge\"}", ISX_ERANGE, "body.seq");
    message_fails("{\"request\":\"report--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\",\"seq\":1,"
                  "\"action\":\"acknowledge\"}",
                  ISX_EFIELD, "body.request");
    message_fails("{" RID ",\"seq\":1,\"action\":\"answer\",\"attachments\":[" DOC "," DOC "]}",
                  ISX_EFIELD, "body.attachments[1]");
    message_fails("{" RID ",\"seq\":1,\"action\":\"answer\",\"text\":{\"en\":\"x\"},"
                  "\"attachments\":[\"report--1d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2\"]}",
                  ISX_EFIELD, "body.attachments[0]");
}

static void
test_document_body(void **state)
{
    struct isx_diag d = {0};
    json_t *b = j("{\"title\":\"a.txt\",\"media_type\":\"text/plain\",\"content\":\"aGVsbG8=\"}");
    char *big;
    size_t n;

    (void)state;
    assert_int_equal(isx_document_check(b, "body", &d), 0);
    assert_int_equal(isx_document_size(b), 5);
    json_object_set_new(b, "media_type", json_string("text"));
    assert_int_equal(isx_document_check(b, "body", &d), ISX_EFIELD);
    assert_string_equal(d.field, "body.media_type");
    json_object_set_new(b, "media_type", json_string("application/vnd.oasis.opendocument.text"));
    json_object_set_new(b, "content", json_string("aGVsbG8"));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_document_check(b, "body", &d), ISX_EFIELD);
    assert_string_equal(d.field, "body.content");
    /* One byte more than a document may hold. */
    n = (ISX_DOCUMENT_MAX + 1 + 2) / 3 * 4;
    big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'A', n);
    big[n] = '\0';
    big[n - 1] = '=';
    json_object_set_new(b, "content", json_string(big));
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_document_check(b, "body", &d), ISX_ERANGE);
    assert_string_equal(d.field, "body.content");
    /* Exactly the limit is accepted. */
    n = (ISX_DOCUMENT_MAX + 2) / 3 * 4;
    memset(big, 'A', n);
    big[n] = '\0';
    big[n - 1] = '=';
    big[n - 2] = '='; /* 262144 = 3 * 87381 + 1: the last group carries one byte */
    json_object_set_new(b, "content", json_string(big));
    assert_int_equal(isx_document_check(b, "body", &d), 0);
    assert_int_equal(isx_document_size(b), ISX_DOCUMENT_MAX);
    free(big);
    json_decref(b);
    assert_true(isx_media_type_valid("application/pdf"));
    assert_false(isx_media_type_valid("/pdf"));
    assert_false(isx_media_type_valid("application/"));
    assert_false(isx_media_type_valid("text/plain; charset=utf-8"));
}

static void
marking_fails(const char *origin, const char *marking, int code, const char *field)
{
    struct isx_diag d = {0};
    json_t *b = j(good_request), *m = j(marking);

    assert_int_equal(isx_request_check_marking(origin, m, b, &d), code);
    assert_string_equal(d.field, field);
    json_decref(b);
    json_decref(m);
}

static void
test_marking_rule(void **state)
{
    struct isx_diag d = {0};
    json_t *b = j(good_request),
           *m = j("{\"tlp\":\"amber\",\"to\":[\"RU\"],\"labels\":[\"内部\"]}");
    json_t *t;

    (void)state;
    assert_int_equal(isx_request_check_marking("CN", m, b, &d), 0);
    marking_fails("RU", "{\"tlp\":\"amber\",\"to\":[\"RU\"]}", ISX_EFIELD, "body.to");
    marking_fails("CN", "{\"tlp\":\"clear\",\"to\":[\"RU\"]}", ISX_EMARKING, "marking.tlp");
    marking_fails("CN", "{\"tlp\":\"amber\",\"to\":[\"KZ\"]}", ISX_EMARKING, "marking.to");
    marking_fails("CN", "{\"tlp\":\"green\",\"to\":[\"RU\",\"KZ\"]}", ISX_EMARKING, "marking.to");
    marking_fails("CN", "{\"tlp\":\"green\"}", ISX_EMARKING, "marking.to");
    /* A thread's objects carry the request's TLP and labels, addressed to the other side. */
    t = isx_request_thread_marking(m, "CN");
    assert_non_null(t);
    json_t *want = j("{\"tlp\":\"amber\",\"to\":[\"CN\"],\"labels\":[\"内部\"]}");
    assert_true(json_equal(t, want));
    json_decref(want);
    json_decref(t);
    json_object_del(m, "labels");
    t = isx_request_thread_marking(m, "RU");
    assert_null(json_object_get(t, "labels"));
    json_decref(t);
    json_decref(b);
    json_decref(m);
}

static void
test_deadlines_and_config(void **state)
{
    struct isx_config cfg;
    struct isx_diag d = {0};
    struct isx_buf out = ISX_BUF_INIT;
    int64_t t0, ack, answer;
    const char *text = "[requests]\nack_routine = 48\nanswer_critical = 1\nack_critical = 6\n";

    (void)state;
    assert_int_equal(isx_time_parse("2026-11-21T10:00:00.000Z", &t0), 0);
    isx_config_defaults(&cfg);
    assert_int_equal(isx_request_default_deadlines(&cfg, "routine", t0, &ack, &answer), 0);
    assert_int_equal(ack - t0, 72 * HOUR);
    assert_int_equal(answer - t0, 720 * HOUR);
    assert_int_equal(isx_request_default_deadlines(&cfg, "urgent", t0, &ack, &answer), 0);
    assert_int_equal(ack - t0, 24 * HOUR);
    assert_int_equal(answer - t0, 168 * HOUR);
    assert_int_equal(isx_request_default_deadlines(&cfg, "critical", t0, &ack, &answer), 0);
    assert_int_equal(ack - t0, 4 * HOUR);
    assert_int_equal(answer - t0, 48 * HOUR);
    assert_int_equal(isx_request_default_deadlines(&cfg, "soon", t0, &ack, &answer), ISX_EINVAL);

    /* The [requests] keys set the hours; an acknowledgement is never due after the answer. */
    assert_int_equal(isx_config_parse(text, strlen(text), &cfg, &d), 0);
    assert_int_equal(cfg.request_ack_hours[0], 48);
    assert_int_equal(isx_request_default_deadlines(&cfg, "critical", t0, &ack, &answer), 0);
    assert_int_equal(answer - t0, 1 * HOUR);
    assert_int_equal(ack, answer);
    const char *bad[] = {"[requests]\nack_urgent = 0\n", "[requests]\nanswer_routine = 8761\n",
                         "[requests]\nanswer_soon = 5\n", "[requests]\nack_routine = 1.5\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&d, 0, sizeof(d));
        assert_int_equal(isx_config_parse(bad[i], strlen(bad[i]), &cfg, &d), ISX_ECONFIG);
        assert_int_equal(strncmp(d.field, "requests.", 9), 0);
    }
    /* What `isx init` writes reads back the same. */
    struct isx_config back;
    isx_config_defaults(&back);
    cfg.request_answer_hours[1] = 100;
    assert_int_equal(isx_config_format(&cfg, &out), 0);
    assert_non_null(strstr(out.data, "[requests]"));
    assert_int_equal(isx_config_parse(out.data, out.len, &back, &d), 0);
    assert_memory_equal(back.request_ack_hours, cfg.request_ack_hours,
                        sizeof(cfg.request_ack_hours));
    assert_memory_equal(back.request_answer_hours, cfg.request_answer_hours,
                        sizeof(cfg.request_answer_hours));
    isx_buf_free(&out);
}

/* ---- the fold ---- */

/* A thread being built: message envelopes, kept alive while their steps are read. */
struct thread {
    json_t *body;
    json_t *envs;
    struct isx_request_step steps[32];
    size_t n;
    struct isx_request_status st;
};

static void
thread_init(struct thread *t)
{
    memset(t, 0, sizeof(*t));
    t->body = j(good_request);
    t->envs = json_array();
}

static void
thread_free(struct thread *t)
{
    json_decref(t->body);
    json_decref(t->envs);
}

/* Adds a message by `origin` at `seq`, `minutes` after 2026-11-21T10:00Z. */
static void
add(struct thread *t, const char *origin, int seq, int minutes, const char *action)
{
    char id[80], version[ISX_TIME_LEN + 1];
    int64_t t0;

    isx_time_parse("2026-11-21T10:00:00.000Z", &t0);
    isx_time_format(t0 + (int64_t)minutes * 60000, version);
    snprintf(id, sizeof(id), "message--00000000-0000-4000-8000-%012zu", json_array_size(t->envs));
    json_t *env =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:i, s:s}}", "id", id, "origin", origin, "version",
                  version, "body", "request", "request--8d0b6a8e-2a2f-4c5e-9a57-6f7cf0c8a1d2",
                  "seq", seq, "action", action);
    assert_non_null(env);
    json_array_append_new(t->envs, env);
}

/* Folds the messages added so far; returns the state. */
static enum isx_request_state
fold(struct thread *t)
{
    size_t i;
    json_t *env;

    t->n = 0;
    json_array_foreach(t->envs, i, env)
    {
        assert_int_equal(isx_request_step_from(env, &t->steps[t->n++]), 0);
    }
    assert_int_equal(
        isx_request_fold("CN", "2026-11-21T09:00:00.000Z", t->body, t->steps, t->n, &t->st), 0);
    return t->st.state;
}

/* The step taken by the message added `k`-th (0-based), wherever the fold sorted it. */
static const struct isx_request_step *
step_of(struct thread *t, size_t k)
{
    char id[80];

    snprintf(id, sizeof(id), "message--00000000-0000-4000-8000-%012zu", k);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->steps[i].id, id) == 0)
            return &t->steps[i];
    fail();
    return NULL;
}

/* The last message added is refused with `why` (and `arg`), and the state stays `state`. */
static void
refused(struct thread *t, const char *why, const char *arg, enum isx_request_state state)
{
    size_t last = json_array_size(t->envs) - 1;

    assert_int_equal(fold(t), state);
    const struct isx_request_step *s = step_of(t, last);
    assert_false(s->valid);
    assert_string_equal(s->why, why);
    if (arg != NULL)
        assert_string_equal(s->why_arg, arg);
    /* A refused step is forgotten: drop it so the thread can go on. */
    json_array_remove(t->envs, last);
}

static void
test_fold_happy_path(void **state)
{
    struct thread t;
    int64_t t0;

    (void)state;
    isx_time_parse("2026-11-21T10:00:00.000Z", &t0);
    thread_init(&t);
    assert_int_equal(fold(&t), ISX_REQUEST_SENT);
    assert_string_equal(t.st.addressed, "RU");
    assert_int_equal(t.st.acknowledged_ms, 0);
    add(&t, "RU", 1, 10, "acknowledge");
    assert_int_equal(fold(&t), ISX_REQUEST_ACKNOWLEDGED);
    assert_int_equal(t.st.acknowledged_ms, t0 + 10 * 60000);
    add(&t, "CN", 2, 20, "comment");
    assert_int_equal(fold(&t), ISX_REQUEST_ACKNOWLEDGED);
    add(&t, "RU", 3, 30, "progress");
    assert_int_equal(fold(&t), ISX_REQUEST_IN_PROGRESS);
    add(&t, "RU", 4, 40, "progress"); /* a further progress report */
    assert_int_equal(fold(&t), ISX_REQUEST_IN_PROGRESS);
    add(&t, "RU", 5, 50, "comment");
    assert_int_equal(fold(&t), ISX_REQUEST_IN_PROGRESS);
    add(&t, "RU", 6, 60, "answer");
    assert_int_equal(fold(&t), ISX_REQUEST_ANSWERED);
    assert_int_equal(t.st.answered_ms, t0 + 60 * 60000);
    assert_int_equal(t.st.acknowledged_ms, t0 + 10 * 60000);
    add(&t, "CN", 7, 70, "comment"); /* a question about the answer */
    assert_int_equal(fold(&t), ISX_REQUEST_ANSWERED);
    add(&t, "CN", 8, 80, "close");
    assert_int_equal(fold(&t), ISX_REQUEST_CLOSED);
    assert_int_equal(t.st.ended_ms, t0 + 80 * 60000);
    assert_int_equal(t.st.flagged, 0);
    assert_int_equal(t.st.steps, 8);
    for (size_t i = 0; i < t.n; i++)
        assert_true(t.steps[i].valid);
    thread_free(&t);
}

static void
test_fold_short_paths(void **state)
{
    struct thread t;

    (void)state;
    /* An answer straight away is also the acknowledgement. */
    thread_init(&t);
    add(&t, "RU", 1, 10, "answer");
    assert_int_equal(fold(&t), ISX_REQUEST_ANSWERED);
    assert_int_equal(t.st.acknowledged_ms, t.st.answered_ms);
    thread_free(&t);
    /* Progress straight away. */
    thread_init(&t);
    add(&t, "RU", 1, 10, "progress");
    assert_int_equal(fold(&t), ISX_REQUEST_IN_PROGRESS);
    add(&t, "RU", 2, 20, "decline");
    assert_int_equal(fold(&t), ISX_REQUEST_DECLINED);
    assert_true(t.st.ended_ms > 0 && t.st.answered_ms == t.st.ended_ms);
    thread_free(&t);
    /* Decline from sent and from acknowledged; withdraw from each open state. */
    const char *before[][2] = {
        {NULL, NULL}, {"acknowledge", NULL}, {"progress", NULL}, {"acknowledge", "progress"}};
    for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
        for (int end = 0; end < 2; end++) {
            int seq = 1;
            thread_init(&t);
            for (int k = 0; k < 2; k++) {
                if (before[i][k] != NULL) {
                    add(&t, "RU", seq, seq * 10, before[i][k]);
                    seq++;
                }
            }
            if (end == 0)
                add(&t, "RU", seq, 100, "decline");
            else
                add(&t, "CN", seq, 100, "withdraw");
            assert_int_equal(fold(&t), end == 0 ? ISX_REQUEST_DECLINED : ISX_REQUEST_WITHDRAWN);
            assert_int_equal(t.st.flagged, 0);
            thread_free(&t);
        }
    }
}

static void
test_fold_refusals(void **state)
{
    struct thread t;

    (void)state;
    thread_init(&t);
    /* A party moving a request it is not addressed to. */
    add(&t, "CN", 1, 5, "acknowledge");
    refused(&t, "request.addressed_only", "RU", ISX_REQUEST_SENT);
    add(&t, "CN", 1, 5, "answer");
    refused(&t, "request.addressed_only", "RU", ISX_REQUEST_SENT);
    add(&t, "CN", 1, 5, "decline");
    refused(&t, "request.addressed_only", "RU", ISX_REQUEST_SENT);
    add(&t, "CN", 1, 5, "progress");
    refused(&t, "request.addressed_only", "RU", ISX_REQUEST_SENT);
    /* A third party, whatever it tries. */
    add(&t, "KZ", 1, 5, "comment");
    refused(&t, "request.not_party", "KZ", ISX_REQUEST_SENT);
    add(&t, "KZ", 1, 5, "acknowledge");
    refused(&t, "request.not_party", "KZ", ISX_REQUEST_SENT);
    /* The requesting party's own steps, out of order. */
    add(&t, "CN", 1, 5, "close");
    refused(&t, "request.wrong_state.sent", "sent", ISX_REQUEST_SENT);
    /* The addressed party cannot close or withdraw. */
    add(&t, "RU", 1, 5, "withdraw");
    refused(&t, "request.requester_only", "CN", ISX_REQUEST_SENT);
    add(&t, "RU", 1, 5, "close");
    refused(&t, "request.requester_only", "CN", ISX_REQUEST_SENT);

    add(&t, "RU", 1, 10, "acknowledge");
    assert_int_equal(fold(&t), ISX_REQUEST_ACKNOWLEDGED);
    add(&t, "RU", 2, 20, "acknowledge"); /* twice */
    refused(&t, "request.wrong_state.acknowledged", NULL, ISX_REQUEST_ACKNOWLEDGED);
    add(&t, "RU", 2, 20, "progress");
    assert_int_equal(fold(&t), ISX_REQUEST_IN_PROGRESS);
    add(&t, "RU", 3, 30, "acknowledge"); /* an acknowledgement after work began */
    refused(&t, "request.wrong_state.in_progress", NULL, ISX_REQUEST_IN_PROGRESS);
    add(&t, "RU", 3, 30, "answer");
    assert_int_equal(fold(&t), ISX_REQUEST_ANSWERED);
    /* Answering twice, and every step but a comment or a close after the answer. */
    const char *after_answer[][2] = {{"RU", "answer"},
                                     {"RU", "progress"},
                                     {"RU", "decline"},
                                     {"RU", "acknowledge"},
                                     {"CN", "withdraw"}};
    for (size_t i = 0; i < sizeof(after_answer) / sizeof(after_answer[0]); i++) {
        add(&t, after_answer[i][0], 4, 40, after_answer[i][1]);
        refused(&t, "request.wrong_state.answered", "answered", ISX_REQUEST_ANSWERED);
    }
    add(&t, "CN", 4, 40, "close");
    assert_int_equal(fold(&t), ISX_REQUEST_CLOSED);
    /* Moving a closed request: nothing, not even a comment, from either side. */
    const char *after_close[][2] = {{"CN", "close"},  {"CN", "comment"}, {"CN", "withdraw"},
                                    {"RU", "answer"}, {"RU", "comment"}, {"RU", "acknowledge"}};
    for (size_t i = 0; i < sizeof(after_close) / sizeof(after_close[0]); i++) {
        add(&t, after_close[i][0], 5, 50, after_close[i][1]);
        refused(&t, "request.wrong_state.closed", "closed", ISX_REQUEST_CLOSED);
    }
    thread_free(&t);

    /* Declined and withdrawn are ends too. */
    thread_init(&t);
    add(&t, "RU", 1, 10, "decline");
    assert_int_equal(fold(&t), ISX_REQUEST_DECLINED);
    add(&t, "RU", 2, 20, "answer");
    refused(&t, "request.wrong_state.declined", NULL, ISX_REQUEST_DECLINED);
    add(&t, "CN", 2, 20, "withdraw");
    refused(&t, "request.wrong_state.declined", NULL, ISX_REQUEST_DECLINED);
    thread_free(&t);
    thread_init(&t);
    add(&t, "CN", 1, 10, "withdraw");
    assert_int_equal(fold(&t), ISX_REQUEST_WITHDRAWN);
    add(&t, "RU", 2, 20, "acknowledge");
    refused(&t, "request.wrong_state.withdrawn", NULL, ISX_REQUEST_WITHDRAWN);
    add(&t, "CN", 2, 20, "close");
    refused(&t, "request.wrong_state.withdrawn", NULL, ISX_REQUEST_WITHDRAWN);
    thread_free(&t);
}

static void
test_fold_order(void **state)
{
    struct thread t;

    (void)state;
    /* The order the messages arrived in does not matter: seq does, whatever the clocks say.
     * CN's clock is an hour behind RU's, yet its close (seq 3) follows RU's answer (seq 2). */
    thread_init(&t);
    add(&t, "CN", 3, 0, "close");
    add(&t, "RU", 2, 70, "answer");
    add(&t, "RU", 1, 60, "acknowledge");
    assert_int_equal(fold(&t), ISX_REQUEST_CLOSED);
    assert_int_equal(t.st.flagged, 0);
    assert_string_equal(t.steps[0].origin, "RU");
    assert_int_equal(t.steps[2].action, ISX_REQUEST_CLOSE);
    thread_free(&t);

    /* Two sides acting at once without seeing each other (the same seq): the earlier time
     * wins, and the other is flagged, on every node alike. */
    thread_init(&t);
    add(&t, "RU", 1, 10, "acknowledge");
    add(&t, "RU", 2, 30, "answer");
    add(&t, "CN", 2, 20, "withdraw");
    assert_int_equal(fold(&t), ISX_REQUEST_WITHDRAWN);
    assert_false(step_of(&t, 1)->valid);
    assert_string_equal(step_of(&t, 1)->why, "request.wrong_state.withdrawn");
    assert_true(step_of(&t, 2)->valid);
    json_array_remove(t.envs, 1);
    add(&t, "RU", 2, 30, "answer"); /* the same set, added in the other order */
    assert_int_equal(fold(&t), ISX_REQUEST_WITHDRAWN);
    assert_int_equal(t.st.flagged, 1);
    thread_free(&t);

    /* A message that does not read as a step is not one. */
    json_t *bad =
        j("{\"id\":\"message--x\",\"origin\":\"RU\",\"version\":\"2026-11-21T10:00:00.000Z\","
          "\"body\":{\"seq\":1,\"action\":\"nod\"}}");
    struct isx_request_step s;
    assert_int_equal(isx_request_step_from(bad, &s), ISX_EINVAL);
    json_decref(bad);
    /* Nor is a request without its own dates a thread to fold. */
    json_t *body = j("{\"to\":\"RU\"}");
    struct isx_request_status st;
    assert_int_equal(isx_request_fold("CN", "2026-11-21T09:00:00.000Z", body, NULL, 0, &st),
                     ISX_EINVAL);
    json_decref(body);
}

static void
test_overdue(void **state)
{
    struct thread t;
    int64_t ack_by, answer_by;

    (void)state;
    isx_time_parse("2026-11-22T10:00:00.000Z", &ack_by);
    isx_time_parse("2026-11-28T10:00:00.000Z", &answer_by);
    thread_init(&t);
    fold(&t);
    assert_int_equal(t.st.ack_by_ms, ack_by);
    assert_int_equal(t.st.answer_by_ms, answer_by);
    /* At the deadline itself nothing is late yet; a millisecond later it is. */
    assert_false(isx_request_ack_overdue(&t.st, ack_by));
    assert_true(isx_request_ack_overdue(&t.st, ack_by + 1));
    assert_false(isx_request_answer_overdue(&t.st, ack_by + 1));
    assert_true(isx_request_answer_overdue(&t.st, answer_by + 1));
    /* Acknowledged: the acknowledgement is no longer owed, the answer still is. */
    add(&t, "RU", 1, 10, "acknowledge");
    fold(&t);
    assert_false(isx_request_ack_overdue(&t.st, answer_by + 1));
    assert_true(isx_request_answer_overdue(&t.st, answer_by + 1));
    add(&t, "RU", 2, 20, "progress");
    fold(&t);
    assert_true(isx_request_answer_overdue(&t.st, answer_by + 1));
    /* A refused step does not count as an answer. */
    add(&t, "CN", 3, 30, "answer");
    fold(&t);
    assert_true(isx_request_answer_overdue(&t.st, answer_by + 1));
    json_array_remove(t.envs, 2);
    add(&t, "RU", 3, 30, "answer");
    fold(&t);
    assert_false(isx_request_answer_overdue(&t.st, answer_by + 1));
    thread_free(&t);
    /* Declined or withdrawn: nothing is owed any more. */
    const char *ends[][2] = {{"RU", "decline"}, {"CN", "withdraw"}};
    for (size_t i = 0; i < 2; i++) {
        thread_init(&t);
        add(&t, ends[i][0], 1, 10, ends[i][1]);
        fold(&t);
        assert_false(isx_request_ack_overdue(&t.st, answer_by + 1));
        assert_false(isx_request_answer_overdue(&t.st, answer_by + 1));
        thread_free(&t);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_body),         cmocka_unit_test(test_message_body),
        cmocka_unit_test(test_document_body),        cmocka_unit_test(test_marking_rule),
        cmocka_unit_test(test_deadlines_and_config), cmocka_unit_test(test_fold_happy_path),
        cmocka_unit_test(test_fold_short_paths),     cmocka_unit_test(test_fold_refusals),
        cmocka_unit_test(test_fold_order),           cmocka_unit_test(test_overdue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
