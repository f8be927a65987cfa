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
 * every shift below is defined. An inclusion proof lists every node it needs before reading
 * any (inclusion_plan), so the per-node and the batched proof read exactly the same nodes and
 * differ only in how many calls the store sees. The only state is a small per-thread memory of
 * recent folds, keyed by the hashes folded, so it can never answer for other nodes.
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
 * The peaks of the subtree over leaves [start, start + count), count >= 1, where start is a
 * multiple of the largest power of two in count: the stored nodes for the one bits of count.
 * They are listed lowest level first, the order in which fold_peaks combines them; the peak
 * for bit L starts after the leaves of all larger peaks, so no list of larger peaks is needed
 * to place it. Returns how many were written to out (at most 64).
 */
static size_t
range_addrs(uint64_t start, uint64_t count, struct isx_merkle_addr *out)
{
    uint64_t above = count;
    size_t n = 0;

    /* Only the one bits are visited, lowest first: clearing the lowest leaves exactly the
     * leaves held by larger peaks. The loop stops at 0, where __builtin_ctzll is undefined. */
    while (above != 0) {
        unsigned level = (unsigned)__builtin_ctzll(above);

        above &= above - 1;
        out[n].level = level;
        out[n].index = (start + above) >> level;
        n++;
    }
    return n;
}

/*
 * Folds of the same peaks recur: every inclusion proof for a leaf left of a tree's first split
 * folds the same tail of that tree, the costliest part of building it once its nodes are read.
 * A fold is a pure function of its peaks' hashes, so each thread remembers its last few folds
 * keyed by the peaks themselves: a remembered root can never be wrong, whatever store, tree or
 * size the peaks came from, and nothing has to be invalidated. Folds of more than
 * FOLD_MEMO_PEAKS peaks are computed every time.
 */
#define FOLD_MEMO       4
#define FOLD_MEMO_PEAKS 16

struct fold_memo {
    size_t n; /* 0: empty */
    uint8_t peaks[FOLD_MEMO_PEAKS][HLEN];
    uint8_t root[HLEN];
};

static _Thread_local struct fold_memo memo[FOLD_MEMO];
static _Thread_local unsigned memo_next;

/*
 * The root of a subtree from its n >= 1 peaks, lowest first. RFC 9162's left-full split makes
 * it the right-to-left fold H(peak1, H(peak2, ... H(peak_{n-1}, peak_n))) of the peaks in
 * left-to-right order, i.e. a fold starting from the lowest.
 */
static void
fold_peaks(uint8_t (*peaks)[HLEN], size_t n, uint8_t out[HLEN])
{
    uint8_t acc[HLEN];
    struct fold_memo *m;
    size_t i;

    if (n == 1) {
        memcpy(out, peaks[0], HLEN);
        return;
    }
    for (i = 0; n <= FOLD_MEMO_PEAKS && i < FOLD_MEMO; i++)
        if (memo[i].n == n && memcmp(memo[i].peaks, peaks, n * HLEN) == 0) {
            memcpy(out, memo[i].root, HLEN);
            return;
        }
    memcpy(acc, peaks[0], HLEN);
    for (i = 1; i < n; i++)
        isx_merkle_node_hash(peaks[i], acc, acc);
    if (n <= FOLD_MEMO_PEAKS) {
        m = &memo[memo_next++ % FOLD_MEMO];
        m->n = n;
        memcpy(m->peaks, peaks, n * HLEN);
        memcpy(m->root, acc, HLEN);
    }
    memcpy(out, acc, HLEN);
}

/* The root of the subtree over [start, start + count) as range_addrs describes it: one read
 * per peak. */
