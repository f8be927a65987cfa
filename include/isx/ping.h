/*
 * Communication checks of the points-of-contact directory ("pings"): the model, with no I/O.
 * Art. 5.1 of the Agreement has the parties exchange the channels through which their
 * competent authorities communicate directly; the UN Points-of-Contact Directory (A/C.1/78/L.11
 * para. 4) checks such channels with periodic pings. A channel is worth only as much as the
 * answers it gets, so this module measures them.
 *
 * A `ping` object goes to every point of contact of the chosen parties:
 *
 *   {"parties": ["RU"], "pocs": [{"id": "poc--…", "party": "RU", "kind": "technical"}, …],
 *    "started": "<RFC 3339>", "deadline": "<RFC 3339>", "message": {"zh"|"ru"|"en": text},
 *    "schedule": "<RFC 3339: the scheduled time that started it, when a schedule did>"}
 *
 * The contacts are a snapshot taken at the start, with their party and kind, so the results
 * of a ping do not move when the directory changes later. Its marking names the parties
 * ({"tlp": "green", "to": [...]}) so federation delivers it to each of them.
 *
 * Each contact answers once with an `ack`, signed by the node of the contact's party:
 *
 *   {"ping": "ping--…", "poc": "poc--…", "how": "api"|"cli"|"link", "at": "<RFC 3339>"}
 *
 * An ack's id is derived from (ping, poc) (isx_ping_ack_id), so a second answer for the same
 * contact is the same id and is refused wherever it arrives. A ping is open until its
 * deadline and closed from then on: the state is a function of the time asked about, never
 * stored. Results count only acks that isx_ping_ack_judge would accept.
 */
#ifndef ISX_PING_H
#define ISX_PING_H

#include <stdint.h>

#include <jansson.h>

#include "isx/buf.h"
#include "isx/config.h"
#include "isx/error.h"
#include "isx/object.h"

/* How a contact acknowledged (NULL-terminated). */
extern const char *const isx_ping_hows[];

/* The schedules of [pings] schedule (indexes of isx_ping_schedules, NULL-terminated). */
enum isx_ping_schedule { ISX_PING_OFF, ISX_PING_DAILY, ISX_PING_WEEKLY, ISX_PING_MONTHLY };
extern const char *const isx_ping_schedules[];

#define ISX_PING_MAX_POCS      5000
#define ISX_PING_MAX_HOURS     720 /* the longest window a ping may give: 30 days */
#define ISX_PING_DEFAULT_HOURS 48

/* Body checks (the bodies table, include/isx/bodies.h); `path` prefixes field names. */
int isx_ping_check(const json_t *body, const char *path, struct isx_diag *d);
int isx_ack_check(const json_t *body, const char *path, struct isx_diag *d);

/* The id of the acknowledgement of `poc` for `ping`: the same on every node. */
void isx_ping_ack_id(const char *ping, const char *poc, char out[ISX_OBJECT_ID_MAX + 1]);

/* The id of the ping a schedule starts for `party` at `slot` (RFC 3339): one per slot. */
void isx_ping_schedule_id(const char *party, const char *slot, char out[ISX_OBJECT_ID_MAX + 1]);

/* "open" before the body's deadline, "closed" from it on (NULL for a body without one). */
const char *isx_ping_state(const json_t *body, int64_t now_ms);

/* The entry of `poc` in the ping body's contacts, or NULL. */
const json_t *isx_ping_contact(const json_t *body, const char *poc);

/*
 * May this acknowledgement be stored? `ping_env` is the ping envelope (with its clear body),
 * `ack_id` and `ack_origin` the ack envelope's id and origin, `ack` its body, and `exists` 1
 * when the node already holds an object with `ack_id`. In this order: the ack must name this
 * ping (ISX_EFIELD), a contact the ping covers (ISX_EFIELD), one of the acking party's own
 * contacts (ISX_EFORBIDDEN: no node answers for another party's contacts), under the derived
 * id (ISX_EFIELD), for the first time (ISX_EEXISTS) and no later than the deadline
 * (ISX_ECONFLICT: the ping has closed). `path` prefixes field names ("" or "body").
 */
int isx_ping_ack_judge(const json_t *ping_env, const char *ack_id, const char *ack_origin,
                       const json_t *ack, int exists, const char *path, struct isx_diag *d);

/*
 * The results of one ping at `now_ms` from its envelope and acknowledgement envelopes (any
 * order; acks of other pings, and acks the judge would refuse, are ignored; the earliest
 * valid one counts for each contact). A new object in *out:
 *
 *   {"id","origin","state","started","deadline","parties","schedule"?,
 *    "total","answered","rate","median_ms",
 *    "by_kind": {"diplomatic": {"total","answered","rate","median_ms"}, "technical": {…}},
 *    "by_party": {"RU": {…}},
 *    "contacts": [{"poc","party","kind","answered","how"?,"at"?,"after_ms"?}]}
 *
 * `rate` is answered / total (null when total is 0); `median_ms` is the median of the times
 * from the start to each answer, in milliseconds (the mean of the two middle ones for an even
 * count, rounded down; null when nobody answered).
 */
int isx_ping_results(const json_t *ping_env, const json_t *acks, int64_t now_ms, json_t **out);

/*
 * The history of every ping in `pings` (envelopes) with the acks in `acks`, at `now_ms`:
 *
 *   {"items": [results without "contacts", oldest first],
 *    "closed": {"pings","total","answered","rate","median_ms"},
 *    "by_party": {"RU": {"pings","total","answered","rate","median_ms"}},
 *    "by_kind": {"diplomatic": {…}, "technical": {…}},
 *    "unanswered": [{"poc","party","kind","ping","deadline"}]}
 *
 * Totals over time count closed pings only: an open ping's silence is not yet an answer.
 * "unanswered" lists the contacts that did not answer the latest closed ping covering them.
 */
int isx_ping_history(const json_t *pings, const json_t *acks, int64_t now_ms, json_t **out);

/*
 * For each contact covered by a closed ping, the latest such ping (by deadline) and whether
 * the contact answered it: {"poc--…": {"id","deadline","answered"}} in *out.
 */
int isx_ping_last(const json_t *pings, const json_t *acks, int64_t now_ms, json_t **out);

/*
 * The most recent scheduled time at or before `now_ms` of the [pings] schedule in `cfg`, in
 * *slot_ms; ISX_ENOTFOUND when the schedule is off.
 */
int isx_ping_schedule_slot(const struct isx_config *cfg, int64_t now_ms, int64_t *slot_ms);

/*
 * The [pings] keys of isx.conf: sets `key` from the trimmed `value` (ISX_EINVAL when the value
 * is not allowed), and writes the section with its comments.
 */
int isx_ping_config_set(struct isx_config *cfg, const char *key, const char *value);
int isx_ping_config_format(const struct isx_config *cfg, struct isx_buf *out);

#endif
