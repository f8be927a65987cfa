/*
 * The federation tables of the SQLite store: peers and their delivery cursors, witness
 * alarms, cosignatures of this node's checkpoints, and the lookups delivery needs (a range of
 * the log, the release that lets an object go to a party, the opened body of a sealed object),
 * and the list of every current object of one type (for the few-but-stateful kinds).
 * Invariants: a cursor only moves forward; an alarm, once recorded, is never changed or removed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "isx/timeutil.h"

#define PEER_COLUMNS                                                                               \
    "party, url, name, sign_key, key_id, box_key, relay, added_at, push_cursor, pull_cursor, "     \
    "sent, received, refused, coalesce(last_contact, ''), coalesce(last_error, ''), "              \
    "coalesce(last_error_at, ''), coalesce(witnessed_size, -1)"

static void
copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);

    snprintf(dst, cap, "%s", v != NULL ? v : "");
}

static void
peer_row(sqlite3_stmt *st, struct isx_peer *p)
{
    memset(p, 0, sizeof(*p));
    copy_text(p->party, sizeof(p->party), st, 0);
    copy_text(p->url, sizeof(p->url), st, 1);
    copy_text(p->name, sizeof(p->name), st, 2);
    copy_text(p->sign_key, sizeof(p->sign_key), st, 3);
    copy_text(p->key_id, sizeof(p->key_id), st, 4);
    copy_text(p->box_key, sizeof(p->box_key), st, 5);
    p->relay = sqlite3_column_int(st, 6);
    copy_text(p->added_at, sizeof(p->added_at), st, 7);
    p->push_cursor = (uint64_t)sqlite3_column_int64(st, 8);
    p->pull_cursor = (uint64_t)sqlite3_column_int64(st, 9);
    p->sent = sqlite3_column_int64(st, 10);
    p->received = sqlite3_column_int64(st, 11);
    p->refused = sqlite3_column_int64(st, 12);
    copy_text(p->last_contact, sizeof(p->last_contact), st, 13);
    copy_text(p->last_error, sizeof(p->last_error), st, 14);
    copy_text(p->last_error_at, sizeof(p->last_error_at), st, 15);
    p->witnessed_size = sqlite3_column_int64(st, 16);
}

/* Runs one write statement under the write lock. */
static int
write_one(struct isx_store *s, const char *sql, int n, const char *const *params)
{
    sqlite3 *db = isx__store_writer_lock(s);
    int rc = isx__store_run(db, sql, n, params);

    if (rc == 0 && sqlite3_changes(db) == 0 && strncmp(sql, "UPDATE", 6) == 0)
        rc = ISX_ENOTFOUND;
    isx__store_writer_unlock(s);
    return rc;
}

int
isx_store_peer_put(struct isx_store *s, const struct isx_peer *p, const char *actor)
{
    char now[ISX_TIME_LEN + 1];
    const char *relay = p->relay ? "1" : "0";

    isx_time_format(isx_time_now_ms(), now);
    const char *params[] = {p->party,   p->url, p->name, p->sign_key, p->key_id,
                            p->box_key, relay,  now,     actor};
    /* New keys start delivery afresh only when the peer is new: a key rotation keeps cursors. */
    return write_one(s,
                     "INSERT INTO peers (party, url, name, sign_key, key_id, box_key, relay, "
                     "added_at, added_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                     "ON CONFLICT (party) DO UPDATE SET url = ?2, name = ?3, sign_key = ?4, "
                     "key_id = ?5, box_key = ?6, relay = ?7",
                     9, params);
}

int
isx_store_peer_get(struct isx_store *s, const char *party, struct isx_peer *out)
{
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, "SELECT " PEER_COLUMNS " FROM peers WHERE party = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    isx__store_bind_text(st, 1, party);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        peer_row(st, out);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
    }
    sqlite3_finalize(st);
done:
    isx__store_reader_put(s, slot);
    return rc;
}

