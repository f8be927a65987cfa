/*
 * The Merkle tree of the transparency log: RFC 9162 §2.1 hashing over SHA-256, and inclusion
 * and consistency proofs, independent of any storage.
 *
 * The tree is held as its complete subtrees. The node at (level L, index i) is the root of the
 * complete subtree over leaves [i * 2^L, (i + 1) * 2^L); it exists, and never changes, once the
 * log holds those leaves. Level 0 holds the leaf hashes. A store keeps these nodes under their
 * (level, index) address and hands them to the functions below through `isx_merkle_get_fn`;
 * appends write new ones through `isx_merkle_put_fn`. No function reads a node that a tree of
 * the size it was given does not contain, so a store can answer for any past size from the
 * same nodes.
 *
 * Cost in node reads, where d = ceil(log2(size)) and p = the number of one bits in size (the
 * "peaks": the complete subtrees the size decomposes into), so p <= d + 1:
 *   append               at most d reads (the left siblings it completes) and d + 1 puts;
 *   root                 p reads;
 *   inclusion proof      at most d + p - 1 reads;
 *   consistency proof    at most d + p reads.
 * Each proof entry is one stored node, except at most one entry per proof that is the root of
 * an incomplete subtree; that root is not stored but folded from its own peaks (at most p - 1
 * reads), which is where the p term comes from. At ten million leaves d = 24. The batched
 * inclusion proof reads the same nodes, in one call of the store's isx_merkle_get_many_fn.
 *
 * Functions return 0 or a negative ISX_E* code. A store's own error codes pass through.
 */
#ifndef ISX_MERKLE_H
#define ISX_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define ISX_MERKLE_HASH_LEN 32
/* The longest proof produced or accepted; a longer one is refused before any hashing. */
#define ISX_MERKLE_MAX_PATH 64
/* The largest tree size: levels then stay below 64, so shifts by a level are defined. */
#define ISX_MERKLE_MAX_SIZE (UINT64_C(1) << 63)

/*
 * Reads the node at (level, index) into out. Returns 0, or a negative ISX_E* code (a missing
 * node should be ISX_ENOTFOUND or ISX_ESTORE), which the caller returns unchanged.
 */
typedef int (*isx_merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
                                 uint8_t out[ISX_MERKLE_HASH_LEN]);
/* Stores the node at (level, index). Returns 0 or a negative ISX_E* code. */
typedef int (*isx_merkle_put_fn)(void *ctx, unsigned level, uint64_t index,
                                 const uint8_t hash[ISX_MERKLE_HASH_LEN]);

/* The address of one stored node: the root of leaves [index * 2^level, (index + 1) * 2^level). */
struct isx_merkle_addr {
    unsigned level;
    uint64_t index;
};

/*
 * Room for the nodes of any one inclusion proof: d + p - 1 is at most 125 for sizes up to
 * ISX_MERKLE_MAX_SIZE (2^63 - 1 has d = 63 and p = 63). A batch of node reads is never longer.
 */
#define ISX_MERKLE_MAX_NODES 128

/*
 * Reads the n nodes at addrs[0..n) into out[0..n), in the same order, all at once, so that a
 * store can answer a whole proof with one query. n is at most ISX_MERKLE_MAX_NODES; an
 * address may appear more than once. Returns 0, or a negative ISX_E* code (a missing node
 * should be ISX_ENOTFOUND or ISX_ESTORE), which the caller returns unchanged.
 */
typedef int (*isx_merkle_get_many_fn)(void *ctx, const struct isx_merkle_addr *addrs, size_t n,
                                      uint8_t (*out)[ISX_MERKLE_HASH_LEN]);

/* SHA-256(0x00 || data): the hash of one log entry. */
void isx_merkle_leaf_hash(const void *data, size_t len, uint8_t out[ISX_MERKLE_HASH_LEN]);
/* SHA-256(0x01 || left || right). out may alias left or right. */
void isx_merkle_node_hash(const uint8_t left[ISX_MERKLE_HASH_LEN],
                          const uint8_t right[ISX_MERKLE_HASH_LEN],
                          uint8_t out[ISX_MERKLE_HASH_LEN]);
