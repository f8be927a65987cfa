/*
 * What the files of src/fed/ share: request signing between nodes, the refusal counters and
 * the batch a node offers a peer (used by push, which sends it, and by pull, which serves it).
 */
#ifndef ISX_FED_INTERNAL_H
#define ISX_FED_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

#include "isx/fed.h"
#include "isx/http.h"
#include "isx/node.h"
#include "isx/store.h"

/* Largest batch of objects in one request. */
#define ISX_FED_BATCH_OBJECTS 500
/*
 * The bytes a batch may carry. A push is a request body, and a peer's isxd refuses bodies over
 * its [http] max_body (1 MiB by default) with 413, so a push stays under that default with
 * room for the {"objects":...} around it. A pull answer has no such bound; a larger one means
 * fewer round trips and fewer, larger transactions at the receiver, which is where the time of
 * catching up goes; 2 MiB (about 20 reports of 1000 indicators) keeps the receiver's parsed
 * copy of it within tens of MiB.
 */
#define ISX_FED_PUSH_BYTES (1024u * 1024u - 4096u)
#define ISX_FED_PULL_BYTES (2048u * 1024u)
/* How many leaves of the log one batch may walk past (objects not for the peer included). */
#define ISX_FED_SCAN_LEAVES 5000

/* Why a request between nodes was refused; counted in /metrics and logged. */
enum isx_fed_refusal {
    ISX_FED_UNSIGNED,
    ISX_FED_UNKNOWN_KEY,
    ISX_FED_FORGED,
    ISX_FED_ALTERED,
    ISX_FED_STALE,
    ISX_FED_REPLAYED,
    ISX_FED_MALFORMED,
    ISX_FED_REFUSAL_COUNT
};

/*
 * Checks the request's signature (RFC 9421 profile of docs/federation.md) against the keys of
 * the node's peers. On success *peer is the peer that signed. On failure the refusal is
 * counted and logged and req->diag says why.
 */
int isx__fed_authenticate(struct isx_http_req *req, struct isx_peer *peer);

/*
 * Sends a signed request to a peer: `path` with its query, body may be NULL. Returns 0 when
 * an HTTP answer arrived (resp filled), else ISX_ENET.
 */
int isx__fed_send(struct isx_node *n, const struct isx_peer *peer, const char *method,
                  const char *path_and_query, const char *body, size_t body_len,
                  struct isx_http_response *resp);

/* Counts a refused request (by reason) for /metrics. */
void isx__fed_count_refusal(enum isx_fed_refusal why);
const char *isx__fed_refusal_name(enum isx_fed_refusal why);
/* The counts so far. */
void isx__fed_refusals(uint64_t out[ISX_FED_REFUSAL_COUNT]);

/*
 * The objects this node would give `peer`, from its log position `after`: appended to `out`
 * as a JSON array of envelopes (their canonical bytes) in log order, at most about
 * `max_bytes` of them (but at least one); *count of them, and *next, the position to continue
 * from. A release that lets the peer have an object comes first, with that object right after
 * it.
 */
int isx__fed_batch(struct isx_node *n, const struct isx_peer *peer, uint64_t after,
                   size_t max_bytes, struct isx_buf *out, size_t *count, uint64_t *next);

/*
 * One witnessing step for `peer` (witness.c): fetch, verify, check consistency, cosign, or
 * raise an alarm. A failure to reach the peer is an error; an inconsistency is an alarm.
 */
int isx__fed_witness(struct isx_node *n, const struct isx_peer *peer, char *err, size_t errlen);

/*
 * Accepts the objects of one delivery (a push or a pulled page) in their order, as
 * isx_fed_accept would one by one: rcs[i] and d[i] get each one's outcome. objs[i] may be
 * NULL for an object that did not parse; its rcs[i] is left as the caller set it. Consecutive
 * reports are checked one by one but stored together in one transaction, and a report that
 * another delivery (the peer's push beside our pull) is accepting at the same time is left to
 * it and waited for, so the two split the work instead of doing it twice. With stop_at_key,
 * objects after the first one refused for an unknown key are left alone, as a pull leaves
 * them for the next round. Returns how many objects, from the first, were handled.
 */
size_t isx__fed_accept_many(struct isx_node *n, struct isx_object **objs, size_t count,
                            const struct isx_change *change, int stop_at_key, int *rcs,
                            struct isx_diag *d);

/*
 * isx__fed_accept_many in two steps, so a pull can check its next page while this one
 * commits. The check step does everything but store the grouped reports (and answer what
 * another delivery has); *pending (NULL when nothing is left to do) goes to the commit step,
 * which may run on another thread and frees it. objs, rcs, d and change must live until the
 * commit step returns. `owner` names the delivery stream: claims of the same owner are never
 * waited for (NULL: this call alone). Returns as isx__fed_accept_many.
 */
struct isx__fed_pending;
size_t isx__fed_accept_check(struct isx_node *n, struct isx_object **objs, size_t count,
                             const struct isx_change *change, const void *owner, int stop_at_key,
                             int *rcs, struct isx_diag *d, struct isx__fed_pending **pending);
void isx__fed_accept_commit(struct isx__fed_pending *pending);

/* 1 when `party` is a peer of this node. */
int isx__fed_is_peer(struct isx_node *n, const char *party);

/*
 * The agreement's calendar and consultations (issue 6, calendar.c): the door's check that an
 * object's origin is a party today, and the door rules of notifications, consultations and
 * consents (the rows of door_rules in accept.c).
 */
int isx__fed_door_party(struct isx_node *n, const struct isx_object *o, struct isx_diag *d);
int isx__fed_rule_notification(struct isx_node *n, const struct isx_object *o, const json_t *body,
                               struct isx_diag *d);
int isx__fed_rule_consultation(struct isx_node *n, const struct isx_object *o, const json_t *body,
                               struct isx_diag *d);
int isx__fed_rule_consent(struct isx_node *n, const struct isx_object *o, const json_t *body,
                          struct isx_diag *d);

#endif
