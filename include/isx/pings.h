/*
 * Communication checks at a node (src/api/pings.c): starting a ping, acknowledging for one of
 * this party's contacts, the one-time links handed to contacts, the rule at the door for pings
 * and acks from peers, the directory's flag for contacts that did not answer, the figures for
 * /metrics and the schedule's timer. The model (bodies, results, schedule) is
 * include/isx/ping.h; this module adds what needs the node: its store, its signer, its clock.
 *
 * One-time links carry no state: a link token is base64url(ping uuid || poc uuid || mac), 64
 * characters, where mac is the first 16 bytes of SHA-256 over the node's Ed25519 signature of
 * "isx-ping-link" with the two ids. Ed25519 signatures are deterministic, so the node can
 * recompute the mac whenever a token comes back, and nobody without the node's signing key can
 * make one. "One-time" holds because a contact's answer is one object with an id derived from
 * (ping, poc): a second use of the link finds it and is refused.
 */
#ifndef ISX_PINGS_H
#define ISX_PINGS_H

#include <jansson.h>

#include "isx/buf.h"
#include "isx/node.h"

#define ISX_PING_TOKEN_LEN 64

/*
 * Starts a ping to every active contact this node knows of the parties in `parties` (an array
 * of codes; NULL or empty: every party with a known contact), open until `deadline_ms`, with
 * `message` (a language map; NULL: the catalogue's standard text in the three languages).
 * `slot` (may be NULL) is the scheduled time that starts it: the ping then has the id derived
 * from this party and the slot, so a schedule starts each check once (ISX_EEXISTS after).
 */
int isx_pings_start(struct isx_node *n, const json_t *parties, int64_t deadline_ms,
                    const json_t *message, const char *slot, const struct isx_change *change,
                    struct isx_object **out, struct isx_diag *d);

/*
 * Publishes this party's acknowledgement of `ping` for its contact `poc`, made `how` (api,
 * cli, link), under the rule of isx_ping_ack_judge at the current time. Diagnostics name the
 * request's fields ("poc", "at").
 */
int isx_pings_ack(struct isx_node *n, const char *ping, const char *poc, const char *how,
                  const struct isx_change *change, struct isx_object **out, struct isx_diag *d);

/* The link token of (ping, poc) at this node; out has room for ISX_PING_TOKEN_LEN + 1. */
int isx_pings_link_token(struct isx_node *n, const char *ping, const char *poc,
                         char out[ISX_PING_TOKEN_LEN + 1]);
/* The ids a token made by this node names; ISX_ENOTFOUND for any other text. */
int isx_pings_link_open(struct isx_node *n, const char *token, char ping[ISX_OBJECT_ID_MAX + 1],
                        char poc[ISX_OBJECT_ID_MAX + 1]);

/*
 * Door rules (src/fed/accept.c) for objects from peers. A ping is never replaced by a new
 * version: its contacts are a snapshot. An ack must pass isx_ping_ack_judge against the ping
 * this node holds; an ack for a ping not (yet) here is kept, since results judge every ack
 * again once the ping arrives. A second object under an id already held is refused with
 * ISX_ECONFLICT (ISX_EEXISTS means "this very object is stored" to delivery and import).
 */
int isx_pings_door_ping(struct isx_node *n, const struct isx_object *o, const json_t *body,
                        struct isx_diag *d);
int isx_pings_door_ack(struct isx_node *n, const struct isx_object *o, const json_t *body,
                       struct isx_diag *d);

/* Every ping and every ack this node can read (new arrays of envelopes). */
int isx_pings_load(struct isx_node *n, json_t **pings, json_t **acks);

/*
 * Adds "last_ping": {"id","deadline","answered"} to each contact envelope in `items` that a
 * closed ping covered, computed at read time from the pings and acks held here.
 */
int isx_pings_flag_pocs(struct isx_node *n, json_t *items);

/* Prometheus lines: open pings, and the response rate and median of the latest closed one. */
void isx_pings_metrics(struct isx_node *n, struct isx_buf *out);

/*
 * One look at the [pings] schedule at `now_ms`: starts the check of the latest scheduled time
 * unless it has been started or its window (deadline_hours) is over. *started (may be NULL) is
 * set to 1 when a ping was started. 0 also when there was nothing to do.
 */
int isx_pings_tick(struct isx_node *n, int64_t now_ms, int *started, struct isx_diag *d);

/* The schedule's thread (isxd): a tick at start and every minute. NULL when it is off. */
struct isx_pings_timer;
struct isx_pings_timer *isx_pings_timer_start(struct isx_node *n);
void isx_pings_timer_stop(struct isx_pings_timer *t);

#endif