int
isx_store_peer_list(struct isx_store *s, struct isx_peer **out, size_t *n)
{
    struct isx_peer *list = NULL, *grown;
    size_t count = 0, cap = 0;
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, "SELECT " PEER_COLUMNS " FROM peers ORDER BY party", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap == 0 ? 8 : cap * 2;
            if ((grown = realloc(list, cap * sizeof(*list))) == NULL) {
                rc = ISX_ENOMEM;
                break;
            }
            list = grown;
        }
        peer_row(st, &list[count++]);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        *out = list;
        *n = count;
        list = NULL;
        rc = 0;
    } else if (rc > 0) {
        rc = ISX_ESTORE;
    }
done:
    free(list);
    isx__store_reader_put(s, slot);
    return rc;
}

int
isx_store_peer_remove(struct isx_store *s, const char *party)
{
    const char *params[] = {party};
    sqlite3 *db = isx__store_writer_lock(s);
    int rc = isx__store_run(db, "DELETE FROM peers WHERE party = ?1", 1, params);

    if (rc == 0 && sqlite3_changes(db) == 0)
        rc = ISX_ENOTFOUND;
    isx__store_writer_unlock(s);
    return rc;
}

int
isx_store_peer_progress(struct isx_store *s, const char *party, const struct isx_peer_progress *pr)
{
    char now[ISX_TIME_LEN + 1], push[24], pull[24], sent[24], recv[24], refused[24];
    char error[256];

    isx_time_format(isx_time_now_ms(), now);
    snprintf(push, sizeof(push), "%" PRIu64, pr->push_cursor);
    snprintf(pull, sizeof(pull), "%" PRIu64, pr->pull_cursor);
    snprintf(sent, sizeof(sent), "%" PRId64, pr->sent);
    snprintf(recv, sizeof(recv), "%" PRId64, pr->received);
    snprintf(refused, sizeof(refused), "%" PRId64, pr->refused);
    if (pr->error != NULL)
        snprintf(error, sizeof(error), "%s", pr->error);
    if (pr->inbound) {
        const char *counts[] = {party, recv, refused};
        return write_one(s,
                         "UPDATE peers SET received = received + CAST(?2 AS INTEGER), "
                         "refused = refused + CAST(?3 AS INTEGER) WHERE party = ?1",
                         3, counts);
    }
    const char *params[] = {party, push,    pull, sent,
                            recv,  refused, now,  pr->error != NULL ? error : NULL};
    /* Cursors only move forward (max), so a late answer cannot rewind delivery. The casts
     * matter: SQLite orders any text above any integer, so max(8, '0') would be '0'. */
    return write_one(
        s,
        "UPDATE peers SET push_cursor = max(push_cursor, CAST(?2 AS INTEGER)), "
        "pull_cursor = max(pull_cursor, CAST(?3 AS INTEGER)), "
        "sent = sent + CAST(?4 AS INTEGER), received = received + CAST(?5 AS INTEGER), "
        "refused = refused + CAST(?6 AS INTEGER), "
        "last_contact = CASE WHEN ?8 IS NULL THEN ?7 ELSE last_contact END, "
        "last_error = ?8, last_error_at = CASE WHEN ?8 IS NULL THEN NULL ELSE ?7 END "
        "WHERE party = ?1",
        8, params);
}

int
isx_store_peer_witnessed(struct isx_store *s, const char *party, uint64_t size, const char *note)
{
    char sz[24];

    snprintf(sz, sizeof(sz), "%" PRIu64, size);
    const char *params[] = {party, sz, note};
    return write_one(
        s, "UPDATE peers SET witnessed_size = ?2, witnessed_note = ?3 WHERE party = ?1", 3, params);
}

