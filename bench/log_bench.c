/*
 * The transparency log figures of issue 4 (Performance).
 *
 * Appends: a database created by isx_store_open (every table and migration, so exactly the
 * store's log_nodes table) and closed again; then a connection of our own opened the way the
 * store opens it (WAL, synchronous = FULL, foreign keys on), with the store's node statements,
 * and leaves appended through isx_merkle_append with the two statements prepared once and reused,
 * 10,000 leaves to a BEGIN IMMEDIATE ... COMMIT transaction. The node itself appends one leaf
 * inside each accepted object's transaction, so there the per-object cost is dominated by the
 * object write; this measures the log's own share. Leaf i is the leaf hash of a 32-byte value that
 * is a pure function of i. Leaves/s overall and over the last tenth (the rate near full size).
 * The objects table stays empty: only the log is measured.
 *
 * Inclusion proofs, through the store's own read path (what a node serves, src/api/log.c): the
 * database reopened with isx_store_open, then isx_merkle_inclusion_proof_batch with
 * isx_store_log_nodes (one batched read, at most one query, per proof) for random indexes at the
 * final size, from 1 thread on a cold cache and from 2 threads at once (the store's reader
 * pool); then from 1 thread, each proof also checked with isx_merkle_verify_inclusion against
 * the root. For comparison, the same proofs with one query per node: through a freshly opened
 * store (isx_merkle_inclusion_proof with isx_store_log_get, cold cache again), and on a bare
 * read-only connection of our own with one reused statement inside one read transaction.
 *
 * Checkpoints: isx_checkpoint_sign with an isx_signer_local over a fresh key, and
 * isx_checkpoint_open of the note, beside raw isx_sign / isx_sign_verify over the same
 * checkpoint text with the same key (the ceiling).
 *
 * Usage: log_bench DB LEAVES PROOF_SECONDS SIGN_SECONDS MAX_APPEND_SECONDS. Figures go to
 * stdout as "key value" lines; progress goes to stderr. Every loop is bounded by a count and
 * by time.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bench.h"
#include "isx/buf.h"
#include "isx/hash.h"
#include "isx/merkle.h"
#include "isx/note.h"
#include "isx/sign.h"
#include "isx/store.h"

#define LEAVES_PER_TXN 10000
#define ORIGIN         "bench.isx.example/log"

static int
exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "log_bench: %s: %s\n", sql, err != NULL ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static sqlite3 *
open_db(const char *path, int flags)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        fprintf(stderr, "log_bench: cannot open %s\n", path);
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    if (exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;") != 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* The store's node access (src/store/sqlite.c, writer_get / writer_put / isx_store_log_get). */
struct nodes {
    sqlite3_stmt *get;
    sqlite3_stmt *put;
};

static int
node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    struct nodes *w = ctx;
    int rc;

    sqlite3_bind_int(w->get, 1, (int)level);
    sqlite3_bind_int64(w->get, 2, (sqlite3_int64)index);
    rc = sqlite3_step(w->get);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(w->get, 0) == 32)
        memcpy(out, sqlite3_column_blob(w->get, 0), 32);
    sqlite3_reset(w->get);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int
node_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
    struct nodes *w = ctx;
    int rc;

    sqlite3_bind_int(w->put, 1, (int)level);
    sqlite3_bind_int64(w->put, 2, (sqlite3_int64)index);
    sqlite3_bind_blob(w->put, 3, hash, 32, SQLITE_STATIC);
    rc = sqlite3_step(w->put);
    sqlite3_reset(w->put);
    return rc == SQLITE_DONE ? 0 : -1;
}

static const char get_sql[] = "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2";
static const char put_sql[] = "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)";

/* The leaf hash of entry i: of 32 bytes that are a pure function of i (an "object hash"). */
static void
leaf_of(uint64_t i, uint8_t leaf[32])
{
    uint8_t data[32];

    for (int k = 0; k < 4; k++) {
        uint64_t v = bench_mix64(i * 4 + (uint64_t)k);
        memcpy(data + 8 * k, &v, 8);
    }
    isx_merkle_leaf_hash(data, sizeof(data), leaf);
}

