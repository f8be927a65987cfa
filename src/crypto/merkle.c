/*
 * The RFC 9162 Merkle tree over a store of complete-subtree nodes: appends, roots, inclusion
 * and consistency proofs, and their verifiers. This file owns no storage; it reads and
 * writes nodes only through the caller's callbacks.
 *
 * Invariants: a node (level, index) is read only when the tree size the caller named
 * contains all of its leaves, so proofs for an old size stay correct however far the log has
 * grown since; every subtree the RFC recursion visits starts at a multiple of its own largest
 * power of two, so its peaks are stored nodes; proofs are built in a local array and copied
 * out only on success; sizes never exceed ISX_MERKLE_MAX_SIZE, so no level reaches 64 and
 * every shift below is defined.
 */
#include <stdbool.h>
#include <string.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/merkle.h"

#define HLEN ISX_MERKLE_HASH_LEN

void
isx_merkle_leaf_hash(const void *data, size_t len, uint8_t out[HLEN])
{
    static const uint8_t prefix = 0x00;
    struct isx_sha256_ctx c;

    isx_sha256_init(&c);
    isx_sha256_update(&c, &prefix, 1);
    isx_sha256_update(&c, data, len);
    isx_sha256_final(&c, out);
}

void
isx_merkle_node_hash(const uint8_t left[HLEN], const uint8_t right[HLEN], uint8_t out[HLEN])
{
    uint8_t in[1 + 2 * HLEN];

    /* One contiguous 65-byte input hashes in a single call, which matters for appends and
     * verification at scale; copying first also makes out safe to alias an input. */
    in[0] = 0x01;
    memcpy(in + 1, left, HLEN);
    memcpy(in + 1 + HLEN, right, HLEN);
    isx_sha256(in, sizeof(in), out);
}

void
isx_merkle_empty_root(uint8_t out[HLEN])
{
    isx_sha256("", 0, out);
}

/* The largest power of two strictly below s, for s >= 2: RFC 9162's split point k. The
 * builtins exist in GCC and Clang, the compilers the build supports; s - 1 >= 1 keeps
 * __builtin_clzll defined. */
static uint64_t
split_point(uint64_t s)
{
    return UINT64_C(1) << (63 - __builtin_clzll(s - 1));
}

static unsigned
level_of(uint64_t pow2)
{
    return (unsigned)__builtin_ctzll(pow2);
}

/*
 * The root of the subtree over leaves [start, start + count), count >= 1, where start is a
 * multiple of the largest power of two in count. Its peaks are the stored nodes for the one
 * bits of count, left to right from the largest; RFC 9162's left-full split makes the root
 * the right-to-left fold H(peak1, H(peak2, ... H(peak_{p-1}, peak_p))). Folding from the
 * lowest bit upwards needs no list of peaks: the peak for bit L starts after the leaves of
 * all larger peaks. One read per peak.
 */
static int
range_root(uint64_t start, uint64_t count, isx_merkle_get_fn get, void *ctx, uint8_t out[HLEN])
{
    uint8_t acc[HLEN], peak[HLEN];
    bool have = false;
    unsigned level;
    int rc;

    for (level = 0; level < 64; level++) {
        uint64_t bit = UINT64_C(1) << level, above;

        if ((count & bit) == 0)
            continue;
        /* Leaves held by larger peaks. At level 63, bit << 1 wraps to 0 and the mask to 0,
         * which is right: no peak is larger. */
        above = count & ~((bit << 1) - 1);
        rc = get(ctx, level, (start + above) >> level, have ? peak : acc);
        if (rc != 0)
            return rc;
        if (have)
            isx_merkle_node_hash(peak, acc, acc);
        have = true;
    }
    memcpy(out, acc, HLEN);
    return 0;
}