int
isx_store_peer_witness_note(struct isx_store *s, const char *party, char **note, uint64_t *size)
{
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db,
                           "SELECT witnessed_size, witnessed_note FROM peers WHERE party = ?1 "
                           "AND witnessed_note IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    isx__store_bind_text(st, 1, party);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char *copy = strdup((const char *)sqlite3_column_text(st, 1));
        if (copy == NULL) {
            rc = ISX_ENOMEM;
        } else {
            *note = copy;
            *size = (uint64_t)sqlite3_column_int64(st, 0);
            rc = 0;
        }
    } else {
        rc = rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
    }
    sqlite3_finalize(st);
done:
    isx__store_reader_put(s, slot);
    return rc;
}

int
isx_store_alarm_add(struct isx_store *s, const char *peer, const char *kind, const char *detail,
                    const json_t *evidence)
{
    char now[ISX_TIME_LEN + 1], *ev = json_dumps(evidence, JSON_COMPACT | JSON_SORT_KEYS);
    int rc;

    if (ev == NULL)
        return ISX_ENOMEM;
    isx_time_format(isx_time_now_ms(), now);
    const char *params[] = {now, peer, kind, detail, ev};
    rc = write_one(
        s, "INSERT INTO alarms (at, peer, kind, detail, evidence) VALUES (?1, ?2, ?3, ?4, ?5)", 5,
        params);
    free(ev);
    return rc;
}

int
isx_store_alarm_list(struct isx_store *s, json_t **out)
{
    json_t *list = json_array();
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    if (list == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT id, at, peer, kind, detail, evidence FROM alarms "
                           "ORDER BY id DESC LIMIT 1000",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ev = (const char *)sqlite3_column_text(st, 5);
        json_t *evidence = json_loads(ev != NULL ? ev : "null", JSON_DECODE_ANY, NULL);
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "id",
                                              (json_int_t)sqlite3_column_int64(st, 0), "at",
                                              (const char *)sqlite3_column_text(st, 1), "peer",
                                              (const char *)sqlite3_column_text(st, 2), "kind",
                                              (const char *)sqlite3_column_text(st, 3), "detail",
                                              (const char *)sqlite3_column_text(st, 4), "evidence",
                                              evidence != NULL ? evidence : json_null()));
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        *out = list;
        list = NULL;
        rc = 0;
    } else {
        rc = ISX_ESTORE;
    }
done:
    json_decref(list);
    isx__store_reader_put(s, slot);
    return rc;
}

/* One integer from a query without parameters. */
static int
count_of(struct isx_store *s, const char *sql, int64_t *count)
{
    int slot, rc = ISX_ESTORE;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            *count = sqlite3_column_int64(st, 0);
            rc = 0;
        }
        sqlite3_finalize(st);
    }
    isx__store_reader_put(s, slot);
    return rc;
}

int
isx_store_alarm_count(struct isx_store *s, int64_t *count)
{
    return count_of(s, "SELECT count(*) FROM alarms", count);
}

int
isx_store_cosig_add(struct isx_store *s, uint64_t size, const char *witness, const char *line)
{
    char now[ISX_TIME_LEN + 1], sz[24];

    isx_time_format(isx_time_now_ms(), now);
    snprintf(sz, sizeof(sz), "%" PRIu64, size);
    const char *params[] = {sz, witness, line, now};
    /* A witness's newer cosignature of the same size replaces its older one. */
    return write_one(s,
                     "INSERT INTO cosignatures (size, witness, line, at) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (size, witness) DO UPDATE SET line = ?3, at = ?4",
                     4, params);
}

