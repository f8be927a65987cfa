/*
 * Where the time of an isx request goes: the steps of the ingest, single lookup and batch
 * lookup handlers (src/api/reports.c) timed one by one, in-process, on the node the benchmark
 * filled, with no HTTP in between. Run after isxd has stopped, on its node directory.
 *
 * Each step calls the same library functions the handler calls, on the same kind of input the
 * load generator sends: authentication (token hash and user lookup, done for every request),
 * JSON parsing of the body, indicator parsing, the store lookup, signing and storing a report,
 * and rendering the answer. Two more figures: the store lookup's fixed cost (a call with no
 * keys), and store lookups per second (one key a call, then 1000) from one thread and from two
 * at once, which shows how the store scales on two cores. Reports for the ingest steps carry new
 * indicators (bench_value numbers from 64M up), so they go into the full index as the HTTP ingest
 * did. Each step runs for at most SECONDS and a fixed number of rounds; its mean time is printed.
 *
 * Usage: phases NODE_DIR STORED [SECONDS]. Figures go to stdout as "phase_<step>_us value"
 * and "phase_store_{lookup,batch}_<n>t_rate value" lines (keys/s).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "isx/auth.h"
#include "isx/indicator.h"
#include "isx/jcs.h"
#include "isx/marking.h"
#include "isx/node.h"
#include "isx/report.h"
#include "isx/store.h"

#define BATCH       1000
#define INGEST_BASE UINT64_C(64000000)
#define MAX_ROUNDS  200000
#define MAX_REPORTS 64
#define MAX_BATCHES 200

static double seconds = 2.0;
static uint64_t rng = 0xFEEDull;
static uint64_t stored;

/* A step's running total. */
struct step {
    const char *name;
    double total;
    uint64_t rounds;
};

static void
step_add(struct step *s, double t0)
{
    s->total += bench_now() - t0;
    s->rounds++;
}

static void
step_print(const struct step *s)
{
    printf("phase_%s_us %.1f\n", s->name, s->rounds ? s->total / (double)s->rounds * 1e6 : 0.0);
}

/* Appends a string to a malloc'd text, growing it; the text stays NUL-terminated. */
static int
append(char **text, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);

    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 65536;
        while (c < *len + n + 1)
            c *= 2;
        char *p = realloc(*text, c);
        if (p == NULL)
            return -1;
        *text = p;
        *cap = c;
    }
    memcpy(*text + *len, s, n + 1);
    *len += n;
    return 0;
}

/* The lookup key the handler builds from a parsed indicator (reports.c, to_key). */
static void
make_key(const struct isx_indicator *ind, struct isx_lookup_key *key, char *value_copy)
{
    memset(key, 0, sizeof(*key));
    strcpy(value_copy, ind->value);
    key->type = isx_indicator_type_name(ind->type);
    key->value = value_copy;
    if (ind->type == ISX_IND_IPV4 || ind->type == ISX_IND_IPV6) {
        key->family = ind->type == ISX_IND_IPV4 ? 4 : 6;
        memcpy(key->addr, ind->addr, sizeof(key->addr));
    }
}

static void
single_lookup(struct isx_node *n, const char *token)
{
    struct step auth = {"single_auth", 0, 0}, parse = {"single_parse", 0, 0};
    struct step look = {"single_store", 0, 0}, render = {"single_render", 0, 0};
    struct isx_indicator *ind = malloc(sizeof(*ind));
    char value[BENCH_VALUE_MAX], copy[ISX_INDICATOR_MAX + 1];
    double start = bench_now();

    if (ind == NULL)
        return;
    for (uint64_t r = 0; r < MAX_ROUNDS && bench_now() - start < seconds; r++) {
        struct isx_diag d = {0};
        struct isx_lookup_key key;
        struct isx_user u;
        uint8_t h[32];
        json_t *results = NULL, *doc;
        double t0 = bench_now();

        if (isx_token_hash(token, h) != 0 || isx_store_user_by_token(n->store, h, &u) != 0)
            break;
        step_add(&auth, t0);
        bench_value(bench_rand(&rng) % stored, value);
        t0 = bench_now();
        if (isx_indicator_parse(NULL, value, "value", ind, &d) != 0)
            break;
        make_key(ind, &key, copy);
        step_add(&parse, t0);
        t0 = bench_now();
        if (isx_store_lookup(n->store, &key, 1, 1, &results) != 0)
            break;
        step_add(&look, t0);
        t0 = bench_now();
        doc = json_pack("{s:s, s:s, s:s, s:O}", "input", value, "type", key.type, "value",
                        key.value, "reports", json_array_get(results, 0));
        char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
        free(text);
        json_decref(doc);
        step_add(&render, t0);
        json_decref(results);
    }
    free(ind);
    step_print(&auth);
    step_print(&parse);
    step_print(&look);
    step_print(&render);
}

