/*
 * Requests between parties and their threads: joint response (Art. 3.2), expertise and
 * investigation (Art. 3.6), exchange on legislation (Art. 3.11) and national strategies
 * (Art. 3.9, Code of Conduct §10). ARCHITECTURE.md §2.5.
 *
 * A `request` is signed by the requesting party (its origin) and addressed to exactly one
 * other party, named in its body's "to" and, alone, in its marking's "to":
 *
 *   {"to": "RU", "kind": "information", "subject": {"zh": "…"}, "text": {"ru": "…"},
 *    "reports": ["report--…"], "urgency": "urgent",
 *    "ack_by": "2026-11-22T10:00:00.000Z", "answer_by": "2026-11-28T10:00:00.000Z"}
 *
 * The deadlines are written into the signed body when the request is opened (from the
 * requesting node's [requests] configuration unless given), so both sides count from the
 * same dates. A request never changes once sent; everything after it is a `message` in its
 * thread, signed by the party that takes the step:
 *
 *   {"request": "request--…", "seq": 3, "action": "answer", "text": {"ru": "…"},
 *    "attachments": ["document--…"]}
 *
 * `seq` is one more than the number of messages the author's node held for the thread, so
 * a step taken after seeing another sorts after it whatever the two nodes' clocks say. A
 * message's marking is the request's, addressed to the other side of the thread; its
 * attachments are `document` objects (include/isx/document.h) of the same origin and marking.
 *
 * The request's state is a pure fold over its messages in (seq, version, id) order. A step
 * that is not allowed (the wrong party, the wrong state) changes nothing and is flagged with
 * the reason; nodes refuse such a message at the door, so the fold only flags what two
 * parties did at the same moment without seeing each other (the first in that order wins).
 *
 *   sent --acknowledge--> acknowledged --progress--> in_progress --answer--> answered
 *   answered --close--> closed               (the requesting party)
 *   sent|acknowledged|in_progress --decline--> declined      (the addressed party, a reason)
 *   sent|acknowledged|in_progress --withdraw--> withdrawn    (the requesting party)
 *   progress and answer also go straight from sent; a comment (either side, any state
 *   before the end) changes nothing.
 *
 * Overdue is a function of the time: an acknowledgement is overdue while the request is
 * still `sent` after ack_by; an answer while it is sent, acknowledged or in progress after
 * answer_by.
 */
#ifndef ISX_REQUEST_H
#define ISX_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/buf.h"
#include "isx/config.h"
#include "isx/error.h"

/* NULL-terminated lists of the codes, in the order of the enums below. */
extern const char *const isx_request_kinds[];     /* information, assistance, expertise, ... */
extern const char *const isx_request_urgencies[]; /* routine, urgent, critical */
extern const char *const isx_request_actions[];   /* acknowledge, progress, answer, ... */
extern const char *const isx_request_states[];    /* sent, acknowledged, in_progress, ... */

enum isx_request_urgency { ISX_URGENCY_ROUTINE, ISX_URGENCY_URGENT, ISX_URGENCY_CRITICAL };

enum isx_request_action {
    ISX_REQUEST_ACKNOWLEDGE,
    ISX_REQUEST_PROGRESS,
    ISX_REQUEST_ANSWER,
    ISX_REQUEST_DECLINE,
    ISX_REQUEST_CLOSE,
    ISX_REQUEST_WITHDRAW,
    ISX_REQUEST_COMMENT,
};

enum isx_request_state {
    ISX_REQUEST_SENT,
    ISX_REQUEST_ACKNOWLEDGED,
    ISX_REQUEST_IN_PROGRESS,
    ISX_REQUEST_ANSWERED,
    ISX_REQUEST_CLOSED,
    ISX_REQUEST_DECLINED,
    ISX_REQUEST_WITHDRAWN,
};

/* The Art. 3 direction (data/directions.json) a kind of request serves: "D02", "D06", ... */
const char *isx_request_kind_direction(const char *kind);