static int
range_root(uint64_t start, uint64_t count, isx_merkle_get_fn get, void *ctx, uint8_t out[HLEN])
{
    struct isx_merkle_addr addrs[64];
    uint8_t peaks[64][HLEN];
    size_t n = range_addrs(start, count, addrs), i;
    int rc;

    /* Callers never ask for an empty range; refusing one keeps the fold from reading nothing. */
    if (n == 0)
        return ISX_EINVAL;
    for (i = 0; i < n; i++) {
        rc = get(ctx, addrs[i].level, addrs[i].index, peaks[i]);
        if (rc != 0)
            return rc;
    }
    fold_peaks(peaks, n, out);
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

/*
 * The nodes an inclusion proof reads, before any is read: its entries root first, entry e
 * being the fold of counts[e] consecutive addresses (1 for a stored node, the peaks of an
 * incomplete subtree otherwise). Every address lies inside the tree of the proof's size.
 */
struct proof_plan {
    struct isx_merkle_addr addrs[ISX_MERKLE_MAX_NODES];
    uint8_t counts[ISX_MERKLE_MAX_PATH];
    size_t naddrs, nentries;
};

/*
 * PATH(index, D[0:size]) iteratively, for index < size <= ISX_MERKLE_MAX_SIZE: each step keeps
 * the half holding the leaf and records the other half's root. The left half [a, a + k) is
 * always a complete, stored node. The right half is complete too once the descent is inside a
 * complete subtree; before that it is the tail of the tree and its root is folded from its
 * peaks, which happens at most once because the first step to the left enters a complete
 * subtree. So there are at most 63 entries and 63 + 62 addresses, within the plan's arrays.
 */
static void
inclusion_plan(uint64_t index, uint64_t size, struct proof_plan *p)
{
    uint64_t a = 0, b = size;

    p->naddrs = 0;
    p->nentries = 0;
    while (b - a > 1) {
        uint64_t k = split_point(b - a);
        size_t got;

        if (index < a + k) {
            got = range_addrs(a + k, b - a - k, p->addrs + p->naddrs);
            b = a + k;
        } else {
            p->addrs[p->naddrs].level = level_of(k);
            p->addrs[p->naddrs].index = a >> level_of(k);
            got = 1;
            a += k;
        }
        p->naddrs += got;
        p->counts[p->nentries++] = (uint8_t)got;
    }
}

/* Combines the nodes read for a plan (nodes[i] for addrs[i]) into the proof, leaf first as RFC
 * 9162 lists it, while the plan lists entries root first. */
static void
plan_emit(const struct proof_plan *p, uint8_t (*nodes)[HLEN], uint8_t (*path)[HLEN],
          size_t *pathlen)
{
    size_t e, at = p->naddrs;

    for (e = 0; e < p->nentries; e++) {
        size_t entry = p->nentries - 1 - e;

        at -= p->counts[entry];
        fold_peaks(nodes + at, p->counts[entry], path[e]);
    }
    *pathlen = p->nentries;
}

static bool
inclusion_args_ok(uint64_t index, uint64_t size, bool have_get, uint8_t (*path)[HLEN],
                  const size_t *pathlen)
{
    return index < size && size <= ISX_MERKLE_MAX_SIZE && have_get && path != NULL &&
           pathlen != NULL;
}

int
isx_merkle_inclusion_proof(uint64_t index, uint64_t size, isx_merkle_get_fn get, void *ctx,
                           uint8_t (*path)[HLEN], size_t *pathlen)
{
    struct proof_plan plan;
    uint8_t nodes[ISX_MERKLE_MAX_NODES][HLEN];
    size_t i;
    int rc;

    if (!inclusion_args_ok(index, size, get != NULL, path, pathlen))
        return ISX_EINVAL;
    inclusion_plan(index, size, &plan);
    for (i = 0; i < plan.naddrs; i++) {
        rc = get(ctx, plan.addrs[i].level, plan.addrs[i].index, nodes[i]);
        if (rc != 0)
            return rc;
    }
    plan_emit(&plan, nodes, path, pathlen);
    return 0;
}

int
isx_merkle_inclusion_proof_batch(uint64_t index, uint64_t size, isx_merkle_get_many_fn get,
                                 void *ctx, uint8_t (*path)[HLEN], size_t *pathlen)
{
    struct proof_plan plan;
    uint8_t nodes[ISX_MERKLE_MAX_NODES][HLEN];
    int rc;

    if (!inclusion_args_ok(index, size, get != NULL, path, pathlen))
        return ISX_EINVAL;
    inclusion_plan(index, size, &plan);
    /* A tree of one leaf has an empty proof: there is nothing to read. */
    if (plan.naddrs > 0 && (rc = get(ctx, plan.addrs, plan.naddrs, nodes)) != 0)
        return rc;
    plan_emit(&plan, nodes, path, pathlen);
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
