/*
 * What the benchmark programs share: a monotonic clock, the BENCH_SCALE factor, the
 * deterministic indicator values that the raw SQLite ceiling inserts and the HTTP loader posts,
 * and a latency histogram. Nothing here asserts: the programs print figures.
 */
#ifndef ISX_BENCH_H
#define ISX_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The longest value bench_value writes, with its NUL. */
#define BENCH_VALUE_MAX 160

/* Seconds on the monotonic clock. */
double bench_now(void);

/* The BENCH_SCALE environment variable: a factor in (0, 10], 1 when unset or invalid. */
double bench_scale(void);

/* splitmix64: a bijection on 64-bit integers, used to scatter sequential numbers. */
uint64_t bench_mix64(uint64_t x);

/* A small per-thread random generator (xorshift64*), never zero. */
uint64_t bench_rand(uint64_t *state);

/*
 * Indicator number `i`, written to `value` (BENCH_VALUE_MAX bytes) in its canonical form, with
 * its type name ("ipv4", "domain", "url", "sha256") returned. Types take turns (i % 4); the
 * values are unique for every i below 2^26 and scattered, so an index sees random inserts.
 */
const char *bench_value(uint64_t i, char *value);

/*
 * Checks that `count` values spread over [0, n) parse as their type and normalise to
 * themselves (include/isx/indicator.h). Returns the number that do not, and names the first on
 * stderr.
 */
size_t bench_check_values(uint64_t n, size_t count);

/* Latency histogram in microseconds: one bucket per microsecond up to 100 ms, then one. */
#define BENCH_HIST_BUCKETS 100001

struct bench_hist {
    uint64_t count;
    uint32_t *buckets;
};

int bench_hist_init(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, double seconds);
void bench_hist_merge(struct bench_hist *into, const struct bench_hist *from);
/* The q-quantile (0..1) in microseconds; 0 when empty. */
double bench_hist_quantile(const struct bench_hist *h, double q);
void bench_hist_free(struct bench_hist *h);

#endif
