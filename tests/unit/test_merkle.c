/*
 * Tests for src/crypto/merkle.c: the RFC 9162 vectors of standards.md §4.1-4.2 and the
 * transparency-dev/merkle test constants (every stored node of the 8-leaf tree, more paths
 * and proofs); round trips and single-bit tampering for every size up to 64; agreement with a
 * reference implementation written straight from the RFC's recursive definitions for every
 * size, index and old size up to 200; the batched inclusion proof identical to the per-node
 * one, in one read, for every size and index up to 200 and at sizes up to 2^63; remembered
 * folds never crossing between trees; node-read counts at ten million leaves; and timings.
 *
 * The in-memory store below keeps each level as an array. It refuses out-of-order puts and
 * reads of nodes that the tree size under test does not contain, so a test passes only if
 * the code under test reads nothing it should not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/merkle.h"

#define HLEN ISX_MERKLE_HASH_LEN

typedef uint8_t hash_t[HLEN];

static void
hex(const char *text, uint8_t *out, size_t len)
{
    assert_int_equal(isx_hex_decode(text, strlen(text), out, len), 0);
}

static void
assert_hex(const uint8_t *bin, const char *want)
{
    char got[2 * HLEN + 1];

    isx_hex_encode(bin, HLEN, got);
    assert_string_equal(got, want);
}

/* The largest power of two below n >= 2, written so that it cannot overflow for any n. */
static uint64_t
split_point(uint64_t n)
{
    uint64_t k = 1;

    while (k <= (n - 1) / 2)
        k <<= 1;
    return k;
}

static unsigned
ceil_log2(uint64_t n)
{
    unsigned d = 0;

    while (d < 64 && (UINT64_C(1) << d) < n)
        d++;
    return d;
}

static unsigned
popcount(uint64_t n)
{
    unsigned p = 0;

    for (; n != 0; n &= n - 1)
        p++;
    return p;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- In-memory store ------------------------------------------------------------------- */

struct mem {
    hash_t *level[64];
    uint64_t count[64], cap[64];
    uint64_t limit; /* reads must lie inside a tree of this many leaves */
    uint64_t reads, puts, batches;
    uint64_t fail_after; /* the fail_after-th read or put fails with ISX_ESTORE; 0: never */
    unsigned violations;
};

static int
mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[HLEN])
{
    struct mem *s = ctx;

    s->reads++;
    if (s->fail_after != 0 && s->reads + s->puts >= s->fail_after)
        return ISX_ESTORE;
    /* (index + 1) << level leaves must exist; the shift is written so it cannot overflow. */
    if (level >= 64 || index >= s->count[level] || index + 1 > s->limit >> level) {
        s->violations++;
        return ISX_ENOTFOUND;
    }
    memcpy(out, s->level[level][index], HLEN);
    return 0;
}

static int
mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
    struct mem *s = ctx;

    s->puts++;
    if (s->fail_after != 0 && s->reads + s->puts >= s->fail_after)
        return ISX_ESTORE;
    if (level >= 64 || index != s->count[level]) {
        s->violations++;
        return ISX_ECONFLICT;
    }
    if (s->count[level] == s->cap[level]) {
        uint64_t cap = s->cap[level] != 0 ? 2 * s->cap[level] : 64;
        hash_t *p = realloc(s->level[level], cap * sizeof(hash_t));

        if (p == NULL)
            return ISX_ENOMEM;
        s->level[level] = p;
        s->cap[level] = cap;
    }
    memcpy(s->level[level][s->count[level]++], hash, HLEN);
    return 0;
}

/* isx_merkle_get_many_fn over the same store: each address read as mem_get reads it, and the
 * call counted once in `batches`. */
static int
mem_get_many(void *ctx, const struct isx_merkle_addr *addrs, size_t n, uint8_t (*out)[HLEN])
{
    struct mem *s = ctx;
    size_t i;
    int rc;

    s->batches++;
    if (n == 0 || n > ISX_MERKLE_MAX_NODES)
        s->violations++;
    for (i = 0; i < n; i++)
        if ((rc = mem_get(ctx, addrs[i].level, addrs[i].index, out[i])) != 0)
            return rc;
    return 0;
}

static void
mem_free(struct mem *s)
{
    unsigned i;

    for (i = 0; i < 64; i++)
        free(s->level[i]);
    memset(s, 0, sizeof(*s));
}

static void
mem_append(struct mem *s, const uint8_t leaf[HLEN])
{
    uint64_t size = s->count[0];

    s->limit = size + 1;
    assert_int_equal(isx_merkle_append(size, leaf, mem_get, s, mem_put, s), 0);
    assert_int_equal(s->violations, 0);
    assert_int_equal(s->count[0], size + 1);
}

/* Builds a store of n leaves whose hashes are also returned in leaves[]. */
static void
mem_build(struct mem *s, hash_t *leaves, uint64_t n)
{
    uint64_t i;
    char data[32];

    memset(s, 0, sizeof(*s));
    for (i = 0; i < n; i++) {
        int len = snprintf(data, sizeof(data), "leaf %llu", (unsigned long long)i);

        isx_merkle_leaf_hash(data, (size_t)len, leaves[i]);
        mem_append(s, leaves[i]);
    }
}

static void
mem_root(struct mem *s, uint64_t size, uint8_t out[HLEN])
{
    s->limit = size;
    assert_int_equal(isx_merkle_root(size, mem_get, s, out), 0);
    assert_int_equal(s->violations, 0);
}

static size_t
mem_inclusion(struct mem *s, uint64_t index, uint64_t size, hash_t *path)
{
    size_t len = 99;

    s->limit = size;
    assert_int_equal(isx_merkle_inclusion_proof(index, size, mem_get, s, path, &len), 0);
    assert_int_equal(s->violations, 0);
    return len;
}

static size_t
mem_consistency(struct mem *s, uint64_t m, uint64_t n, hash_t *path)
{
    size_t len = 99;

    s->limit = n;
    assert_int_equal(isx_merkle_consistency_proof(m, n, mem_get, s, path, &len), 0);
    assert_int_equal(s->violations, 0);
    return len;
}

/*
 * --- Reference implementation: RFC 9162 §2.1, recursively, as written -------------------
 * Hash arrays are passed without const: ISO C before C23 will not convert uint8_t (*)[32]
 * to const uint8_t (*)[32] implicitly.
 */

