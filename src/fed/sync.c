/*
 * The federation's background work: one thread that, for each peer in turn, pushes what the
 * peer may have from this node's log, pulls what the peer has for us from its log, and now
 * and then witnesses the peer's checkpoints (witness.c). It runs every sync_interval seconds
 * and at once when an object is accepted (isx_fed_kick).
 *
 * Invariants: cursors are stored, so a restart resumes where delivery stopped; a cursor moves
 * past an object only once the peer answered for it (stored, duplicate or refused for good);
 * an object refused for an unknown key stops the cursor there, because the key may still
 * come (the depositary's directory), for ten minutes at the most; a peer that fails is
 * retried with a delay that doubles up to a minute, and the failure is kept as its last error.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "isx/hash.h"
#include "isx/i18n.h"
#include "isx/timeutil.h"

#define MAX_PEERS        64
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   60000
#define ROUND_BATCHES    20 /* batches per peer and direction in one round */

/*
 * How long delivery waits at an object refused for an unknown key before it moves on. The key
 * usually follows within seconds (the depositary's directory); one that never comes must not
 * stop everything behind it for good. The object is then left to an operator's import, and
 * the skip is logged.
 */
#define STUCK_GIVE_UP_MS (10 * 60 * 1000)

/* Where one direction of delivery waits for a key, and since when. */
struct stuck {
    uint64_t cursor;
    int64_t since_ms; /* 0: not waiting */
};

struct backoff {
    char party[4];
    int64_t next_try_ms;
    int64_t delay_ms;
    int64_t witnessed_ms;
    struct stuck push, pull;
};

/* Delivery from `cursor` waits for a key: remembers since when, unless it already waited there. */
static void
note_waiting(struct stuck *st, uint64_t cursor)
{
    if (st->since_ms == 0 || st->cursor != cursor) {
        st->cursor = cursor;
        st->since_ms = isx_time_now_ms();
    }
}

/* 1 once delivery has waited at `cursor` long enough to move past what blocks it (logged). */
static int
gave_up_waiting(struct stuck *st, uint64_t cursor, const char *peer, const char *dir)
{
    if (st->since_ms == 0 || st->cursor != cursor ||
        isx_time_now_ms() - st->since_ms < STUCK_GIVE_UP_MS)
        return 0;
    fprintf(stderr, "isxd: fed: %s %s: a signing key never arrived; moving past log entry %llu\n",
            peer, dir, (unsigned long long)cursor);
    st->since_ms = 0;
    return 1;
}

struct isx_fed {
    struct isx_node *n;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int kicked;
    struct backoff peers[MAX_PEERS];
};

static struct backoff *
backoff_of(struct isx_fed *f, const char *party)
{
    struct backoff *free_slot = NULL;

    for (size_t i = 0; i < MAX_PEERS; i++) {
        if (strcmp(f->peers[i].party, party) == 0)
            return &f->peers[i];
        if (free_slot == NULL && f->peers[i].party[0] == '\0')
            free_slot = &f->peers[i];
    }
    if (free_slot != NULL) {
        memset(free_slot, 0, sizeof(*free_slot));
        snprintf(free_slot->party, sizeof(free_slot->party), "%s", party);
    }
    return free_slot;
}

/* Describes a failed answer in one line: the status and the problem's detail if there is one. */
static void
describe(const struct isx_http_response *resp, char *err, size_t errlen)
{
    json_t *p = json_loadb(resp->body.data, resp->body.len, 0, NULL);
    const char *detail = json_string_value(json_object_get(p, "detail"));

    snprintf(err, errlen, "HTTP %ld%s%s", resp->status, detail != NULL ? ": " : "",
             detail != NULL ? detail : "");
    json_decref(p);
}

/* Reads a push answer: counts, logs each refusal, and finds where the cursor may move to. */
static int
read_results(const struct isx_peer *peer, json_t *objects, const struct isx_http_response *resp,
             struct isx_peer_progress *pr, int *stuck_at)
{
    json_t *doc = json_loadb(resp->body.data, resp->body.len, 0, NULL);
    json_t *results = json_object_get(doc, "results"), *r;
    size_t i;