/* Body checks (the table in src/core/bodies.c); `path` prefixes field names ("body"). */
int isx_request_check(const json_t *body, const char *path, struct isx_diag *d);
int isx_request_message_check(const json_t *body, const char *path, struct isx_diag *d);

/*
 * What a body check cannot see: the request's origin is not the party it addresses, its
 * marking is above TLP:CLEAR (CLEAR would reach every party) and names exactly that party.
 */
int isx_request_check_marking(const char *origin, const json_t *marking, const json_t *body,
                              struct isx_diag *d);

/* The marking of a message or document in the thread sent to `party`: the request's TLP and
 * labels, addressed to `party` alone. A new reference. */
json_t *isx_request_thread_marking(const json_t *request_marking, const char *party);

/* The urgency's index (enum isx_request_urgency), or -1. */
int isx_request_urgency_index(const char *urgency);

/*
 * The default deadlines of a request of `urgency` opened at `opened_ms`, from the
 * [requests] configuration. An acknowledgement is never due after the answer, so ack_by is
 * at most answer_by. ISX_EINVAL for an unknown urgency.
 */
int isx_request_default_deadlines(const struct isx_config *cfg, const char *urgency,
                                  int64_t opened_ms, int64_t *ack_by, int64_t *answer_by);

/* One message of a thread, as the fold reads it; strings borrow from the envelope. */
struct isx_request_step {
    const char *id;
    const char *origin;
    const char *version;
    int64_t seq;
    int64_t at_ms; /* the version's time */
    enum isx_request_action action;
    /* Set by the fold. */
    int valid;
    const char *why;     /* catalogue key of the reason a step was not allowed */
    const char *why_arg; /* its argument: a party code or a state name */
};

/* Reads a stored message envelope (body opened) into a step. ISX_EINVAL when it is not one. */
int isx_request_step_from(const json_t *env, struct isx_request_step *out);

/* What the fold says of a request. Times are 0 when the event has not happened. */
struct isx_request_status {
    enum isx_request_state state;
    const char *requester; /* borrowed */
    const char *addressed; /* borrowed */
    int64_t opened_ms, ack_by_ms, answer_by_ms;
    int64_t acknowledged_ms; /* the addressed party's first step (ack, progress, answer, decline) */
    int64_t answered_ms;     /* the answer or the refusal */
    int64_t ended_ms;        /* closed, declined or withdrawn */
    size_t steps, flagged;
};

/*
 * Folds the thread of the request that `requester` opened at `opened_version` with `body`.
 * Sorts `steps` in place into thread order and marks each valid or not (with the reason).
 * ISX_EINVAL when the request itself is unreadable (no "to", bad dates).
 */
int isx_request_fold(const char *requester, const char *opened_version, const json_t *body,
                     struct isx_request_step *steps, size_t n, struct isx_request_status *out);

/* Overdue at `now_ms` (see the top of this file). */
int isx_request_ack_overdue(const struct isx_request_status *s, int64_t now_ms);
int isx_request_answer_overdue(const struct isx_request_status *s, int64_t now_ms);

/*
 * On a node (src/api/requests.c): the door rules of include/isx/fed.h's table for requests,
 * messages and documents, which need what the node holds, and the /metrics figures.
 */
struct isx_node;
struct isx_object;
int isx_request_door(struct isx_node *n, const struct isx_object *o, const json_t *body,
                     struct isx_diag *d);
int isx_request_door_message(struct isx_node *n, const struct isx_object *o, const json_t *body,
                             struct isx_diag *d);
int isx_request_door_document(struct isx_node *n, const struct isx_object *o, const json_t *body,
                              struct isx_diag *d);
/* Gauges of overdue acknowledgements and answers, by direction, and requests by state. */
void isx_request_metrics(struct isx_node *n, struct isx_buf *out);

#endif