static void
ref_mth(hash_t *leaves, uint64_t n, uint8_t out[HLEN])
{
    uint8_t l[HLEN], r[HLEN];
    uint64_t k;

    if (n == 0) {
        isx_sha256("", 0, out);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], HLEN);
        return;
    }
    k = split_point(n);
    ref_mth(leaves, k, l);
    ref_mth(leaves + k, n - k, r);
    isx_merkle_node_hash(l, r, out);
}

/* PATH(m, D[n]). */
static void
ref_path(hash_t *leaves, uint64_t m, uint64_t n, hash_t *out, size_t *len)
{
    uint64_t k;

    if (n == 1)
        return;
    k = split_point(n);
    if (m < k) {
        ref_path(leaves, m, k, out, len);
        ref_mth(leaves + k, n - k, out[(*len)++]);
    } else {
        ref_path(leaves + k, m - k, n - k, out, len);
        ref_mth(leaves, k, out[(*len)++]);
    }
}

/* SUBPROOF(m, D[n], b). */
static void
ref_subproof(hash_t *leaves, uint64_t m, uint64_t n, bool b, hash_t *out, size_t *len)
{
    uint64_t k;

    if (m == n) {
        if (!b)
            ref_mth(leaves, n, out[(*len)++]);
        return;
    }
    k = split_point(n);
    if (m <= k) {
        ref_subproof(leaves, m, k, b, out, len);
        ref_mth(leaves + k, n - k, out[(*len)++]);
    } else {
        ref_subproof(leaves + k, m - k, n - k, false, out, len);
        ref_mth(leaves, k, out[(*len)++]);
    }
}

/*
 * Reference verifiers: fold a proof along the shape that the recursive definitions above
 * give it, entry by entry from the end. -1 when the proof cannot have that shape. They are
 * the oracle for tampered sizes and indices, where an iterative verifier is most likely to
 * be subtly wrong.
 */
static int
ref_fold_path(uint64_t m, uint64_t n, const uint8_t *leaf, hash_t *path, size_t len,
              uint8_t out[HLEN])
{
    uint8_t inner[HLEN];
    uint64_t k;

    if (n == 1) {
        if (len != 0)
            return -1;
        memcpy(out, leaf, HLEN);
        return 0;
    }
    if (len == 0)
        return -1;
    k = split_point(n);
    if (m < k) {
        if (ref_fold_path(m, k, leaf, path, len - 1, inner) != 0)
            return -1;
        isx_merkle_node_hash(inner, path[len - 1], out);
    } else {
        if (ref_fold_path(m - k, n - k, leaf, path, len - 1, inner) != 0)
            return -1;
        isx_merkle_node_hash(path[len - 1], inner, out);
    }
    return 0;
}

static bool
ref_verify_inclusion(uint64_t index, uint64_t size, const uint8_t *leaf, hash_t *path, size_t len,
                     const uint8_t *root)
{
    uint8_t r[HLEN];

    if (index >= size || len > ISX_MERKLE_MAX_PATH)
        return false;
    return ref_fold_path(index, size, leaf, path, len, r) == 0 && memcmp(r, root, HLEN) == 0;
}

static int
ref_fold_proof(uint64_t m, uint64_t n, bool b, const uint8_t *root_m, hash_t *path, size_t len,
               uint8_t old[HLEN], uint8_t new[HLEN])
{
    uint8_t o[HLEN], w[HLEN];
    uint64_t k;

    if (m == n) {
        if (b ? len != 0 : len != 1)
            return -1;
        memcpy(old, b ? root_m : path[0], HLEN);
        memcpy(new, b ? root_m : path[0], HLEN);
        return 0;
    }
    if (len == 0)
        return -1;
    k = split_point(n);
    if (m <= k) {
        if (ref_fold_proof(m, k, b, root_m, path, len - 1, o, w) != 0)
            return -1;
        memcpy(old, o, HLEN);
        isx_merkle_node_hash(w, path[len - 1], new);
    } else {
        if (ref_fold_proof(m - k, n - k, false, root_m, path, len - 1, o, w) != 0)
            return -1;
        isx_merkle_node_hash(path[len - 1], o, old);
        isx_merkle_node_hash(path[len - 1], w, new);
    }
    return 0;
}

static bool
ref_verify_consistency(uint64_t m, uint64_t n, const uint8_t *root_m, const uint8_t *root_n,
                       hash_t *path, size_t len)
{
    uint8_t old[HLEN], new[HLEN], empty[HLEN];

    if (m > n || len > ISX_MERKLE_MAX_PATH)
        return false;
    if (m == n)
        return len == 0 && memcmp(root_m, root_n, HLEN) == 0;
    if (m == 0) {
        isx_sha256("", 0, empty);
        return len == 0 && memcmp(root_m, empty, HLEN) == 0;
    }
    return ref_fold_proof(m, n, true, root_m, path, len, old, new) == 0 &&
           memcmp(old, root_m, HLEN) == 0 && memcmp(new, root_n, HLEN) == 0;
}

/* --- Vectors ---------------------------------------------------------------------------- */