    *stuck_at = -1;
    if (!json_is_array(results) || json_array_size(results) != json_array_size(objects)) {
        json_decref(doc);
        return ISX_EPARSE;
    }
    json_array_foreach(results, i, r)
    {
        const char *status = json_string_value(json_object_get(r, "status"));
        const char *code = json_string_value(json_object_get(r, "code"));
        if (status != NULL && strcmp(status, "stored") == 0) {
            pr->sent++;
        } else if (status != NULL && strcmp(status, "refused") == 0) {
            const json_t *o = json_array_get(objects, i);
            fprintf(stderr, "isxd: fed: %s refused %s: %s\n", peer->party,
                    json_string_value(json_object_get(o, "id")),
                    json_string_value(json_object_get(r, "reason")));
            if (code != NULL && strcmp(code, "KEY") == 0 && *stuck_at < 0)
                *stuck_at = (int)i;
            pr->refused++;
        }
    }
    json_decref(doc);
    return 0;
}

/*
 * Pushes batches from the peer's push cursor until nothing is left or the round is over;
 * *more is set when the round ended with log entries still to offer.
 */
static int
push(struct isx_node *n, struct isx_peer *peer, struct stuck *wait, int *more, char *err,
     size_t errlen)
{
    uint64_t size;
    int rc = 0, round;

    if ((rc = isx_store_log_size(n->store, &size)) != 0)
        return rc;
    for (round = 0; round < ROUND_BATCHES && peer->push_cursor < size; round++) {
        struct isx_buf body = ISX_BUF_INIT;
        struct isx_http_response resp = {0};
        struct isx_peer_progress pr = {0};
        json_t *objects = NULL;
        size_t count = 0;
        uint64_t next;
        int stuck_at = -1;

        if ((rc = isx_buf_puts(&body, "{\"objects\":")) != 0 ||
            (rc = isx__fed_batch(n, peer, peer->push_cursor, ISX_FED_PUSH_BYTES, &body, &count,
                                 &next)) != 0 ||
            (rc = isx_buf_puts(&body, "}")) != 0) {
            isx_buf_free(&body);
            break;
        }
        if (count > 0) {
            rc = isx__fed_send(n, peer, "POST", "/fed/v1/objects", body.data, body.len, &resp);
            if (rc != 0) {
                snprintf(err, errlen, "%s", "cannot reach the peer");
            } else if (resp.status != 200) {
                describe(&resp, err, errlen);
                rc = ISX_ENET;
            } else {
                json_t *doc = json_loadb(body.data, body.len, 0, NULL);
                objects = json_object_get(doc, "objects");
                rc = read_results(peer, objects, &resp, &pr, &stuck_at);
                if (rc == 0 && stuck_at >= 0 &&
                    gave_up_waiting(wait, peer->push_cursor, peer->party, "push"))
                    stuck_at = -1;
                else if (rc == 0 && stuck_at >= 0)
                    note_waiting(wait, peer->push_cursor);
                if (rc == 0 && stuck_at >= 0) {
                    /* Resume at the object whose key the peer lacks; see the invariants. */
                    snprintf(err, errlen, "the peer does not know the key of %s yet",
                             json_string_value(json_object_get(
                                 json_array_get(objects, (size_t)stuck_at), "origin")));
                    next = peer->push_cursor;
                }
                json_decref(doc);
            }
            isx_buf_free(&resp.body);
        }
        isx_buf_free(&body);
        if (rc != 0)
            break;
        pr.push_cursor = next;
        pr.error = stuck_at >= 0 ? err : NULL;
        isx_store_peer_progress(n->store, peer->party, &pr);
        if (stuck_at >= 0 || next == peer->push_cursor)
            break;
        peer->push_cursor = next;
    }
    /* Only a round cut short by its bound has more to do; one that stopped (an unknown key,
     * no progress) waits for the next round like any other. */
    if (rc == 0 && round == ROUND_BATCHES && peer->push_cursor < size)
        *more = 1;
    return rc;
}

/* One pulled page, from its fetch until its transaction committed and it was counted. */
struct page {
    json_t *doc;
    struct isx_object **objs;
    int *rcs;
    struct isx_diag *ds;
    size_t count, handled;
    uint64_t next, size;
    int stuck;       /* an object refused for an unknown key: the cursor stays */
    int stop_at_key; /* 0 once delivery gave up waiting for a key at this page */
    struct isx__fed_pending *pending;
    pthread_t committer;
    int committing;
};