/* The store lookup's fixed cost: a call with no keys takes a reader and prepares its two
 * statements, and steps nothing. */
static void
lookup_fixed(struct isx_node *n)
{
    struct step fixed = {"single_store_fixed", 0, 0};
    double start = bench_now();

    for (uint64_t r = 0; r < MAX_ROUNDS && bench_now() - start < seconds; r++) {
        json_t *results = NULL;
        double t0 = bench_now();
        if (isx_store_lookup(n->store, NULL, 0, 1, &results) != 0)
            break;
        step_add(&fixed, t0);
        json_decref(results);
    }
    step_print(&fixed);
}

struct lookup_thread {
    pthread_t tid;
    struct isx_node *node;
    size_t keys; /* keys a call: 1, or BATCH */
    uint64_t seed, count;
};

static void *
lookup_thread_main(void *p)
{
    struct lookup_thread *a = p;
    struct isx_indicator *ind = malloc(sizeof(*ind));
    struct isx_lookup_key *keys = calloc(a->keys, sizeof(*keys));
    char(*copies)[ISX_INDICATOR_MAX + 1] = calloc(a->keys, sizeof(*copies));
    char value[BENCH_VALUE_MAX];
    uint64_t seed = a->seed, count = 0;
    double start = bench_now();

    for (uint64_t r = 0; ind != NULL && keys != NULL && copies != NULL && r < MAX_ROUNDS * 10 &&
                         bench_now() - start < seconds;
         r++) {
        struct isx_diag d = {0};
        json_t *results = NULL;
        size_t i;

        for (i = 0; i < a->keys; i++) {
            bench_value(bench_rand(&seed) % stored, value);
            if (isx_indicator_parse(NULL, value, "value", ind, &d) != 0)
                break;
            make_key(ind, &keys[i], copies[i]);
        }
        if (i < a->keys || isx_store_lookup(a->node->store, keys, a->keys, 1, &results) != 0)
            break;
        json_decref(results);
        count += a->keys;
    }
    free(ind);
    free(keys);
    free(copies);
    a->count = count;
    return NULL;
}

/* Store lookups (keys a call) per second from 1 thread, then from 2 at once: how they scale. */
static void
lookup_scaling(struct isx_node *n, size_t keys)
{
    struct lookup_thread t[2];

    for (int threads = 1; threads <= 2; threads++) {
        double t0 = bench_now(), rate;
        uint64_t total = 0;
        int started = 0;

        for (int i = 0; i < threads; i++) {
            t[i] =
                (struct lookup_thread){.node = n, .keys = keys, .seed = 0xC0FFEEull + (uint64_t)i};
            if (pthread_create(&t[i].tid, NULL, lookup_thread_main, &t[i]) != 0)
                break;
            started++;
        }
        for (int i = 0; i < started; i++) {
            pthread_join(t[i].tid, NULL);
            total += t[i].count;
        }
        rate = (double)total / (bench_now() - t0);
        printf("phase_store_%s_%dt_rate %.0f\n", keys == 1 ? "lookup" : "batch", threads, rate);
    }
}

static void
batch_lookup(struct isx_node *n)
{
    struct step pjson = {"batch_json_parse", 0, 0}, parse = {"batch_parse", 0, 0};
    struct step look = {"batch_store", 0, 0}, render = {"batch_render", 0, 0};
    struct isx_indicator *ind = malloc(sizeof(*ind));
    struct isx_lookup_key *keys = calloc(BATCH, sizeof(*keys));
    char(*copies)[ISX_INDICATOR_MAX + 1] = calloc(BATCH, sizeof(*copies));
    char value[BENCH_VALUE_MAX], *text = NULL;
    size_t len = 0, cap = 0;
    double start = bench_now();

    if (ind == NULL || keys == NULL || copies == NULL)
        goto done;
    for (uint64_t r = 0; r < MAX_BATCHES && bench_now() - start < seconds; r++) {
        struct isx_diag d = {0};
        json_t *body = NULL, *results = NULL, *out, *v;
        size_t i;

        len = 0;
        append(&text, &len, &cap, "{\"values\":[");
        for (i = 0; i < BATCH; i++) {
            bench_value(bench_rand(&rng) % stored, value);
            append(&text, &len, &cap, i ? ",\"" : "\"");
            append(&text, &len, &cap, value);
            append(&text, &len, &cap, "\"");
        }
        if (append(&text, &len, &cap, "]}") != 0)
            break;
        double t0 = bench_now();
        if (isx_json_parse(text, len, &body, &d) != 0)
            break;
        step_add(&pjson, t0);
        t0 = bench_now();
        json_array_foreach(json_object_get(body, "values"), i, v)
        {
            if (isx_indicator_parse(NULL, json_string_value(v), "values[]", ind, &d) != 0)
                break;
            make_key(ind, &keys[i], copies[i]);
        }
        step_add(&parse, t0);
        t0 = bench_now();
        if (isx_store_lookup(n->store, keys, BATCH, 1, &results) != 0) {
            json_decref(body);
            break;
        }
        step_add(&look, t0);
        t0 = bench_now();
        out = json_array();
        json_array_foreach(json_object_get(body, "values"), i, v)
        {
            json_array_append_new(out,
                                  json_pack("{s:s, s:s, s:s, s:O}", "input", json_string_value(v),
                                            "type", keys[i].type, "value", keys[i].value, "reports",
                                            json_array_get(results, i)));
        }
        json_t *doc = json_pack("{s:o}", "results", out);
        char *dump = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
        free(dump);
        json_decref(doc);
        step_add(&render, t0);
        json_decref(results);
        json_decref(body);
    }
    step_print(&pjson);
    step_print(&parse);
    step_print(&look);
    step_print(&render);
done:
    free(text);
    free(ind);
    free(keys);
    free(copies);
}