/* standards.md §4.2 (the transparency-dev/merkle and certificate-transparency leaves). */
static const char *const vector_leaves[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static const char *const vector_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* transparency-dev/merkle testonly/constants.go NodeHashes(): node (level, index). */
static const char *const vector_nodes[4][8] = {
    {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    },
    {
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    },
    {
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    },
    {
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    },
};

struct proof_vector {
    uint64_t a, b; /* index and size, or old and new size */
    const char *path[4];
};

/* standards.md §4.2 gives (0, 8) and (5, 8); the rest are transparency-dev/merkle's. */
static const struct proof_vector inclusion_vectors[] = {
    {0, 1, {NULL}},
    {0, 2, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
    {1, 2, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* standards.md §4.2 gives 2→5 and 2→8 by their prefixes, written out here in full from the
 * node table above; 1→1, 1→8 and 6→8 are transparency-dev/merkle's. */
static const struct proof_vector consistency_vectors[] = {
    {1, 1, {NULL}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {2,
     8,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* A store holding the first n vector leaves. */
static void
vector_store(struct mem *s, hash_t leaves[8], size_t n)
{
    uint8_t data[16];
    size_t i;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < n; i++) {
        size_t len = strlen(vector_leaves[i]) / 2;

        hex(vector_leaves[i], data, len);
        isx_merkle_leaf_hash(data, len, leaves[i]);
        mem_append(s, leaves[i]);
    }
}

static void
test_hashes(void **state)
{
    uint8_t h[HLEN], l[HLEN], r[HLEN];

    isx_merkle_empty_root(h);
    assert_hex(h, vector_roots[0]);
    isx_merkle_leaf_hash("", 0, h);
    assert_hex(h, vector_nodes[0][0]);
    isx_merkle_leaf_hash("\x00", 1, h);
    assert_hex(h, vector_nodes[0][1]);
    /* out may alias an input. */
    hex(vector_nodes[0][0], l, HLEN);
    hex(vector_nodes[0][1], r, HLEN);
    isx_merkle_node_hash(l, r, l);
    assert_hex(l, vector_nodes[1][0]);
    hex(vector_nodes[0][0], l, HLEN);
    isx_merkle_node_hash(l, r, r);
    assert_hex(r, vector_nodes[1][0]);
}

static void
test_vector_nodes_and_roots(void **state)
{
    hash_t leaves[8];
    struct mem s;
    uint8_t root[HLEN];
    unsigned level;
    uint64_t i, n;

    vector_store(&s, leaves, 8);
    /* The store holds exactly the complete subtrees, 8 + 4 + 2 + 1 of them. */
    for (level = 0; level < 4; level++) {
        assert_int_equal(s.count[level], 8u >> level);
        for (i = 0; i < s.count[level]; i++)
            assert_hex(s.level[level][i], vector_nodes[level][i]);
    }
    assert_int_equal(s.count[4], 0);
    assert_int_equal(s.puts, 15);
    for (n = 0; n <= 8; n++) {
        s.reads = 0;
        mem_root(&s, n, root);
        assert_hex(root, vector_roots[n]);
        assert_int_equal(s.reads, popcount(n));
    }
    mem_free(&s);
}

static void
test_vector_inclusion(void **state)
{
    hash_t leaves[8], path[ISX_MERKLE_MAX_PATH];
    uint8_t root[HLEN];
    struct mem s;
    size_t v, i, len;

    vector_store(&s, leaves, 8);
    for (v = 0; v < sizeof(inclusion_vectors) / sizeof(inclusion_vectors[0]); v++) {
        const struct proof_vector *t = &inclusion_vectors[v];

        len = mem_inclusion(&s, t->a, t->b, path);
        for (i = 0; i < 4 && t->path[i] != NULL; i++)
            assert_hex(path[i], t->path[i]);
        assert_int_equal(len, i);
        hex(vector_roots[t->b], root, HLEN);
        assert_int_equal(isx_merkle_verify_inclusion(t->a, t->b, leaves[t->a], path[0], len, root),
                         0);
    }
    mem_free(&s);
}

static void
test_vector_consistency(void **state)
{
    hash_t leaves[8], path[ISX_MERKLE_MAX_PATH];
    uint8_t root_m[HLEN], root_n[HLEN];
    struct mem s;
    size_t v, i, len;

    vector_store(&s, leaves, 8);
    for (v = 0; v < sizeof(consistency_vectors) / sizeof(consistency_vectors[0]); v++) {
        const struct proof_vector *t = &consistency_vectors[v];

        len = mem_consistency(&s, t->a, t->b, path);
        for (i = 0; i < 4 && t->path[i] != NULL; i++)
            assert_hex(path[i], t->path[i]);
        assert_int_equal(len, i);
        hex(vector_roots[t->a], root_m, HLEN);
        hex(vector_roots[t->b], root_n, HLEN);
        assert_int_equal(isx_merkle_verify_consistency(t->a, t->b, root_m, root_n, path[0], len),
                         0);
    }
    /* The prefixes standards.md prints for 2→5 and 2→8. */
    len = mem_consistency(&s, 2, 5, path);
    assert_memory_equal(path[0], "\x5f\x08\x3f\x0a", 4);
    assert_memory_equal(path[0] + 28, "\x0d\xe3\x03\x1e", 4);
    assert_memory_equal(path[1], "\xbc\x1a\x06\x43", 4);
    assert_memory_equal(path[1] + 28, "\x88\x59\x9e\x6b", 4);
    len = mem_consistency(&s, 2, 8, path);
    assert_int_equal(len, 2);
    assert_memory_equal(path[0], "\x5f\x08\x3f\x0a", 4);
    assert_memory_equal(path[1], "\x6b\x47\xaa\xf2", 4);
    mem_free(&s);
}

/* --- Argument checks and store failures ------------------------------------------------ */

static void
test_arguments(void **state)
{
    hash_t leaves[8], path[ISX_MERKLE_MAX_PATH], big[ISX_MERKLE_MAX_PATH + 1];
    uint8_t root[HLEN], empty[HLEN], sentinel[HLEN];
    struct mem s;
    size_t len = 77;

    vector_store(&s, leaves, 8);
    s.limit = 8;
    memset(sentinel, 0xa5, HLEN);
    memcpy(root, sentinel, HLEN);
    memset(path, 0xa5, sizeof(path));
    memset(big, 0, sizeof(big));
    isx_merkle_empty_root(empty);

    assert_int_equal(isx_merkle_inclusion_proof(8, 8, mem_get, &s, path, &len), ISX_EINVAL);
    assert_int_equal(isx_merkle_inclusion_proof(0, 0, mem_get, &s, path, &len), ISX_EINVAL);
    assert_int_equal(
        isx_merkle_inclusion_proof(0, ISX_MERKLE_MAX_SIZE + 1, mem_get, &s, path, &len),
        ISX_EINVAL);
    assert_int_equal(isx_merkle_consistency_proof(5, 4, mem_get, &s, path, &len), ISX_EINVAL);
    assert_int_equal(isx_merkle_root(ISX_MERKLE_MAX_SIZE + 1, mem_get, &s, root), ISX_EINVAL);
    assert_int_equal(isx_merkle_append(ISX_MERKLE_MAX_SIZE, leaves[0], mem_get, &s, mem_put, &s),
                     ISX_EINVAL);
    /* The batched proof refuses the same arguments, and a missing callback or output, before
     * it reads anything. */
    s.batches = 0;
    assert_int_equal(isx_merkle_inclusion_proof_batch(8, 8, mem_get_many, &s, path, &len),
                     ISX_EINVAL);
    assert_int_equal(isx_merkle_inclusion_proof_batch(0, 0, mem_get_many, &s, path, &len),
                     ISX_EINVAL);
    assert_int_equal(
        isx_merkle_inclusion_proof_batch(0, ISX_MERKLE_MAX_SIZE + 1, mem_get_many, &s, path, &len),
        ISX_EINVAL);
    assert_int_equal(isx_merkle_inclusion_proof_batch(0, 8, NULL, &s, path, &len), ISX_EINVAL);
    assert_int_equal(isx_merkle_inclusion_proof_batch(0, 8, mem_get_many, &s, NULL, &len),
                     ISX_EINVAL);
    assert_int_equal(isx_merkle_inclusion_proof_batch(0, 8, mem_get_many, &s, path, NULL),
                     ISX_EINVAL);
    assert_int_equal(s.batches, 0);
    assert_int_equal(len, 77);
    assert_memory_equal(root, sentinel, HLEN);
    assert_memory_equal(path[0], sentinel, HLEN);
    /* A tree of one leaf has an empty proof, which needs no read at all. */
    assert_int_equal(isx_merkle_inclusion_proof_batch(0, 1, mem_get_many, &s, path, &len), 0);
    assert_int_equal(len, 0);
    assert_int_equal(s.batches, 0);
    len = 77;

    /* Empty proofs: from the empty tree, and between equal sizes. */
    assert_int_equal(isx_merkle_consistency_proof(0, 8, mem_get, &s, path, &len), 0);
    assert_int_equal(len, 0);
    len = 77;
    assert_int_equal(isx_merkle_consistency_proof(8, 8, mem_get, &s, path, &len), 0);
    assert_int_equal(len, 0);
    s.reads = 0;
    assert_int_equal(isx_merkle_root(0, mem_get, &s, root), 0);
    assert_memory_equal(root, empty, HLEN);
    assert_int_equal(s.reads, 0);

    /* Verifiers: impossible arguments, and the proof-length cap. */
    mem_root(&s, 8, root);
    assert_int_equal(isx_merkle_verify_inclusion(8, 8, leaves[0], path[0], 3, root), ISX_EINVAL);
    assert_int_equal(isx_merkle_verify_inclusion(0, 0, leaves[0], NULL, 0, root), ISX_EINVAL);
    assert_int_equal(
        isx_merkle_verify_inclusion(0, 8, leaves[0], big[0], ISX_MERKLE_MAX_PATH + 1, root),
        ISX_EINVAL);
    assert_int_equal(isx_merkle_verify_consistency(5, 4, root, root, NULL, 0), ISX_EINVAL);
    assert_int_equal(
        isx_merkle_verify_consistency(2, 8, root, root, big[0], ISX_MERKLE_MAX_PATH + 1),
        ISX_EINVAL);
    /* A single leaf is its own root with an empty path. */
    assert_int_equal(isx_merkle_verify_inclusion(0, 1, leaves[0], NULL, 0, leaves[0]), 0);
    assert_int_equal(isx_merkle_verify_inclusion(0, 1, leaves[0], NULL, 0, leaves[1]), ISX_ESIG);
    /* Size 0: the empty tree is a prefix of every tree, with an empty proof and only under
     * the empty root. */
    assert_int_equal(isx_merkle_verify_consistency(0, 8, empty, root, NULL, 0), 0);
    assert_int_equal(isx_merkle_verify_consistency(0, 0, empty, empty, NULL, 0), 0);
    assert_int_equal(isx_merkle_verify_consistency(0, 8, root, root, NULL, 0), ISX_ESIG);
    assert_int_equal(isx_merkle_verify_consistency(0, 8, empty, root, path[0], 1), ISX_ESIG);
    /* Equal sizes: equal roots and nothing else. */
    assert_int_equal(isx_merkle_verify_consistency(8, 8, root, root, NULL, 0), 0);
    assert_int_equal(isx_merkle_verify_consistency(8, 8, root, empty, NULL, 0), ISX_ESIG);
    assert_int_equal(isx_merkle_verify_consistency(8, 8, root, root, path[0], 1), ISX_ESIG);
    /* 0 < m < n needs a proof. */
    assert_int_equal(isx_merkle_verify_consistency(4, 8, root, root, NULL, 0), ISX_ESIG);
    mem_free(&s);
}

/* Counts the reads and puts of one call, then makes each of them fail in turn; `reset`
 * restores the outputs before every call so `check` can see that a failure left them alone. */
#define EACH_FAILURE(s, reset, call, check)                                                        \
    do {                                                                                           \
        uint64_t ops_, k_;                                                                         \
        (s).fail_after = 0;                                                                        \
        (s).reads = (s).puts = 0;                                                                  \
        reset;                                                                                     \
        assert_int_equal((call), 0);                                                               \
        ops_ = (s).reads + (s).puts;                                                               \
        assert_true(ops_ > 0);                                                                     \
        for (k_ = 1; k_ <= ops_; k_++) {                                                           \
            (s).reads = (s).puts = 0;                                                              \
            (s).fail_after = k_;                                                                   \
            reset;                                                                                 \
            assert_int_equal((call), ISX_ESTORE);                                                  \
            check;                                                                                 \
        }                                                                                          \
        (s).fail_after = 0;                                                                        \
    } while (0)

static void
test_store_failures(void **state)
{
    hash_t leaves[8], path[ISX_MERKLE_MAX_PATH];
    uint8_t root[HLEN], sentinel[HLEN];
    struct mem s;
    size_t len;
    uint64_t k;

    memset(sentinel, 0xa5, HLEN);
    /* Every read of a root or a proof fails in turn; the error comes back unchanged and no
     * output is touched. */
    vector_store(&s, leaves, 8);
    s.limit = 7;
    EACH_FAILURE(s, memcpy(root, sentinel, HLEN), isx_merkle_root(7, mem_get, &s, root),
                 assert_memory_equal(root, sentinel, HLEN));
    EACH_FAILURE(s, (len = 77, memset(path, 0xa5, sizeof(path))),
                 isx_merkle_inclusion_proof(4, 7, mem_get, &s, path, &len),
                 (assert_int_equal(len, 77), assert_memory_equal(path[0], sentinel, HLEN)));
    EACH_FAILURE(s, (len = 77, memset(path, 0xa5, sizeof(path))),
                 isx_merkle_inclusion_proof_batch(4, 7, mem_get_many, &s, path, &len),
                 (assert_int_equal(len, 77), assert_memory_equal(path[0], sentinel, HLEN)));
    EACH_FAILURE(s, (len = 77, memset(path, 0xa5, sizeof(path))),
                 isx_merkle_consistency_proof(3, 7, mem_get, &s, path, &len),
                 (assert_int_equal(len, 77), assert_memory_equal(path[0], sentinel, HLEN)));
    /* A node missing from the store is the store's error too. */
    s.limit = 16;
    assert_int_equal(isx_merkle_root(9, mem_get, &s, root), ISX_ENOTFOUND);
    mem_free(&s);

    /* Appending leaf 7 of 8 does three reads and four puts; each can fail. The store is
     * rebuilt every time because the puts before the failure stay written. */
    for (k = 1; k <= 7; k++) {
        vector_store(&s, leaves, 7);
        s.limit = 8;
        s.reads = s.puts = 0;
        s.fail_after = k;
        assert_int_equal(isx_merkle_append(7, leaves[7], mem_get, &s, mem_put, &s), ISX_ESTORE);
        mem_free(&s);
    }
    vector_store(&s, leaves, 7);
    s.limit = 8;
    s.reads = s.puts = 0;
    assert_int_equal(isx_merkle_append(7, leaves[7], mem_get, &s, mem_put, &s), 0);
    assert_int_equal(s.reads, 3);
    assert_int_equal(s.puts, 4);
    assert_hex(s.level[3][0], vector_roots[8]);
    mem_free(&s);
}

/* --- Properties for every size up to 64 ------------------------------------------------- */

static void
flip(uint8_t *p, unsigned bit)
{
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void
test_inclusion_tamper(void **state)
{
    enum { N = 64 };
    hash_t leaves[N], roots[N + 1], path[ISX_MERKLE_MAX_PATH];
    unsigned long long proofs = 0, rejected = 0, index_ok = 0, size_ok = 0;
    struct mem s;
    uint64_t n, i;
    unsigned bit;
    size_t len, e;

    mem_build(&s, leaves, N);
    for (n = 1; n <= N; n++)
        mem_root(&s, n, roots[n]);
    for (n = 1; n <= N; n++) {
        for (i = 0; i < n; i++) {
            len = mem_inclusion(&s, i, n, path);
            proofs++;
            assert_int_equal(isx_merkle_verify_inclusion(i, n, leaves[i], path[0], len, roots[n]),
                             0);
            assert_true(ref_verify_inclusion(i, n, leaves[i], path, len, roots[n]));
            for (e = 0; e < len; e++)
                for (bit = 0; bit < 8 * HLEN; bit++) {
                    flip(path[e], bit);
                    assert_int_not_equal(
                        isx_merkle_verify_inclusion(i, n, leaves[i], path[0], len, roots[n]), 0);
                    flip(path[e], bit);
                    rejected++;
                }
            for (bit = 0; bit < 8 * HLEN; bit++) {
                flip(roots[n], bit);
                assert_int_not_equal(
                    isx_merkle_verify_inclusion(i, n, leaves[i], path[0], len, roots[n]), 0);
                flip(roots[n], bit);
                flip(leaves[i], bit);
                assert_int_not_equal(
                    isx_merkle_verify_inclusion(i, n, leaves[i], path[0], len, roots[n]), 0);
                flip(leaves[i], bit);
                rejected += 2;
            }
            /* A proof does not name its size or index; the root, whose checkpoint names the
             * size, binds them. A changed size or index passes exactly when it gives the
             * proof the same shape (length and left/right pattern), which the recursive
             * reference decides independently. */
            for (bit = 0; bit < 64; bit++) {
                uint64_t i2 = i ^ (UINT64_C(1) << bit), n2 = n ^ (UINT64_C(1) << bit);
                bool ok_i =
                    isx_merkle_verify_inclusion(i2, n, leaves[i], path[0], len, roots[n]) == 0;
                bool ok_n =
                    isx_merkle_verify_inclusion(i, n2, leaves[i], path[0], len, roots[n]) == 0;

                assert_int_equal(ok_i, ref_verify_inclusion(i2, n, leaves[i], path, len, roots[n]));
                assert_int_equal(ok_n, ref_verify_inclusion(i, n2, leaves[i], path, len, roots[n]));
                index_ok += ok_i;
                size_ok += ok_n;
                rejected += !ok_i + !ok_n;
            }
        }
    }
    /* Index flips never pass at these sizes; size flips do for some shapes. */
    assert_int_equal(index_ok, 0);
    print_message("inclusion: %llu proofs, %llu tampered variants rejected; a flipped size bit "
                  "passed %llu times (same proof shape), a flipped index bit %llu times\n",
                  proofs, rejected, size_ok, index_ok);
    mem_free(&s);
}

static void
test_consistency_tamper(void **state)
{
    enum { N = 64 };
    hash_t leaves[N], roots[N + 1], path[ISX_MERKLE_MAX_PATH];
    unsigned long long proofs = 0, rejected = 0, m_ok = 0, n_ok = 0;
    struct mem s;
    uint64_t n, m;
    unsigned bit;
    size_t len, e;

    mem_build(&s, leaves, N);
    mem_root(&s, 0, roots[0]);
    for (n = 1; n <= N; n++)
        mem_root(&s, n, roots[n]);
    for (n = 0; n <= N; n++) {
        for (m = 0; m <= n; m++) {
            len = mem_consistency(&s, m, n, path);
            proofs++;
            assert_int_equal(isx_merkle_verify_consistency(m, n, roots[m], roots[n], path[0], len),
                             0);
            assert_true(ref_verify_consistency(m, n, roots[m], roots[n], path, len));
            for (e = 0; e < len; e++)
                for (bit = 0; bit < 8 * HLEN; bit++) {
                    flip(path[e], bit);
                    assert_int_not_equal(
                        isx_merkle_verify_consistency(m, n, roots[m], roots[n], path[0], len), 0);
                    flip(path[e], bit);
                    rejected++;
                }
            for (bit = 0; bit < 8 * HLEN; bit++) {
                uint8_t rm[HLEN], rn[HLEN];

                memcpy(rm, roots[m], HLEN);
                memcpy(rn, roots[n], HLEN);
                flip(rm, bit);
                assert_int_not_equal(isx_merkle_verify_consistency(m, n, rm, rn, path[0], len), 0);
                rejected++;
                /* The empty tree is a prefix of any tree at all, so with m == 0 < n the new root
                 * is not checked; everywhere else it is. */
                flip(rm, bit);
                flip(rn, bit);
                if (m == 0 && n > 0) {
                    assert_int_equal(isx_merkle_verify_consistency(m, n, rm, rn, path[0], len), 0);
                } else {
                    assert_int_not_equal(isx_merkle_verify_consistency(m, n, rm, rn, path[0], len),
                                         0);
                    rejected++;
                }
            }
            for (bit = 0; bit < 64; bit++) {
                uint64_t m2 = m ^ (UINT64_C(1) << bit), n2 = n ^ (UINT64_C(1) << bit);
                bool ok_m =
                    isx_merkle_verify_consistency(m2, n, roots[m], roots[n], path[0], len) == 0;
                bool ok_n =
                    isx_merkle_verify_consistency(m, n2, roots[m], roots[n], path[0], len) == 0;

                assert_int_equal(ok_m,
                                 ref_verify_consistency(m2, n, roots[m], roots[n], path, len));
                assert_int_equal(ok_n,
                                 ref_verify_consistency(m, n2, roots[m], roots[n], path, len));
                m_ok += ok_m;
                n_ok += ok_n;
                rejected += !ok_m + !ok_n;
            }
        }
    }
    print_message("consistency: %llu proofs, %llu tampered variants rejected; a flipped new size "
                  "bit passed %llu times, a flipped old size bit %llu times (same proof shape)\n",
                  proofs, rejected, n_ok, m_ok);
    mem_free(&s);
}

/* --- Against the reference, every size up to 200 ---------------------------------------- */

static void
test_reference(void **state)
{
    enum { N = 200 };
    hash_t *leaves = calloc(N, sizeof(hash_t));
    hash_t path[ISX_MERKLE_MAX_PATH], want[ISX_MERKLE_MAX_PATH], root, ref, root_m;
    unsigned long long checked = 0;
    struct mem s;
    uint64_t n, i;
    size_t len, wlen;

    assert_non_null(leaves);
    mem_build(&s, leaves, N);
    for (n = 1; n <= N; n++) {
        mem_root(&s, n, root);
        ref_mth(leaves, n, ref);
        assert_memory_equal(root, ref, HLEN);
        for (i = 0; i < n; i++) {
            len = mem_inclusion(&s, i, n, path);
            wlen = 0;
            ref_path(leaves, i, n, want, &wlen);
            assert_int_equal(len, wlen);
            assert_memory_equal(path, want, len * HLEN);
            assert_int_equal(isx_merkle_verify_inclusion(i, n, leaves[i], path[0], len, root), 0);
            checked++;
        }
        for (i = 1; i < n; i++) {
            len = mem_consistency(&s, i, n, path);
            wlen = 0;
            ref_subproof(leaves, i, n, true, want, &wlen);
            assert_int_equal(len, wlen);
            assert_memory_equal(path, want, len * HLEN);
            ref_mth(leaves, i, root_m);
            assert_int_equal(isx_merkle_verify_consistency(i, n, root_m, root, path[0], len), 0);
            checked++;
        }
    }
    print_message("reference: %d roots and %llu proofs identical to RFC 9162's recursion\n", N,
                  checked);
    mem_free(&s);
    free(leaves);
}

/* --- The batched inclusion proof --------------------------------------------------------- */

/*
 * For every size up to 200 and every index: the batched proof is the per-node proof, byte for
 * byte, and RFC 9162's; it comes from exactly one call of the callback, for as many nodes as the
 * per-node proof reads one by one, all inside the tree of that size.
 */
static void
test_batch_proof(void **state)
{
    enum { N = 200 };
    hash_t *leaves = calloc(N, sizeof(hash_t));
    hash_t path[ISX_MERKLE_MAX_PATH], batch[ISX_MERKLE_MAX_PATH], want[ISX_MERKLE_MAX_PATH];
    unsigned long long checked = 0;
    struct mem s;
    uint64_t n, i, reads;
    size_t len, blen, wlen;

    assert_non_null(leaves);
    mem_build(&s, leaves, N);
    for (n = 1; n <= N; n++) {
        for (i = 0; i < n; i++) {
            s.reads = 0;
            len = mem_inclusion(&s, i, n, path);
            reads = s.reads;
            s.reads = 0;
            s.batches = 0;
            blen = 99;
            assert_int_equal(isx_merkle_inclusion_proof_batch(i, n, mem_get_many, &s, batch, &blen),
                             0);
            assert_int_equal(s.violations, 0);
            assert_int_equal(s.batches, n > 1 ? 1 : 0);
            assert_int_equal(s.reads, reads);
            assert_int_equal(blen, len);
            assert_memory_equal(batch, path, len * HLEN);
            wlen = 0;
            ref_path(leaves, i, n, want, &wlen);
            assert_int_equal(blen, wlen);
            assert_memory_equal(batch, want, wlen * HLEN);
            checked++;
        }
    }
    print_message("batched inclusion proofs: %llu identical to the per-node proofs and to RFC "
                  "9162's recursion, one read each\n",
                  checked);
    mem_free(&s);
    free(leaves);
}

/*
 * Folds are remembered by their peaks' hashes (fold_peaks), so trees of the same size but other
 * leaves must never share one. Two such trees, proofs taken from each in turn for the same size
 * and index, each compared with RFC 9162's recursion over its own leaves; more folds go through
 * than are remembered at once, so remembered ones are also replaced.
 */
static void
test_fold_memo(void **state)
{
    enum { N = 200 };
    hash_t *la = calloc(N, sizeof(hash_t)), *lb = calloc(N, sizeof(hash_t));
    hash_t path[ISX_MERKLE_MAX_PATH], want[ISX_MERKLE_MAX_PATH];
    uint8_t root[HLEN], ref[HLEN];
    struct mem a, b;
    uint64_t n, i;
    size_t len, wlen;
    char data[32];

    assert_non_null(la);
    assert_non_null(lb);
    mem_build(&a, la, N);
    memset(&b, 0, sizeof(b));
    for (i = 0; i < N; i++) {
        int dlen = snprintf(data, sizeof(data), "other leaf %llu", (unsigned long long)i);

        isx_merkle_leaf_hash(data, (size_t)dlen, lb[i]);
        mem_append(&b, lb[i]);
    }
    for (n = 180; n <= N; n++) {
        for (i = 0; i < n; i += 3) {
            struct mem *s = i % 2 == 0 ? &a : &b;
            hash_t *leaves = i % 2 == 0 ? la : lb;
            int k;

            for (k = 0; k < 2; k++, s = s == &a ? &b : &a, leaves = leaves == la ? lb : la) {
                len = 99;
                s->limit = n;
                assert_int_equal(
                    isx_merkle_inclusion_proof_batch(i, n, mem_get_many, s, path, &len), 0);
                wlen = 0;
                ref_path(leaves, i, n, want, &wlen);
                assert_int_equal(len, wlen);
                assert_memory_equal(path, want, len * HLEN);
            }
        }
        mem_root(&a, n, root);
        ref_mth(la, n, ref);
        assert_memory_equal(root, ref, HLEN);
        mem_root(&b, n, root);
        ref_mth(lb, n, ref);
        assert_memory_equal(root, ref, HLEN);
    }
    assert_int_equal(a.violations + b.violations, 0);
    mem_free(&a);
    mem_free(&b);
    free(la);
    free(lb);
}

/* --- Node reads at ten million leaves ---------------------------------------------------- */

/* A store that holds every node of a tree of `limit` leaves without keeping any: a node's
 * hash is SHA-256 of its address. The hashes do not add up, so only reads are checked. */
struct sparse {
    uint64_t limit, reads, puts, batches;
    unsigned violations;
};

static int
sparse_get(void *ctx, unsigned level, uint64_t index, uint8_t out[HLEN])
{
    struct sparse *s = ctx;
    uint64_t addr[2] = {level, index};

    s->reads++;
    if (level >= 64 || index + 1 > s->limit >> level) {
        s->violations++;
        return ISX_ENOTFOUND;
    }
    isx_sha256(addr, sizeof(addr), out);
    return 0;
}

/* The batched read over the sparse store; `batches` counts the calls. */
static int
sparse_get_many(void *ctx, const struct isx_merkle_addr *addrs, size_t n, uint8_t (*out)[HLEN])
{
    struct sparse *s = ctx;
    size_t i;
    int rc;

    s->batches++;
    if (n == 0 || n > ISX_MERKLE_MAX_NODES)
        s->violations++;
    for (i = 0; i < n; i++)
        if ((rc = sparse_get(ctx, addrs[i].level, addrs[i].index, out[i])) != 0)
            return rc;
    return 0;
}

static int
sparse_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
    struct sparse *s = ctx;

    s->puts++;
    if (level >= 64 || index + 1 > s->limit >> level)
        s->violations++;
    return 0;
}

static uint64_t
next_rand(uint64_t *x)
{
    /* xorshift64*: reproducible indices without libc's rand. */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * UINT64_C(2685821657736338717);
}

static void
test_read_counts(void **state)
{
    static const uint64_t special[] = {
        10000000, 10000001, 9999999,  8388607,  8388608,
        8388609,  16777215, 16777216, 12582911, /* 0b101111...1: many peaks and a long carry */
        10485759,                               /* 0b100111...1 */
    };
    hash_t path[ISX_MERKLE_MAX_PATH], out = {0};
    uint64_t worst_append = 0, worst_incl = 0, worst_cons = 0, rnd = 0x9e3779b97f4a7c15u;
    uint64_t at10m[3] = {0, 0, 0}; /* the same three at exactly 10,000,000 leaves */
    struct sparse s;
    size_t v, len;
    int j;

    for (v = 0; v < sizeof(special) / sizeof(special[0]) + 64; v++) {
        uint64_t n = v < sizeof(special) / sizeof(special[0])
                         ? special[v]
                         : 10000000 - 32 + (v - sizeof(special) / sizeof(special[0]));
        unsigned d = ceil_log2(n), p = popcount(n);
        uint64_t idx[200], m, worst[3] = {0, 0, 0}; /* append, inclusion, consistency */

        memset(&s, 0, sizeof(s));
        s.limit = n;
        assert_int_equal(isx_merkle_append(n - 1, out, sparse_get, &s, sparse_put, &s), 0);
        assert_true(s.reads <= d);
        assert_true(s.reads <= 2 * d + 2);
        assert_true(s.puts <= d + 1);
        worst[0] = s.reads;

        s.reads = 0;
        assert_int_equal(isx_merkle_root(n, sparse_get, &s, out), 0);
        assert_int_equal(s.reads, p);

        idx[0] = 0;
        idx[1] = n - 1;
        idx[2] = n / 2;
        idx[3] = n - 2;
        idx[4] = split_point(n);
        idx[5] = split_point(n) - 1;
        for (j = 6; j < 200; j++)
            idx[j] = next_rand(&rnd) % n;
        for (j = 0; j < 200; j++) {
            s.reads = 0;
            assert_int_equal(isx_merkle_inclusion_proof(idx[j], n, sparse_get, &s, path, &len), 0);
            assert_true(s.reads <= d + p - 1);
            assert_true(s.reads <= 3 * d + 4);
            assert_true(len <= d);
            worst[1] = s.reads > worst[1] ? s.reads : worst[1];

            m = idx[j] == 0 ? 1 : idx[j];
            s.reads = 0;
            assert_int_equal(isx_merkle_consistency_proof(m, n, sparse_get, &s, path, &len), 0);
            assert_true(s.reads <= d + p);
            assert_true(s.reads <= 3 * d + 4);
            assert_true(len <= d + 1);
            worst[2] = s.reads > worst[2] ? s.reads : worst[2];
        }
        assert_int_equal(s.violations, 0);
        if (n == 10000000)
            memcpy(at10m, worst, sizeof(worst));
        worst_append = worst[0] > worst_append ? worst[0] : worst_append;
        worst_incl = worst[1] > worst_incl ? worst[1] : worst_incl;
        worst_cons = worst[2] > worst_cons ? worst[2] : worst_cons;
    }
    print_message(
        "reads at 10,000,000 leaves (d = 24, p = 8): append %llu, inclusion proof at most "
        "%llu, consistency proof at most %llu; over %zu sizes from 2^23 - 1 to 2^24: "
        "append at most %llu, inclusion at most %llu, consistency at most %llu (the "
        "brief's bounds at d = 24: 2d+2 = 50 and 3d+4 = 76)\n",
        (unsigned long long)at10m[0], (unsigned long long)at10m[1], (unsigned long long)at10m[2], v,
        (unsigned long long)worst_append, (unsigned long long)worst_incl,
        (unsigned long long)worst_cons);
}

/*
 * The batched proof at large sizes, up to the largest: the same proof as the per-node one
 * (the sparse store's nodes do not add up, so this compares entry by entry), one read for as
 * many nodes as the per-node proof reads. 2^63 - 1 has 63 one bits, so its proofs need the most
 * nodes of any size (d + p - 1 = 125), which must fit ISX_MERKLE_MAX_NODES.
 */
static void
test_batch_large(void **state)
{
    static const uint64_t sizes[] = {
        10000000,
        10000001,
        9999999,
        8388608,
        12582911,
        UINT64_C(1) << 40,
        (UINT64_C(1) << 40) + 12345,
        ISX_MERKLE_MAX_SIZE - 1,
        ISX_MERKLE_MAX_SIZE,
    };
    hash_t path[ISX_MERKLE_MAX_PATH], batch[ISX_MERKLE_MAX_PATH];
    uint64_t rnd = 0x2545f4914f6cdd1du, most = 0;
    struct sparse s;
    size_t v, len, blen;
    int j;

    for (v = 0; v < sizeof(sizes) / sizeof(sizes[0]); v++) {
        uint64_t n = sizes[v];

        memset(&s, 0, sizeof(s));
        s.limit = n;
        for (j = 0; j < 100; j++) {
            uint64_t i = j == 0 ? 0 : j == 1 ? n - 1 : j == 2 ? n / 2 : next_rand(&rnd) % n;
            uint64_t reads;

            s.reads = 0;
            assert_int_equal(isx_merkle_inclusion_proof(i, n, sparse_get, &s, path, &len), 0);
            reads = s.reads;
            s.reads = 0;
            s.batches = 0;
            assert_int_equal(
                isx_merkle_inclusion_proof_batch(i, n, sparse_get_many, &s, batch, &blen), 0);
            assert_int_equal(s.batches, 1);
            assert_int_equal(s.reads, reads);
            assert_true(reads <= ISX_MERKLE_MAX_NODES);
            assert_int_equal(blen, len);
            assert_memory_equal(batch, path, len * HLEN);
            most = reads > most ? reads : most;
        }
        assert_int_equal(s.violations, 0);
    }
    print_message("batched proofs at sizes up to 2^63: identical, at most %llu nodes in one read "
                  "(room for %d)\n",
                  (unsigned long long)most, ISX_MERKLE_MAX_NODES);
}

/* --- Timings (printed, not asserted) ---------------------------------------------------- */

static void
test_timing(void **state)
{
    enum { N = 1000000, PROOFS = 200000, VERIFY = 50000 };
    hash_t *leaves = malloc(N * sizeof(hash_t)), path[ISX_MERKLE_MAX_PATH], root, ref;
    uint64_t i, rnd = 12345, reads;
    struct mem s;
    double t0, t_append, t_proof, t_verify;
    size_t len;

    assert_non_null(leaves);
    memset(&s, 0, sizeof(s));
    t0 = now();
    for (i = 0; i < N; i++) {
        isx_merkle_leaf_hash(&i, sizeof(i), leaves[i]);
        s.limit = i + 1;
        if (isx_merkle_append(i, leaves[i], mem_get, &s, mem_put, &s) != 0)
            fail();
    }
    t_append = now() - t0;
    assert_int_equal(s.violations, 0);
    mem_root(&s, N, root);
    ref_mth(leaves, N, ref);
    assert_memory_equal(root, ref, HLEN);

    s.limit = N;
    s.reads = 0;
    t0 = now();
    for (i = 0; i < PROOFS; i++)
        if (isx_merkle_inclusion_proof(next_rand(&rnd) % N, N, mem_get, &s, path, &len) != 0)
            fail();
    t_proof = now() - t0;
    reads = s.reads;

    t0 = now();
    for (i = 0; i < VERIFY; i++) {
        uint64_t k = next_rand(&rnd) % N;

        len = mem_inclusion(&s, k, N, path);
        if (isx_merkle_verify_inclusion(k, N, leaves[k], path[0], len, root) != 0)
            fail();
    }
    t_verify = now() - t0;
    print_message("timing, in-memory store: %d appends (leaf hash included) in %.3f s = %.0f/s; "
                  "%d inclusion proofs at %d leaves in %.3f s = %.0f/s (%.1f reads each); "
                  "%d proofs generated and verified in %.3f s = %.0f/s\n",
                  N, t_append, N / t_append, PROOFS, N, t_proof, PROOFS / t_proof,
                  (double)reads / PROOFS, VERIFY, t_verify, VERIFY / t_verify);
    mem_free(&s);
    free(leaves);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),           cmocka_unit_test(test_vector_nodes_and_roots),
        cmocka_unit_test(test_vector_inclusion), cmocka_unit_test(test_vector_consistency),
        cmocka_unit_test(test_arguments),        cmocka_unit_test(test_store_failures),
        cmocka_unit_test(test_inclusion_tamper), cmocka_unit_test(test_consistency_tamper),
        cmocka_unit_test(test_reference),        cmocka_unit_test(test_batch_proof),
        cmocka_unit_test(test_fold_memo),        cmocka_unit_test(test_read_counts),
        cmocka_unit_test(test_batch_large),      cmocka_unit_test(test_timing),
    };

    if (isx_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
