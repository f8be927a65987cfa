/*
 * The shared parts of the benchmark programs (bench.h). The indicator values are a pure
 * function of their number, so the raw SQLite ceiling and the HTTP loader work on exactly the
 * same data, and a lookup can name any stored value without keeping a list of them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "isx/indicator.h"

double
bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_scale(void)
{
    const char *s = getenv("BENCH_SCALE");
    char *end;
    double v;

    if (s == NULL || *s == '\0')
        return 1.0;
    v = strtod(s, &end);
    if (*end != '\0' || !(v > 0.0) || v > 10.0)
        return 1.0;
    return v;
}

uint64_t
bench_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t
bench_rand(uint64_t *state)
{
    uint64_t x = *state != 0 ? *state : 0x2545F4914F6CDD1Dull;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* A bijection on 24-bit numbers: odd multipliers and xor-shifts are each invertible. */
static uint32_t
scatter24(uint32_t x)
{
    const uint32_t mask = 0xFFFFFFu;

    x = (x * 0x5BD1E9u) & mask;
    x ^= x >> 12;
    x = (x * 0x2C1B3Du) & mask;
    x ^= x >> 11;
    return x & mask;
}

const char *
bench_value(uint64_t i, char *value)
{
    uint64_t j = i / 4;

    switch (i % 4) {
    case 0: {
        /* Addresses in 45.0.0.0/8 and up: one /8 holds 2^24 values. */
        uint32_t a = scatter24((uint32_t)(j & 0xFFFFFFu));
        snprintf(value, BENCH_VALUE_MAX, "%u.%u.%u.%u", (unsigned)(45 + (j >> 24)),
                 (unsigned)(a >> 16), (unsigned)((a >> 8) & 0xFF), (unsigned)(a & 0xFF));
        return "ipv4";
    }
    case 1:
        snprintf(value, BENCH_VALUE_MAX, "n%016" PRIx64 ".bench-isx.net", bench_mix64(j));
        return "domain";
    case 2:
        snprintf(value, BENCH_VALUE_MAX, "http://w%016" PRIx64 ".example.org/a/%" PRIu64 ".html",
                 bench_mix64(j ^ 0x5555555555555555ull), j);
        return "url";
    default:
        snprintf(value, BENCH_VALUE_MAX, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
                 bench_mix64(j), bench_mix64(j + 0x1000000000ull), bench_mix64(j + 0x2000000000ull),
                 bench_mix64(j + 0x3000000000ull));
        return "sha256";
    }
}

size_t
bench_check_values(uint64_t n, size_t count)
{
    static struct isx_indicator ind;
    char value[BENCH_VALUE_MAX];
    size_t bad = 0;

    if (n == 0 || count == 0)
        return 0;
    for (size_t k = 0; k < count; k++) {
        uint64_t i = (uint64_t)((double)k / (double)count * (double)n);
        struct isx_diag d = {0};
        const char *type = bench_value(i, value);
        int rc = isx_indicator_parse(type, value, "value", &ind, &d);

        if (rc == 0 && strcmp(ind.value, value) == 0 &&
            strcmp(isx_indicator_type_name(ind.type), type) == 0)
            continue;
        if (bad++ == 0)
            fprintf(stderr, "bench: value %" PRIu64 " (%s %s) does not normalise to itself: %s\n",
                    i, type, value, rc == 0 ? ind.value : d.key);
    }
    return bad;
}

int
bench_hist_init(struct bench_hist *h)
{
    h->count = 0;
    h->buckets = calloc(BENCH_HIST_BUCKETS, sizeof(*h->buckets));
    return h->buckets != NULL ? 0 : -1;
}

void
bench_hist_add(struct bench_hist *h, double seconds)
{
    double us = seconds * 1e6;
    size_t b = us <= 0.0                                ? 0
               : us >= (double)(BENCH_HIST_BUCKETS - 1) ? BENCH_HIST_BUCKETS - 1
                                                        : (size_t)us;

    h->buckets[b]++;
    h->count++;
}

void
bench_hist_merge(struct bench_hist *into, const struct bench_hist *from)
{
    for (size_t b = 0; b < BENCH_HIST_BUCKETS; b++)
        into->buckets[b] += from->buckets[b];
    into->count += from->count;
}

double
bench_hist_quantile(const struct bench_hist *h, double q)
{
    uint64_t want, seen = 0;

    if (h->count == 0)
        return 0.0;
    want = (uint64_t)(q * (double)h->count);
    if (want >= h->count)
        want = h->count - 1;
    for (size_t b = 0; b < BENCH_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen > want)
            return (double)b + 0.5;
    }
    return (double)(BENCH_HIST_BUCKETS - 1);
}

void
bench_hist_free(struct bench_hist *h)
{
    free(h->buckets);
    h->buckets = NULL;
}