static void
page_free(struct page *p)
{
    for (size_t i = 0; p->objs != NULL && i < p->count; i++)
        isx_object_free(p->objs[i]);
    free(p->objs);
    free(p->rcs);
    free(p->ds);
    json_decref(p->doc);
    memset(p, 0, sizeof(*p));
}

/* Fetches the page after `after` and runs the checks of every object on it (accept.c). */
static int
page_fetch(struct isx_node *n, struct isx_peer *peer, uint64_t after,
           const struct isx_change *change, const void *owner, int stop_at_key, struct page *p,
           char *err, size_t errlen)
{
    struct isx_http_response resp = {0};
    char path[64];
    json_t *objects, *env;
    size_t i;
    int rc;

    memset(p, 0, sizeof(*p));
    p->stop_at_key = stop_at_key;
    snprintf(path, sizeof(path), "/fed/v1/objects?after=%" PRIu64, after);
    if ((rc = isx__fed_send(n, peer, "GET", path, NULL, 0, &resp)) != 0) {
        snprintf(err, errlen, "%s", "cannot reach the peer");
        return rc;
    }
    if (resp.status != 200) {
        describe(&resp, err, errlen);
        isx_buf_free(&resp.body);
        return ISX_ENET;
    }
    p->doc = json_loadb(resp.body.data, resp.body.len, 0, NULL);
    isx_buf_free(&resp.body);
    objects = json_object_get(p->doc, "objects");
    if (!json_is_array(objects) || !json_is_integer(json_object_get(p->doc, "next")) ||
        json_integer_value(json_object_get(p->doc, "next")) < 0) {
        snprintf(err, errlen, "%s", "the peer's answer is malformed");
        page_free(p);
        return ISX_EPARSE;
    }
    p->next = (uint64_t)json_integer_value(json_object_get(p->doc, "next"));
    p->size = (uint64_t)json_integer_value(json_object_get(p->doc, "size"));
    p->count = json_array_size(objects);
    if ((p->objs = calloc(p->count + 1, sizeof(*p->objs))) == NULL ||
        (p->rcs = calloc(p->count + 1, sizeof(*p->rcs))) == NULL ||
        (p->ds = calloc(p->count + 1, sizeof(*p->ds))) == NULL) {
        page_free(p);
        return ISX_ENOMEM;
    }
    json_array_foreach(objects, i, env)
    {
        p->rcs[i] = isx_object_from_json(json_incref(env), &p->objs[i], &p->ds[i]);
    }
    /* The whole page at once, so its reports share one transaction; it stops after an object
     * whose key is unknown here, as the cursor does. */
    p->handled = isx__fed_accept_check(n, p->objs, p->count, change, owner, stop_at_key, p->rcs,
                                       p->ds, &p->pending);
    for (i = 0; stop_at_key && i < p->handled; i++)
        if (p->objs[i] != NULL && p->rcs[i] == ISX_EKEY)
            p->stuck = 1;
    return 0;
}

static void *
page_commit(void *arg)
{
    struct page *p = arg;

    isx__fed_accept_commit(p->pending);
    p->pending = NULL;
    return NULL;
}

/*
 * Waits for the page's transaction, counts and logs what it did, and moves the pull cursor
 * past it unless this page or one before it (`*stuck`) stopped at an unknown key.
 */
static void
page_finish(struct isx_node *n, struct isx_peer *peer, struct page *p, struct stuck *wait,
            int *stuck, char *err, size_t errlen)
{
    struct isx_peer_progress pr = {0};

    if (p->committing)
        pthread_join(p->committer, NULL);
    else
        page_commit(p);
    for (size_t i = 0; i < p->handled; i++) {
        const struct isx_object *o = p->objs[i];
        int orc = p->rcs[i];
        if (orc == 0) {
            pr.received++;
        } else if (orc != ISX_EEXISTS && !*stuck) {
            fprintf(stderr, "isxd: fed: refused %s from %s: %s (%s)\n",
                    o != NULL ? o->id : "an object", peer->party, isx_err_name(orc),
                    p->ds[i].field);
            pr.refused++;
            if (orc == ISX_EKEY && p->stop_at_key) {
                snprintf(err, errlen, "the key of %s is not known here yet",
                         o != NULL ? o->origin : "?");
                note_waiting(wait, peer->pull_cursor);
                *stuck = 1;
            }
        }
    }
    /* An unknown key keeps the cursor where it was, so the object comes again. */
    pr.pull_cursor = *stuck ? 0 : p->next;
    pr.error = *stuck ? err : NULL;
    isx_store_peer_progress(n->store, peer->party, &pr);
    if (!*stuck)
        peer->pull_cursor = p->next;
    page_free(p);
}

