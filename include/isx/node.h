/*
 * A node: its directory on disk (isx.conf, keys/, the database), its store, its signer and
 * its identity. `isx init` creates one; isxd and the local CLI verbs open one.
 *
 *   <dir>/isx.conf        configuration (include/isx/config.h)
 *   <dir>/keys/sign.key   Ed25519 signing key, mode 0600
 *   <dir>/keys/box.key    X25519 encryption key, mode 0600
 *   <dir>/admin.token     the first admin's token, mode 0600, so `make run` can show it again
 *   <dir>/isx.db          the SQLite store
 */
#ifndef ISX_NODE_H
#define ISX_NODE_H

#include <stdint.h>

#include <jansson.h>

#include "isx/auth.h"
#include "isx/config.h"
#include "isx/object.h"
#include "isx/sign.h"
#include "isx/store.h"

struct isx_fed;

struct isx_node {
    char dir[ISX_CONFIG_PATH_MAX];
    struct isx_config cfg;
    struct isx_store *store;
    struct isx_signer *signer;
    struct isx_box_key *box; /* opens what is sealed for this party; owned */
    struct isx_fed *fed;     /* the running federation (isxd), or NULL; not owned */
    uint8_t sign_pk[ISX_SIGN_PUBLIC_LEN];
    uint8_t box_pk[ISX_BOX_PUBLIC_LEN];
    int64_t started_ms;
};

/*
 * Creates a node in `dir` (which must not hold one): keys, config, database, the founding
 * parties' entries, this party's own keys in its party entry, and an admin user whose token
 * is written to <dir>/admin.token and returned in `token`.
 */
int isx_node_create(const char *dir, const char *party, const char *name,
                    char token[ISX_TOKEN_LEN + 1], struct isx_diag *d);

/*
 * Opens the node in `dir`. Refuses key files readable by others (ISX_EPERM). With
 * `spawn_signer` and the config allowing it, the signing key moves into a separate signer
 * process.
 */
int isx_node_open(const char *dir, int spawn_signer, struct isx_node **out, struct isx_diag *d);
void isx_node_free(struct isx_node *n);

/*
 * Builds, checks, signs and stores a new object (or a new version of `id`). Takes ownership
 * of `marking` and `body`. `expect_version` is the version being replaced (NULL for a new
 * object). On success *out (may be NULL) receives the stored object.
 */
int isx_node_publish(struct isx_node *n, const char *type, const char *id, json_t *marking,
                     json_t *body, const struct isx_change *change, const char *expect_version,
                     struct isx_object **out, struct isx_diag *d);

/*
 * The X25519 public key that seals for `party`: this node's own, a peer's, or the one in the
 * party's directory entry. ISX_EKEY when none is known.
 */
int isx_node_box_key_of(struct isx_node *n, const char *party, uint8_t pk[ISX_BOX_PUBLIC_LEN]);

/*
 * Reads the current version of `id` as an object; ISX_ENOTFOUND. A sealed object this node
 * opened carries its clear body in o->opened.
 */
int isx_node_get(struct isx_node *n, const char *id, const char *version, struct isx_object **out);

/*
 * Key lookup for isx_object_verify: this node's key, a peer's key (added by an operator), or
 * the keys in a party's directory entry (the party's own, or the depositary's signed one).
 */
int isx_node_keyfn(void *ctx, const char *origin, const char *key_id,
                   uint8_t pk[ISX_SIGN_PUBLIC_LEN]);

/* Loads directory entries for this node's party from an examples file (see examples/). */
int isx_node_load_examples(struct isx_node *n, const char *path, size_t *count, struct isx_diag *d);

/* Reads a whole file (at most `max` bytes) into `out`. */
int isx_file_read(const char *path, size_t max, struct isx_buf *out);

#endif
