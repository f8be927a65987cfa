/*
 * The model of communication checks (include/isx/ping.h): ping and ack bodies, the rule that
 * decides whether an acknowledgement counts, the results and history computed from the
 * objects a node holds, and the [pings] schedule. No I/O: callers pass the objects and the
 * time. Invariants: a state (open, closed) is always computed from the time asked about; an
 * ack counts in results exactly when isx_ping_ack_judge would have accepted it, so a node that
 * somehow holds a refused ack still reports the same figures as one that refused it.
 */
#include <stdlib.h>
#include <string.h>

#include "isx/hash.h"
#include "isx/ping.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL                                                         \
    }

#define DAY_MS  INT64_C(86400000)
#define HOUR_MS INT64_C(3600000)

const char *const isx_ping_hows[] = {"api", "cli", "link", NULL};
const char *const isx_ping_schedules[] = {"off", "daily", "weekly", "monthly", NULL};
static const char *const kinds[] = {"diplomatic", "technical", NULL};
static const char *const weekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

static const char *
str(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

static void
sub_path(char *out, size_t cap, const char *path, const char *name)
{
    snprintf(out, cap, "%s%s%s", path, *path != '\0' ? "." : "", name);
}

/* ---- bodies ---- */

/* Times in bodies are in the one canonical form, so that they compare as strings too. */
static int
check_time(const json_t *v, const char *path, struct isx_diag *d)
{
    char canon[ISX_TIME_LEN + 1];
    int64_t ms;

    if (isx_time_parse(json_string_value(v), &ms) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "ping.time", json_string_value(v));
    isx_time_format(ms, canon);
    if (strcmp(canon, json_string_value(v)) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "ping.time", json_string_value(v));
    return 0;
}

static int
check_poc_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "poc"))
        return isx_diag_set(d, ISX_EFIELD, path, "ping.poc_id", json_string_value(v));
    return 0;
}

static int
check_ping_id(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_object_id_valid(json_string_value(v), "ping"))
        return isx_diag_set(d, ISX_EFIELD, path, "ping.id", json_string_value(v));
    return 0;
}

static int
check_kind(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, kinds, "directory.kind");
}

static int
check_how(const json_t *v, const char *path, struct isx_diag *d)
{
    return isx_schema_one_of(v, path, d, isx_ping_hows, "ping.how");
}

static const struct isx_schema_field party_item = {"", ISX_SCHEMA_STRING,    0,    2,
                                                   3,  isx_party_code_check, NULL, NULL};
static const struct isx_schema_field contact_fields[] = {
    {"id", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, check_poc_id, NULL, NULL},
    {"party", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 2, 3, isx_party_code_check, NULL, NULL},
    {"kind", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 16, check_kind, NULL, NULL},
    END,
};
static const struct isx_schema_field contact_item = {"",   ISX_SCHEMA_OBJECT, 0,   0, 0,
                                                     NULL, contact_fields,    NULL};
static const struct isx_schema_field ping_fields[] = {
    {"parties", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED | ISX_SCHEMA_UNIQUE, 1, 64, NULL, NULL,
     &party_item},
    {"pocs", ISX_SCHEMA_ARRAY, ISX_SCHEMA_REQUIRED, 1, ISX_PING_MAX_POCS, NULL, NULL,
     &contact_item},
    {"started", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 40, check_time, NULL, NULL},
    {"deadline", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 40, check_time, NULL, NULL},
    {"message", ISX_SCHEMA_LANGMAP, ISX_SCHEMA_REQUIRED, 0, 2000, NULL, NULL, NULL},
    {"schedule", ISX_SCHEMA_STRING, 0, 1, 40, check_time, NULL, NULL},
    END,
};
static const struct isx_schema_field ack_fields[] = {
    {"ping", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, check_ping_id, NULL,
     NULL},
    {"poc", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, check_poc_id, NULL, NULL},
    {"how", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 8, check_how, NULL, NULL},
    {"at", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, 40, check_time, NULL, NULL},
    END,
};

static int
names_party(const json_t *parties, const char *party)
{
    size_t i;
    json_t *p;

    json_array_foreach(parties, i, p)
    {
        if (party != NULL && strcmp(json_string_value(p), party) == 0)
            return 1;
    }
    return 0;
}