/* SHA-256 of the empty string: the root of the empty tree. */
void isx_merkle_empty_root(uint8_t out[ISX_MERKLE_HASH_LEN]);

/*
 * Appends the leaf hash `leaf` to a tree of `size` leaves: puts (0, size), then every node the
 * new leaf completes, lowest level first. A failed put or get leaves some of these written;
 * the caller runs the append inside the transaction that stores the entry and rolls it back.
 * ISX_EINVAL when size is already ISX_MERKLE_MAX_SIZE.
 */
int isx_merkle_append(uint64_t size, const uint8_t leaf[ISX_MERKLE_HASH_LEN], isx_merkle_get_fn get,
                      void *ctx, isx_merkle_put_fn put, void *pctx);

/* The root of the tree of `size` leaves (the empty root for 0). */
int isx_merkle_root(uint64_t size, isx_merkle_get_fn get, void *ctx,
                    uint8_t out[ISX_MERKLE_HASH_LEN]);

/*
 * The RFC 9162 inclusion proof PATH(index, D[size]), from the leaf up. `path` has room for
 * ISX_MERKLE_MAX_PATH hashes; *pathlen gets the number written. ISX_EINVAL unless
 * index < size <= ISX_MERKLE_MAX_SIZE.
 */
int isx_merkle_inclusion_proof(uint64_t index, uint64_t size, isx_merkle_get_fn get, void *ctx,
                               uint8_t (*path)[ISX_MERKLE_HASH_LEN], size_t *pathlen);

/*
 * The same proof as isx_merkle_inclusion_proof, from the same nodes, but read with one call
 * to `get`: the proof's node addresses are listed first (no read depends on another, since
 * the descent follows from index and size alone), then fetched together, then combined.
 * Arguments and errors as for isx_merkle_inclusion_proof.
 */
int isx_merkle_inclusion_proof_batch(uint64_t index, uint64_t size, isx_merkle_get_many_fn get,
                                     void *ctx, uint8_t (*path)[ISX_MERKLE_HASH_LEN],
                                     size_t *pathlen);

/*
 * The RFC 9162 consistency proof PROOF(m, D[n]) that the tree of m leaves is a prefix of the
 * tree of n leaves. Empty when m == 0 or m == n; ISX_EINVAL when m > n or n is too large.
 * `path` and *pathlen as for the inclusion proof.
 */
int isx_merkle_consistency_proof(uint64_t m, uint64_t n, isx_merkle_get_fn get, void *ctx,
                                 uint8_t (*path)[ISX_MERKLE_HASH_LEN], size_t *pathlen);

/*
 * Verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2). `path` is `pathlen` hashes back to back: pass
 * a uint8_t[][32] array as `path[0]` (ISO C before C23 does not convert a pointer to
 * non-const arrays into one to const arrays). They need no store and compare roots in
 * constant time. Return 0 when the proof holds, ISX_ESIG when it does not, and ISX_EINVAL for
 * arguments no proof can satisfy: index >= size, m > n, or pathlen > ISX_MERKLE_MAX_PATH.
 */
int isx_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                const uint8_t leaf[ISX_MERKLE_HASH_LEN], const uint8_t *path,
                                size_t pathlen, const uint8_t root[ISX_MERKLE_HASH_LEN]);

/*
 * A tree of size 0 is a prefix of every tree: with m == 0 the proof must be empty and root_m
 * must be the empty root. With m == n the proof must be empty and the roots equal.
 */
int isx_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[ISX_MERKLE_HASH_LEN],
                                  const uint8_t root_n[ISX_MERKLE_HASH_LEN], const uint8_t *path,
                                  size_t pathlen);

#endif