int
isx_store_cosig_list(struct isx_store *s, uint64_t size, json_t **lines)
{
    json_t *list = json_array();
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    if (list == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (sqlite3_prepare_v2(db, "SELECT line FROM cosignatures WHERE size = ?1 ORDER BY witness", -1,
                           &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_string((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        *lines = list;
        list = NULL;
        rc = 0;
    } else {
        rc = ISX_ESTORE;
    }
done:
    json_decref(list);
    isx__store_reader_put(s, slot);
    return rc;
}

int
isx_store_log_range(struct isx_store *s, uint64_t after, size_t limit, isx_store_leaf_fn fn,
                    void *ctx)
{
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st;

    /* Leaf i is the object with seq i + 1, so leaves from `after` on have seq > after. */
    if (sqlite3_prepare_v2(db,
                           "SELECT seq, hash, type, origin, canonical FROM objects WHERE seq > ?1 "
                           "ORDER BY seq LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    /* The callback's own answer is kept apart from SQLite's: a positive one means "stop here"
     * (a delivery batch that filled up) and must reach the caller as it is, not as a storage
     * error, which is what SQLite's positive codes become. */
    int stop = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint8_t hash[32] = {0};
        const char *type = (const char *)sqlite3_column_text(st, 2);
        const char *origin = (const char *)sqlite3_column_text(st, 3);
        if (sqlite3_column_bytes(st, 1) == 32)
            memcpy(hash, sqlite3_column_blob(st, 1), 32);
        struct isx_store_leaf leaf = {
            .seq = sqlite3_column_int64(st, 0),
            .hash = hash,
            .type = type != NULL ? type : "",
            .origin = origin != NULL ? origin : "",
            .canonical = sqlite3_column_blob(st, 4),
            .len = (size_t)sqlite3_column_bytes(st, 4),
        };
        if ((stop = fn(ctx, &leaf)) != 0)
            break;
    }
    if (stop != 0)
        rc = stop;
    else if (rc == SQLITE_DONE)
        rc = 0;
    else
        rc = ISX_ESTORE;
    sqlite3_finalize(st);
done:
    isx__store_reader_put(s, slot);
    return rc;
}

int
isx_store_release_find(struct isx_store *s, const uint8_t hash[32], const char *party,
                       struct isx_buf *out)
{
    return isx__store_fetch_blob(
        s,
        "SELECT o.canonical FROM releases r JOIN objects o ON o.seq = r.release_seq "
        "WHERE r.object_hash = ?1 AND r.party = ?2 ORDER BY r.release_seq DESC "
        "LIMIT 1",
        hash, 32, party, out);
}

int
isx_store_opened_get(struct isx_store *s, const uint8_t hash[32], json_t **body)
{
    struct isx_buf b = ISX_BUF_INIT;
    json_t *v;
    int rc =
        isx__store_fetch_blob(s,
                              "SELECT p.body FROM objects o JOIN opened p ON p.object_seq = o.seq "
                              "WHERE o.hash = ?1",
                              hash, 32, NULL, &b);

    if (rc == 0) {
        v = json_loadb(b.data, b.len, 0, NULL);
        if (v == NULL)
            rc = ISX_ESTORE;
        else
            *body = v;
    }
    isx_buf_free(&b);
    return rc;
}

int
isx_store_type_list(struct isx_store *s, const char *type, size_t limit, json_t **items)
{
    json_t *list = json_array();
    int slot, rc;
    sqlite3 *db = isx__store_reader(s, &slot);
    sqlite3_stmt *st = NULL;

    if (list == NULL || limit == 0 || limit > 100000) {
        rc = list == NULL ? ISX_ENOMEM : ISX_EINVAL;
        goto done;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT o.canonical, p.body FROM heads h JOIN objects o "
                           "ON o.seq = h.object_seq LEFT JOIN opened p ON p.object_seq = o.seq "
                           "WHERE h.type = ?1 ORDER BY h.id LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    isx__store_bind_text(st, 1, type);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *env = isx__store_view(st, 0, 1);
        if (env == NULL) {
            rc = ISX_ESTORE;
            break;
        }
        json_array_append_new(list, env);
    }
    if (rc == SQLITE_DONE) {
        *items = list;
        list = NULL;
        rc = 0;
    } else if (rc > 0) {
        rc = ISX_ESTORE;
    }
done:
    sqlite3_finalize(st);
    json_decref(list);
    isx__store_reader_put(s, slot);
    return rc;
}