int
isx_ping_check(const json_t *body, const char *path, struct isx_diag *d)
{
    const json_t *pocs = json_object_get(body, "pocs"), *c, *other;
    char field[160];
    int64_t started, deadline;
    size_t i, j;
    int rc;

    if ((rc = isx_schema_check(body, ping_fields, path, d)) != 0)
        return rc;
    isx_time_parse(str(body, "started"), &started);
    isx_time_parse(str(body, "deadline"), &deadline);
    if (deadline <= started || deadline - started > ISX_PING_MAX_HOURS * HOUR_MS) {
        sub_path(field, sizeof(field), path, "deadline");
        return isx_diag_set(d, ISX_ERANGE, field, "ping.window", "720");
    }
    /* Every contact belongs to a party the ping names, and appears once. */
    json_array_foreach(pocs, i, c)
    {
        snprintf(field, sizeof(field), "%s%spocs[%zu]", path, *path != '\0' ? "." : "", i);
        if (!names_party(json_object_get(body, "parties"), str(c, "party")))
            return isx_diag_set(d, ISX_EFIELD, field, "ping.poc_party", str(c, "party"));
        json_array_foreach(pocs, j, other)
        {
            if (j >= i)
                break;
            if (strcmp(str(c, "id"), str(other, "id")) == 0)
                return isx_diag_set(d, ISX_EFIELD, field, "ping.poc_twice", str(c, "id"));
        }
    }
    return 0;
}

int
isx_ack_check(const json_t *body, const char *path, struct isx_diag *d)
{
    return isx_schema_check(body, ack_fields, path, d);
}

/* ---- ids ---- */

/* A name-based id (the shape of a UUIDv5) of `type`, so that every node derives the same. */
static void
named_id(const char *type, const char *name, char out[ISX_OBJECT_ID_MAX + 1])
{
    uint8_t h[32];
    char hex[65];

    isx_sha256(name, strlen(name), h);
    h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
    h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
    isx_hex_encode(h, 16, hex);
    snprintf(out, ISX_OBJECT_ID_MAX + 1, "%s--%.8s-%.4s-%.4s-%.4s-%.12s", type, hex, hex + 8,
             hex + 12, hex + 16, hex + 20);
}

void
isx_ping_ack_id(const char *ping, const char *poc, char out[ISX_OBJECT_ID_MAX + 1])
{
    char name[2 * ISX_OBJECT_ID_MAX + 16];

    snprintf(name, sizeof(name), "isx-ack:%s:%s", ping, poc);
    named_id("ack", name, out);
}

void
isx_ping_schedule_id(const char *party, const char *slot, char out[ISX_OBJECT_ID_MAX + 1])
{
    char name[96];

    snprintf(name, sizeof(name), "isx-ping-schedule:%s:%s", party, slot);
    named_id("ping", name, out);
}

/* ---- state and judgement ---- */

const char *
isx_ping_state(const json_t *body, int64_t now_ms)
{
    int64_t deadline;

    if (isx_time_parse(str(body, "deadline"), &deadline) != 0)
        return NULL;
    return now_ms < deadline ? "open" : "closed";
}

const json_t *
isx_ping_contact(const json_t *body, const char *poc)
{
    size_t i;
    json_t *c;

    json_array_foreach(json_object_get(body, "pocs"), i, c)
    {
        if (poc != NULL && strcmp(str(c, "id"), poc) == 0)
            return c;
    }
    return NULL;
}

