/*
 * The agreement's calendar and consultations as federation sees them (issue 6): who is a
 * party on a given day (Art. 12), read from the notifications this node holds; the state of
 * the consultations (Art. 5.2) folded from the objects it holds; and the door rules of the
 * `notification`, `consultation` and `consent` objects.
 *
 * Invariants:
 * - Until the notifications a node holds bring the agreement into force (the bootstrap rule:
 *   none at all, or a record still incomplete), it counts every party as bound, so a
 *   federation that has not recorded the agreement's history works as before, and one
 *   party's own notification cannot cut a node off from everyone. Once they do, a state the
 *   calendar does not bind on the day is no party: this node neither accepts its objects nor
 *   sends it any. This node's own party and the depositary (the Secretariat, which is not a
 *   state, Art. 11) always count.
 * - Notifications are exempt from that door: they are what the calendar is made of, and a
 *   state must be able to notify its way in. A state records only its own notifications; the
 *   depositary records every state's.
 * - The cache of isx_fed_party_bound is refreshed whenever a notification entered the log
 *   since it was filled (it looks at every new leaf once) and when the day changes, so its
 *   answer is always the one the stored notifications give. Its lock is never held while
 *   the store is read, since callers may hold one of the store's readers.
 */
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "isx/agreement.h"
#include "isx/consult.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define TYPE_LIMIT  100000
#define SCAN_LEAVES 2000

int64_t
isx_fed_today(void)
{
    int64_t ms = isx_time_now_ms();

    /* Days since 1970-01-01 in UTC, rounded down also before 1970. */
    return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

/* How many notifications of `bodies` the calendar applied on or before its day. */
static size_t
counting(const json_t *bodies, const struct isx_agreement_calendar *c)
{
    size_t n = 0, i, k;
    json_t *b;

    json_array_foreach(bodies, i, b)
    {
        int64_t day;
        int skipped = 0;
        for (k = 0; k < c->nskipped; k++)
            skipped |= c->skipped[k].index == i;
        if (!skipped &&
            isx_agreement_parse_date(json_string_value(json_object_get(b, "date")), &day) == 0 &&
            day <= c->at)
            n++;
    }
    return n;
}

int
isx_fed_calendar_counts(const struct isx_agreement_calendar *c, size_t counted, int64_t day)
{
    return c != NULL && counted > 0 && c->in_force != ISX_AGREEMENT_NO_DATE && c->in_force <= day;
}

int
isx_fed_calendar(struct isx_node *n, int64_t day, json_t **items,
                 struct isx_agreement_calendar **cal, size_t *counted, struct isx_diag *d)
{
    json_t *list = NULL, *kept = json_array(), *bodies = json_array(), *env;
    struct isx_agreement_calendar *c = NULL;
    size_t i;
    int rc;

    if (kept == NULL || bodies == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_store_type_list(n->store, "notification", TYPE_LIMIT, &list)) != 0)
        goto done;
    json_array_foreach(list, i, env)
    {
        /* A relay's copy it cannot read says nothing about the calendar. */
        const json_t *body = json_object_get(env, "body");
        if (!json_is_object(body))
            continue;
        if (json_array_append(kept, env) != 0 || json_array_append(bodies, (json_t *)body) != 0) {
            rc = ISX_ENOMEM;
            goto done;
        }
    }
    /* One refused notification must not hide the whole calendar: it is left out and shown. */
    if ((rc = isx_agreement_compute_json(bodies, day, ISX_AGREEMENT_SKIP_INVALID, &c, d)) != 0)
        goto done;
    if (counted != NULL)
        *counted = counting(bodies, c);
    if (items != NULL) {
        *items = kept;
        kept = NULL;
    }
    *cal = c;
    c = NULL;
done:
    isx_agreement_free(c);
    json_decref(list);
    json_decref(kept);
    json_decref(bodies);
    return rc;
}

/* ---- who is bound: the cache ------------------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    const struct isx_store *store; /* whose log `scanned` counts */
    uint64_t scanned;              /* leaves looked at */
    int valid;                     /* `cal` and `day` reflect every leaf below `scanned` */
    int64_t day;
    struct isx_agreement_calendar *cal; /* NULL while the bootstrap rule applies */
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, NULL};