/*
 * Pulls pages from the peer's log from our pull cursor on; *more is set when the round ended
 * with the peer's log not yet read to its end. A page's transaction commits on a thread of its
 * own while the next page is fetched and checked, so the store's writer, where the time goes,
 * does not wait for the checks; a page is counted, and the cursor moved past it, only once
 * its transaction is done, in order.
 */
static int
pull(struct isx_node *n, struct isx_peer *peer, struct stuck *wait, int *more, char *err,
     size_t errlen)
{
    struct page pages[2];
    struct page *prev = NULL;
    uint64_t after = peer->pull_cursor;
    char actor[16];
    int rc = 0, stop = 0, stuck = 0;
    /* Waited long enough at this place for a key: take this page whole, refusals and all. */
    int give_up = gave_up_waiting(wait, peer->pull_cursor, peer->party, "pull");

    snprintf(actor, sizeof(actor), "peer:%s", peer->party);
    struct isx_change change = {actor, "federate"};
    for (int round = 0;; round++) {
        struct page *p = NULL;
        if (!stop && round < ROUND_BATCHES) {
            p = &pages[round % 2];
            if ((rc = page_fetch(n, peer, after, &change, &change, !(give_up && round == 0), p, err,
                                 errlen)) != 0) {
                p = NULL;
                stop = 1;
            } else {
                stop = p->stuck || p->next <= after || p->next >= p->size;
                after = p->next;
                if (!stop && round == ROUND_BATCHES - 1)
                    *more = 1;
            }
        }
        if (prev != NULL) {
            page_finish(n, peer, prev, wait, &stuck, err, errlen);
            /* A page found stuck only now (its object was another delivery's, refused there
             * and here) still lets the page after it commit, but nothing more is fetched. */
            if (stuck)
                stop = 1;
        }
        if (p == NULL)
            break;
        /* Without a thread of its own the page commits when it is finished, as before. */
        p->committing = pthread_create(&p->committer, NULL, page_commit, p) == 0;
        prev = p;
    }
    return rc;
}

/* One round with `peer`; *more is set when it ended with work left (see run). */
static void
round_for(struct isx_fed *f, struct isx_peer *peer, int64_t now, int *more)
{
    struct backoff *b = backoff_of(f, peer->party);
    char err[256] = "";
    int rc;

    if (b == NULL || now < b->next_try_ms)
        return;
    rc = push(f->n, peer, &b->push, more, err, sizeof(err));
    if (rc == 0)
        rc = pull(f->n, peer, &b->pull, more, err, sizeof(err));
    if (rc == 0 && f->n->cfg.witness_interval > 0 &&
        now - b->witnessed_ms >= (int64_t)f->n->cfg.witness_interval * 1000) {
        b->witnessed_ms = now;
        rc = isx__fed_witness(f->n, peer, err, sizeof(err));
    }
    if (rc == 0) {
        b->delay_ms = 0;
        b->next_try_ms = 0;
        return;
    }
    b->delay_ms = b->delay_ms == 0 ? BACKOFF_FIRST_MS : b->delay_ms * 2;
    if (b->delay_ms > BACKOFF_MAX_MS)
        b->delay_ms = BACKOFF_MAX_MS;
    b->next_try_ms = now + b->delay_ms;
    struct isx_peer_progress pr = {0};
    pr.error = err[0] != '\0' ? err : isx_err_name(rc);
    isx_store_peer_progress(f->n->store, peer->party, &pr);
    fprintf(stderr, "isxd: fed: %s: %s; next try in %lld ms\n", peer->party, pr.error,
            (long long)b->delay_ms);
}