int
isx_ping_ack_judge(const json_t *ping_env, const char *ack_id, const char *ack_origin,
                   const json_t *ack, int exists, const char *path, struct isx_diag *d)
{
    const json_t *ping = json_object_get(ping_env, "body");
    const char *poc = str(ack, "poc");
    char field[160], want[ISX_OBJECT_ID_MAX + 1];
    const json_t *contact;
    int64_t at, deadline;

    sub_path(field, sizeof(field), path, "ping");
    if (str(ack, "ping") == NULL || str(ping_env, "id") == NULL ||
        strcmp(str(ack, "ping"), str(ping_env, "id")) != 0)
        return isx_diag_set(d, ISX_EFIELD, field, "ping.other_ping", str(ack, "ping"));
    sub_path(field, sizeof(field), path, "poc");
    if ((contact = isx_ping_contact(ping, poc)) == NULL)
        return isx_diag_set(d, ISX_EFIELD, field, "ping.not_covered", poc);
    /* Only the node of the contact's own party speaks for that contact. */
    if (ack_origin == NULL || strcmp(str(contact, "party"), ack_origin) != 0)
        return isx_diag_set(d, ISX_EFORBIDDEN, field, "ping.other_party", str(contact, "party"));
    isx_ping_ack_id(str(ping_env, "id"), poc, want);
    if (ack_id == NULL || strcmp(ack_id, want) != 0)
        return isx_diag_set(d, ISX_EFIELD, "id", "ping.ack_id", want);
    if (exists)
        return isx_diag_set(d, ISX_EEXISTS, field, "ping.already", poc);
    sub_path(field, sizeof(field), path, "at");
    if (isx_time_parse(str(ack, "at"), &at) != 0 ||
        isx_time_parse(str(ping, "deadline"), &deadline) != 0)
        return isx_diag_set(d, ISX_EFIELD, field, "ping.time", str(ack, "at"));
    if (at >= deadline)
        return isx_diag_set(d, ISX_ECONFLICT, field, "ping.closed", str(ping, "deadline"));
    return 0;
}

/* ---- results ---- */

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Answer times of one group, and how many contacts it has. */
struct tally {
    size_t total;
    size_t answered;
    int64_t *times; /* `answered` of them */
    size_t cap;
};

static int
tally_add(struct tally *t, int answered, int64_t after)
{
    t->total++;
    if (!answered)
        return 0;
    if (t->answered == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        int64_t *p = realloc(t->times, cap * sizeof(*p));
        if (p == NULL)
            return ISX_ENOMEM;
        t->times = p;
        t->cap = cap;
    }
    t->times[t->answered++] = after;
    return 0;
}

static json_t *
median_of(struct tally *t)
{
    if (t->answered == 0)
        return json_null();
    qsort(t->times, t->answered, sizeof(*t->times), cmp_i64);
    size_t mid = t->answered / 2;
    if (t->answered % 2 == 1)
        return json_integer(t->times[mid]);
    /* Halves first, so two large times cannot overflow their sum. */
    int64_t a = t->times[mid - 1], b = t->times[mid];
    return json_integer(a / 2 + b / 2 + (a % 2 + b % 2) / 2);
}

/* {"total","answered","rate","median_ms"} (and "pings" when `pings` >= 0). */
static json_t *
tally_json(struct tally *t, long long pings)
{
    json_t *o = json_pack(
        "{s:I, s:I, s:o, s:o}", "total", (json_int_t)t->total, "answered", (json_int_t)t->answered,
        "rate", t->total > 0 ? json_real((double)t->answered / (double)t->total) : json_null(),
        "median_ms", median_of(t));
    if (o != NULL && pings >= 0)
        json_object_set_new(o, "pings", json_integer(pings));
    return o;
}

static void
tally_free(struct tally *t)
{
    free(t->times);
    memset(t, 0, sizeof(*t));
}

/* A group of tallies by name (kinds, parties), in first-seen order. */
struct groups {
    size_t n, cap;
    char (*name)[16];
    struct tally *t;
    long long *pings;
};

