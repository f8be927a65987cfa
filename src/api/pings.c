/*
 * Communication checks at a node (include/isx/pings.h) and their REST resources:
 *
 *   GET  /api/v1/pings                 pings held here, with their figures (?state=open|closed)
 *   POST /api/v1/pings                 start one (liaison, admin)
 *   GET  /api/v1/pings/history         figures over time, per party and kind; who is silent
 *   GET  /api/v1/pings/unanswered      contacts that did not answer their latest closed ping
 *   GET  /api/v1/pings/{id}            one ping: results, and links for this party's contacts
 *   POST /api/v1/pings/{id}/ack        acknowledge for one of this party's contacts
 *   GET  /api/v1/ping-links/{token}    what a one-time link acknowledges (public)
 *   POST /api/v1/ping-links/{token}    acknowledge through the link (public)
 *
 * Invariants: nothing here is stored but signed ping and ack objects; every figure is computed
 * at read time from them (include/isx/ping.h), so a restart or a reindex changes nothing. The
 * same judge decides an ack made here and one that arrives from a peer. Links and tokens are
 * shown only to liaisons and admins of the contact's own node, the only node that can make
 * them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isx/api.h"
#include "isx/hash.h"
#include "isx/i18n.h"
#include "isx/marking.h"
#include "isx/ping.h"
#include "isx/pings.h"
#include "isx/schema.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define HOUR_MS    INT64_C(3600000)
#define LIST_LIMIT 100000
#define LINK_PATH  "/api/v1/ping-links/"

static const char *
str(const json_t *o, const char *name)
{
    return json_string_value(json_object_get(o, name));
}

/* ---- loading ---- */

/* The current objects of `type` this node can read (relayed sealed ones have no body). */
static int
readable_list(struct isx_node *n, const char *type, json_t **out)
{
    json_t *items = NULL;
    int rc = isx_store_type_list(n->store, type, LIST_LIMIT, &items);

    if (rc != 0)
        return rc;
    for (size_t i = json_array_size(items); i-- > 0;) {
        if (json_object_get(json_array_get(items, i), "body") == NULL)
            json_array_remove(items, i);
    }
    *out = items;
    return 0;
}

int
isx_pings_load(struct isx_node *n, json_t **pings, json_t **acks)
{
    json_t *p = NULL, *a = NULL;
    int rc;

    if ((rc = readable_list(n, "ping", &p)) != 0 || (rc = readable_list(n, "ack", &a)) != 0) {
        json_decref(p);
        return rc;
    }
    *pings = p;
    *acks = a;
    return 0;
}

/* The ping `id` as an envelope with its clear body (new reference); ISX_ENOTFOUND. */
static int
ping_view(struct isx_node *n, const char *id, json_t **out)
{
    struct isx_object *o = NULL;
    json_t *view;
    int rc;

    if (!isx_object_id_valid(id, "ping"))
        return ISX_ENOTFOUND;
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        return rc;
    if (isx_object_clear_body(o) == NULL) {
        isx_object_free(o);
        return ISX_ENOTFOUND;
    }
    view = isx__api_object_view(o);
    isx_object_free(o);
    if (view == NULL)
        return ISX_ENOMEM;
    *out = view;
    return 0;
}

static int
exists(struct isx_node *n, const char *id)
{
    struct isx_buf b = ISX_BUF_INIT;
    int rc = isx_store_get(n->store, id, NULL, &b);

    isx_buf_free(&b);
    return rc == 0;
}

/* ---- starting ---- */