static void *
run(void *arg)
{
    struct isx_fed *f = arg;

    pthread_mutex_lock(&f->lock);
    while (!f->stop) {
        if (!f->kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += f->n->cfg.sync_interval;
            pthread_cond_timedwait(&f->cond, &f->lock, &until);
        }
        if (f->stop)
            break;
        f->kicked = 0;
        pthread_mutex_unlock(&f->lock);

        struct isx_peer *peers = NULL;
        size_t np = 0;
        int more = 0;
        if (isx_store_peer_list(f->n->store, &peers, &np) == 0) {
            for (size_t i = 0; i < np; i++) {
                pthread_mutex_lock(&f->lock);
                int stop = f->stop;
                pthread_mutex_unlock(&f->lock);
                if (stop)
                    break;
                round_for(f, &peers[i], isx_time_now_ms(), &more);
            }
        }
        free(peers);
        pthread_mutex_lock(&f->lock);
        /* A round is bounded per peer so that peers take turns; one that ended with work
         * left is followed by the next at once rather than after sync_interval. */
        if (more)
            f->kicked = 1;
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

int
isx_fed_start(struct isx_node *n, struct isx_fed **out)
{
    struct isx_fed *f;

    if (n->cfg.sync_interval == 0) {
        *out = NULL; /* federation switched off in the configuration */
        return 0;
    }
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return ISX_ENOMEM;
    f->n = n;
    f->kicked = 1; /* a first round at once: catch up after a restart */
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->cond);
        free(f);
        return ISX_ENOMEM;
    }
    n->fed = f;
    *out = f;
    return 0;
}

void
isx_fed_stop(struct isx_fed *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->lock);
    f->stop = 1;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    f->n->fed = NULL;
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}

void
isx_fed_kick(struct isx_fed *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->lock);
    f->kicked = 1;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

void
isx_fed_metrics(struct isx_node *n, struct isx_buf *out)
{
    uint64_t refusals[ISX_FED_REFUSAL_COUNT], size = 0;
    struct isx_peer *peers = NULL;
    int64_t alarms = 0;
    size_t np = 0;

    isx__fed_refusals(refusals);
    isx_store_log_size(n->store, &size);
    isx_store_alarm_count(n->store, &alarms);
    isx_buf_puts(out, "# HELP isx_fed_requests_refused_total Signed requests from other nodes "
                      "refused, by reason.\n# TYPE isx_fed_requests_refused_total counter\n");
    for (int i = 0; i < ISX_FED_REFUSAL_COUNT; i++)
        isx_buf_printf(out, "isx_fed_requests_refused_total{reason=\"%s\"} %" PRIu64 "\n",
                       isx__fed_refusal_name((enum isx_fed_refusal)i), refusals[i]);
    isx_buf_printf(out,
                   "# HELP isx_fed_alarms Witness alarms: a peer showed two views of its log.\n"
                   "# TYPE isx_fed_alarms gauge\nisx_fed_alarms %lld\n",
                   (long long)alarms);
    if (isx_store_peer_list(n->store, &peers, &np) != 0)
        return;
    isx_buf_puts(out, "# HELP isx_fed_peer_sent Objects a peer stored from this node.\n"
                      "# TYPE isx_fed_peer_sent counter\n"
                      "# HELP isx_fed_peer_received Objects stored here from a peer.\n"
                      "# TYPE isx_fed_peer_received counter\n"
                      "# HELP isx_fed_peer_refused Objects refused either way.\n"
                      "# TYPE isx_fed_peer_refused counter\n"
                      "# HELP isx_fed_peer_backlog Log entries not yet offered to the peer.\n"
                      "# TYPE isx_fed_peer_backlog gauge\n"
                      "# HELP isx_fed_peer_up 1 when the last exchange with the peer worked.\n"
                      "# TYPE isx_fed_peer_up gauge\n");
    for (size_t i = 0; i < np; i++) {
        const struct isx_peer *p = &peers[i];
        isx_buf_printf(out,
                       "isx_fed_peer_sent{peer=\"%s\"} %lld\nisx_fed_peer_received{peer=\"%s\"} "
                       "%lld\nisx_fed_peer_refused{peer=\"%s\"} %lld\n"
                       "isx_fed_peer_backlog{peer=\"%s\"} %" PRIu64 "\n"
                       "isx_fed_peer_up{peer=\"%s\"} %d\n",
                       p->party, (long long)p->sent, p->party, (long long)p->received, p->party,
                       (long long)p->refused, p->party,
                       size > p->push_cursor ? size - p->push_cursor : 0, p->party,
                       p->last_error[0] == '\0' && p->last_contact[0] != '\0');
    }
    free(peers);
}