static struct tally *
group_of(struct groups *g, const char *name, long long **pings)
{
    for (size_t i = 0; i < g->n; i++) {
        if (strcmp(g->name[i], name) == 0) {
            if (pings != NULL)
                *pings = &g->pings[i];
            return &g->t[i];
        }
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        char(*nm)[16] = realloc(g->name, cap * sizeof(*nm));
        if (nm == NULL)
            return NULL;
        g->name = nm;
        struct tally *t = realloc(g->t, cap * sizeof(*t));
        if (t == NULL)
            return NULL;
        g->t = t;
        long long *p = realloc(g->pings, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        g->pings = p;
        g->cap = cap;
    }
    snprintf(g->name[g->n], sizeof(g->name[g->n]), "%s", name);
    memset(&g->t[g->n], 0, sizeof(g->t[g->n]));
    g->pings[g->n] = 0;
    if (pings != NULL)
        *pings = &g->pings[g->n];
    return &g->t[g->n++];
}

static json_t *
groups_json(struct groups *g, int with_pings)
{
    json_t *o = json_object();

    for (size_t i = 0; o != NULL && i < g->n; i++) {
        json_t *v = tally_json(&g->t[i], with_pings ? g->pings[i] : -1);
        if (v == NULL || json_object_set_new(o, g->name[i], v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static void
groups_free(struct groups *g)
{
    for (size_t i = 0; i < g->n; i++)
        tally_free(&g->t[i]);
    free(g->name);
    free(g->t);
    free(g->pings);
    memset(g, 0, sizeof(*g));
}

/*
 * The acks that count for this ping: for each contact, the earliest one the judge accepts.
 * A new object {"poc--…": ack body} (borrowed bodies are copied by reference).
 */
static json_t *
valid_acks(const json_t *ping_env, const json_t *acks)
{
    json_t *best = json_object(), *a;
    size_t i;

    json_array_foreach(acks, i, a)
    {
        const json_t *body = json_object_get(a, "body"), *seen;
        const char *poc = str(body, "poc");
        if (best == NULL)
            return NULL;
        if (body == NULL || isx_ack_check(body, "", NULL) != 0 ||
            isx_ping_ack_judge(ping_env, str(a, "id"), str(a, "origin"), body, 0, "", NULL) != 0)
            continue;
        seen = json_object_get(best, poc);
        if (seen != NULL && strcmp(str(seen, "at"), str(body, "at")) <= 0)
            continue;
        if (json_object_set(best, poc, (json_t *)body) != 0) {
            json_decref(best);
            return NULL;
        }
    }
    return best;
}

static int
results(const json_t *ping_env, const json_t *acks, int64_t now_ms, json_t **out)
{
    const json_t *body = json_object_get(ping_env, "body"), *c;
    struct tally all = {0};
    struct groups by_kind = {0}, by_party = {0};
    json_t *doc = NULL, *contacts = json_array(), *valid = NULL;
    int64_t started = 0;
    size_t i;
    int rc = ISX_ENOMEM;

    if (contacts == NULL)
        return ISX_ENOMEM;
    if (body == NULL || isx_ping_check(body, "", NULL) != 0 || str(ping_env, "id") == NULL) {
        rc = ISX_EINVAL;
        goto done;
    }
    if ((valid = valid_acks(ping_env, acks)) == NULL)
        goto done;
    isx_time_parse(str(body, "started"), &started);
    /* Both kinds always appear, so a table per kind has the same rows for every ping. */
    for (i = 0; kinds[i] != NULL; i++)
        if (group_of(&by_kind, kinds[i], NULL) == NULL)
            goto done;
    json_array_foreach(json_object_get(body, "pocs"), i, c)
    {
        const json_t *ack = json_object_get(valid, str(c, "id"));
        int64_t at = 0;
        if (ack != NULL)
            isx_time_parse(str(ack, "at"), &at);
        /* A contact's clock may run ahead of the originator's; an answer is never negative. */
        int64_t after = at > started ? at - started : 0;
        struct tally *k = group_of(&by_kind, str(c, "kind"), NULL);
        struct tally *p = group_of(&by_party, str(c, "party"), NULL);
        if (k == NULL || p == NULL || tally_add(&all, ack != NULL, after) != 0 ||
            tally_add(k, ack != NULL, after) != 0 || tally_add(p, ack != NULL, after) != 0)
            goto done;
        json_t *row = json_pack("{s:s, s:s, s:s, s:b}", "poc", str(c, "id"), "party",
                                str(c, "party"), "kind", str(c, "kind"), "answered", ack != NULL);
        if (row == NULL)
            goto done;
        if (ack != NULL) {
            json_object_set_new(row, "how", json_string(str(ack, "how")));
            json_object_set_new(row, "at", json_string(str(ack, "at")));
            json_object_set_new(row, "after_ms", json_integer(after));
        }
        json_array_append_new(contacts, row);
    }
    doc = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:O}", "id", str(ping_env, "id"), "origin",
                    str(ping_env, "origin"), "state", isx_ping_state(body, now_ms), "started",
                    str(body, "started"), "deadline", str(body, "deadline"), "parties",
                    json_object_get(body, "parties"));
    if (doc == NULL)
        goto done;
    if (str(body, "schedule") != NULL)
        json_object_set_new(doc, "schedule", json_string(str(body, "schedule")));
    json_t *sum = tally_json(&all, -1), *bk = groups_json(&by_kind, 0),
           *bp = groups_json(&by_party, 0);
    if (sum == NULL || bk == NULL || bp == NULL || json_object_update(doc, sum) != 0) {
        json_decref(sum);
        json_decref(bk);
        json_decref(bp);
        goto done;
    }
    json_decref(sum);
    json_object_set_new(doc, "by_kind", bk);
    json_object_set_new(doc, "by_party", bp);
    json_object_set(doc, "contacts", contacts);
    *out = doc;
    doc = NULL;
    rc = 0;
done:
    json_decref(doc);
    json_decref(contacts);
    json_decref(valid);
    tally_free(&all);
    groups_free(&by_kind);
    groups_free(&by_party);
    return rc;
}

int
isx_ping_results(const json_t *ping_env, const json_t *acks, int64_t now_ms, json_t **out)
{
    return results(ping_env, acks, now_ms, out);
}

/* Acks grouped by the ping they answer: {"ping--…": [ack envelopes]}. */
static json_t *
acks_by_ping(const json_t *acks)
{
    json_t *map = json_object(), *a;
    size_t i;

    json_array_foreach(acks, i, a)
    {
        const char *ping = str(json_object_get(a, "body"), "ping");
        json_t *list;
        if (map == NULL || ping == NULL)
            continue;
        if ((list = json_object_get(map, ping)) == NULL) {
            list = json_array();
            if (list == NULL || json_object_set_new(map, ping, list) != 0) {
                json_decref(map);
                return NULL;
            }
        }
        json_array_append(list, a);
    }
    return map;
}

static int
cmp_started(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    int c = strcmp(str(x, "started"), str(y, "started"));
    return c != 0 ? c : strcmp(str(x, "id"), str(y, "id"));
}

/* The results of every readable ping, each with its contacts, oldest first. */
static json_t *
all_results(const json_t *pings, const json_t *acks, int64_t now_ms)
{
    json_t *map = acks_by_ping(acks), *list = json_array(), *p, *r;
    json_t **sorted = NULL;
    size_t i, n = 0;

    if (map == NULL || list == NULL)
        goto fail;
    sorted = calloc(json_array_size(pings) + 1, sizeof(*sorted));
    if (sorted == NULL)
        goto fail;
    json_array_foreach(pings, i, p)
    {
        /* A ping this node relays but cannot read, or one malformed, has no results. */
        if (results(p, json_object_get(map, str(p, "id")), now_ms, &r) == 0)
            sorted[n++] = r;
    }
    qsort(sorted, n, sizeof(*sorted), cmp_started);
    for (i = 0; i < n; i++)
        json_array_append_new(list, sorted[i]);
    free(sorted);
    json_decref(map);
    return list;
fail:
    json_decref(map);
    json_decref(list);
    return NULL;
}

/* Adds the latest closed ping of each contact to `last` from one ping's results. */
static int
note_last(json_t *last, const json_t *r)
{
    size_t i;
    json_t *c;

    if (strcmp(str(r, "state"), "closed") != 0)
        return 0;
    json_array_foreach(json_object_get(r, "contacts"), i, c)
    {
        const json_t *seen = json_object_get(last, str(c, "poc"));
        if (seen != NULL && strcmp(str(seen, "deadline"), str(r, "deadline")) > 0)
            continue;
        json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", str(r, "id"), "deadline",
                              str(r, "deadline"), "party", str(c, "party"), "kind", str(c, "kind"),
                              "answered", json_object_get(c, "answered"));
        if (v == NULL || json_object_set_new(last, str(c, "poc"), v) != 0)
            return ISX_ENOMEM;
    }
    return 0;
}

int
isx_ping_last(const json_t *pings, const json_t *acks, int64_t now_ms, json_t **out)
{
    json_t *list = all_results(pings, acks, now_ms), *last = json_object(), *r, *v;
    const char *k;
    size_t i;
    int rc = 0;

    if (list == NULL || last == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_array_foreach(list, i, r)
    {
        if ((rc = note_last(last, r)) != 0)
            goto done;
    }
    /* The flag needs only the ping and the answer; party and kind are the history's. */
    json_object_foreach(last, k, v)
    {
        json_object_del(v, "party");
        json_object_del(v, "kind");
    }
    *out = last;
    last = NULL;
done:
    json_decref(list);
    json_decref(last);
    return rc;
}

int
isx_ping_history(const json_t *pings, const json_t *acks, int64_t now_ms, json_t **out)
{
    json_t *list = all_results(pings, acks, now_ms), *last = json_object(), *doc = NULL;
    json_t *unanswered = json_array(), *r, *c, *v;
    struct tally closed = {0};
    struct groups by_party = {0}, by_kind = {0};
    long long nclosed = 0;
    const char *k;
    size_t i, j;
    int rc = ISX_ENOMEM;

    if (list == NULL || last == NULL || unanswered == NULL)
        goto done;
    for (i = 0; kinds[i] != NULL; i++)
        if (group_of(&by_kind, kinds[i], NULL) == NULL)
            goto done;
    json_array_foreach(list, i, r)
    {
        if ((rc = note_last(last, r)) != 0)
            goto done;
        rc = ISX_ENOMEM;
        if (strcmp(str(r, "state"), "closed") == 0) {
            nclosed++;
            /* A party counts a ping once, however many of its contacts it covered. */
            json_object_foreach(json_object_get(r, "by_party"), k, v)
            {
                long long *np = NULL;
                if (group_of(&by_party, k, &np) == NULL)
                    goto done;
                (*np)++;
            }
            json_array_foreach(json_object_get(r, "contacts"), j, c)
            {
                int ans = json_is_true(json_object_get(c, "answered"));
                int64_t after = json_integer_value(json_object_get(c, "after_ms"));
                long long *pp = NULL, *kp = NULL;
                struct tally *p = group_of(&by_party, str(c, "party"), &pp);
                struct tally *kk = group_of(&by_kind, str(c, "kind"), &kp);
                if (p == NULL || kk == NULL || tally_add(&closed, ans, after) != 0 ||
                    tally_add(p, ans, after) != 0 || tally_add(kk, ans, after) != 0)
                    goto done;
            }
            json_object_foreach(json_object_get(r, "by_kind"), k, v)
            {
                long long *kp = NULL;
                if (json_integer_value(json_object_get(v, "total")) > 0 &&
                    group_of(&by_kind, k, &kp) != NULL)
                    (*kp)++;
            }
        }
        json_object_del(r, "contacts");
    }
    json_object_foreach(last, k, v)
    {
        if (json_is_true(json_object_get(v, "answered")))
            continue;
        json_t *u =
            json_pack("{s:s, s:O, s:O, s:O, s:O}", "poc", k, "party", json_object_get(v, "party"),
                      "kind", json_object_get(v, "kind"), "ping", json_object_get(v, "id"),
                      "deadline", json_object_get(v, "deadline"));
        if (u == NULL || json_array_append_new(unanswered, u) != 0)
            goto done;
    }
    json_t *sum = tally_json(&closed, nclosed), *bp = groups_json(&by_party, 1),
           *bk = groups_json(&by_kind, 1);
    doc = json_pack("{s:O, s:o?, s:o?, s:o?, s:O}", "items", list, "closed", sum, "by_party", bp,
                    "by_kind", bk, "unanswered", unanswered);
    if (doc == NULL || sum == NULL || bp == NULL || bk == NULL)
        goto done;
    *out = doc;
    doc = NULL;
    rc = 0;
done:
    json_decref(doc);
    json_decref(list);
    json_decref(last);
    json_decref(unanswered);
    tally_free(&closed);
    groups_free(&by_party);
    groups_free(&by_kind);
    return rc;
}

/* ---- the schedule ---- */

int
isx_ping_schedule_slot(const struct isx_config *cfg, int64_t now_ms, int64_t *slot_ms)
{
    int64_t day = now_ms >= 0 ? now_ms / DAY_MS : (now_ms - DAY_MS + 1) / DAY_MS;
    int64_t at = (int64_t)cfg->ping_hour * HOUR_MS, slot;

    switch (cfg->ping_schedule) {
    case ISX_PING_DAILY:
        slot = day * DAY_MS + at;
        if (slot > now_ms)
            slot -= DAY_MS;
        break;
    case ISX_PING_WEEKLY: {
        /* 1970-01-01 was a Thursday: ISO weekday 4. */
        int64_t wd = ((day % 7 + 7 + 3) % 7) + 1;
        int64_t back = (wd - (int64_t)cfg->ping_weekday + 7) % 7;
        slot = (day - back) * DAY_MS + at;
        if (slot > now_ms)
            slot -= 7 * DAY_MS;
        break;
    }
    case ISX_PING_MONTHLY: {
        int64_t y;
        unsigned m, d;
        isx_civil_from_days(day, &y, &m, &d);
        slot = isx_days_from_civil(y, m, cfg->ping_monthday) * DAY_MS + at;
        if (slot > now_ms) {
            if (--m == 0) {
                m = 12;
                y--;
            }
            slot = isx_days_from_civil(y, m, cfg->ping_monthday) * DAY_MS + at;
        }
        break;
    }
    default:
        return ISX_ENOTFOUND;
    }
    *slot_ms = slot;
    return 0;
}

/* ---- configuration ---- */

static int
parse_number(const char *v, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long n;

    if (*v < '0' || *v > '9')
        return ISX_EINVAL;
    n = strtoul(v, &end, 10);
    if (*end != '\0' || n < min || n > max)
        return ISX_EINVAL;
    *out = (unsigned)n;
    return 0;
}

static int
index_of(const char *v, const char *const *values, unsigned *out)
{
    for (unsigned i = 0; values[i] != NULL; i++) {
        if (strcmp(values[i], v) == 0) {
            *out = i;
            return 0;
        }
    }
    return ISX_EINVAL;
}

/* "all", or party codes separated by commas (spaces allowed), kept as "RU,KZ". */
static int
parse_parties(const char *v, char *out, size_t cap)
{
    char norm[256] = "", code[8];
    size_t len = 0;

    if (strcmp(v, "all") == 0) {
        snprintf(out, cap, "all");
        return 0;
    }
    for (const char *p = v;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ", \t");
        if (n == 0 || n >= sizeof(code))
            return ISX_EINVAL;
        memcpy(code, p, n);
        code[n] = '\0';
        if (!isx_party_code_valid(code) || len + n + 2 > sizeof(norm) || len + n + 2 > cap)
            return ISX_EINVAL;
        len += (size_t)snprintf(norm + len, sizeof(norm) - len, "%s%s", len ? "," : "", code);
        p += n;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        if (*p++ != ',')
            return ISX_EINVAL;
    }
    snprintf(out, cap, "%s", norm);
    return 0;
}

int
isx_ping_config_set(struct isx_config *cfg, const char *key, const char *value)
{
    unsigned n;

    if (strcmp(key, "schedule") == 0) {
        if (index_of(value, isx_ping_schedules, &n) != 0)
            return ISX_EINVAL;
        cfg->ping_schedule = (int)n;
        return 0;
    }
    if (strcmp(key, "weekday") == 0) {
        if (index_of(value, weekdays, &n) != 0)
            return ISX_EINVAL;
        cfg->ping_weekday = n + 1;
        return 0;
    }
    if (strcmp(key, "monthday") == 0)
        return parse_number(value, 1, 28, &cfg->ping_monthday);
    if (strcmp(key, "hour") == 0)
        return parse_number(value, 0, 23, &cfg->ping_hour);
    if (strcmp(key, "deadline_hours") == 0)
        return parse_number(value, 1, ISX_PING_MAX_HOURS, &cfg->ping_deadline_hours);
    if (strcmp(key, "parties") == 0)
        return parse_parties(value, cfg->ping_parties, sizeof(cfg->ping_parties));
    return ISX_EINVAL;
}

int
isx_ping_config_format(const struct isx_config *cfg, struct isx_buf *out)
{
    unsigned wd = cfg->ping_weekday >= 1 && cfg->ping_weekday <= 7 ? cfg->ping_weekday : 1;
    int s = cfg->ping_schedule >= ISX_PING_OFF && cfg->ping_schedule <= ISX_PING_MONTHLY
                ? cfg->ping_schedule
                : ISX_PING_OFF;

    return isx_buf_printf(out,
                          "\n[pings]\n# Communication checks of the points of contact started "
                          "by this node: off, daily,\n# weekly (on weekday) or monthly (on "
                          "monthday, 1-28), at hour (UTC, 0-23).\nschedule = %s\nweekday = "
                          "%s\nmonthday = %u\nhour = %u\n# Hours the contacts have to "
                          "acknowledge (1-720).\ndeadline_hours = %u\n# Parties whose contacts "
                          "a scheduled check covers: all, or codes such as RU, KZ.\n"
                          "parties = %s\n",
                          isx_ping_schedules[s], weekdays[wd - 1], cfg->ping_monthday,
                          cfg->ping_hour, cfg->ping_deadline_hours, cfg->ping_parties);
}
