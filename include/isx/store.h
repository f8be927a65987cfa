/*
 * The store: where a node keeps its objects, the projections the API queries, its users and
 * its audit trail (ARCHITECTURE.md §5). This header is the whole interface; backends live in
 * src/store/ (sqlite.c is the embedded default). Nothing outside src/store/ sees SQL.
 *
 * Writes go through one writer connection under a lock; readers take connections from a
 * small pool, so reads never wait for a write (SQLite WAL).
 */
#ifndef ISX_STORE_H
#define ISX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/auth.h"
#include "isx/buf.h"
#include "isx/object.h"

struct isx_store;
struct isx_merkle_addr;

/* Opens (and with `create`, creates) the database at `path` and applies pending migrations. */
int isx_store_open(const char *path, int create, struct isx_store **out);
void isx_store_close(struct isx_store *s);
/* The schema version after migrations. */
int isx_store_schema_version(struct isx_store *s);

/* Who made a change and what it was, recorded beside every object a node accepts. */
struct isx_change {
    const char *actor;  /* user name, or "peer:<party>" */
    const char *action; /* "create", "update", "retire", "import", "init" */
};

/*
 * Stores a signed object, updates its projection and records the change, in one
 * transaction. Idempotent by hash: an object already stored returns ISX_EEXISTS and changes
 * nothing. When `expect_version` is non-NULL the current version of the id must be exactly
 * that (NULL expect with `must_be_new` set requires the id to be unknown), else ISX_ECONFLICT.
 */
int isx_store_put(struct isx_store *s, const struct isx_object *o, const struct isx_change *change,
                  const char *expect_version, int must_be_new);
/*
 * Stores several objects in one transaction, so one commit (one fsync) covers them all: each
 * as isx_store_put with no expected version would, with its own outcome in rcs[i] (0,
 * ISX_EEXISTS or its error), and an object that fails leaves no trace while the others are
 * kept. Returns 0 when the transaction committed; otherwise a negative ISX_E* and nothing of
 * it was stored, whatever rcs[] say.
 */
int isx_store_put_many(struct isx_store *s, struct isx_object *const *objs, size_t count,
                       const struct isx_change *change, int *rcs);

/* The canonical bytes of the current (or the given) version of `id`; ISX_ENOTFOUND. */
int isx_store_get(struct isx_store *s, const char *id, const char *version, struct isx_buf *out);
/* The canonical bytes of the object with this SHA-256. */
int isx_store_get_by_hash(struct isx_store *s, const uint8_t hash[32], struct isx_buf *out);
/* [{"version","hash","recorded_at","actor","action"}...] oldest first. */
int isx_store_versions(struct isx_store *s, const char *id, json_t **out);

/* A directory query; NULL fields do not filter. */
struct isx_dir_query {
    const char *type; /* required: party | authority | poc */
    const char *party;
    const char *kind;      /* poc kind or authority category */
    const char *direction; /* authorities handling this direction */
    const char *language;  /* contacts working in this language */
    const char *authority; /* contacts of this authority */
    const char *text;      /* case-insensitive substring of names and channels */
    int include_retired;
    const char *after; /* cursor: the last id of the previous page */
    size_t limit;      /* 1..500 */
};

/*
 * Lists current versions matching `q` in id order: *items is a new array of envelopes,
 * *next the id to pass as `after` for the next page (NULL on the last page; free()).
 */
int isx_store_dir_list(struct isx_store *s, const struct isx_dir_query *q, json_t **items,
                       char **next);

/* A report query (docs/reports-api-contract.md); NULL fields do not filter. */
struct isx_report_query {
    const char *threat;
    const char *feature;
    const char *severity;
    const char *status;
    const char *sector;
    const char *origin;
    const char *since;          /* RFC 3339, inclusive */
    const char *until;          /* RFC 3339, inclusive */
    const char *indicator_type; /* with indicator_value: reports carrying this indicator */
    const char *indicator_value;
    const char *text;
    int include_red; /* 0 leaves TLP:RED reports out (observers) */
    const char *after;
    size_t limit;
};

int isx_store_report_list(struct isx_store *s, const struct isx_report_query *q, json_t **items,
                          char **next);

/* One value to look up: its canonical type and value; for an address, its bytes. */
struct isx_lookup_key {
    const char *type;
    const char *value;
    int family; /* 4 or 6 for a single address (also matched against ranges), else 0 */
    uint8_t addr[16];
};