int
isx_merkle_append(uint64_t size, const uint8_t leaf[HLEN], isx_merkle_get_fn get, void *ctx,
                  isx_merkle_put_fn put, void *pctx)
{
    uint8_t node[HLEN], left[HLEN];
    unsigned level;
    int rc;

    if (size >= ISX_MERKLE_MAX_SIZE || leaf == NULL || get == NULL || put == NULL)
        return ISX_EINVAL;
    rc = put(pctx, 0, size, leaf);
    if (rc != 0)
        return rc;
    memcpy(node, leaf, HLEN);
    /* Leaf `size` completes the node at level L + 1 exactly when it is the right child at
     * every level up to L, i.e. when the low L + 1 bits of size are all ones. The right child
     * is the node just computed; only the left sibling has to be read. */
    for (level = 0; ((size >> level) & 1) != 0; level++) {
        rc = get(ctx, level, (size >> level) - 1, left);
        if (rc != 0)
            return rc;
        isx_merkle_node_hash(left, node, node);
        rc = put(pctx, level + 1, size >> (level + 1), node);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
isx_merkle_root(uint64_t size, isx_merkle_get_fn get, void *ctx, uint8_t out[HLEN])
{
    if (size > ISX_MERKLE_MAX_SIZE || get == NULL || out == NULL)
        return ISX_EINVAL;
    if (size == 0) {
        isx_merkle_empty_root(out);
        return 0;
    }
    return range_root(0, size, get, ctx, out);
}

/* Copies the entries, which the descent found root first, out leaf first as RFC 9162 lists
 * them. */
static void
emit_reversed(uint8_t (*tmp)[HLEN], size_t n, uint8_t (*path)[HLEN], size_t *pathlen)
{
    size_t i;

    for (i = 0; i < n; i++)
        memcpy(path[i], tmp[n - 1 - i], HLEN);
    *pathlen = n;
}

int
isx_merkle_inclusion_proof(uint64_t index, uint64_t size, isx_merkle_get_fn get, void *ctx,
                           uint8_t (*path)[HLEN], size_t *pathlen)
{
    uint8_t tmp[ISX_MERKLE_MAX_PATH][HLEN];
    uint64_t a = 0, b = size;
    size_t n = 0;
    int rc;

    if (index >= size || size > ISX_MERKLE_MAX_SIZE || get == NULL || path == NULL ||
        pathlen == NULL)
        return ISX_EINVAL;
    /* PATH(m, D[a:b]) iteratively: each step keeps the half holding the leaf and records the
     * other half's root. The left half [a, a + k) is always a complete, stored node. The
     * right half is complete too once the descent is inside a complete subtree; before that it
     * is the tail of the tree and its root is folded from its peaks, which happens at most
     * once because the first step to the left enters a complete subtree. */
    while (b - a > 1) {
        uint64_t k = split_point(b - a);

        if (index < a + k) {
            rc = range_root(a + k, b - a - k, get, ctx, tmp[n]);
            b = a + k;
        } else {
            rc = get(ctx, level_of(k), a >> level_of(k), tmp[n]);
            a += k;
        }
        if (rc != 0)
            return rc;
        n++;
    }
    emit_reversed(tmp, n, path, pathlen);
    return 0;
}

int
isx_merkle_consistency_proof(uint64_t m, uint64_t n, isx_merkle_get_fn get, void *ctx,
                             uint8_t (*path)[HLEN], size_t *pathlen)
{
    uint8_t tmp[ISX_MERKLE_MAX_PATH][HLEN];
    uint64_t a = 0, b = n;
    bool whole = true; /* RFC 9162's b: [a, m) is still the whole old tree */
    size_t len = 0;
    int rc;

    if (m > n || n > ISX_MERKLE_MAX_SIZE || get == NULL || path == NULL || pathlen == NULL)
        return ISX_EINVAL;
    if (m == 0 || m == n) {
        *pathlen = 0;
        return 0;
    }
    /* SUBPROOF(m, D[a:b], whole) iteratively, with m absolute: a < m <= b throughout. As for
     * inclusion, only the first step to the left can need a right half that is not stored. */
    while (b != m) {
        uint64_t k = split_point(b - a);

        if (m - a <= k) {
            rc = range_root(a + k, b - a - k, get, ctx, tmp[len]);
            b = a + k;
        } else {
            rc = get(ctx, level_of(k), a >> level_of(k), tmp[len]);
            a += k;
            whole = false;
        }
        if (rc != 0)
            return rc;
        len++;
    }
    /* SUBPROOF(m, D[m], false) = [MTH(D[a:m])]. The verifier supplies the old root itself
     * when the old tree is a complete subtree of the new one. [a, m) is complete here: the
     * loop ends only after a step to the left, into a complete subtree. */
    if (!whole) {
        rc = range_root(a, m - a, get, ctx, tmp[len]);
        if (rc != 0)
            return rc;
        len++;
    }
    emit_reversed(tmp, len, path, pathlen);
    return 0;
}

int
isx_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[HLEN],
                            const uint8_t *path, size_t pathlen, const uint8_t root[HLEN])
{
    uint8_t r[HLEN];
    uint64_t fn, sn;
    size_t i;
    int ok;

    if (index >= size || pathlen > ISX_MERKLE_MAX_PATH || leaf == NULL || root == NULL ||
        (path == NULL && pathlen > 0))
        return ISX_EINVAL;
    fn = index;
    sn = size - 1;
    memcpy(r, leaf, HLEN);
    /* fn and sn walk the positions of the proven node and of the last node up the tree. A
     * node that is last on its level (fn == sn) has no right sibling, and the left-full split
     * carries it up unchanged until it is a right child: the entry joins it from the left,
     * and the levels it was carried through are skipped. */
    for (i = 0; i < pathlen; i++) {
        const uint8_t *p = path + i * HLEN;

        if (sn == 0)
            return ISX_ESIG;
        if ((fn & 1) != 0 || fn == sn) {
            isx_merkle_node_hash(p, r, r);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            isx_merkle_node_hash(r, p, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    /* Both checks always run, as separate statements, so the time taken does not say which
     * one failed. */
    ok = sn == 0;
    ok &= isx_memcmp_ct(r, root, HLEN) == 0;
    return ok ? 0 : ISX_ESIG;
}

int
isx_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[HLEN],
                              const uint8_t root_n[HLEN], const uint8_t *path, size_t pathlen)
{
    uint8_t fr[HLEN], sr[HLEN], empty[HLEN];
    const uint8_t *seed;
    uint64_t fn, sn;
    size_t i;
    int ok;

    if (m > n || pathlen > ISX_MERKLE_MAX_PATH || root_m == NULL || root_n == NULL ||
        (path == NULL && pathlen > 0))
        return ISX_EINVAL;
    if (m == n)
        return pathlen == 0 && isx_memcmp_ct(root_m, root_n, HLEN) == 0 ? 0 : ISX_ESIG;
    /* The empty tree is a prefix of every tree, but only a root that really is the empty
     * root describes it; anything else claims leaves a tree of size 0 cannot have. */
    if (m == 0) {
        isx_merkle_empty_root(empty);
        return pathlen == 0 && isx_memcmp_ct(root_m, empty, HLEN) == 0 ? 0 : ISX_ESIG;
    }
    if (pathlen == 0)
        return ISX_ESIG;
    /* When the old tree is a complete subtree of the new one the proof leaves out its root,
     * which the verifier already has; otherwise the proof's first entry is the node the two
     * trees share at the old tree's right edge. */
    i = 0;
    if ((m & (m - 1)) == 0) {
        seed = root_m;
    } else {
        seed = path;
        i = 1;
    }
    fn = m - 1;
    sn = n - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, seed, HLEN);
    memcpy(sr, seed, HLEN);
    for (; i < pathlen; i++) {
        const uint8_t *c = path + i * HLEN;

        if (sn == 0)
            return ISX_ESIG;
        if ((fn & 1) != 0 || fn == sn) {
            isx_merkle_node_hash(c, fr, fr);
            isx_merkle_node_hash(c, sr, sr);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            isx_merkle_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    ok = sn == 0;
    ok &= isx_memcmp_ct(fr, root_m, HLEN) == 0;
    ok &= isx_memcmp_ct(sr, root_n, HLEN) == 0;
    return ok ? 0 : ISX_ESIG;
}
