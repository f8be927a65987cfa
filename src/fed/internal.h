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

/* Largest batch of objects in one request, and the bytes it may carry. */
#define ISX_FED_BATCH_OBJECTS 500
#define ISX_FED_BATCH_BYTES   (768u * 1024u)
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
 * as a JSON array of envelopes (their canonical bytes) in log order; *count of them, and
 * *next, the position to continue from. A release that lets the peer have an object comes
 * first, with that object right after it.
 */
int isx__fed_batch(struct isx_node *n, const struct isx_peer *peer, uint64_t after,
                   struct isx_buf *out, size_t *count, uint64_t *next);

/*
 * One witnessing step for `peer` (witness.c): fetch, verify, check consistency, cosign, or
 * raise an alarm. A failure to reach the peer is an error; an inconsistency is an alarm.
 */
int isx__fed_witness(struct isx_node *n, const struct isx_peer *peer, char *err, size_t errlen);

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