/*
 * For each key, a new array of the reports that carry it (exact) or a range containing it:
 * [{"id","version","origin","threat","severity","status","tlp","title","match","indicator"}].
 * *results is a new array of n arrays, in key order.
 */
int isx_store_lookup(struct isx_store *s, const struct isx_lookup_key *keys, size_t n,
                     int include_red, json_t **results);

/*
 * The transparency log (issue 4). Leaf i is the (i+1)-th object the node accepted: its leaf
 * hash is SHA-256(0x00 || object hash), appended in the same transaction that stores the
 * object. Nodes are kept by (level, index) (include/isx/merkle.h), so appends and proofs
 * cost O(log n) reads.
 */
int isx_store_log_size(struct isx_store *s, uint64_t *size);
/* isx_merkle_get_fn over the stored nodes (ctx = the store). */
int isx_store_log_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);
/*
 * isx_merkle_get_many_fn over the stored nodes (ctx = the store): the n addresses' nodes into
 * out[0..n), in order, with at most one query for those not already cached, so that
 * isx_merkle_inclusion_proof_batch costs one query per proof. ISX_EINVAL for n above
 * ISX_MERKLE_MAX_NODES or an address no tree can have (level >= 64, index >= 2^63);
 * ISX_ENOTFOUND when any node is not stored. out is written only on success.
 */
int isx_store_log_nodes(void *ctx, const struct isx_merkle_addr *addrs, size_t n,
                        uint8_t (*out)[32]);
/* The leaf index of the object with this hash, or of the current version of this id. */
int isx_store_log_index_of_hash(struct isx_store *s, const uint8_t hash[32], uint64_t *index);
int isx_store_log_index_of_id(struct isx_store *s, const char *id, uint64_t *index,
                              uint8_t hash[32]);

/* Signed checkpoints: every one ever issued is kept. */
int isx_store_checkpoint_add(struct isx_store *s, uint64_t size, const char *note);
/* The note of the checkpoint of exactly `size`, or (size 0) the latest; *note malloc'd. */
int isx_store_checkpoint_get(struct isx_store *s, uint64_t size, char **note, uint64_t *got_size);
/* The first checkpoint whose size exceeds `index` (the one that covers that leaf). */
int isx_store_checkpoint_covering(struct isx_store *s, uint64_t index, char **note,
                                  uint64_t *got_size);

/* What `isx log audit` walks: objects in acceptance order, stored leaves, checkpoints. */
typedef int (*isx_store_object_fn)(void *ctx, int64_t seq, const uint8_t stored_hash[32],
                                   const void *canonical, size_t len);
int isx_store_objects_scan(struct isx_store *s, isx_store_object_fn fn, void *ctx);
typedef int (*isx_store_checkpoint_fn)(void *ctx, uint64_t size, const char *note);
int isx_store_checkpoints_scan(struct isx_store *s, isx_store_checkpoint_fn fn, void *ctx);

/*
 * Federation (issue 5, src/store/peers.c). A peer is a node of another party: where it
 * answers, the keys it signs with and seals to, and how far delivery has gone each way. The
 * cursors are log positions: `push_cursor` in this node's log (every leaf below it has been
 * offered to the peer), `pull_cursor` in the peer's log (every leaf below it has been taken).
 */
struct isx_peer {
    char party[4];
    char url[256];
    char name[256];    /* the peer node's name: its key name and log origin */
    char sign_key[48]; /* base64 Ed25519 public key */
    char key_id[9];    /* signed-note key id of (name, sign_key) */
    char box_key[48];  /* base64 X25519 public key */
    int relay;         /* forwards sealed objects to parties this node does not reach */
    char added_at[32];
    uint64_t push_cursor;
    uint64_t pull_cursor;
    int64_t sent, received, refused;
    char last_contact[32]; /* empty: never */
    char last_error[256];  /* empty: none since the last success */
    char last_error_at[32];
    int64_t witnessed_size; /* -1: no checkpoint of the peer seen yet */
};

/* Adds a peer or replaces its address and keys; cursors and counters stay. */
int isx_store_peer_put(struct isx_store *s, const struct isx_peer *p, const char *actor);
int isx_store_peer_get(struct isx_store *s, const char *party, struct isx_peer *out);
/* All peers by party code; *out malloc'd (free()), *n entries. */
int isx_store_peer_list(struct isx_store *s, struct isx_peer **out, size_t *n);
int isx_store_peer_remove(struct isx_store *s, const char *party);