static uint64_t
append_leaves(sqlite3 *db, uint64_t leaves, double max_seconds)
{
    struct nodes w = {NULL, NULL};
    uint64_t done = 0, last_from = leaves - leaves / 10;
    double t0, t1, t_last = -1;
    int last_set = 0;

    if (sqlite3_prepare_v2(db, get_sql, -1, &w.get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, put_sql, -1, &w.put, NULL) != SQLITE_OK) {
        fprintf(stderr, "log_bench: prepare: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    t0 = bench_now();
    while (done < leaves && bench_now() - t0 < max_seconds) {
        uint64_t end = done + LEAVES_PER_TXN < leaves ? done + LEAVES_PER_TXN : leaves;
        int ok = exec(db, "BEGIN IMMEDIATE") == 0;

        if (!last_set && done >= last_from) {
            t_last = bench_now();
            last_set = 1;
        }
        for (uint64_t i = done; ok && i < end; i++) {
            uint8_t leaf[32];

            leaf_of(i, leaf);
            ok = isx_merkle_append(i, leaf, node_get, &w, node_put, &w) == 0;
        }
        if (!ok || exec(db, "COMMIT") != 0) {
            fprintf(stderr, "log_bench: append failed near leaf %" PRIu64 ": %s\n", done,
                    sqlite3_errmsg(db));
            exec(db, "ROLLBACK");
            break;
        }
        done = end;
        if (done % (leaves / 10 > 0 ? leaves / 10 : 1) == 0 || done == leaves)
            fprintf(stderr, "log_bench: %" PRIu64 " leaves, %.0f s\n", done, bench_now() - t0);
    }
    t1 = bench_now();
    printf("log_append_leaves %" PRIu64 "\n", done);
    printf("log_append_seconds %.2f\n", t1 - t0);
    if (t1 > t0)
        printf("log_append_rate %.0f\n", (double)done / (t1 - t0));
    if (last_set && done == leaves && t1 > t_last)
        printf("log_append_last_rate %.0f\n", (double)(done - last_from) / (t1 - t_last));
out:
    sqlite3_finalize(w.get);
    sqlite3_finalize(w.put);
    return done;
}

/* The bare-connection comparison: one read-only connection, one reused statement, one read
 * transaction for the whole run (a reader seeing one snapshot). */
static void
proofs_bare(const char *path, uint64_t size, double seconds)
{
    sqlite3 *db = open_db(path, SQLITE_OPEN_READONLY);
    struct nodes r = {NULL, NULL};
    uint8_t path_[ISX_MERKLE_MAX_PATH][32];
    uint64_t rng = 0x9e3779b97f4a7c15u, count = 0, bad = 0;
    size_t len;
    double t0, now;

    if (db == NULL)
        return;
    if (sqlite3_prepare_v2(db, get_sql, -1, &r.get, NULL) != SQLITE_OK) {
        fprintf(stderr, "log_bench: prepare: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    exec(db, "BEGIN");
    t0 = now = bench_now();
    for (uint64_t n = 0; n < UINT64_C(1) << 40 && now - t0 < seconds; n++) {
        if (isx_merkle_inclusion_proof(bench_rand(&rng) % size, size, node_get, &r, path_, &len) !=
            0)
            bad++;
        count++;
        if ((n & 255) == 255)
            now = bench_now();
    }
    now = bench_now();
    exec(db, "COMMIT");
    printf("log_proof_bare_rate %.0f\n", (double)count / (now - t0));
    printf("log_proof_bare_errors %" PRIu64 "\n", bad);
out:
    sqlite3_finalize(r.get);
    sqlite3_close(db);
}

/* One thread of proofs through the store: batched as the API builds them, or per node. */
struct proof_run {
    struct isx_store *store;
    int per_node;
    uint64_t size, seed, count, bad, entries;
    double seconds, elapsed;
};

static int
store_proof(const struct proof_run *a, uint64_t index, uint8_t (*path)[32], size_t *len)
{
    if (a->per_node)
        return isx_merkle_inclusion_proof(index, a->size, isx_store_log_get, a->store, path, len);
    return isx_merkle_inclusion_proof_batch(index, a->size, isx_store_log_nodes, a->store, path,
                                            len);
}

static void *
proof_thread(void *arg)
{
    struct proof_run *a = arg;
    uint8_t path_[ISX_MERKLE_MAX_PATH][32];
    uint64_t rng = a->seed;
    size_t len;
    double t0, now;

    t0 = now = bench_now();
    for (uint64_t n = 0; n < UINT64_C(1) << 40 && now - t0 < a->seconds; n++) {
        len = 0;
        if (store_proof(a, bench_rand(&rng) % a->size, path_, &len) != 0)
            a->bad++;
        a->entries += len;
        a->count++;
        if ((n & 255) == 255)
            now = bench_now();
    }
    a->elapsed = bench_now() - t0;
    return NULL;
}

/* Proofs through the store from `threads` threads at once; returns proofs/s (all threads). */
static double
proofs_store_run(struct isx_store *store, int per_node, uint64_t size, double seconds, int threads,
                 uint64_t *bad, double *mean_len)
{
    struct proof_run a[2];
    pthread_t tid[2];
    uint64_t count = 0, entries = 0;
    double elapsed = 0;
    int started = 0;

    *bad = 0;
    for (int t = 0; t < threads && t < 2; t++) {
        memset(&a[t], 0, sizeof(a[t]));
        a[t].store = store;
        a[t].per_node = per_node;
        a[t].size = size;
        a[t].seconds = seconds;
        a[t].seed = 0x9e3779b97f4a7c15u + (uint64_t)t * 0x632be59bd9b4e019u;
        if (threads == 1)
            proof_thread(&a[t]);
        else if (pthread_create(&tid[t], NULL, proof_thread, &a[t]) != 0)
            break;
        started++;
    }
    for (int t = 0; t < started; t++) {
        if (threads > 1)
            pthread_join(tid[t], NULL);
        count += a[t].count;
        entries += a[t].entries;
        *bad += a[t].bad;
        if (a[t].elapsed > elapsed)
            elapsed = a[t].elapsed;
    }
    if (started < threads)
        *bad += 1;
    *mean_len = count > 0 ? (double)entries / (double)count : 0.0;
    return elapsed > 0 ? (double)count / elapsed : 0.0;
}

/*
 * Inclusion proofs through the store's read path, batched as the API builds them
 * (isx_store_log_nodes over the reader pool), then per node through a freshly opened store for
 * comparison: both start with an empty node cache.
 */
static void
proofs_store(const char *path, uint64_t size, const uint8_t root[32], double seconds)
{
    struct isx_store *store = NULL;
    uint8_t path_[ISX_MERKLE_MAX_PATH][32], leaf[32];
    uint64_t rng = 0x2545f4914f6cdd1du, count = 0, bad = 0, stored = 0;
    size_t len;
    double t0, now, rate, mean;

    if (isx_store_open(path, 0, &store) != 0) {
        fprintf(stderr, "log_bench: cannot open the store at %s\n", path);
        return;
    }
    if (isx_store_log_size(store, &stored) != 0 || stored != size) {
        fprintf(stderr, "log_bench: the store sees %" PRIu64 " leaves, not %" PRIu64 "\n", stored,
                size);
        goto out;
    }
    rate = proofs_store_run(store, 0, size, seconds, 1, &bad, &mean);
    printf("log_proof_rate %.0f\n", rate);
    printf("log_proof_errors %" PRIu64 "\n", bad);
    printf("log_proof_mean_len %.1f\n", mean);
    fflush(stdout);
    rate = proofs_store_run(store, 0, size, seconds, 2, &bad, &mean);
    printf("log_proof2_rate %.0f\n", rate);
    printf("log_proof2_errors %" PRIu64 "\n", bad);
    fflush(stdout);

    bad = 0;
    t0 = now = bench_now();
    for (uint64_t n = 0; n < UINT64_C(1) << 40 && now - t0 < seconds; n++) {
        uint64_t idx = bench_rand(&rng) % size;

        leaf_of(idx, leaf);
        if (isx_merkle_inclusion_proof_batch(idx, size, isx_store_log_nodes, store, path_, &len) !=
                0 ||
            isx_merkle_verify_inclusion(idx, size, leaf, path_[0], len, root) != 0)
            bad++;
        count++;
        if ((n & 255) == 255)
            now = bench_now();
    }
    now = bench_now();
    printf("log_proof_verify_rate %.0f\n", (double)count / (now - t0));
    printf("log_proof_verify_bad %" PRIu64 "\n", bad);
    fflush(stdout);

    /* One query per node, as proofs were built before the batched read, on a cold cache too. */
    isx_store_close(store);
    store = NULL;
    if (isx_store_open(path, 0, &store) != 0) {
        fprintf(stderr, "log_bench: cannot reopen the store at %s\n", path);
        return;
    }
    rate = proofs_store_run(store, 1, size, seconds, 1, &bad, &mean);
    printf("log_proof_per_node_rate %.0f\n", rate);
    printf("log_proof_per_node_errors %" PRIu64 "\n", bad);
out:
    isx_store_close(store);
}

/* Runs `op` repeatedly for `seconds` (and at most 2^32 times); returns operations/s. */
#define TIMED(seconds, okvar, op)                                                                  \
    do {                                                                                           \
        uint64_t n_ = 0;                                                                           \
        double t0_ = bench_now(), now_ = t0_;                                                      \
        for (; n_ < (UINT64_C(1) << 32) && now_ - t0_ < (seconds); n_++) {                         \
            if ((op) != 0)                                                                         \
                okvar++;                                                                           \
            if ((n_ & 63) == 63)                                                                   \
                now_ = bench_now();                                                                \
        }                                                                                          \
        now_ = bench_now();                                                                        \
        rate = (double)n_ / (now_ - t0_);                                                          \
    } while (0)

static int
sign_once(const struct isx_checkpoint *cp, struct isx_signer *signer, struct isx_buf *note)
{
    isx_buf_reset(note);
    return isx_checkpoint_sign(cp, signer, note);
}

static void
checkpoints(uint8_t root[32], uint64_t size, double seconds)
{
    uint8_t seed[ISX_SIGN_SEED_LEN], pk[ISX_SIGN_PUBLIC_LEN], sig[ISX_SIGN_SIG_LEN];
    struct isx_sign_key *raw = NULL, *owned = NULL;
    struct isx_signer *signer = NULL;
    struct isx_checkpoint cp, opened;
    struct isx_note_verifier ver;
    struct isx_note_result res;
    struct isx_buf text = ISX_BUF_INIT, note = ISX_BUF_INIT;
    uint64_t bad = 0;
    double rate;

    randombytes_buf(seed, sizeof(seed));
    if (isx_sign_key_from_seed(seed, &raw) != 0 || isx_sign_key_from_seed(seed, &owned) != 0 ||
        isx_signer_local(owned, ORIGIN, &signer) != 0) {
        fprintf(stderr, "log_bench: no signing key\n");
        isx_sign_key_free(owned);
        goto out;
    }
    sodium_memzero(seed, sizeof(seed));
    isx_sign_key_public(raw, pk);
    memset(&cp, 0, sizeof(cp));
    snprintf(cp.origin, sizeof(cp.origin), "%s", ORIGIN);
    cp.size = size;
    memcpy(cp.root, root, 32);
    if (isx_checkpoint_format(&cp, &text) != 0 ||
        isx_note_verifier_init(ORIGIN, ISX_NOTE_ED25519, pk, &ver) != 0 ||
        sign_once(&cp, signer, &note) != 0 || isx_sign(raw, text.data, text.len, sig) != 0) {
        fprintf(stderr, "log_bench: checkpoint setup failed\n");
        goto out;
    }

    TIMED(seconds, bad, isx_sign(raw, text.data, text.len, sig));
    printf("ed25519_sign_rate %.0f\n", rate);
    TIMED(seconds, bad, sign_once(&cp, signer, &note));
    printf("checkpoint_sign_rate %.0f\n", rate);
    TIMED(seconds, bad, isx_sign_verify(pk, text.data, text.len, sig));
    printf("ed25519_verify_rate %.0f\n", rate);
    TIMED(seconds, bad, isx_checkpoint_open(note.data, note.len, &ver, 1, &opened, &res));
    printf("checkpoint_open_rate %.0f\n", rate);
    if (opened.size != size || memcmp(opened.root, root, 32) != 0)
        bad++;
    printf("checkpoint_bad %" PRIu64 "\n", bad);
    printf("checkpoint_note_bytes %zu\n", note.len);
out:
    isx_signer_free(signer);
    isx_sign_key_free(raw);
    isx_buf_free(&text);
    isx_buf_free(&note);
}

int
main(int argc, char **argv)
{
    sqlite3 *db;
    uint64_t leaves, size;
    double proof_s, sign_s, max_s;
    uint8_t root[32];
    struct nodes r = {NULL, NULL};
    struct isx_store *store = NULL;

    if (argc != 6) {
        fprintf(stderr,
                "usage: log_bench DB LEAVES PROOF_SECONDS SIGN_SECONDS MAX_APPEND_SECONDS\n");
        return 2;
    }
    leaves = strtoull(argv[2], NULL, 10);
    proof_s = atof(argv[3]);
    sign_s = atof(argv[4]);
    max_s = atof(argv[5]);
    if (leaves == 0 || isx_crypto_init() != 0)
        return 1;

    /* The store creates the database: every table and migration, log_nodes among them. */
    if (isx_store_open(argv[1], 1, &store) != 0) {
        fprintf(stderr, "log_bench: cannot create the store at %s\n", argv[1]);
        return 1;
    }
    isx_store_close(store);
    if ((db = open_db(argv[1], SQLITE_OPEN_READWRITE)) == NULL ||
        exec(db, "PRAGMA journal_mode = WAL") != 0)
        return 1;
    fprintf(stderr, "log_bench: appending %" PRIu64 " leaves, %d a transaction (at most %.0f s)\n",
            leaves, LEAVES_PER_TXN, max_s);
    size = append_leaves(db, leaves, max_s);
    if (size == 0)
        return 1;
    if (sqlite3_prepare_v2(db, get_sql, -1, &r.get, NULL) != SQLITE_OK ||
        isx_merkle_root(size, node_get, &r, root) != 0)
        return 1;
    sqlite3_finalize(r.get);
    sqlite3_close(db);
    fflush(stdout);

    fprintf(stderr,
            "log_bench: inclusion proofs at %" PRIu64 " leaves through the store (1 thread, "
            "2 threads, with verify, per node) and a bare connection, 5 x %.0f s\n",
            size, proof_s);
    proofs_store(argv[1], size, root, proof_s);
    fflush(stdout);
    proofs_bare(argv[1], size, proof_s);
    fflush(stdout);

    fprintf(stderr, "log_bench: checkpoint signing and verification, 4 x %.0f s\n", sign_s);
    checkpoints(root, size, sign_s);
    return 0;
}