static int
in_list(const json_t *list, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        if (s != NULL && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The codes of every party with an active contact, sorted (new array). */
static json_t *
parties_with_contacts(const json_t *pocs)
{
    const char *codes[512];
    size_t i, n = 0;
    json_t *p, *out = json_array();

    json_array_foreach(pocs, i, p)
    {
        const char *party = str(json_object_get(p, "body"), "party");
        int seen = 0;
        for (size_t k = 0; k < n; k++)
            seen |= strcmp(codes[k], party) == 0;
        if (!seen && n < sizeof(codes) / sizeof(codes[0]) && n < 64)
            codes[n++] = party;
    }
    qsort(codes, n, sizeof(codes[0]), cmp_str);
    for (i = 0; out != NULL && i < n; i++)
        json_array_append_new(out, json_string(codes[i]));
    return out;
}

/* The active contacts this node knows, each published by its own party's node. */
static int
active_pocs(struct isx_node *n, json_t **out)
{
    json_t *pocs = NULL;
    int rc = readable_list(n, "poc", &pocs);

    if (rc != 0)
        return rc;
    for (size_t i = json_array_size(pocs); i-- > 0;) {
        const json_t *p = json_array_get(pocs, i), *b = json_object_get(p, "body");
        const char *status = str(b, "status");
        if ((status != NULL && strcmp(status, "retired") == 0) || str(b, "party") == NULL ||
            str(p, "origin") == NULL || strcmp(str(b, "party"), str(p, "origin")) != 0)
            json_array_remove(pocs, i);
    }
    *out = pocs;
    return 0;
}

/* The standard message of a check, in the three languages of the catalogue. */
static json_t *
standard_message(void)
{
    return json_pack("{s:s, s:s, s:s}", "zh", isx_msg(ISX_LANG_ZH, "ping.message"), "ru",
                     isx_msg(ISX_LANG_RU, "ping.message"), "en",
                     isx_msg(ISX_LANG_EN, "ping.message"));
}

int
isx_pings_start(struct isx_node *n, const json_t *parties, int64_t deadline_ms,
                const json_t *message, const char *slot, const struct isx_change *change,
                struct isx_object **out, struct isx_diag *d)
{
    json_t *pocs = NULL, *chosen = NULL, *contacts = json_array(), *body = NULL, *p;
    char id[ISX_OBJECT_ID_MAX + 1], now_text[ISX_TIME_LEN + 1], deadline_text[ISX_TIME_LEN + 1];
    int64_t now = isx_time_now_ms();
    size_t i;
    int rc;

    if (contacts == NULL)
        return ISX_ENOMEM;
    if ((rc = active_pocs(n, &pocs)) != 0)
        goto done;
    if (parties == NULL || json_array_size(parties) == 0) {
        chosen = parties_with_contacts(pocs);
        if (chosen != NULL && json_array_size(chosen) == 0) {
            rc = isx_diag_set(d, ISX_EFIELD, "parties", "ping.no_contacts_any", NULL);
            goto done;
        }
    } else {
        chosen = json_deep_copy(parties);
    }
    if (chosen == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    json_array_foreach(pocs, i, p)
    {
        const json_t *b = json_object_get(p, "body");
        if (!in_list(chosen, str(b, "party")))
            continue;
        if (json_array_size(contacts) == ISX_PING_MAX_POCS) {
            rc = isx_diag_set(d, ISX_ERANGE, "parties", "ping.too_many", "5000");
            goto done;
        }
        json_array_append_new(contacts, json_pack("{s:s, s:s, s:s}", "id", str(p, "id"), "party",
                                                  str(b, "party"), "kind", str(b, "kind")));
    }
    /* A party without a known contact would make a check that nobody can answer. */
    json_array_foreach(chosen, i, p)
    {
        int found = 0;
        size_t k;
        json_t *c;
        json_array_foreach(contacts, k, c)
        {
            found |= strcmp(str(c, "party"), json_string_value(p)) == 0;
        }
        if (!found) {
            char field[32];
            snprintf(field, sizeof(field), "parties[%zu]", i);
            rc = isx_diag_set(d, ISX_EFIELD, field, "ping.no_contacts", json_string_value(p));
            goto done;
        }
    }
    if (deadline_ms <= now || deadline_ms - now > ISX_PING_MAX_HOURS * HOUR_MS) {
        rc = isx_diag_set(d, ISX_ERANGE, "deadline", "ping.window", "720");
        goto done;
    }
    isx_time_format(now, now_text);
    isx_time_format(deadline_ms, deadline_text);
    body = json_pack("{s:O, s:O, s:s, s:s, s:o}", "parties", chosen, "pocs", contacts, "started",
                     now_text, "deadline", deadline_text, "message",
                     message != NULL ? json_deep_copy(message) : standard_message());
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (slot != NULL)
        json_object_set_new(body, "schedule", json_string(slot));
    if ((rc = isx_ping_check(body, "", d)) != 0)
        goto done;
    if (slot != NULL)
        isx_ping_schedule_id(n->cfg.party, slot, id);
    /* Green, and addressed: federation takes it to each party it names, and no further. */
    rc = isx_node_publish(n, "ping", slot != NULL ? id : NULL,
                          json_pack("{s:s, s:O}", "tlp", "green", "to", chosen), body, change, NULL,
                          out, d);
    body = NULL;
done:
    json_decref(body);
    json_decref(pocs);
    json_decref(chosen);
    json_decref(contacts);
    return rc;
}

/* ---- acknowledging ---- */

int
isx_pings_ack(struct isx_node *n, const char *ping, const char *poc, const char *how,
              const struct isx_change *change, struct isx_object **out, struct isx_diag *d)
{
    char ack_id[ISX_OBJECT_ID_MAX + 1], now_text[ISX_TIME_LEN + 1];
    json_t *view = NULL, *body = NULL, *to = NULL, *p;
    size_t i;
    int rc;

    if ((rc = ping_view(n, ping, &view)) != 0)
        return isx_diag_set(d, rc, "ping", rc == ISX_ENOTFOUND ? "api.not_found" : NULL, ping);
    if (!isx_object_id_valid(poc, "poc")) {
        rc = isx_diag_set(d, ISX_EFIELD, "poc", "ping.poc_id", poc);
        goto done;
    }
    isx_ping_ack_id(ping, poc, ack_id);
    isx_time_format(isx_time_now_ms(), now_text);
    body = json_pack("{s:s, s:s, s:s, s:s}", "ping", ping, "poc", poc, "how", how, "at", now_text);
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if ((rc = isx_ack_check(body, "", d)) != 0 ||
        (rc = isx_ping_ack_judge(view, ack_id, n->cfg.party, body, exists(n, ack_id), "", d)) != 0)
        goto done;
    /* Everyone who holds the ping gets the answer, so every node's figures agree. */
    to = json_array();
    const json_t *pb = json_object_get(view, "body");
    json_array_foreach(json_object_get(pb, "parties"), i, p)
    {
        json_array_append(to, p);
    }
    if (to == NULL || (!in_list(to, str(view, "origin")) &&
                       json_array_append_new(to, json_string(str(view, "origin"))) != 0)) {
        rc = ISX_ENOMEM;
        goto done;
    }
    rc = isx_node_publish(n, "ack", ack_id, json_pack("{s:s, s:O}", "tlp", "green", "to", to), body,
                          change, NULL, out, d);
    body = NULL;
    /* Two answers at the same moment: the store keeps the first, the id says it is the same. */
    if (rc == ISX_EEXISTS && d != NULL) {
        memset(d, 0, sizeof(*d));
        rc = isx_diag_set(d, ISX_EEXISTS, "poc", "ping.already", poc);
    }
done:
    json_decref(view);
    json_decref(body);
    json_decref(to);
    return rc;
}

/* ---- one-time links ---- */

/* The 16 bytes of the UUID in an object id. */
static int
uuid_bytes(const char *id, uint8_t out[16])
{
    const char *u = strstr(id, "--");
    char hex[33];
    size_t j = 0;

    if (u == NULL || strlen(u + 2) != 36)
        return ISX_EINVAL;
    for (const char *q = u + 2; *q != '\0'; q++) {
        if (*q != '-')
            hex[j++] = *q;
        if (j > 32)
            return ISX_EINVAL;
    }
    hex[j] = '\0';
    return j == 32 ? isx_hex_decode(hex, 32, out, 16) : ISX_EINVAL;
}

static void
uuid_id(const char *type, const uint8_t b[16], char out[ISX_OBJECT_ID_MAX + 1])
{
    char hex[33];

    isx_hex_encode(b, 16, hex);
    snprintf(out, ISX_OBJECT_ID_MAX + 1, "%s--%.8s-%.4s-%.4s-%.4s-%.12s", type, hex, hex + 8,
             hex + 12, hex + 16, hex + 20);
}

/* The 16-byte tag of (ping, poc) under this node's signing key. */
static int
link_mac(struct isx_node *n, const char *ping, const char *poc, uint8_t mac[16])
{
    struct isx_sha256_ctx c;
    uint8_t sig[ISX_SIGN_SIG_LEN], h[32];
    char msg[2 * ISX_OBJECT_ID_MAX + 32];
    int len = snprintf(msg, sizeof(msg), "isx-ping-link\n%s\n%s", ping, poc);
    int rc;

    if (len < 0 || (size_t)len >= sizeof(msg))
        return ISX_EINVAL;
    /* The message is not an object's canonical form, so the signature can be no object's. */
    if ((rc = isx_signer_sign(n->signer, msg, (size_t)len, sig)) != 0)
        return rc;
    isx_sha256_init(&c);
    isx_sha256_update(&c, "isx-ping-link-mac", 17);
    isx_sha256_update(&c, sig, sizeof(sig));
    isx_sha256_final(&c, h);
    memcpy(mac, h, 16);
    isx_memzero(sig, sizeof(sig));
    isx_memzero(h, sizeof(h));
    return 0;
}

int
isx_pings_link_token(struct isx_node *n, const char *ping, const char *poc,
                     char out[ISX_PING_TOKEN_LEN + 1])
{
    uint8_t raw[48];
    int rc;

    if (!isx_object_id_valid(ping, "ping") || !isx_object_id_valid(poc, "poc") ||
        uuid_bytes(ping, raw) != 0 || uuid_bytes(poc, raw + 16) != 0)
        return ISX_EINVAL;
    if ((rc = link_mac(n, ping, poc, raw + 32)) != 0)
        return rc;
    isx_base64url_encode(raw, sizeof(raw), out);
    return 0;
}

int
isx_pings_link_open(struct isx_node *n, const char *token, char ping[ISX_OBJECT_ID_MAX + 1],
                    char poc[ISX_OBJECT_ID_MAX + 1])
{
    uint8_t raw[64], mac[16];
    char p[ISX_OBJECT_ID_MAX + 1], c[ISX_OBJECT_ID_MAX + 1];
    size_t len;

    if (token == NULL || strlen(token) != ISX_PING_TOKEN_LEN ||
        isx_base64url_decode(token, ISX_PING_TOKEN_LEN, raw, sizeof(raw), &len) != 0 || len != 48)
        return ISX_ENOTFOUND;
    uuid_id("ping", raw, p);
    uuid_id("poc", raw + 16, c);
    if (link_mac(n, p, c, mac) != 0 || isx_memcmp_ct(mac, raw + 32, 16) != 0)
        return ISX_ENOTFOUND;
    memcpy(ping, p, sizeof(p));
    memcpy(poc, c, sizeof(c));
    return 0;
}

/* ---- the door ---- */

int
isx_pings_door_ping(struct isx_node *n, const struct isx_object *o, const json_t *body,
                    struct isx_diag *d)
{
    (void)body;
    /* Its contacts are a snapshot taken at the start: a second version would move them.
     * ISX_EEXISTS would read as "already stored" to delivery and import, so: a conflict. */
    if (exists(n, o->id))
        return isx_diag_set(d, ISX_ECONFLICT, "id", "ping.immutable", o->id);
    return 0;
}

int
isx_pings_door_ack(struct isx_node *n, const struct isx_object *o, const json_t *body,
                   struct isx_diag *d)
{
    json_t *view = NULL;
    int rc;

    if (ping_view(n, str(body, "ping"), &view) != 0)
        return 0;
    rc = isx_ping_ack_judge(view, o->id, o->origin, body, exists(n, o->id), "body", d);
    json_decref(view);
    /* A second answer is another object under the same id, not this one again: delivery and
     * import take ISX_EEXISTS for "already stored", so it is refused as a conflict. */
    if (rc == ISX_EEXISTS) {
        rc = ISX_ECONFLICT;
        if (d != NULL)
            d->code = rc;
    }
    return rc;
}

/* ---- the directory's flag ---- */

int
isx_pings_flag_pocs(struct isx_node *n, json_t *items)
{
    json_t *pings = NULL, *acks = NULL, *last = NULL, *item;
    size_t i;
    int rc;

    if ((rc = isx_pings_load(n, &pings, &acks)) != 0)
        return rc;
    if ((rc = isx_ping_last(pings, acks, isx_time_now_ms(), &last)) != 0)
        goto done;
    json_array_foreach(items, i, item)
    {
        const json_t *v = json_object_get(last, str(item, "id"));
        if (v != NULL && str(item, "type") != NULL && strcmp(str(item, "type"), "poc") == 0)
            json_object_set(item, "last_ping", (json_t *)v);
    }
done:
    json_decref(pings);
    json_decref(acks);
    json_decref(last);
    return rc;
}

/* ---- metrics ---- */

void
isx_pings_metrics(struct isx_node *n, struct isx_buf *out)
{
    json_t *pings = NULL, *acks = NULL, *hist = NULL, *item;
    const json_t *latest = NULL;
    long long open = 0;
    size_t i;

    if (isx_pings_load(n, &pings, &acks) != 0)
        return;
    if (isx_ping_history(pings, acks, isx_time_now_ms(), &hist) != 0)
        goto done;
    json_array_foreach(json_object_get(hist, "items"), i, item)
    {
        if (strcmp(str(item, "state"), "open") == 0)
            open++;
        else if (latest == NULL || strcmp(str(item, "deadline"), str(latest, "deadline")) >= 0)
            latest = item;
    }
    isx_buf_printf(out,
                   "# HELP isx_pings_open Communication checks held here that are still open.\n"
                   "# TYPE isx_pings_open gauge\nisx_pings_open %lld\n"
                   "# HELP isx_ping_contacts_unanswered Contacts that did not answer the latest "
                   "closed check covering them.\n# TYPE isx_ping_contacts_unanswered gauge\n"
                   "isx_ping_contacts_unanswered %zu\n",
                   open, json_array_size(json_object_get(hist, "unanswered")));
    if (latest != NULL && json_is_real(json_object_get(latest, "rate"))) {
        isx_buf_printf(out,
                       "# HELP isx_ping_last_response_rate Share of the contacts that answered "
                       "the latest closed check.\n# TYPE isx_ping_last_response_rate gauge\n"
                       "isx_ping_last_response_rate{ping=\"%s\",origin=\"%s\"} %.6f\n",
                       str(latest, "id"), str(latest, "origin"),
                       json_real_value(json_object_get(latest, "rate")));
    }
    if (latest != NULL && json_is_integer(json_object_get(latest, "median_ms"))) {
        isx_buf_printf(out,
                       "# HELP isx_ping_last_median_seconds Median time to answer the latest "
                       "closed check.\n# TYPE isx_ping_last_median_seconds gauge\n"
                       "isx_ping_last_median_seconds{ping=\"%s\",origin=\"%s\"} %.3f\n",
                       str(latest, "id"), str(latest, "origin"),
                       (double)json_integer_value(json_object_get(latest, "median_ms")) / 1000.0);
    }
done:
    json_decref(pings);
    json_decref(acks);
    json_decref(hist);
}

/* ---- the schedule ---- */

/* "all" is NULL (every party with a contact); "RU,KZ" an array. */
static json_t *
scheduled_parties(const struct isx_config *cfg)
{
    char copy[sizeof(cfg->ping_parties)], *save = NULL;
    json_t *list;

    if (strcmp(cfg->ping_parties, "all") == 0)
        return NULL;
    list = json_array();
    snprintf(copy, sizeof(copy), "%s", cfg->ping_parties);
    for (char *t = strtok_r(copy, ",", &save); list != NULL && t != NULL;
         t = strtok_r(NULL, ",", &save))
        json_array_append_new(list, json_string(t));
    return list;
}

int
isx_pings_tick(struct isx_node *n, int64_t now_ms, int *started, struct isx_diag *d)
{
    static const struct isx_change change = {"schedule", "create"};
    char slot_text[ISX_TIME_LEN + 1], id[ISX_OBJECT_ID_MAX + 1];
    struct isx_object *o = NULL;
    json_t *parties;
    int64_t slot;
    int rc;

    if (started != NULL)
        *started = 0;
    if (isx_ping_schedule_slot(&n->cfg, now_ms, &slot) != 0)
        return 0;
    /* Each scheduled check closes a fixed time after its slot, so the series stays comparable;
     * a node that was down through the whole window skips that check. */
    int64_t deadline = slot + (int64_t)n->cfg.ping_deadline_hours * HOUR_MS;
    if (now_ms >= deadline)
        return 0;
    isx_time_format(slot, slot_text);
    isx_ping_schedule_id(n->cfg.party, slot_text, id);
    if (exists(n, id))
        return 0;
    parties = scheduled_parties(&n->cfg);
    rc = isx_pings_start(n, parties, deadline, NULL, slot_text, &change, &o, d);
    json_decref(parties);
    if (rc == ISX_EEXISTS)
        return 0;
    if (rc == 0) {
        char now[ISX_TIME_LEN + 1];
        isx_time_format(isx_time_now_ms(), now);
        fprintf(stderr, "%s isxd ping-scheduled id=%s slot=%s contacts=%zu\n", now, o->id,
                slot_text, json_array_size(json_object_get(isx_object_clear_body(o), "pocs")));
        if (started != NULL)
            *started = 1;
    }
    isx_object_free(o);
    return rc;
}

struct isx_pings_timer {
    struct isx_node *n;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int64_t failed_slot; /* a slot whose start failed has been logged once */
};

static void
timer_tick(struct isx_pings_timer *t)
{
    struct isx_diag d = {0};
    int64_t now = isx_time_now_ms(), slot = 0;
    int rc = isx_pings_tick(t->n, now, NULL, &d);

    if (rc != 0 && isx_ping_schedule_slot(&t->n->cfg, now, &slot) == 0 && slot != t->failed_slot) {
        char at[ISX_TIME_LEN + 1];
        struct isx_buf msg = ISX_BUF_INIT;
        t->failed_slot = slot;
        isx_time_format(now, at);
        if (d.key[0] != '\0')
            isx_msg_format(ISX_LANG_EN, d.key, d.arg, &msg);
        fprintf(stderr, "%s isxd warning scheduled ping not started: %s %s %s\n", at,
                isx_err_name(rc), d.field, msg.data != NULL ? msg.data : "");
        isx_buf_free(&msg);
    }
}

static void *
timer_main(void *arg)
{
    struct isx_pings_timer *t = arg;
    struct timespec until;

    timer_tick(t);
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 60;
        pthread_cond_timedwait(&t->cond, &t->lock, &until);
        if (t->stop)
            break;
        pthread_mutex_unlock(&t->lock);
        timer_tick(t);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

struct isx_pings_timer *
isx_pings_timer_start(struct isx_node *n)
{
    struct isx_pings_timer *t;

    if (n->cfg.ping_schedule == ISX_PING_OFF || (t = calloc(1, sizeof(*t))) == NULL)
        return NULL;
    t->n = n;
    t->failed_slot = -1;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->cond);
        free(t);
        return NULL;
    }
    return t;
}

void
isx_pings_timer_stop(struct isx_pings_timer *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}

/* ---- REST handlers ---- */

int
isx__api_ping_reply_poc(struct isx_http_req *req, const struct isx_object *o)
{
    json_t *view = isx__api_object_view(o), *copy = view != NULL ? json_copy(view) : NULL;
    json_t *one = json_array();
    int rc = ISX_ENOMEM;

    /* A copy: the view may be the object's own envelope, which must stay as it was signed. */
    if (copy == NULL || one == NULL || json_array_append(one, copy) != 0)
        goto done;
    if ((rc = isx_pings_flag_pocs(req->ctx, one)) != 0) {
        rc = isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
        goto done;
    }
    isx_http_set_header(req, "ISX-Object-Hash", isx_arena_strdup(req->arena, o->hash_hex));
    isx__api_log_headers(req, o);
    rc = isx_http_reply_json(req, 200, copy);
done:
    json_decref(view);
    json_decref(copy);
    json_decref(one);
    return rc;
}

static int
reply(struct isx_http_req *req, int status, json_t *doc)
{
    int rc = doc != NULL ? isx_http_reply_json(req, status, doc) : ISX_ENOMEM;

    json_decref(doc);
    return rc;
}

/* {"poc--…": person language map} of the contacts known here. */
static json_t *
people(struct isx_node *n)
{
    json_t *pocs = NULL, *map = json_object(), *p;
    size_t i;

    if (map == NULL || readable_list(n, "poc", &pocs) != 0)
        return map;
    json_array_foreach(pocs, i, p)
    {
        json_t *person = json_object_get(json_object_get(p, "body"), "person");
        if (person != NULL)
            json_object_set(map, str(p, "id"), person);
    }
    json_decref(pocs);
    return map;
}

static void
add_people(json_t *rows, const json_t *who, const char *key)
{
    size_t i;
    json_t *r;

    json_array_foreach(rows, i, r)
    {
        const json_t *person = json_object_get(who, str(r, key));
        if (person != NULL)
            json_object_set(r, "person", (json_t *)person);
    }
}

static int
history_doc(struct isx_http_req *req, json_t **out)
{
    struct isx_node *n = req->ctx;
    json_t *pings = NULL, *acks = NULL;
    int rc;

    if ((rc = isx_pings_load(n, &pings, &acks)) != 0)
        return isx_diag_set(&req->diag, rc, NULL, NULL, NULL);
    rc = isx_ping_history(pings, acks, isx_time_now_ms(), out);
    json_decref(pings);
    json_decref(acks);
    return rc != 0 ? isx_diag_set(&req->diag, rc, NULL, NULL, NULL) : 0;
}

int
isx__api_ping_list(struct isx_http_req *req)
{
    const char *state = isx_http_query(req, "state");
    json_t *hist = NULL, *items, *item, *list;
    int rc;

    if (state != NULL && strcmp(state, "open") != 0 && strcmp(state, "closed") != 0)
        return isx_diag_set(&req->diag, ISX_EINVAL, "state", "ping.state", state);
    if ((rc = history_doc(req, &hist)) != 0)
        return rc;
    items = json_object_get(hist, "items");
    list = json_array();
    /* Newest first, as a list of work; the history keeps the order of time. */
    for (size_t i = json_array_size(items); list != NULL && i-- > 0;) {
        item = json_array_get(items, i);
        if (state == NULL || strcmp(str(item, "state"), state) == 0)
            json_array_append(list, item);
    }
    json_decref(hist);
    return reply(req, 200, json_pack("{s:o}", "items", list));
}

/* An RFC 3339 time in a request, in any precision. */
static int
check_any_time(const json_t *v, const char *path, struct isx_diag *d)
{
    int64_t ms;

    if (isx_time_parse(json_string_value(v), &ms) != 0)
        return isx_diag_set(d, ISX_EFIELD, path, "ping.time", json_string_value(v));
    return 0;
}

static const struct isx_schema_field party_item = {"", ISX_SCHEMA_STRING,    0,    2,
                                                   3,  isx_party_code_check, NULL, NULL};
static const struct isx_schema_field start_fields[] = {
    {"parties", ISX_SCHEMA_ARRAY, ISX_SCHEMA_UNIQUE, 0, 64, NULL, NULL, &party_item},
    {"deadline", ISX_SCHEMA_STRING, 0, 1, 40, check_any_time, NULL, NULL},
    {"deadline_hours", ISX_SCHEMA_INTEGER, 0, 1, ISX_PING_MAX_HOURS, NULL, NULL, NULL},
    {"message", ISX_SCHEMA_LANGMAP, 0, 0, 2000, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

int
isx__api_ping_start(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, "create"};
    struct isx_object *o = NULL;
    json_t *in = NULL;
    int64_t deadline;
    int rc;

    if ((rc = isx_http_body_json(req, &in)) != 0)
        return rc;
    if (!json_is_object(in)) {
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    if ((rc = isx_schema_check(in, start_fields, "", &req->diag)) != 0)
        goto done;
    const json_t *dl = json_object_get(in, "deadline"),
                 *hours = json_object_get(in, "deadline_hours");
    if (dl != NULL && hours != NULL) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "deadline_hours", "ping.deadline_twice", NULL);
        goto done;
    }
    if (dl != NULL)
        isx_time_parse(json_string_value(dl), &deadline);
    else
        deadline = isx_time_now_ms() + (hours != NULL ? (int64_t)json_integer_value(hours)
                                                      : (int64_t)n->cfg.ping_deadline_hours) *
                                           HOUR_MS;
    rc = isx_pings_start(n, json_object_get(in, "parties"), deadline,
                         json_object_get(in, "message"), NULL, &change, &o, &req->diag);
    if (rc == 0) {
        isx_http_set_header(req, "Location",
                            isx_arena_printf(req->arena, "/api/v1/pings/%s", o->id));
        rc = isx__api_reply_object(req, 201, o);
    }
done:
    isx_object_free(o);
    json_decref(in);
    return rc;
}

/* Links for this party's contacts that have not answered an open ping, for its liaisons. */
static json_t *
links_for(struct isx_http_req *req, const json_t *results, const json_t *who)
{
    struct isx_node *n = req->ctx;
    json_t *links = json_array(), *c;
    char token[ISX_PING_TOKEN_LEN + 1];
    size_t i;

    if (links == NULL || (req->user->role & ISX_ROLES_DIR) == 0 ||
        strcmp(str(results, "state"), "open") != 0)
        return links;
    json_array_foreach(json_object_get(results, "contacts"), i, c)
    {
        if (strcmp(str(c, "party"), n->cfg.party) != 0 ||
            json_is_true(json_object_get(c, "answered")) ||
            isx_pings_link_token(n, str(results, "id"), str(c, "poc"), token) != 0)
            continue;
        json_t *l =
            json_pack("{s:s, s:s, s:s, s:s}", "poc", str(c, "poc"), "kind", str(c, "kind"), "token",
                      token, "path", isx_arena_printf(req->arena, LINK_PATH "%s", token));
        if (l != NULL && json_object_get(who, str(c, "poc")) != NULL)
            json_object_set(l, "person", json_object_get(who, str(c, "poc")));
        json_array_append_new(links, l);
    }
    return links;
}

int
isx__api_ping_get(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    const char *id = req->nparams > 0 ? req->params[0] : "";
    struct isx_object *o = NULL;
    json_t *acks = NULL, *results = NULL, *view = NULL, *who = NULL;
    int rc;

    if (!isx_object_id_valid(id, "ping"))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "object.id", id);
    if ((rc = isx_node_get(n, id, NULL, &o)) != 0)
        return isx_diag_set(&req->diag, rc, "id", "api.not_found", id);
    if (!isx__api_readable(req, o)) {
        rc = isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "api.not_found", id);
        goto done;
    }
    if ((view = isx__api_object_view(o)) == NULL || (rc = readable_list(n, "ack", &acks)) != 0 ||
        (rc = isx_ping_results(view, acks, isx_time_now_ms(), &results)) != 0) {
        rc = isx_diag_set(&req->diag, rc != 0 ? rc : ISX_ENOMEM, NULL, NULL, NULL);
        goto done;
    }
    who = people(n);
    add_people(json_object_get(results, "contacts"), who, "poc");
    isx_http_set_header(req, "ISX-Object-Hash", isx_arena_strdup(req->arena, o->hash_hex));
    rc = reply(req, 200,
               json_pack("{s:O, s:O, s:o}", "object", view, "results", results, "links",
                         links_for(req, results, who)));
done:
    json_decref(view);
    json_decref(acks);
    json_decref(results);
    json_decref(who);
    isx_object_free(o);
    return rc;
}