/* What one exchange with a peer changed; a cursor of 0 leaves that cursor as it is. */
struct isx_peer_progress {
    uint64_t push_cursor;
    uint64_t pull_cursor;
    int64_t sent, received, refused;
    const char *error; /* NULL: the exchange succeeded (sets last_contact, clears last_error) */
    int inbound;       /* the peer called us: counters only; contact and error are ours to judge */
};
int isx_store_peer_progress(struct isx_store *s, const char *party,
                            const struct isx_peer_progress *pr);

/* The last checkpoint of the peer's log this node verified (witnessing); *note malloc'd. */
int isx_store_peer_witnessed(struct isx_store *s, const char *party, uint64_t size,
                             const char *note);
int isx_store_peer_witness_note(struct isx_store *s, const char *party, char **note,
                                uint64_t *size);

/* Alarms: a peer showed two views of its log that cannot both be true. Kept as evidence. */
int isx_store_alarm_add(struct isx_store *s, const char *peer, const char *kind, const char *detail,
                        const json_t *evidence);
/* [{"id","at","peer","kind","detail","evidence"}...] newest first. */
int isx_store_alarm_list(struct isx_store *s, json_t **out);
int isx_store_alarm_count(struct isx_store *s, int64_t *count);

/* Cosignatures witnesses made of this node's checkpoint of `size` (note signature lines). */
int isx_store_cosig_add(struct isx_store *s, uint64_t size, const char *witness, const char *line);
/* The lines for `size`, as a new array of strings. */
int isx_store_cosig_list(struct isx_store *s, uint64_t size, json_t **lines);

/*
 * One leaf of the log as delivery walks it: the object's stored row, borrowed for the call.
 * The origin and type come from the row, so a walker can pass over objects without parsing
 * their canonical bytes.
 */
struct isx_store_leaf {
    int64_t seq;
    const uint8_t *hash; /* 32 bytes */
    const char *type;
    const char *origin;
    const void *canonical;
    size_t len;
};
typedef int (*isx_store_leaf_fn)(void *ctx, const struct isx_store_leaf *leaf);
/*
 * Objects in log order from leaf `after` on (seq > after), at most `limit`. fn returns 0 to go
 * on, a negative ISX_E* to fail, or a positive value to stop early, which is returned as is.
 */
int isx_store_log_range(struct isx_store *s, uint64_t after, size_t limit, isx_store_leaf_fn fn,
                        void *ctx);
/* The latest release naming `party` for the object with this hash; its canonical bytes. */
int isx_store_release_find(struct isx_store *s, const uint8_t hash[32], const char *party,
                           struct isx_buf *out);
/* The clear body this node kept for a sealed object it opened (ISX_ENOTFOUND if none). */
int isx_store_opened_get(struct isx_store *s, const uint8_t hash[32], json_t **body);

/*
 * The current version of every object of `type`, in id order, as the API shows them (a
 * sealed object this node opened carries its body beside "sealed"): a new array in *items.
 * For the kinds of objects that stay few (requests, pings, consultations, notifications),
 * whose state is computed from all of them at once. At most `limit` (1..100000).
 */
int isx_store_type_list(struct isx_store *s, const char *type, size_t limit, json_t **items);

/* Rebuilds every projection from the stored objects; *count = objects replayed. */
int isx_store_reindex(struct isx_store *s, size_t *count);

/* Number of stored objects (all versions). */
int isx_store_count(struct isx_store *s, int64_t *count);

/* Users. The token hash is the only trace of a token the store keeps. */
int isx_store_user_add(struct isx_store *s, const char *name, enum isx_role role,
                       const uint8_t token_hash[32], const char *actor);
int isx_store_user_by_token(struct isx_store *s, const uint8_t token_hash[32],
                            struct isx_user *out);
/* [{"name","role","created_at","created_by"}...] */
int isx_store_user_list(struct isx_store *s, json_t **out);

/* Node settings that live with the data ("party", "name", ...). *value: malloc'd string. */
int isx_store_meta_get(struct isx_store *s, const char *key, char **value);
int isx_store_meta_set(struct isx_store *s, const char *key, const char *value);

#endif