struct scan {
    int found;
    int64_t last;
};

static int
scan_leaf(void *ctx, const struct isx_store_leaf *leaf)
{
    struct scan *s = ctx;

    if (leaf->type != NULL && strcmp(leaf->type, "notification") == 0)
        s->found = 1;
    s->last = leaf->seq;
    return 0;
}

/*
 * Brings the cache up to the log and to `day`. The store is read without the lock held: a
 * caller may itself hold one of the store's readers (a delivery batch walks the log), and
 * waiting for the lock while another thread waits for a reader must not be possible. On
 * success it returns with the lock held; the cache is then for `day` unless another thread
 * moved it to another day meanwhile, which the caller checks.
 */
static int
refresh(struct isx_node *n, int64_t day)
{
    struct isx_agreement_calendar *c = NULL;
    uint64_t size, scanned;
    size_t count = 0;
    int dirty, rc;

    if ((rc = isx_store_log_size(n->store, &size)) != 0)
        return rc;
    pthread_mutex_lock(&cache.lock);
    if (cache.store != n->store || size < cache.scanned) {
        isx_agreement_free(cache.cal);
        cache.cal = NULL;
        cache.store = n->store;
        cache.scanned = 0;
        cache.valid = 0;
    }
    scanned = cache.scanned;
    dirty = !cache.valid || cache.day != day;
    pthread_mutex_unlock(&cache.lock);
    /* The first fill reads the notifications directly; only later leaves are scanned. */
    for (uint64_t after = scanned; !dirty && after < size;) {
        struct scan s = {0, (int64_t)after};
        if ((rc = isx_store_log_range(n->store, after, SCAN_LEAVES, scan_leaf, &s)) != 0)
            return rc;
        dirty = s.found;
        if ((uint64_t)s.last <= after)
            break;
        after = (uint64_t)s.last;
    }
    if (dirty) {
        struct isx_diag d = {0};
        if ((rc = isx_fed_calendar(n, day, NULL, &c, &count, &d)) != 0)
            return rc;
        if (!isx_fed_calendar_counts(c, count, day)) {
            isx_agreement_free(c);
            c = NULL;
        }
    }
    pthread_mutex_lock(&cache.lock);
    if (dirty) {
        /* Read after `size`, so it covers every leaf below it. */
        isx_agreement_free(cache.cal);
        cache.cal = c;
        cache.store = n->store;
        cache.day = day;
        cache.valid = 1;
        cache.scanned = size;
    } else if (cache.store == n->store && cache.valid && cache.day == day && cache.scanned < size) {
        cache.scanned = size;
    }
    return 0;
}

int
isx_fed_party_bound(struct isx_node *n, const char *party, int64_t day)
{
    struct isx_agreement_calendar *c = NULL;
    size_t count = 0;
    int rc;

    if (party == NULL)
        return 0;
    if (strcmp(party, n->cfg.party) == 0 || strcmp(party, ISX_DEPOSITARY) == 0)
        return 1;
    for (int attempt = 0; attempt < 3; attempt++) {
        if ((rc = refresh(n, day)) != 0)
            return rc;
        if (cache.valid && cache.store == n->store && cache.day == day) {
            rc = cache.cal == NULL || isx_agreement_bound(cache.cal, party, party, day);
            pthread_mutex_unlock(&cache.lock);
            return rc;
        }
        pthread_mutex_unlock(&cache.lock);
    }
    /* Other threads keep asking about other days: answer from a calendar of our own. */
    if ((rc = isx_fed_calendar(n, day, NULL, &c, &count, NULL)) != 0)
        return rc;
    rc = !isx_fed_calendar_counts(c, count, day) || isx_agreement_bound(c, party, party, day);
    isx_agreement_free(c);
    return rc;
}

int
isx__fed_door_party(struct isx_node *n, const struct isx_object *o, struct isx_diag *d)
{
    int bound;

    if (strcmp(o->type, "notification") == 0)
        return 0;
    bound = isx_fed_party_bound(n, o->origin, isx_fed_today());
    if (bound < 0)
        return isx_diag_set(d, bound, "origin", NULL, o->origin);
    if (!bound)
        return isx_diag_set(d, ISX_EFORBIDDEN, "origin", "agreement.not_bound_party", o->origin);
    return 0;
}

