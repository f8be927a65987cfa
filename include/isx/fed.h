/*
 * Federation (ARCHITECTURE.md §7, issue 5): nodes of different parties exchange the objects
 * their markings allow, and nothing else.
 *
 *   - Every request between nodes is signed (RFC 9421, Ed25519, include/isx/httpsig.h) and
 *     answered only for a known peer; unsigned, unknown-key, forged, altered, stale and
 *     replayed requests are refused, counted and logged.
 *   - Delivery is push on accept plus a periodic pull with a cursor (the sender's log index);
 *     storage is idempotent by object hash, so delivery is at least once and storage exactly
 *     once. The originator's signature travels intact and every receiver verifies it.
 *   - Art. 6 by construction: objects above TLP:GREEN travel sealed per recipient party; an
 *     object goes only to parties its marking names, or that a release signed by its
 *     originator names; a relay peer gets sealed objects for parties this node does not
 *     reach, and cannot open them.
 *   - Witnessing: each node fetches its peers' checkpoints, checks that each extends the last
 *     one it saw, cosigns it, and raises an alarm (API, CLI, /metrics, the log) when a peer
 *     shows two views of its log that cannot both be true.
 */
#ifndef ISX_FED_H
#define ISX_FED_H

#include <stddef.h>

#include <jansson.h>

#include "isx/agreement.h"
#include "isx/consult.h"
#include "isx/http.h"
#include "isx/node.h"

struct isx_fed;

/* Starts the background sync (push, pull, witnessing) for the node's peers. */
int isx_fed_start(struct isx_node *n, struct isx_fed **out);
/* Stops the sync thread; requests in flight finish first. */
void isx_fed_stop(struct isx_fed *f);
/* An object was accepted: push it now rather than at the next round. NULL-safe. */
void isx_fed_kick(struct isx_fed *f);

/*
 * Handlers of the federation API under /fed/v1/ (src/fed/wire.c), listed in the route table
 * (src/api/routes.c) as public routes: each checks the request's signature itself.
 */
int isx__fed_push(struct isx_http_req *req);
int isx__fed_pull(struct isx_http_req *req);
int isx__fed_checkpoint(struct isx_http_req *req);
int isx__fed_consistency(struct isx_http_req *req);
int isx__fed_cosign(struct isx_http_req *req);

/* Appends the federation figures to /metrics. */
void isx_fed_metrics(struct isx_node *n, struct isx_buf *out);

/*
 * The checks every object from outside passes before it is stored, whether it came from a
 * peer or an operator's import: shape, the originator's signature, who may speak for a
 * directory entry, the marking (it must name this party, or a release must, or this node
 * must be a relay and the object sealed), and sealing (above TLP:GREEN a clear body is
 * refused). A sealed object for this party is opened, so its projections can be built.
 * The caller keeps `o` (o->opened is set when it was opened). Returns 0 when stored,
 * ISX_EEXISTS when it was already stored, or an error with `d` naming the reason.
 */
int isx_fed_accept(struct isx_node *n, struct isx_object *o, const struct isx_change *change,
                   struct isx_diag *d);

/*
 * May this node send `o` to `party`? 1 when its marking names the party or a release by the
 * originator does (the release's canonical bytes are appended to `release` when it is what
 * allows it, and `release` is not NULL), 0 otherwise. Objects are never sent back to their
 * origin, and the entries `isx init` copies for other parties are never sent at all.
 */
int isx_fed_may_send(struct isx_node *n, const struct isx_object *o, const char *party,
                     struct isx_buf *release);

/*
 * Makes a release of this node's object `id` (its current version) to the parties in `to`:
 * for a sealed object, the content key is wrapped for each of them. Returns the stored
 * release object in *out.
 */
int isx_fed_release(struct isx_node *n, const char *id, const json_t *to, const char *reason,
                    const struct isx_change *change, struct isx_object **out, struct isx_diag *d);

/* ---- The agreement's calendar and consultations (issue 6, src/fed/calendar.c). ---- */

/* Today as a day of the calendar (days since 1970-01-01, UTC). */
int64_t isx_fed_today(void);

/*
 * The calendar on `day` computed from the notifications this node holds and can read, with
 * ISX_AGREEMENT_SKIP_INVALID (refused ones are in its `skipped`, by index into *items). *items
 * (may be NULL) receives those notifications' envelopes, *counted (may be NULL) how many of
 * them the calendar applied on or before `day`.
 */
int isx_fed_calendar(struct isx_node *n, int64_t day, json_t **items,
                     struct isx_agreement_calendar **cal, size_t *counted, struct isx_diag *d);

/*
 * Does the calendar decide who is a party on `day`? 1 once the notifications it applied
 * bring the agreement into force by then; before that (no notification, or an incomplete
 * record) the bootstrap rule applies: every party counts as bound.
 */
int isx_fed_calendar_counts(const struct isx_agreement_calendar *c, size_t counted, int64_t day);

/*
 * Is `party` a party for this node on `day`? 1 when the calendar binds it that day, when it
 * is this node's own party or the depositary, or while the bootstrap rule applies (see
 * isx_fed_calendar_counts); 0 when not; a negative ISX_E* code when the store
 * cannot be read. Federation consults it on the way in (the door refuses the objects of a
 * party that is not bound, notifications aside) and on the way out (nothing is offered to it,
 * and its delivery cursor stays, so it gets what its markings allow once it is bound).
 * Cached; the cache follows the log.
 */
int isx_fed_party_bound(struct isx_node *n, const char *party, int64_t day);

/* The consultations this node holds, folded (include/isx/consult.h), with what they need. */
struct isx_fed_consult {
    struct isx_agreement_calendar *calendar; /* NULL while the bootstrap rule applies */
    size_t counted;                          /* notifications the calendar applied */
    struct isx_consult_ctx ctx;
    json_t *state; /* isx_consult_fold's result */
};
/* Loads and folds; `upcoming` regular slots from `today` go in the schedule. */
int isx_fed_consult_load(struct isx_node *n, int64_t today, size_t upcoming,
                         struct isx_fed_consult *out, struct isx_diag *d);
void isx_fed_consult_free(struct isx_fed_consult *c);

#endif