static void
ingest(struct isx_node *n)
{
    struct step pjson = {"ingest_json_parse", 0, 0}, prep = {"ingest_prepare", 0, 0};
    struct step sign = {"ingest_sign", 0, 0}, put = {"ingest_store", 0, 0};
    struct step render = {"ingest_render", 0, 0};
    struct isx_change change = {"admin", "create"};
    char value[BENCH_VALUE_MAX], item[BENCH_VALUE_MAX + 64], *text = NULL;
    size_t len = 0, cap = 0;
    double start = bench_now();

    for (uint64_t k = 0; k < MAX_REPORTS && bench_now() - start < seconds * 2; k++) {
        struct isx_diag d = {0};
        struct isx_object *o = NULL;
        json_t *body = NULL, *marking;

        len = 0;
        snprintf(item, sizeof(item),
                 "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"title\":{\"en\":\"phase "
                 "%" PRIu64 "\"},\"indicators\":[",
                 k);
        append(&text, &len, &cap, item);
        for (uint64_t i = 0; i < BATCH; i++) {
            const char *type = bench_value(INGEST_BASE + k * BATCH + i, value);
            snprintf(item, sizeof(item), "%s{\"type\":\"%s\",\"value\":\"%s\"}", i ? "," : "", type,
                     value);
            append(&text, &len, &cap, item);
        }
        if (append(&text, &len, &cap, "]}") != 0)
            break;
        double t0 = bench_now();
        if (isx_json_parse(text, len, &body, &d) != 0)
            break;
        step_add(&pjson, t0);
        t0 = bench_now();
        marking = json_incref(json_object_get(body, "marking"));
        json_object_del(body, "marking");
        if (isx_marking_check(marking, "marking", &d) != 0 || isx_report_prepare(body, &d) != 0) {
            json_decref(marking);
            json_decref(body);
            break;
        }
        step_add(&prep, t0);
        t0 = bench_now();
        if (isx_object_new("report", NULL, n->cfg.party, marking, body, NULL, &o) != 0)
            break;
        if (isx_object_sign(o, n->signer) != 0) {
            isx_object_free(o);
            break;
        }
        step_add(&sign, t0);
        t0 = bench_now();
        if (isx_store_put(n->store, o, &change, NULL, 1) != 0) {
            isx_object_free(o);
            break;
        }
        step_add(&put, t0);
        t0 = bench_now();
        char *dump = json_dumps(o->env, JSON_COMPACT | JSON_ENCODE_ANY);
        free(dump);
        step_add(&render, t0);
        isx_object_free(o);
    }
    free(text);
    step_print(&pjson);
    step_print(&prep);
    step_print(&sign);
    step_print(&put);
    step_print(&render);
}

int
main(int argc, char **argv)
{
    struct isx_node *n = NULL;
    struct isx_diag d = {0};
    char path[4200], token[128] = {0};
    FILE *f;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: phases NODE_DIR STORED [SECONDS]\n");
        return 2;
    }
    stored = strtoull(argv[2], NULL, 10);
    if (argc == 4)
        seconds = strtod(argv[3], NULL);
    if (stored == 0 || !(seconds > 0.0) || seconds > 60.0)
        return 2;
    snprintf(path, sizeof(path), "%s/admin.token", argv[1]);
    if ((f = fopen(path, "r")) == NULL || fgets(token, sizeof(token), f) == NULL) {
        fprintf(stderr, "phases: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    fclose(f);
    token[strcspn(token, "\r\n")] = '\0';
    /* Opened as isxd opens it, with the signer in its own process. */
    if (isx_node_open(argv[1], 1, &n, &d) != 0) {
        fprintf(stderr, "phases: cannot open the node in %s: %s\n", argv[1], d.key);
        return 1;
    }
    single_lookup(n, token);
    lookup_fixed(n);
    lookup_scaling(n, 1);
    batch_lookup(n);
    lookup_scaling(n, BATCH);
    ingest(n);
    isx_node_free(n);
    return 0;
}