/* ---- consultations ----------------------------------------------------------------------- */

int
isx_fed_consult_load(struct isx_node *n, int64_t today, size_t upcoming,
                     struct isx_fed_consult *out, struct isx_diag *d)
{
    struct isx_fed_consult c = {0};
    json_t *consultations = NULL, *consents = NULL;
    int64_t configured = ISX_AGREEMENT_NO_DATE;
    size_t count = 0;
    int rc;

    if ((rc = isx_fed_calendar(n, today, NULL, &c.calendar, &count, d)) != 0)
        goto done;
    c.counted = count;
    if (!isx_fed_calendar_counts(c.calendar, count, today)) {
        /* Bootstrap: without a calendar the parties come from each proposal's marking. */
        isx_agreement_free(c.calendar);
        c.calendar = NULL;
    }
    if (n->cfg.consult_first[0] != '\0')
        isx_agreement_parse_date(n->cfg.consult_first, &configured);
    c.ctx.calendar = c.calendar;
    c.ctx.first = isx_consult_first(configured, c.calendar);
    c.ctx.today = today;
    c.ctx.upcoming = upcoming;
    if ((rc = isx_store_type_list(n->store, "consultation", TYPE_LIMIT, &consultations)) != 0 ||
        (rc = isx_store_type_list(n->store, "consent", TYPE_LIMIT, &consents)) != 0 ||
        (rc = isx_consult_fold(consultations, consents, &c.ctx, &c.state, d)) != 0)
        goto done;
    *out = c;
    c.calendar = NULL;
    c.state = NULL;
done:
    isx_agreement_free(c.calendar);
    json_decref(c.state);
    json_decref(consultations);
    json_decref(consents);
    return rc;
}

void
isx_fed_consult_free(struct isx_fed_consult *c)
{
    if (c == NULL)
        return;
    isx_agreement_free(c->calendar);
    json_decref(c->state);
    c->calendar = NULL;
    c->state = NULL;
}

/* ---- door rules -------------------------------------------------------------------------- */

int
isx__fed_rule_notification(struct isx_node *n, const struct isx_object *o, const json_t *body,
                           struct isx_diag *d)
{
    const char *party = json_string_value(json_object_get(body, "party"));

    (void)n;
    /* The depositary records what it receives (Art. 11, 12); a state speaks for itself. */
    if (strcmp(o->origin, ISX_DEPOSITARY) != 0 && (party == NULL || strcmp(party, o->origin) != 0))
        return isx_diag_set(d, ISX_EFORBIDDEN, "body.party", "agreement.not_own", o->origin);
    return 0;
}

/* The envelope-shaped view the admission rules read. */
static json_t *
view_of(const struct isx_object *o, const json_t *body)
{
    return json_pack("{s:s, s:s, s:s, s:O, s:O}", "id", o->id, "origin", o->origin, "version",
                     o->version, "marking", o->marking, "body", body);
}

int
isx__fed_rule_consultation(struct isx_node *n, const struct isx_object *o, const json_t *body,
                           struct isx_diag *d)
{
    struct isx_fed_consult c = {0};
    json_t *env = view_of(o, body);
    int rc;

    if (env == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_fed_consult_load(n, isx_fed_today(), 0, &c, d)) == 0)
        rc = isx_consult_admit_proposal(c.state, env, &c.ctx, 0, d);
    isx_fed_consult_free(&c);
    json_decref(env);
    return rc;
}

int
isx__fed_rule_consent(struct isx_node *n, const struct isx_object *o, const json_t *body,
                      struct isx_diag *d)
{
    struct isx_fed_consult c = {0};
    json_t *env = view_of(o, body);
    int rc;

    if (env == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_fed_consult_load(n, isx_fed_today(), 0, &c, d)) == 0)
        rc = isx_consult_admit_consent(c.state, env, 0, d);
    isx_fed_consult_free(&c);
    json_decref(env);
    return rc;
}
