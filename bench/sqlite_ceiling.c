/*
 * The raw SQLite ceilings of the ingest and lookup figures (issue 3, Performance).
 *
 * Insert: one database file, opened the way the store opens it (WAL, synchronous = FULL,
 * foreign keys on, the default page cache), a table of indicator rows with a unique
 * (type, value) index, and the very values the HTTP loader posts (bench_value), in their
 * order, 1000 rows to a BEGIN IMMEDIATE ... COMMIT transaction with one prepared statement.
 * It measures rows/s over the whole run and for each tenth of it, so the last slice shows the
 * rate at the full size.
 *
 * Lookup: point lookups by (type, value) of random stored values on read-only connections
 * opened beside the writer, as the store's reader pool does: one thread, then two threads
 * (this machine has two cores), each for a fixed time.
 *
 * Usage: sqlite_ceiling DB ROWS LOOKUP_SECONDS [MAX_SECONDS]. Figures go to stdout as
 * "key value" lines; progress goes to stderr.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bench.h"

#define ROWS_PER_TXN 1000
#define SLICES       10

static int
exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql, err != NULL ? err : "?");
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
        fprintf(stderr, "sqlite_ceiling: cannot open %s\n", path);
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

/* Inserts `rows` rows; returns the number inserted, and the time of each slice's end. */
static uint64_t
insert_rows(sqlite3 *db, uint64_t rows, double max_seconds, double *slice_end, double *t0,
            double *t1)
{
    sqlite3_stmt *st = NULL;
    char value[BENCH_VALUE_MAX];
    uint64_t done = 0, slice = rows / SLICES;
    int next_slice = 0;

    if (sqlite3_prepare_v2(db, "INSERT INTO indicators (type, value) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    *t0 = bench_now();
    while (done < rows && bench_now() - *t0 < max_seconds) {
        uint64_t end = done + ROWS_PER_TXN < rows ? done + ROWS_PER_TXN : rows;
        int ok = exec(db, "BEGIN IMMEDIATE") == 0;

        for (uint64_t i = done; ok && i < end; i++) {
            const char *type = bench_value(i, value);
            sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
            ok = sqlite3_step(st) == SQLITE_DONE;
            sqlite3_reset(st);
        }
        if (!ok || exec(db, "COMMIT") != 0) {
            fprintf(stderr, "sqlite_ceiling: insert failed at row %" PRIu64 ": %s\n", done,
                    sqlite3_errmsg(db));
            exec(db, "ROLLBACK");
            break;
        }
        done = end;
        while (next_slice < SLICES && slice > 0 && done >= slice * (uint64_t)(next_slice + 1))
            slice_end[next_slice++] = bench_now();
    }
    *t1 = bench_now();
    sqlite3_finalize(st);
    return done;
}

struct lookup_arg {
    const char *path;
    uint64_t rows;
    double seconds;
    uint64_t seed;
    uint64_t count;
    uint64_t misses;
    double elapsed;
};

static void *
lookup_thread(void *p)
{
    struct lookup_arg *a = p;
    sqlite3 *db = open_db(a->path, SQLITE_OPEN_READONLY);
    sqlite3_stmt *st = NULL;
    char value[BENCH_VALUE_MAX];
    uint64_t rng = a->seed, count = 0, misses = 0;
    double t0, now;

    if (db == NULL)
        return NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM indicators WHERE type = ?1 AND value = ?2", -1, &st,
                           NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    t0 = now = bench_now();
    /* The clock is read every 256 lookups; the count bound keeps the loop finite regardless. */
    for (uint64_t n = 0; n < UINT64_C(1) << 40 && now - t0 < a->seconds; n++) {
        const char *type = bench_value(bench_rand(&rng) % a->rows, value);

        sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            misses++;
        sqlite3_reset(st);
        count++;
        if ((n & 255) == 255)
            now = bench_now();
    }
    /* Counted in locals: the two threads' structures share a cache line. */
    a->elapsed = bench_now() - t0;
    a->count = count;
    a->misses = misses;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

/* Runs `threads` lookup threads; returns lookups/s over all of them. */
static double
lookups(const char *path, uint64_t rows, double seconds, int threads, uint64_t *misses)
{
    pthread_t tid[2];
    struct lookup_arg a[2];
    double rate = 0.0;

    *misses = 0;
    for (int t = 0; t < threads; t++) {
        a[t] = (struct lookup_arg){path, rows, seconds, 0x1234567ull + (uint64_t)t * 7919, 0, 0, 0};
        if (pthread_create(&tid[t], NULL, lookup_thread, &a[t]) != 0)
            return 0.0;
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        if (a[t].elapsed > 0.0)
            rate += (double)a[t].count / a[t].elapsed;
        *misses += a[t].misses;
    }
    return rate;
}

int
main(int argc, char **argv)
{
    double slice_end[SLICES] = {0}, t0 = 0.0, t1 = 0.0, max_seconds = 900.0, lookup_seconds;
    uint64_t rows, done, misses;
    sqlite3 *db;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: sqlite_ceiling DB ROWS LOOKUP_SECONDS [MAX_SECONDS]\n");
        return 2;
    }
    rows = strtoull(argv[2], NULL, 10);
    lookup_seconds = strtod(argv[3], NULL);
    if (argc == 5)
        max_seconds = strtod(argv[4], NULL);
    if (rows < SLICES * ROWS_PER_TXN || rows > (UINT64_C(1) << 26) || !(lookup_seconds > 0.0)) {
        fprintf(stderr, "sqlite_ceiling: ROWS must be 10000..67108864, seconds > 0\n");
        return 2;
    }
    if (bench_check_values(rows, 4000) != 0)
        fprintf(stderr, "sqlite_ceiling: some values are not canonical; figures still follow\n");

    db = open_db(argv[1], SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (db == NULL || exec(db, "PRAGMA journal_mode = WAL") != 0 ||
        exec(db, "CREATE TABLE indicators (id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
                 " value TEXT NOT NULL);"
                 "CREATE UNIQUE INDEX indicators_tv ON indicators (type, value);") != 0) {
        sqlite3_close(db);
        return 1;
    }
    fprintf(stderr, "sqlite_ceiling: inserting %" PRIu64 " rows, %d a transaction\n", rows,
            ROWS_PER_TXN);
    done = insert_rows(db, rows, max_seconds, slice_end, &t0, &t1);
    sqlite3_close(db);

    double total = t1 - t0;
    printf("sqlite_insert_rows %" PRIu64 "\n", done);
    printf("sqlite_insert_seconds %.3f\n", total);
    printf("sqlite_insert_rate %.0f\n", total > 0.0 ? (double)done / total : 0.0);
    for (int s = 0; s < SLICES; s++) {
        double from = s == 0 ? t0 : slice_end[s - 1];
        if (slice_end[s] <= 0.0)
            break;
        printf("sqlite_insert_slice_%d %.0f\n", s + 1,
               (double)(rows / SLICES) / (slice_end[s] - from));
    }
    if (slice_end[SLICES - 1] > 0.0)
        printf("sqlite_insert_last_rate %.0f\n",
               (double)(rows / SLICES) / (slice_end[SLICES - 1] - slice_end[SLICES - 2]));
    fflush(stdout);
    if (done < SLICES)
        return 1;

    fprintf(stderr, "sqlite_ceiling: point lookups on %" PRIu64 " rows, %.1f s each\n", done,
            lookup_seconds);
    printf("sqlite_lookup_rate %.0f\n", lookups(argv[1], done, lookup_seconds, 1, &misses));
    printf("sqlite_lookup_misses %" PRIu64 "\n", misses);
    printf("sqlite_lookup2_rate %.0f\n", lookups(argv[1], done, lookup_seconds, 2, &misses));
    printf("sqlite_lookup2_misses %" PRIu64 "\n", misses);
    return 0;
}