int
isx__api_ping_history(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    json_t *hist = NULL, *who;
    int rc;

    if ((rc = history_doc(req, &hist)) != 0)
        return rc;
    who = people(n);
    add_people(json_object_get(hist, "unanswered"), who, "poc");
    json_decref(who);
    return reply(req, 200, hist);
}

int
isx__api_ping_unanswered(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    const char *party = isx_http_query(req, "party");
    json_t *hist = NULL, *who, *items;
    int rc;

    if (party != NULL && !isx_party_code_valid(party))
        return isx_diag_set(&req->diag, ISX_EINVAL, "party", "party.code", party);
    if ((rc = history_doc(req, &hist)) != 0)
        return rc;
    items = json_incref(json_object_get(hist, "unanswered"));
    json_decref(hist);
    for (size_t i = json_array_size(items); party != NULL && i-- > 0;) {
        if (strcmp(str(json_array_get(items, i), "party"), party) != 0)
            json_array_remove(items, i);
    }
    who = people(n);
    add_people(items, who, "poc");
    json_decref(who);
    return reply(req, 200, json_pack("{s:o}", "items", items));
}

static const struct isx_schema_field ack_request_fields[] = {
    {"poc", ISX_SCHEMA_STRING, ISX_SCHEMA_REQUIRED, 1, ISX_OBJECT_ID_MAX, NULL, NULL, NULL},
    {"how", ISX_SCHEMA_STRING, 0, 1, 8, NULL, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};

int
isx__api_ping_ack(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_change change = {req->user->name, "ack"};
    const char *id = req->nparams > 0 ? req->params[0] : "";
    struct isx_object *o = NULL;
    json_t *in = NULL;
    int rc;

    if (!isx_object_id_valid(id, "ping"))
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "id", "object.id", id);
    if ((rc = isx_http_body_json(req, &in)) != 0)
        return rc;
    if (!json_is_object(in)) {
        rc = isx_diag_set(&req->diag, ISX_ETYPE, "", "schema.type", "object");
        goto done;
    }
    if ((rc = isx_schema_check(in, ack_request_fields, "", &req->diag)) != 0)
        goto done;
    const char *how = str(in, "how") != NULL ? str(in, "how") : "api";
    /* A link answer is the contact's own click; it comes only through the link. */
    if (strcmp(how, "api") != 0 && strcmp(how, "cli") != 0) {
        rc = isx_diag_set(&req->diag, ISX_EFIELD, "how", "ping.how_api", how);
        goto done;
    }
    rc = isx_pings_ack(n, id, str(in, "poc"), how, &change, &o, &req->diag);
    if (rc == 0)
        rc = isx__api_reply_object(req, 201, o);
done:
    isx_object_free(o);
    json_decref(in);
    return rc;
}

