/*
 * The node's transparency log (issue 4): signed checkpoints, inclusion and consistency
 * proofs as self-contained JSON documents, their offline verification, and the audit that
 * recomputes the whole log from the stored objects. The tree itself is include/isx/merkle.h;
 * its nodes live in the store.
 *
 * A proof document is everything needed to check a claim without the node:
 *   {"kind":"inclusion","origin","index","size","object_hash","path":[b64…],
 *    "checkpoint":"<signed note>","object":{envelope, optional}}
 *   {"kind":"consistency","origin","old":"<signed note>","new":"<signed note>","path":[b64…]}
 */
#ifndef ISX_LOG_H
#define ISX_LOG_H

#include <stdint.h>

#include <jansson.h>

#include "isx/buf.h"
#include "isx/node.h"
#include "isx/note.h"

/*
 * Signs and keeps a checkpoint of the log as it is now, unless one of this size exists and
 * `force` is 0. *size (may be NULL) receives the size it covers.
 */
int isx_log_checkpoint(struct isx_node *n, int force, uint64_t *size);

/* This node's verifier key: "<name>+<key id>+<base64(0x01 || public key)>". */
int isx_log_vkey(struct isx_node *n, struct isx_buf *out);

/*
 * An inclusion proof for the object `ref` (an object id: its current version; or the hex of
 * an object hash) against the checkpoint of `size` (0: the latest). The object must be in
 * that checkpoint. With `with_object`, the envelope is carried in the document.
 */
int isx_log_inclusion(struct isx_node *n, const char *ref, uint64_t size, int with_object,
                      json_t **out, struct isx_diag *d);

/* A consistency proof between the checkpoints of sizes `from` and `to` (0: the latest). */
int isx_log_consistency(struct isx_node *n, uint64_t from, uint64_t to, json_t **out,
                        struct isx_diag *d);

/*
 * Checks a proof document offline against `key` (the log's verifier key) and describes what
 * it proved: {"proved": true, "kind", "origin", "index", "size", "root", ...}. A failed check
 * is an error with `d` naming the part that does not hold.
 */
int isx_log_verify_doc(const json_t *doc, const struct isx_note_verifier *key, json_t **result,
                       struct isx_diag *d);

/*
 * Recomputes the log from the stored objects and compares: each object's hash with its
 * content, each stored leaf with its object, the order, and every checkpoint's root and
 * signature. *report: {"objects","leaves","checkpoints","ok","findings":[{"kind","index"|
 * "size","detail"}]} with kind one of changed, removed, reordered, extra, checkpoint.
 */
int isx_log_audit(struct isx_node *n, json_t **report);

/* The checkpoint timer: issues a checkpoint every `interval` seconds when the log grew. */
struct isx_log_timer;
int isx_log_timer_start(struct isx_node *n, unsigned interval, struct isx_log_timer **out);
void isx_log_timer_stop(struct isx_log_timer *t);

#endif