static int
link_param(struct isx_http_req *req, char ping[ISX_OBJECT_ID_MAX + 1],
           char poc[ISX_OBJECT_ID_MAX + 1])
{
    const char *token = req->nparams > 0 ? req->params[0] : "";

    if (isx_pings_link_open(req->ctx, token, ping, poc) != 0)
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "token", "ping.link_unknown", NULL);
    return 0;
}

int
isx__api_ping_link_get(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    char ping[ISX_OBJECT_ID_MAX + 1], poc[ISX_OBJECT_ID_MAX + 1], ack_id[ISX_OBJECT_ID_MAX + 1];
    json_t *view = NULL, *doc = NULL, *who = NULL;
    const json_t *body, *contact;
    int rc;

    if ((rc = link_param(req, ping, poc)) != 0)
        return rc;
    if ((rc = ping_view(n, ping, &view)) != 0)
        return isx_diag_set(&req->diag, rc, "token", "ping.link_unknown", NULL);
    body = json_object_get(view, "body");
    if ((contact = isx_ping_contact(body, poc)) == NULL) {
        rc = isx_diag_set(&req->diag, ISX_ENOTFOUND, "token", "ping.link_unknown", NULL);
        goto done;
    }
    isx_ping_ack_id(ping, poc, ack_id);
    doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:b}", "ping", ping, "poc", poc,
                    "party", str(contact, "party"), "kind", str(contact, "kind"), "message",
                    json_object_get(body, "message"), "started", str(body, "started"), "deadline",
                    str(body, "deadline"), "state", isx_ping_state(body, isx_time_now_ms()),
                    "answered", exists(n, ack_id));
    who = people(n);
    if (doc != NULL && json_object_get(who, poc) != NULL)
        json_object_set(doc, "person", json_object_get(who, poc));
    rc = reply(req, 200, doc);
done:
    json_decref(view);
    json_decref(who);
    return rc;
}

int
isx__api_ping_link_ack(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    char ping[ISX_OBJECT_ID_MAX + 1], poc[ISX_OBJECT_ID_MAX + 1], actor[ISX_OBJECT_ID_MAX + 8];
    struct isx_object *o = NULL;
    int rc;

    if ((rc = link_param(req, ping, poc)) != 0)
        return rc;
    snprintf(actor, sizeof(actor), "link:%s", poc);
    struct isx_change change = {actor, "ack"};
    rc = isx_pings_ack(n, ping, poc, "link", &change, &o, &req->diag);
    if (rc == 0)
        rc = isx__api_reply_object(req, 201, o);
    isx_object_free(o);
    return rc;
}
