/*
 * The embedded SQLite backend of the store. One writer connection, guarded by a mutex, makes
 * every change inside a single IMMEDIATE transaction; a pool of read-only connections serves
 * queries concurrently (WAL mode). Invariants: `objects` is append-only and is the truth;
 * `heads` and `directory` are projections that isx_store_reindex rebuilds from `objects`
 * alone; every accepted object has exactly one row in `changes` saying who and why;
 * `log_nodes` only grows, and a row, once written, never changes (it is the root of a complete
 * subtree), which is what lets readers cache the log's nodes without ever invalidating them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "internal.h"
#include "isx/directory.h"
#include "isx/hash.h"
#include "isx/i18n.h"
#include "isx/indicator.h"
#include "isx/merkle.h"
#include "isx/report.h"
#include "isx/store.h"
#include "isx/taxonomy.h"
#include "isx/timeutil.h"

#define READERS 8

/* Numbered migrations: entry i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
    /* 1: objects, their projections, users and node settings. */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE objects ("
    "  seq INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  id TEXT NOT NULL, type TEXT NOT NULL, version TEXT NOT NULL, origin TEXT NOT NULL,"
    "  canonical BLOB NOT NULL,"
    "  recorded_at TEXT NOT NULL,"
    "  UNIQUE (id, version));"
    "CREATE TABLE changes ("
    "  seq INTEGER PRIMARY KEY,"
    "  object_seq INTEGER NOT NULL REFERENCES objects(seq),"
    "  actor TEXT NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL);"
    "CREATE INDEX changes_object ON changes(object_seq);"
    "CREATE TABLE heads ("
    "  id TEXT PRIMARY KEY, type TEXT NOT NULL, version TEXT NOT NULL,"
    "  object_seq INTEGER NOT NULL REFERENCES objects(seq));"
    "CREATE TABLE directory ("
    "  id TEXT PRIMARY KEY, type TEXT NOT NULL, version TEXT NOT NULL,"
    "  object_seq INTEGER NOT NULL REFERENCES objects(seq),"
    "  party TEXT, kind TEXT, status TEXT NOT NULL, authority TEXT,"
    "  directions TEXT, languages TEXT, text TEXT);"
    "CREATE INDEX directory_type ON directory(type, party, id);"
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL UNIQUE, created_at TEXT NOT NULL, created_by TEXT NOT NULL);",
    /* 2: threat reports and their indicators (issue 3). The indicator table is one B-tree
     * keyed by (value, type, report): an insert costs one index write, and a lookup by value
     * is a prefix seek. Ranges (CIDR) live apart, keyed by their first address. */
    "CREATE TABLE reports ("
    "  id TEXT PRIMARY KEY, version TEXT NOT NULL,"
    "  object_seq INTEGER NOT NULL REFERENCES objects(seq),"
    "  origin TEXT NOT NULL, threat TEXT NOT NULL, severity TEXT, status TEXT, time TEXT,"
    "  tlp TEXT NOT NULL, features TEXT, sectors TEXT, title TEXT, text TEXT,"
    "  indicators INTEGER NOT NULL);"
    "CREATE INDEX reports_time ON reports(time);"
    "CREATE TABLE report_indicators ("
    "  value TEXT NOT NULL, type TEXT NOT NULL, report_id TEXT NOT NULL,"
    "  PRIMARY KEY (value, type, report_id)) WITHOUT ROWID;"
    "CREATE TABLE report_ranges ("
    "  report_id TEXT NOT NULL, family INTEGER NOT NULL, lo BLOB NOT NULL, hi BLOB NOT NULL,"
    "  type TEXT NOT NULL, value TEXT NOT NULL);"
    "CREATE INDEX report_ranges_lo ON report_ranges(family, lo);"
    "CREATE INDEX report_ranges_report ON report_ranges(report_id);",
    /* 3: the transparency log (issue 4). Nodes of the Merkle tree by (level, index); leaf i
     * is the object with seq i + 1. Checkpoints are kept forever, by the size they cover. */
    "CREATE TABLE log_nodes ("
    "  level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
    "  PRIMARY KEY (level, idx)) WITHOUT ROWID;"
    "CREATE TABLE checkpoints ("
    "  size INTEGER PRIMARY KEY, note TEXT NOT NULL, issued_at TEXT NOT NULL);",
    /* 4: federation (issue 5). Peers with their keys and their delivery cursors (positions in
     * this node's log and in the peer's, so delivery survives restarts); the clear bodies of
     * sealed objects this node could open, so projections can be rebuilt without the box key;
     * releases (Art. 6.3) by the object they release and the party they name; witness
     * alarms, kept as evidence; cosignatures that witnesses made of this node's checkpoints. */
    "CREATE TABLE peers ("
    "  party TEXT PRIMARY KEY, url TEXT NOT NULL, name TEXT NOT NULL,"
    "  sign_key TEXT NOT NULL, key_id TEXT NOT NULL, box_key TEXT NOT NULL,"
    "  relay INTEGER NOT NULL DEFAULT 0, added_at TEXT NOT NULL, added_by TEXT NOT NULL,"
    "  push_cursor INTEGER NOT NULL DEFAULT 0, pull_cursor INTEGER NOT NULL DEFAULT 0,"
    "  sent INTEGER NOT NULL DEFAULT 0, received INTEGER NOT NULL DEFAULT 0,"
    "  refused INTEGER NOT NULL DEFAULT 0, last_contact TEXT, last_error TEXT,"
    "  last_error_at TEXT, witnessed_size INTEGER, witnessed_note TEXT);"
    "CREATE TABLE opened ("
    "  object_seq INTEGER PRIMARY KEY REFERENCES objects(seq), body BLOB NOT NULL);"
    "CREATE TABLE releases ("
    "  object_hash BLOB NOT NULL, party TEXT NOT NULL,"
    "  release_seq INTEGER NOT NULL REFERENCES objects(seq),"
    "  PRIMARY KEY (object_hash, party, release_seq)) WITHOUT ROWID;"
    "CREATE TABLE alarms ("
    "  id INTEGER PRIMARY KEY, at TEXT NOT NULL, peer TEXT NOT NULL, kind TEXT NOT NULL,"
    "  detail TEXT NOT NULL, evidence TEXT NOT NULL);"
    "CREATE TABLE cosignatures ("
    "  size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at TEXT NOT NULL,"
    "  PRIMARY KEY (size, witness));",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Statements that hot read paths run on every request, prepared once per reader. */
enum reader_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_LOOKUP_EXACT,
    STMT_LOOKUP_RANGE,
    STMT_RANGES_EXIST,
    STMT_REPORT_META,
    STMT_DATA_VERSION,
    STMT_USER_BY_TOKEN,
    STMT_LOG_GET,
    STMT_COUNT
};

/*
 * The lookup reads indicator rows alone and joins their reports in C, from a cache each reader
 * keeps (see report_meta): a join per row cost more than the index seek it followed. ORDER BY
 * report_id follows the primary key, so SQLite sorts nothing.
 */
static const char *const reader_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN",
    [STMT_COMMIT] = "COMMIT",
    [STMT_LOOKUP_EXACT] = "SELECT report_id, value FROM report_indicators "
                          "WHERE value = ?1 AND type = ?2 ORDER BY report_id",
    [STMT_LOOKUP_RANGE] = "SELECT report_id, value FROM report_ranges "
                          "WHERE family = ?1 AND lo <= ?2 AND hi >= ?2 ORDER BY report_id, lo",
    [STMT_RANGES_EXIST] = "SELECT 1 FROM report_ranges WHERE family = ?1 LIMIT 1",
    [STMT_REPORT_META] = "SELECT version, origin, threat, severity, status, tlp, title "
                         "FROM reports WHERE id = ?1",
    [STMT_DATA_VERSION] = "PRAGMA data_version",
    [STMT_USER_BY_TOKEN] = "SELECT id, name, role FROM users WHERE token_hash = ?1",
    [STMT_LOG_GET] = "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2",
};

/*
 * Users recently authenticated, by token hash, so a busy client does not cost a query per
 * request. Only successes are kept, so a token that fails always reaches the store and cannot
 * fill the table; a slot is overwritten by the next hash that maps to it. An entry lives
 * USER_TTL_MS at most, which bounds how long a change made outside this process (another
 * `isx` command on the same database) can go unseen; changes made here clear the table.
 */
#define USER_SLOTS  64
#define USER_TTL_MS 2000

struct user_slot {
    uint8_t hash[32];
    struct isx_user user;
    int64_t expires; /* monotonic ms; 0 = empty */
};

/*
 * A node of the log's tree covers a complete subtree, so once written it never changes: the
 * store can keep the upper levels, which every proof reads, without ever invalidating them.
 * Four-way set-associative by (level, index): 2^18 sets of four nodes, 42 MiB, allocated on
 * first use. Each proof reads one node per level and a level has half as many nodes as the
 * one below, so a node is worth twice as much as one a level lower: a full set gives up its
 * lowest node (ties in turn), and a node lower than all four it would replace is not kept.
 * At 10M leaves the levels from 5 up (625,000 nodes) then stay, and level 4 shares the rest;
 * a direct-mapped table of as many slots lost upper nodes to level-4 ones all the time.
 */
#define NODE_CACHE_SET_BITS 18
#define NODE_CACHE_WAYS     4
#define NODE_CACHE_LEVEL    4 /* levels below this are many and each read rarely: not cached */

struct node_set {
    uint64_t index[NODE_CACHE_WAYS];
    uint8_t level[NODE_CACHE_WAYS]; /* 0: an empty way (level 0 is never cached) */
    uint8_t next;                   /* where the search for a way to give up starts */
    uint8_t hash[NODE_CACHE_WAYS][32];
};

/*
 * A batch of node reads (isx_store_log_nodes) answers whatever the cache does not hold with
 * one statement: a UNION ALL of short primary-key ranges, arm j reading range j. One statement
 * is one read transaction, where a lookup per node cost a transaction each (a shared-memory
 * lock, its release and a file check every time). SQLite plans the obvious alternatives
 * worse: a row-value IN over a VALUES list as a full scan, an OR of (level, idx) pairs as a
 * multi-index OR that deduplicates through a temporary table.
 *
 * What dominates then is B-tree pages: each range costs a seek and usually two page reads from
 * the operating system (an interior page and a leaf), since 10M leaves make a 900 MB table.
 * So the ranges are chosen to need as few seeks as possible, each of LOG_GROUP nodes at most,
 * which lie on one leaf page or, rarely, two:
 *  - A node of a cached level comes with the LOG_GROUP nodes of its level around it, and all
 *    of them go into the cache. They never change, so this costs nothing in correctness, and
 *    after a start the cache fills LOG_GROUP times faster.
 *  - The uncached levels above LOG_BASE are not read but computed from their descendants at
 *    LOG_BASE: an inclusion proof's siblings at levels 1 to 3 all lie under one node of level
 *    4, whose 8 level-1 nodes are one range, and combining them costs 4 hashes instead of 2
 *    seeks. A stored node is by definition the hash of its two children, so the result is the
 *    same; a node that is not stored has children missing, and its read fails with
 *    ISX_ENOTFOUND as a direct read would.
 *  - Nodes below LOG_BASE (the leaves) are read one by one.
 * At 10M leaves this measured best among base levels 0 to 3 and groups of 2 to 32.
 * Each reader prepares the statement for k arms, 1 <= k <= LOG_BATCH, the first time it needs
 * it; a batch needing more ranges runs in chunks of LOG_BATCH.
 */
#define LOG_BATCH 32
#define LOG_GROUP 8
#define LOG_BASE  1

_Static_assert((1 << (NODE_CACHE_LEVEL - LOG_BASE)) <= LOG_GROUP && LOG_GROUP <= 32,
               "a range holds at most LOG_GROUP nodes, one bit each in a uint32_t");

struct isx_store {
    sqlite3 *writer;
    pthread_mutex_t write_lock;
    sqlite3 *readers[READERS];
    sqlite3_stmt *stmts[READERS][STMT_COUNT];
    int reader_busy[READERS];
    /* Per reader: report id -> what its lookup matches share (report_meta), valid while the
     * reader's data_version is still `meta_version`. Only the reader's holder touches them. */
    json_t *meta[READERS];
    int64_t meta_version[READERS];
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    pthread_mutex_t user_lock;
    struct user_slot users[USER_SLOTS];
    /* Upper tree nodes read before (see log_cache_*); allocated on first use. */
    pthread_mutex_t node_lock;
    struct node_set *nodes;
    /* Per reader: log_batch[slot][k - 1] reads k ranges (see LOG_BATCH); prepared lazily. */
    sqlite3_stmt *log_batch[READERS][LOG_BATCH];
};

static int
exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ISX_ESTORE;
}

static int
open_conn(const char *path, int flags, sqlite3 **out)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return (flags & SQLITE_OPEN_CREATE) ? ISX_ESTORE : ISX_ENOTFOUND;
    }
    sqlite3_busy_timeout(db, 10000);
    if (exec(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;") != 0) {
        sqlite3_close(db);
        return ISX_ESTORE;
    }
    *out = db;
    return 0;
}

static int
user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int
migrate(sqlite3 *db)
{
    int v = user_version(db);
    char sql[64];

    if (v < 0 || v > NMIGRATIONS)
        return ISX_ESTORE; /* a database from a newer isx: refuse rather than guess */
    for (; v < NMIGRATIONS; v++) {
        if (exec(db, "BEGIN IMMEDIATE") != 0)
            return ISX_ESTORE;
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (exec(db, migrations[v]) != 0 || exec(db, sql) != 0) {
            exec(db, "ROLLBACK");
            return ISX_ESTORE;
        }
        if (exec(db, "COMMIT") != 0)
            return ISX_ESTORE;
    }
    return 0;
}

static int log_backfill(sqlite3 *db);

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

/*
 * SQLite's memory statistics take a global lock on every allocation, which serialises the
 * readers; isx does not use them. This must happen before the first connection opens.
 */
static void
sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* The cached statement `id` of reader `slot`, prepared on first use; reset after each use. */
static sqlite3_stmt *
reader_stmt(struct isx_store *s, int slot, enum reader_stmt id)
{
    if (s->stmts[slot][id] == NULL &&
        sqlite3_prepare_v3(s->readers[slot], reader_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                           &s->stmts[slot][id], NULL) != SQLITE_OK)
        return NULL;
    return s->stmts[slot][id];
}

static void
stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int
isx_store_open(const char *path, int create, struct isx_store **out)
{
    struct isx_store *s = calloc(1, sizeof(*s));
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    int rc;

    if (s == NULL)
        return ISX_ENOMEM;
    pthread_once(&sqlite_once, sqlite_setup);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->node_lock, NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_cond, NULL);
    pthread_mutex_init(&s->user_lock, NULL);
    if ((rc = open_conn(path, flags, &s->writer)) != 0)
        goto fail;
    if ((rc = exec(s->writer, "PRAGMA journal_mode = WAL")) != 0)
        goto fail;
    if ((rc = migrate(s->writer)) != 0)
        goto fail;
    if ((rc = log_backfill(s->writer)) != 0)
        goto fail;
    for (int i = 0; i < READERS; i++) {
        if ((rc = open_conn(path, SQLITE_OPEN_READONLY, &s->readers[i])) != 0)
            goto fail;
        if ((s->meta[i] = json_object()) == NULL) {
            rc = ISX_ENOMEM;
            goto fail;
        }
        s->meta_version[i] = -1;
    }
    *out = s;
    return 0;
fail:
    isx_store_close(s);
    return rc;
}

void
isx_store_close(struct isx_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < READERS; i++) {
        for (int j = 0; j < STMT_COUNT; j++)
            sqlite3_finalize(s->stmts[i][j]);
        for (int j = 0; j < LOG_BATCH; j++)
            sqlite3_finalize(s->log_batch[i][j]);
        sqlite3_close(s->readers[i]);
        json_decref(s->meta[i]);
    }
    sqlite3_close(s->writer);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->node_lock);
    free(s->nodes);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cond);
    pthread_mutex_destroy(&s->user_lock);
    isx_memzero(s->users, sizeof(s->users));
    free(s);
}

int
isx_store_schema_version(struct isx_store *s)
{
    int v;

    pthread_mutex_lock(&s->write_lock);
    v = user_version(s->writer);
    pthread_mutex_unlock(&s->write_lock);
    return v;
}

static sqlite3 *
reader_get(struct isx_store *s, int *slot)
{
    pthread_mutex_lock(&s->pool_lock);
    for (;;) {
        for (int i = 0; i < READERS; i++) {
            if (!s->reader_busy[i]) {
                s->reader_busy[i] = 1;
                *slot = i;
                pthread_mutex_unlock(&s->pool_lock);
                return s->readers[i];
            }
        }
        pthread_cond_wait(&s->pool_cond, &s->pool_lock);
    }
}

static void
reader_put(struct isx_store *s, int slot)
{
    pthread_mutex_lock(&s->pool_lock);
    s->reader_busy[slot] = 0;
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
}

static void
bind_text(sqlite3_stmt *st, int idx, const char *v)
{
    if (v != NULL)
        sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

/* Runs one statement with text parameters (NULL = SQL NULL) that returns no rows. */
static int
run(sqlite3 *db, const char *sql, int n, const char *const *params)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return ISX_ESTORE;
    for (int i = 0; i < n; i++)
        bind_text(st, i + 1, params[i]);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return ISX_EEXISTS;
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ISX_ESTORE;
}

/* The current version of `id` (*version malloc'd, NULL when unknown) and, when `seq` is
 * non-NULL, the sequence number of the object that holds it. */
static int
head_version(sqlite3 *db, const char *id, char **version, int64_t *seq)
{
    sqlite3_stmt *st;
    int rc;

    *version = NULL;
    if (sqlite3_prepare_v2(db, "SELECT version, object_seq FROM heads WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return ISX_ESTORE;
    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (seq != NULL)
            *seq = sqlite3_column_int64(st, 1);
        *version = strdup((const char *)sqlite3_column_text(st, 0));
        rc = *version != NULL ? 0 : ISX_ENOMEM;
    } else {
        rc = rc == SQLITE_DONE ? 0 : ISX_ESTORE;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Removes the indicator rows of the report version stored at `seq`. */
static int
unproject_report(sqlite3 *db, const char *id, int64_t seq)
{
    sqlite3_stmt *st = NULL, *del = NULL;
    json_t *env = NULL;
    size_t i;
    json_t *ind;
    int rc = ISX_ESTORE;

    if (sqlite3_prepare_v2(db,
                           "SELECT coalesce(p.body, o.canonical) FROM objects o "
                           "LEFT JOIN opened p ON p.object_seq = o.seq WHERE o.seq = ?1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "DELETE FROM report_indicators WHERE value = ?1 AND type = ?2 AND "
                           "report_id = ?3",
                           -1, &del, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_int64(st, 1, seq);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto done;
    /* A sealed version's indicators are in the clear body this node kept when it opened it. */
    env = json_loadb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
    json_t *body = json_object_get(env, "body") != NULL ? json_object_get(env, "body") : env;
    json_array_foreach(json_object_get(body, "indicators"), i, ind)
    {
        bind_text(del, 1, json_string_value(json_object_get(ind, "value")));
        bind_text(del, 2, json_string_value(json_object_get(ind, "type")));
        bind_text(del, 3, id);
        if (sqlite3_step(del) != SQLITE_DONE)
            goto done;
        sqlite3_reset(del);
    }
    const char *p[] = {id};
    rc = run(db, "DELETE FROM report_ranges WHERE report_id = ?1", 1, p);
done:
    sqlite3_finalize(st);
    sqlite3_finalize(del);
    json_decref(env);
    return rc;
}

/* The last address of a range: the network with every host bit set. */
static void
range_end(const struct isx_indicator *ind, uint8_t hi[16])
{
    size_t len = ind->type == ISX_IND_CIDR4 ? 4 : 16;

    memcpy(hi, ind->addr, len);
    for (size_t bit = ind->prefix; bit < len * 8; bit++)
        hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

static int
project_report(sqlite3 *db, const struct isx_object *o, const char *seqtext, int64_t old_seq)
{
    const json_t *b = o->body;
    sqlite3_stmt *ins = NULL, *rng = NULL;
    struct isx_indicator *ind = NULL;
    char *features = NULL, *sectors = NULL, *title = NULL, *text = NULL;
    size_t i, n = json_array_size(json_object_get(b, "indicators"));
    char count[24];
    json_t *item;
    int rc;

    if (old_seq > 0 && (rc = unproject_report(db, o->id, old_seq)) != 0)
        return rc;
    rc = ISX_ENOMEM;
    features = json_dumps(json_object_get(b, "features"), JSON_COMPACT);
    sectors = json_dumps(json_object_get(b, "sectors"), JSON_COMPACT);
    title = json_dumps(json_object_get(b, "title"), JSON_COMPACT);
    struct isx_buf words = ISX_BUF_INIT;
    if (isx_text_append(&words, json_object_get(b, "title")) == 0 &&
        isx_text_append(&words, json_object_get(b, "summary")) == 0)
        text = isx_buf_steal(&words, NULL);
    isx_buf_free(&words);
    if (title == NULL || text == NULL)
        goto done;
    isx_text_fold(text);
    snprintf(count, sizeof(count), "%zu", n);
    /* Times compare as text, so the column holds one canonical form of each. */
    const char *time = isx_report_time(b);
    char when[ISX_TIME_LEN + 1];
    int64_t ms;
    if (time != NULL && isx_time_parse(time, &ms) == 0) {
        isx_time_format(ms, when);
        time = when;
    }
    const char *rp[] = {o->id,
                        o->version,
                        seqtext,
                        o->origin,
                        json_string_value(json_object_get(b, "threat")),
                        json_string_value(json_object_get(b, "severity")),
                        json_string_value(json_object_get(b, "status")),
                        time != NULL ? time : o->version,
                        json_string_value(json_object_get(o->marking, "tlp")),
                        features,
                        sectors,
                        title,
                        text,
                        count};
    if ((rc = run(db,
                  "INSERT OR REPLACE INTO reports (id, version, object_seq, origin, threat, "
                  "severity, status, time, tlp, features, sectors, title, text, indicators) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                  14, rp)) != 0)
        goto done;
    rc = ISX_ESTORE;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO report_indicators (value, type, report_id) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO report_ranges (report_id, family, lo, hi, type, value) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &rng, NULL) != SQLITE_OK)
        goto done;
    json_array_foreach(json_object_get(b, "indicators"), i, item)
    {
        const char *type = json_string_value(json_object_get(item, "type"));
        const char *value = json_string_value(json_object_get(item, "value"));
        sqlite3_bind_text(ins, 1, value, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, type, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, o->id, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto done;
        sqlite3_reset(ins);
        if (strncmp(type, "cidr", 4) != 0)
            continue;
        if (ind == NULL && (ind = malloc(sizeof(*ind))) == NULL) {
            rc = ISX_ENOMEM;
            goto done;
        }
        if (isx_indicator_parse(type, value, NULL, ind, NULL) != 0)
            goto done;
        uint8_t hi[16];
        int len = ind->type == ISX_IND_CIDR4 ? 4 : 16;
        range_end(ind, hi);
        sqlite3_bind_text(rng, 1, o->id, -1, SQLITE_STATIC);
        sqlite3_bind_int(rng, 2, ind->type == ISX_IND_CIDR4 ? 4 : 6);
        sqlite3_bind_blob(rng, 3, ind->addr, len, SQLITE_TRANSIENT);
        sqlite3_bind_blob(rng, 4, hi, len, SQLITE_TRANSIENT);
        sqlite3_bind_text(rng, 5, type, -1, SQLITE_STATIC);
        sqlite3_bind_text(rng, 6, value, -1, SQLITE_STATIC);
        if (sqlite3_step(rng) != SQLITE_DONE)
            goto done;
        sqlite3_reset(rng);
    }
    rc = 0;
done:
    sqlite3_finalize(ins);
    sqlite3_finalize(rng);
    free(ind);
    free(features);
    free(sectors);
    free(title);
    free(text);
    return rc;
}

/*
 * How much a version speaks for what it describes. A directory entry is the word of the party
 * it belongs to; the depositary's signed directory comes next; a copy another node made (the
 * founding parties' entries `isx init` writes) comes last. A version moves the head only when
 * it speaks with at least the authority of the current one, so a party's own entry, once
 * received, is never displaced by a later copy made elsewhere. Other types rank equally.
 */
static int
authority_rank(const char *type, const char *origin, const json_t *body)
{
    const char *owner;

    if (!isx_directory_type(type) || body == NULL)
        return 0;
    owner = json_string_value(json_object_get(body, strcmp(type, "party") == 0 ? "code" : "party"));
    if (owner != NULL && strcmp(owner, origin) == 0)
        return 2;
    return strcmp(origin, ISX_DEPOSITARY) == 0 ? 1 : 0;
}

/* The authority rank of the version stored at `seq`. */
static int
stored_rank(sqlite3 *db, int64_t seq)
{
    sqlite3_stmt *st;
    json_t *env = NULL;
    int rank = 0;

    if (sqlite3_prepare_v2(db, "SELECT canonical FROM objects WHERE seq = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, seq);
    if (sqlite3_step(st) == SQLITE_ROW)
        env = json_loadb(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
    sqlite3_finalize(st);
    if (env != NULL)
        rank = authority_rank(json_string_value(json_object_get(env, "type")),
                              json_string_value(json_object_get(env, "origin")),
                              json_object_get(env, "body"));
    json_decref(env);
    return rank;
}

/* A release (Art. 6.3) is found by the object it releases and each party it names. */
static int
project_release(sqlite3 *db, const struct isx_object *o, int64_t seq)
{
    const char *hash_hex = json_string_value(json_object_get(o->body, "hash"));
    uint8_t hash[32];
    sqlite3_stmt *st;
    size_t i;
    json_t *p;
    int rc = 0;

    if (hash_hex == NULL || isx_hex_decode(hash_hex, strlen(hash_hex), hash, 32) != 0)
        return 0; /* checked before storing; a malformed one releases nothing */
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO releases (object_hash, party, release_seq) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return ISX_ESTORE;
    json_array_foreach(json_object_get(o->body, "to"), i, p)
    {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        bind_text(st, 2, json_string_value(p));
        sqlite3_bind_int64(st, 3, seq);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = ISX_ESTORE;
            break;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Moves the projections to `o` when it is newer than what they show (or speaks for more). */
static int
project(sqlite3 *db, const struct isx_object *sealed_or_clear, int64_t seq)
{
    char seqtext[24], *current = NULL;
    struct isx_dir_row row;
    int64_t old_seq = 0;
    int rc;

    /* Projections read the body: for a sealed object this node opened, the opened one. */
    struct isx_object view = *sealed_or_clear;
    const struct isx_object *o = &view;
    if (view.body == NULL)
        view.body = view.opened;

    if (strcmp(o->type, "release") == 0 && o->body != NULL &&
        (rc = project_release(db, o, seq)) != 0)
        return rc;
    if ((rc = head_version(db, o->id, &current, &old_seq)) != 0)
        return rc;
    if (current != NULL) {
        int new_rank = authority_rank(o->type, o->origin, o->body);
        int old_rank = isx_directory_type(o->type) ? stored_rank(db, old_seq) : 0;
        int older = strcmp(current, o->version) >= 0;
        free(current);
        if (new_rank < old_rank || (new_rank == old_rank && older))
            return 0; /* an older or lesser version: history only */
    }
    snprintf(seqtext, sizeof(seqtext), "%lld", (long long)seq);
    const char *hp[] = {o->id, o->type, o->version, seqtext};
    rc = run(db,
             "INSERT INTO heads (id, type, version, object_seq) VALUES (?1, ?2, ?3, ?4) "
             "ON CONFLICT (id) DO UPDATE SET version = ?3, object_seq = ?4",
             4, hp);
    if (rc == 0 && strcmp(o->type, "report") == 0 && o->body != NULL)
        return project_report(db, o, seqtext, old_seq);
    if (rc != 0 || !isx_directory_type(o->type) || o->body == NULL)
        return rc;
    if ((rc = isx_directory_project(o, &row)) != 0)
        return rc;
    const char *dp[] = {row.id,         row.type,      row.version, seqtext,
                        row.party,      row.kind,      row.status,  row.authority,
                        row.directions, row.languages, row.text};
    rc = run(db,
             "INSERT OR REPLACE INTO directory (id, type, version, object_seq, party, kind, "
             "status, authority, directions, languages, text) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
             11, dp);
    isx_directory_row_free(&row);
    return rc;
}

static int
insert_object(sqlite3 *db, const struct isx_object *o, const char *now, int64_t *seq)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db,
                           "INSERT INTO objects (hash, id, type, version, origin, canonical, "
                           "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        return ISX_ESTORE;
    sqlite3_bind_blob(st, 1, o->hash, sizeof(o->hash), SQLITE_STATIC);
    bind_text(st, 2, o->id);
    bind_text(st, 3, o->type);
    bind_text(st, 4, o->version);
    bind_text(st, 5, o->origin);
    sqlite3_bind_blob(st, 6, o->canonical.data, (int)o->canonical.len, SQLITE_STATIC);
    bind_text(st, 7, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return ISX_ECONFLICT; /* same (id, version) with other content */
    if (rc != SQLITE_DONE)
        return ISX_ESTORE;
    *seq = sqlite3_last_insert_rowid(db);
    return 0;
}

static int
hash_known(sqlite3 *db, const uint8_t hash[32])
{
    sqlite3_stmt *st;
    int found;

    if (sqlite3_prepare_v2(db, "SELECT 1 FROM objects WHERE hash = ?1", -1, &st, NULL) != SQLITE_OK)
        return ISX_ESTORE;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* The writer's view of the log while appending: both statements prepared once per append. */
struct log_writer {
    sqlite3_stmt *get;
    sqlite3_stmt *put;
};

static int
writer_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    struct log_writer *w = ctx;
    int rc;

    sqlite3_bind_int(w->get, 1, (int)level);
    sqlite3_bind_int64(w->get, 2, (sqlite3_int64)index);
    rc = sqlite3_step(w->get);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(w->get, 0) == 32)
        memcpy(out, sqlite3_column_blob(w->get, 0), 32);
    sqlite3_reset(w->get);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
}

static int
writer_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
    struct log_writer *w = ctx;
    int rc;

    sqlite3_bind_int(w->put, 1, (int)level);
    sqlite3_bind_int64(w->put, 2, (sqlite3_int64)index);
    sqlite3_bind_blob(w->put, 3, hash, 32, SQLITE_STATIC);
    rc = sqlite3_step(w->put);
    sqlite3_reset(w->put);
    return rc == SQLITE_DONE ? 0 : ISX_ESTORE;
}

static int
log_size_on(sqlite3 *db, uint64_t *size)
{
    sqlite3_stmt *st;
    int rc = ISX_ESTORE;

    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0",
                           -1, &st, NULL) != SQLITE_OK)
        return ISX_ESTORE;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *size = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * Appends the leaf of the object stored at `seq`. Leaf i is seq i + 1, always: a log whose
 * size disagrees with the object's position has been tampered with, and the write is refused.
 */
static int
log_append(sqlite3 *db, int64_t seq, const uint8_t object_hash[32])
{
    struct log_writer w = {NULL, NULL};
    uint8_t leaf[32];
    uint64_t size;
    int rc;

    if ((rc = log_size_on(db, &size)) != 0)
        return rc;
    if (size != (uint64_t)(seq - 1))
        return ISX_ESTORE;
    if (sqlite3_prepare_v2(db, "SELECT hash FROM log_nodes WHERE level = ?1 AND idx = ?2", -1,
                           &w.get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)", -1,
                           &w.put, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    isx_merkle_leaf_hash(object_hash, 32, leaf);
    rc = isx_merkle_append(size, leaf, writer_get, &w, writer_put, &w);
done:
    sqlite3_finalize(w.get);
    sqlite3_finalize(w.put);
    return rc;
}

/* Logs objects stored before the log existed (a database from before migration 3). */
static int
log_backfill(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    uint64_t size;
    int rc;

    if ((rc = log_size_on(db, &size)) != 0)
        return rc;
    /* Only a database from before the log gets one built. A log with entries is never
     * repaired here: entries missing from it are evidence for `isx log audit`. */
    if (size != 0)
        return 0;
    if ((rc = exec(db, "BEGIN IMMEDIATE")) != 0)
        return rc;
    if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM objects WHERE seq > ?1 ORDER BY seq", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = log_append(db, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1))) != 0)
            goto fail;
    }
    if (rc != SQLITE_DONE) {
        rc = ISX_ESTORE;
        goto fail;
    }
    sqlite3_finalize(st);
    return exec(db, "COMMIT");
fail:
    sqlite3_finalize(st);
    exec(db, "ROLLBACK");
    return rc;
}

/* Keeps the clear body of a sealed object this node opened, for its projections. */
static int
keep_opened(sqlite3 *db, const struct isx_object *o, int64_t seq)
{
    char *text = json_dumps(o->opened, JSON_COMPACT | JSON_SORT_KEYS);
    sqlite3_stmt *st = NULL;
    int rc = ISX_ESTORE;

    if (text == NULL)
        return ISX_ENOMEM;
    if (sqlite3_prepare_v2(db, "INSERT INTO opened (object_seq, body) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_blob(st, 2, text, (int)strlen(text), SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ISX_ESTORE;
done:
    sqlite3_finalize(st);
    isx_memzero(text, strlen(text));
    free(text);
    return rc;
}

/*
 * One object's writes inside the writer's open transaction: everything isx_store_put does
 * between BEGIN and COMMIT. On failure the caller rolls back (the whole transaction, or the
 * object's savepoint).
 */
static int
put_in_txn(struct isx_store *s, const struct isx_object *o, const struct isx_change *change,
           const char *expect_version, int must_be_new, const char *now)
{
    char seqtext[24], *current = NULL;
    int64_t seq;
    int rc;

    if ((rc = hash_known(s->writer, o->hash)) != 0) {
        rc = rc > 0 ? ISX_EEXISTS : rc;
        goto done;
    }
    if ((rc = head_version(s->writer, o->id, &current, NULL)) != 0)
        goto done;
    if (must_be_new && current != NULL) {
        rc = ISX_EEXISTS;
        goto done;
    }
    if (expect_version != NULL && (current == NULL || strcmp(current, expect_version) != 0)) {
        rc = current == NULL ? ISX_ENOTFOUND : ISX_ECONFLICT;
        goto done;
    }
    if ((rc = insert_object(s->writer, o, now, &seq)) != 0)
        goto done;
    snprintf(seqtext, sizeof(seqtext), "%lld", (long long)seq);
    const char *cp[] = {seqtext, change->actor, change->action, now};
    if ((rc = run(s->writer,
                  "INSERT INTO changes (object_seq, actor, action, at) VALUES (?1, ?2, ?3, ?4)", 4,
                  cp)) != 0)
        goto done;
    if (o->body == NULL && o->opened != NULL && (rc = keep_opened(s->writer, o, seq)) != 0)
        goto done;
    if ((rc = project(s->writer, o, seq)) != 0)
        goto done;
    /* The log entry commits with the object or not at all. */
    rc = log_append(s->writer, seq, o->hash);
done:
    free(current);
    return rc;
}

int
isx_store_put(struct isx_store *s, const struct isx_object *o, const struct isx_change *change,
              const char *expect_version, int must_be_new)
{
    char now[ISX_TIME_LEN + 1];
    int rc;

    if (o->canonical.data == NULL)
        return ISX_EINVAL;
    isx_time_format(isx_time_now_ms(), now);
    pthread_mutex_lock(&s->write_lock);
    if ((rc = exec(s->writer, "BEGIN IMMEDIATE")) != 0)
        goto unlock;
    if ((rc = put_in_txn(s, o, change, expect_version, must_be_new, now)) == 0 &&
        (rc = exec(s->writer, "COMMIT")) == 0)
        goto unlock;
    exec(s->writer, "ROLLBACK");
unlock:
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

int
isx_store_put_many(struct isx_store *s, struct isx_object *const *objs, size_t count,
                   const struct isx_change *change, int *rcs)
{
    char now[ISX_TIME_LEN + 1];
    size_t i;
    int rc;

    for (i = 0; i < count; i++)
        rcs[i] = objs[i]->canonical.data == NULL ? ISX_EINVAL : 0;
    isx_time_format(isx_time_now_ms(), now);
    pthread_mutex_lock(&s->write_lock);
    if ((rc = exec(s->writer, "BEGIN IMMEDIATE")) != 0)
        goto unlock;
    for (i = 0; i < count; i++) {
        if (rcs[i] != 0)
            continue;
        /* A savepoint per object: one that fails leaves no trace, the others still commit. */
        if ((rc = exec(s->writer, "SAVEPOINT one")) != 0)
            goto rollback;
        rcs[i] = put_in_txn(s, objs[i], change, NULL, 0, now);
        if (rcs[i] != 0 && (rc = exec(s->writer, "ROLLBACK TO one")) != 0)
            goto rollback;
        if ((rc = exec(s->writer, "RELEASE one")) != 0)
            goto rollback;
    }
    if ((rc = exec(s->writer, "COMMIT")) == 0)
        goto unlock;
rollback:
    exec(s->writer, "ROLLBACK");
unlock:
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

int
isx__store_fetch_blob(struct isx_store *s, const char *sql, const void *key, int keylen,
                      const char *key2, struct isx_buf *out)
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    if (keylen < 0)
        bind_text(st, 1, key);
    else
        sqlite3_bind_blob(st, 1, key, keylen, SQLITE_STATIC);
    if (key2 != NULL)
        bind_text(st, 2, key2);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = isx_buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    else
        rc = rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
    sqlite3_finalize(st);
done:
    reader_put(s, slot);
    return rc;
}

int
isx_store_get(struct isx_store *s, const char *id, const char *version, struct isx_buf *out)
{
    if (version != NULL)
        return isx__store_fetch_blob(s,
                                     "SELECT canonical FROM objects WHERE id = ?1 AND version = ?2",
                                     id, -1, version, out);
    return isx__store_fetch_blob(
        s,
        "SELECT o.canonical FROM heads h JOIN objects o ON o.seq = h.object_seq "
        "WHERE h.id = ?1",
        id, -1, NULL, out);
}

int
isx_store_get_by_hash(struct isx_store *s, const uint8_t hash[32], struct isx_buf *out)
{
    return isx__store_fetch_blob(s, "SELECT canonical FROM objects WHERE hash = ?1", hash, 32, NULL,
                                 out);
}

int
isx_store_versions(struct isx_store *s, const char *id, json_t **out)
{
    int slot, rc = 0;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st = NULL;
    json_t *list = json_array();
    char hex[65];

    if (list == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT o.version, o.hash, o.recorded_at, c.actor, c.action "
                           "FROM objects o JOIN changes c ON c.object_seq = o.seq "
                           "WHERE o.id = ?1 ORDER BY o.version",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    bind_text(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        isx_hex_encode(sqlite3_column_blob(st, 1), 32, hex);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "version", sqlite3_column_text(st, 0),
                            "hash", hex, "recorded_at", sqlite3_column_text(st, 2), "actor",
                            sqlite3_column_text(st, 3), "action", sqlite3_column_text(st, 4)));
    }
    rc = rc == SQLITE_DONE ? 0 : ISX_ESTORE;
    if (rc == 0 && json_array_size(list) == 0)
        rc = ISX_ENOTFOUND;
    if (rc == 0) {
        *out = list;
        list = NULL;
    }
done:
    sqlite3_finalize(st);
    reader_put(s, slot);
    json_decref(list);
    return rc;
}

/* A copy of a search text, folded like the stored texts. */
static char *
folded(const char *s)
{
    char *out = s != NULL ? strdup(s) : NULL;

    if (out != NULL)
        isx_text_fold(out);
    return out;
}

/*
 * Steps a page query whose rows are (canonical envelope, id) and that asked for one row more
 * than `limit`. On success *items is a new array of up to `limit` envelopes and *next the id to
 * continue after (malloc'd), or NULL on the last page.
 */
static int
collect_page(sqlite3_stmt *st, size_t limit, json_t **items, char **next)
{
    json_t *list = json_array();
    char *last = NULL;
    size_t n = 0;
    int rc, more = 0;

    if (list == NULL)
        return ISX_ENOMEM;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            more = 1;
            break;
        }
        json_t *env = isx__store_view(st, 0, 2);
        free(last);
        last = strdup((const char *)sqlite3_column_text(st, 1));
        if (env == NULL || json_array_append_new(list, env) != 0 || last == NULL) {
            rc = ISX_ESTORE;
            goto fail;
        }
        n++;
    }
    if (!more && rc != SQLITE_DONE) {
        rc = ISX_ESTORE;
        goto fail;
    }
    *items = list;
    /* The last id is a cursor only when a further row exists. */
    *next = more ? last : NULL;
    if (!more)
        free(last);
    return 0;
fail:
    json_decref(list);
    free(last);
    return rc;
}

int
isx_store_dir_list(struct isx_store *s, const struct isx_dir_query *q, json_t **items, char **next)
{
    static const char sql[] =
        "SELECT o.canonical, d.id, p.body FROM directory d JOIN objects o ON o.seq = d.object_seq "
        "LEFT JOIN opened p ON p.object_seq = o.seq "
        "WHERE d.type = ?1 AND (?2 IS NULL OR d.party = ?2) AND (?3 IS NULL OR d.kind = ?3) "
        "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(d.directions) WHERE value = ?4)) "
        "AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(d.languages) WHERE value = ?5)) "
        "AND (?6 IS NULL OR d.authority = ?6) AND (?7 IS NULL OR instr(d.text, ?7) > 0) "
        "AND (?8 OR d.status = 'active') AND (?9 IS NULL OR d.id > ?9) "
        "ORDER BY d.id LIMIT ?10";
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st = NULL;
    char *text = folded(q->text);

    if (q->text != NULL && text == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    bind_text(st, 1, q->type);
    bind_text(st, 2, q->party);
    bind_text(st, 3, q->kind);
    bind_text(st, 4, q->direction);
    bind_text(st, 5, q->language);
    bind_text(st, 6, q->authority);
    bind_text(st, 7, text);
    sqlite3_bind_int(st, 8, q->include_retired ? 1 : 0);
    bind_text(st, 9, q->after);
    /* One row more than asked says whether another page exists. */
    sqlite3_bind_int64(st, 10, (sqlite3_int64)q->limit + 1);
    rc = collect_page(st, q->limit, items, next);
done:
    sqlite3_finalize(st);
    reader_put(s, slot);
    free(text);
    return rc;
}

int
isx_store_reindex(struct isx_store *s, size_t *count)
{
    sqlite3_stmt *st = NULL;
    size_t n = 0;
    int rc;

    pthread_mutex_lock(&s->write_lock);
    if ((rc = exec(s->writer, "BEGIN IMMEDIATE")) != 0)
        goto unlock;
    if ((rc = exec(s->writer, "DELETE FROM directory; DELETE FROM heads; DELETE FROM reports; "
                              "DELETE FROM report_indicators; DELETE FROM report_ranges; "
                              "DELETE FROM releases;")) != 0)
        goto rollback;
    if (sqlite3_prepare_v2(s->writer,
                           "SELECT o.seq, o.canonical, p.body FROM objects o "
                           "LEFT JOIN opened p ON p.object_seq = o.seq ORDER BY o.seq",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto rollback;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct isx_object *o;
        if (isx_object_parse(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &o,
                             NULL) != 0) {
            rc = ISX_ESTORE; /* a stored object that no longer parses: the store is damaged */
            goto rollback;
        }
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            o->opened = json_loadb(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                   0, NULL);
        rc = project(s->writer, o, sqlite3_column_int64(st, 0));
        isx_object_free(o);
        if (rc != 0)
            goto rollback;
        n++;
    }
    if (rc != SQLITE_DONE) {
        rc = ISX_ESTORE;
        goto rollback;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = exec(s->writer, "COMMIT")) == 0) {
        *count = n;
        goto unlock;
    }
rollback:
    sqlite3_finalize(st);
    exec(s->writer, "ROLLBACK");
unlock:
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

int
isx_store_count(struct isx_store *s, int64_t *count)
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st;

    rc = ISX_ESTORE;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM objects", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            *count = sqlite3_column_int64(st, 0);
            rc = 0;
        }
        sqlite3_finalize(st);
    }
    reader_put(s, slot);
    return rc;
}

static int64_t
monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The slot a token hash maps to; the hash is uniform, so its first bytes spread evenly. */
static struct user_slot *
user_slot(struct isx_store *s, const uint8_t token_hash[32])
{
    return &s->users[(token_hash[0] | (unsigned)token_hash[1] << 8) % USER_SLOTS];
}

/* A user known for this token hash and not yet expired: 1 and *out, else 0. */
static int
user_cached(struct isx_store *s, const uint8_t token_hash[32], struct isx_user *out)
{
    struct user_slot *e = user_slot(s, token_hash);
    int64_t now = monotonic_ms();
    int found = 0;

    pthread_mutex_lock(&s->user_lock);
    if (e->expires != 0 && now < e->expires && isx_memcmp_ct(e->hash, token_hash, 32) == 0) {
        *out = e->user;
        found = 1;
    }
    pthread_mutex_unlock(&s->user_lock);
    return found;
}

static void
user_remember(struct isx_store *s, const uint8_t token_hash[32], const struct isx_user *u)
{
    struct user_slot *e = user_slot(s, token_hash);

    pthread_mutex_lock(&s->user_lock);
    memcpy(e->hash, token_hash, 32);
    e->user = *u;
    e->expires = monotonic_ms() + USER_TTL_MS;
    pthread_mutex_unlock(&s->user_lock);
}

/* Forgets every cached user, after a change to the users table. */
static void
users_forget(struct isx_store *s)
{
    pthread_mutex_lock(&s->user_lock);
    isx_memzero(s->users, sizeof(s->users));
    pthread_mutex_unlock(&s->user_lock);
}

int
isx_store_user_add(struct isx_store *s, const char *name, enum isx_role role,
                   const uint8_t token_hash[32], const char *actor)
{
    sqlite3_stmt *st;
    char now[ISX_TIME_LEN + 1];
    int rc;

    isx_time_format(isx_time_now_ms(), now);
    pthread_mutex_lock(&s->write_lock);
    if (sqlite3_prepare_v2(s->writer,
                           "INSERT INTO users (name, role, token_hash, created_at, created_by) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto unlock;
    }
    bind_text(st, 1, name);
    bind_text(st, 2, isx_role_name(role));
    sqlite3_bind_blob(st, 3, token_hash, 32, SQLITE_STATIC);
    bind_text(st, 4, now);
    bind_text(st, 5, actor);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    rc = rc == SQLITE_DONE ? 0 : rc == SQLITE_CONSTRAINT ? ISX_EEXISTS : ISX_ESTORE;
unlock:
    pthread_mutex_unlock(&s->write_lock);
    /* A change to the users must show at once, whatever the cache remembers. */
    if (rc == 0)
        users_forget(s);
    return rc;
}

int
isx_store_user_by_token(struct isx_store *s, const uint8_t token_hash[32], struct isx_user *out)
{
    int slot, rc;
    sqlite3_stmt *st;
    struct isx_user u = {0};

    if (user_cached(s, token_hash, out))
        return 0;
    reader_get(s, &slot);
    if ((st = reader_stmt(s, slot, STMT_USER_BY_TOKEN)) == NULL) {
        rc = ISX_ESTORE;
        goto done;
    }
    sqlite3_bind_blob(st, 1, token_hash, 32, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        u.id = sqlite3_column_int64(st, 0);
        snprintf(u.name, sizeof(u.name), "%s", (const char *)sqlite3_column_text(st, 1));
        rc =
            isx_role_parse((const char *)sqlite3_column_text(st, 2), &u.role) == 0 ? 0 : ISX_ESTORE;
    } else {
        rc = rc == SQLITE_DONE ? ISX_EAUTH : ISX_ESTORE;
    }
    stmt_done(st);
    if (rc == 0) {
        user_remember(s, token_hash, &u);
        *out = u;
    }
done:
    reader_put(s, slot);
    return rc;
}

int
isx_store_user_list(struct isx_store *s, json_t **out)
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st;
    json_t *list = json_array();

    rc = ISX_ESTORE;
    if (list != NULL && sqlite3_prepare_v2(db,
                                           "SELECT name, role, created_at, created_by FROM users "
                                           "ORDER BY name",
                                           -1, &st, NULL) == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "name",
                                                  sqlite3_column_text(st, 0), "role",
                                                  sqlite3_column_text(st, 1), "created_at",
                                                  sqlite3_column_text(st, 2), "created_by",
                                                  sqlite3_column_text(st, 3)));
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? 0 : ISX_ESTORE;
    }
    reader_put(s, slot);
    if (rc == 0)
        *out = list;
    else
        json_decref(list);
    return rc;
}

int
isx_store_meta_get(struct isx_store *s, const char *key, char **value)
{
    struct isx_buf b = ISX_BUF_INIT;
    int rc = isx__store_fetch_blob(s, "SELECT value FROM meta WHERE key = ?1", key, -1, NULL, &b);

    if (rc == 0)
        *value = isx_buf_steal(&b, NULL);
    isx_buf_free(&b);
    return rc;
}

int
isx_store_meta_set(struct isx_store *s, const char *key, const char *value)
{
    const char *p[] = {key, value};
    int rc;

    pthread_mutex_lock(&s->write_lock);
    rc = run(s->writer, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", 2, p);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

int
isx_store_report_list(struct isx_store *s, const struct isx_report_query *q, json_t **items,
                      char **next)
{
    static const char sql[] =
        "SELECT o.canonical, r.id, p.body FROM reports r JOIN objects o ON o.seq = r.object_seq "
        "LEFT JOIN opened p ON p.object_seq = o.seq WHERE (?1 IS NULL OR r.threat = ?1) "
        "AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.features) WHERE value = ?2)) "
        "AND (?3 IS NULL OR r.severity = ?3) AND (?4 IS NULL OR r.status = ?4) "
        "AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.sectors) WHERE value = ?5)) "
        "AND (?6 IS NULL OR r.origin = ?6) AND (?7 IS NULL OR r.time >= ?7) "
        "AND (?8 IS NULL OR r.time <= ?8) "
        "AND (?9 IS NULL OR EXISTS (SELECT 1 FROM report_indicators i WHERE i.value = ?9 "
        "     AND i.type = ?10 AND i.report_id = r.id)) "
        "AND (?11 IS NULL OR instr(r.text, ?11) > 0) AND (?12 IS NULL OR r.id > ?12) "
        "AND (?13 OR r.tlp != 'red') ORDER BY r.id LIMIT ?14";
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st = NULL;
    char *text = folded(q->text);

    if (q->text != NULL && text == NULL) {
        rc = ISX_ENOMEM;
        goto done;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    bind_text(st, 1, q->threat);
    bind_text(st, 2, q->feature);
    bind_text(st, 3, q->severity);
    bind_text(st, 4, q->status);
    bind_text(st, 5, q->sector);
    bind_text(st, 6, q->origin);
    bind_text(st, 7, q->since);
    bind_text(st, 8, q->until);
    bind_text(st, 9, q->indicator_value);
    bind_text(st, 10, q->indicator_type);
    bind_text(st, 11, text);
    bind_text(st, 12, q->after);
    sqlite3_bind_int(st, 13, q->include_red ? 1 : 0);
    sqlite3_bind_int64(st, 14, (sqlite3_int64)q->limit + 1);
    rc = collect_page(st, q->limit, items, next);
done:
    sqlite3_finalize(st);
    reader_put(s, slot);
    free(text);
    return rc;
}

/* At most this many matches of each kind (exact, range) for one value. */
#define MATCH_MAX 1000

static int
stmt_step_once(struct isx_store *s, int slot, enum reader_stmt id)
{
    sqlite3_stmt *st = reader_stmt(s, slot, id);
    int rc;

    if (st == NULL)
        return ISX_ESTORE;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ISX_ESTORE;
}

/* Whether any range of this address family is stored: 1, 0, or negative ISX_E*. */
static int
ranges_exist(struct isx_store *s, int slot, int family)
{
    sqlite3_stmt *st = reader_stmt(s, slot, STMT_RANGES_EXIST);
    int rc;

    if (st == NULL)
        return ISX_ESTORE;
    sqlite3_bind_int(st, 1, family);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : ISX_ESTORE;
}

/* A text column as a new JSON string (JSON null for SQL NULL); NULL when it is not UTF-8. */
static json_t *
column_json(sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);

    return v != NULL ? json_stringn(v, (size_t)sqlite3_column_bytes(st, col)) : json_null();
}

/* Reports whose members one reader keeps at most; past that it starts over. */
#define META_MAX 4096

/*
 * Starts using reader `slot`'s report cache in the current read transaction: the cache holds
 * only while nothing was committed since it was filled, which `PRAGMA data_version` tells (it
 * changes with every commit by any other connection, this process's writer or another
 * process). Running it also starts the transaction's snapshot.
 */
static int
meta_check(struct isx_store *s, int slot)
{
    sqlite3_stmt *st = reader_stmt(s, slot, STMT_DATA_VERSION);
    int64_t version;
    int rc;

    if (st == NULL)
        return ISX_ESTORE;
    rc = sqlite3_step(st);
    version = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return ISX_ESTORE;
    if (version != s->meta_version[slot] || json_object_size(s->meta[slot]) >= META_MAX) {
        json_object_clear(s->meta[slot]);
        s->meta_version[slot] = version;
    }
    return 0;
}

/*
 * The members every match of report `id` shares, in the order of the answer
 * ({"id","version","origin","threat","severity","status","tlp","title"}), or JSON null when
 * the report is gone; *out is borrowed from the reader's cache. The values go into the
 * answers by reference, so a report's title is parsed once rather than once per match; the
 * store never changes them, and neither may a caller.
 */
static int
report_meta(struct isx_store *s, int slot, const char *id, json_t **out)
{
    sqlite3_stmt *st;
    json_t *meta = json_object_get(s->meta[slot], id);
    int rc;

    if (meta != NULL) {
        *out = meta;
        return 0;
    }
    if ((st = reader_stmt(s, slot, STMT_REPORT_META)) == NULL)
        return ISX_ESTORE;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        json_t *title = json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL);
        meta = json_object();
        /* Any member that fails leaves the object short, and the check below refuses it. */
        if (meta != NULL) {
            json_object_set_new_nocheck(meta, "id", json_string(id));
            json_object_set_new_nocheck(meta, "version", column_json(st, 0));
            json_object_set_new_nocheck(meta, "origin", column_json(st, 1));
            json_object_set_new_nocheck(meta, "threat", column_json(st, 2));
            json_object_set_new_nocheck(meta, "severity", column_json(st, 3));
            json_object_set_new_nocheck(meta, "status", column_json(st, 4));
            json_object_set_new_nocheck(meta, "tlp", column_json(st, 5));
            json_object_set_new_nocheck(meta, "title", title);
            if (json_object_size(meta) != 8 || !json_is_string(json_object_get(meta, "tlp"))) {
                json_decref(meta);
                meta = NULL;
            }
        } else {
            json_decref(title);
        }
        rc = meta != NULL ? 0 : ISX_ESTORE;
    } else if (rc == SQLITE_DONE) {
        meta = json_null(); /* an indicator row whose report is gone: no match, as a join */
        rc = 0;
    } else {
        rc = ISX_ESTORE;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == 0 && json_object_set_new_nocheck(s->meta[slot], id, meta) != 0)
        rc = ISX_ENOMEM;
    if (rc == 0)
        *out = meta;
    return rc;
}

/* Whether the caller may see a report: TLP:RED only when `include_red`. */
static int
meta_visible(const json_t *meta, int include_red)
{
    return json_is_object(meta) &&
           (include_red || strcmp(json_string_value(json_object_get(meta, "tlp")), "red") != 0);
}

/* Appends one match: the report's shared members, then how it matched and on what. */
static int
add_match(json_t *meta, json_t *match, sqlite3_stmt *st, json_t *found)
{
    json_t *m = json_object(), *v;
    json_t *indicator = column_json(st, 1);
    const char *key;
    int rc = ISX_ENOMEM;

    if (m == NULL || indicator == NULL || json_is_null(indicator))
        goto done;
    json_object_foreach(meta, key, v)
    {
        if (json_object_set_nocheck(m, key, v) != 0)
            goto done;
    }
    if (json_object_set_nocheck(m, "match", match) != 0 ||
        json_object_set_new_nocheck(m, "indicator", indicator) != 0)
        goto done;
    indicator = NULL;
    rc = json_array_append_new(found, m) == 0 ? 0 : ISX_ENOMEM;
    m = NULL;
done:
    json_decref(indicator);
    json_decref(m);
    return rc;
}

/* Steps a bound lookup statement (report_id, value) and appends what the caller may see. */
static int
collect(struct isx_store *s, int slot, sqlite3_stmt *st, json_t *match, int include_red,
        json_t *found)
{
    size_t visible = 0;
    int rc = 0, step = SQLITE_DONE;

    while (visible < MATCH_MAX && (step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *meta = NULL;
        if ((rc = report_meta(s, slot, (const char *)sqlite3_column_text(st, 0), &meta)) != 0)
            break;
        if (!meta_visible(meta, include_red))
            continue;
        if ((rc = add_match(meta, match, st, found)) != 0)
            break;
        visible++;
    }
    if (rc == 0 && visible < MATCH_MAX && step != SQLITE_DONE)
        rc = ISX_ESTORE;
    sqlite3_reset(st);
    return rc;
}

int
isx_store_lookup(struct isx_store *s, const struct isx_lookup_key *keys, size_t n, int include_red,
                 json_t **results)
{
    int slot, rc = ISX_ENOMEM, in_txn = 0;
    int ranges[2] = {-1, -1}; /* per family (4, 6): whether any exist; -1 not asked yet */
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *exact = reader_stmt(s, slot, STMT_LOOKUP_EXACT);
    sqlite3_stmt *range = reader_stmt(s, slot, STMT_LOOKUP_RANGE);
    json_t *all = json_array();
    json_t *m_exact = json_string("exact"), *m_range = json_string("range");

    if (all == NULL || m_exact == NULL || m_range == NULL)
        goto done;
    rc = ISX_ESTORE;
    if (exact == NULL || range == NULL)
        goto done;
    /* One read transaction for the whole call: one snapshot, and the locks are taken once
     * rather than once per statement. */
    if (n > 0) {
        if ((rc = stmt_step_once(s, slot, STMT_BEGIN)) != 0)
            goto done;
        in_txn = 1;
        if ((rc = meta_check(s, slot)) != 0)
            goto done;
    }
    for (size_t k = 0; k < n; k++) {
        json_t *found = json_array();
        if (found == NULL || json_array_append_new(all, found) != 0) {
            rc = ISX_ENOMEM;
            goto done;
        }
        sqlite3_bind_text(exact, 1, keys[k].value, -1, SQLITE_STATIC);
        sqlite3_bind_text(exact, 2, keys[k].type, -1, SQLITE_STATIC);
        if ((rc = collect(s, slot, exact, m_exact, include_red, found)) != 0)
            goto done;
        if (keys[k].family != 4 && keys[k].family != 6)
            continue;
        /* Most nodes hold few ranges or none; asking once per call spares every address a
         * range query that finds nothing. */
        int *known = &ranges[keys[k].family == 4 ? 0 : 1];
        if (*known < 0 && (*known = ranges_exist(s, slot, keys[k].family)) < 0) {
            rc = *known;
            goto done;
        }
        if (*known == 0)
            continue;
        sqlite3_bind_int(range, 1, keys[k].family);
        sqlite3_bind_blob(range, 2, keys[k].addr, keys[k].family == 4 ? 4 : 16, SQLITE_STATIC);
        if ((rc = collect(s, slot, range, m_range, include_red, found)) != 0)
            goto done;
    }
    rc = 0;
done:
    if (exact != NULL)
        stmt_done(exact);
    if (range != NULL)
        stmt_done(range);
    if (in_txn && stmt_step_once(s, slot, STMT_COMMIT) != 0 && rc == 0)
        rc = ISX_ESTORE;
    /* A reader must never keep a transaction open: it would pin its snapshot and stop the
     * write-ahead log from being checkpointed. */
    if (!sqlite3_get_autocommit(db))
        exec(db, "ROLLBACK");
    reader_put(s, slot);
    if (rc == 0) {
        *results = all;
        all = NULL;
    }
    json_decref(all);
    json_decref(m_exact);
    json_decref(m_range);
    return rc;
}

int
isx_store_log_size(struct isx_store *s, uint64_t *size)
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);

    rc = log_size_on(db, size);
    reader_put(s, slot);
    return rc;
}

static size_t
node_set_of(unsigned level, uint64_t index)
{
    uint64_t h = (index ^ ((uint64_t)level << 56)) * UINT64_C(0x9E3779B97F4A7C15);

    return (size_t)(h >> (64 - NODE_CACHE_SET_BITS));
}

/* The cached node at (level, index) into out, if there is one; the caller holds node_lock. */
static int
cache_find_locked(const struct isx_store *s, unsigned level, uint64_t index, uint8_t out[32])
{
    const struct node_set *set;
    unsigned w;

    if (level < NODE_CACHE_LEVEL || s->nodes == NULL)
        return 0;
    set = &s->nodes[node_set_of(level, index)];
    for (w = 0; w < NODE_CACHE_WAYS; w++)
        if (set->level[w] == level && set->index[w] == index) {
            memcpy(out, set->hash[w], 32);
            return 1;
        }
    return 0;
}

/* Keeps a node just read from the database, if it is worth a way of its set (see node_set);
 * the caller holds node_lock. */
static void
cache_keep_locked(struct isx_store *s, unsigned level, uint64_t index, const uint8_t hash[32])
{
    struct node_set *set;
    unsigned w, k, victim;

    if (level < NODE_CACHE_LEVEL || level > 255)
        return;
    if (s->nodes == NULL)
        s->nodes = calloc((size_t)1 << NODE_CACHE_SET_BITS, sizeof(*s->nodes));
    if (s->nodes == NULL)
        return;
    set = &s->nodes[node_set_of(level, index)];
    for (w = 0; w < NODE_CACHE_WAYS; w++)
        if (set->level[w] == level && set->index[w] == index)
            return;
    /* The lowest way, empty ones first, searching from where the last search for this set
     * stopped so that equals are given up in turn. */
    victim = set->next % NODE_CACHE_WAYS;
    for (k = 1; k < NODE_CACHE_WAYS; k++) {
        w = (set->next + k) % NODE_CACHE_WAYS;
        if (set->level[w] < set->level[victim])
            victim = w;
    }
    if (set->level[victim] > level)
        return;
    set->next = (uint8_t)(victim + 1);
    set->index[victim] = index;
    set->level[victim] = (uint8_t)level;
    memcpy(set->hash[victim], hash, 32);
}

static int
log_cache_get(struct isx_store *s, unsigned level, uint64_t index, uint8_t out[32])
{
    int hit;

    if (level < NODE_CACHE_LEVEL)
        return 0;
    pthread_mutex_lock(&s->node_lock);
    hit = cache_find_locked(s, level, index, out);
    pthread_mutex_unlock(&s->node_lock);
    return hit;
}

static void
log_cache_put(struct isx_store *s, unsigned level, uint64_t index, const uint8_t hash[32])
{
    if (level < NODE_CACHE_LEVEL)
        return;
    pthread_mutex_lock(&s->node_lock);
    cache_keep_locked(s, level, index, hash);
    pthread_mutex_unlock(&s->node_lock);
}

int
isx_store_log_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    struct isx_store *s = ctx;
    int slot, rc;
    sqlite3_stmt *st;

    if (log_cache_get(s, level, index, out))
        return 0;
    reader_get(s, &slot);
    if ((st = reader_stmt(s, slot, STMT_LOG_GET)) == NULL) {
        rc = ISX_ESTORE;
        goto done;
    }
    sqlite3_bind_int(st, 1, (int)level);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(out, sqlite3_column_blob(st, 0), 32);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
    }
    stmt_done(st);
done:
    reader_put(s, slot);
    if (rc == 0)
        log_cache_put(s, level, index, out);
    return rc;
}

/* Nodes idx in [lo, lo + count) of one level, count <= LOG_GROUP: one arm of a batch. */
struct node_range {
    unsigned level;
    uint64_t lo, count;
};

/* The range a batch reads to answer the node at (level, index); see LOG_BATCH. */
static struct node_range
range_for(unsigned level, uint64_t index)
{
    struct node_range r;

    if (level >= NODE_CACHE_LEVEL) {
        r.level = level;
        r.lo = index & ~(uint64_t)(LOG_GROUP - 1);
        r.count = LOG_GROUP;
    } else if (level >= LOG_BASE) {
        r.level = LOG_BASE;
        r.count = UINT64_C(1) << (NODE_CACHE_LEVEL - LOG_BASE);
        r.lo = (index << (level - LOG_BASE)) & ~(r.count - 1);
    } else {
        r.level = level;
        r.lo = index;
        r.count = 1;
    }
    return r;
}

/* Reader `slot`'s statement reading k ranges at once (see LOG_BATCH), prepared on first use. */
static sqlite3_stmt *
log_batch_stmt(struct isx_store *s, int slot, size_t k)
{
    /* One arm is at most 95 characters: " UNION ALL SELECT 31, idx, hash FROM log_nodes WHERE
     * level = ?94 AND idx BETWEEN ?95 AND ?96". */
    char sql[LOG_BATCH * 100];
    size_t len = 0, j;

    if (s->log_batch[slot][k - 1] != NULL)
        return s->log_batch[slot][k - 1];
    for (j = 0; j < k; j++)
        len += (size_t)snprintf(sql + len, sizeof(sql) - len,
                                "%sSELECT %zu, idx, hash FROM log_nodes "
                                "WHERE level = ?%zu AND idx BETWEEN ?%zu AND ?%zu",
                                j > 0 ? " UNION ALL " : "", j, 3 * j + 1, 3 * j + 2, 3 * j + 3);
    if (sqlite3_prepare_v3(s->readers[slot], sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &s->log_batch[slot][k - 1], NULL) != SQLITE_OK)
        return NULL;
    return s->log_batch[slot][k - 1];
}

/*
 * Reads the k <= LOG_BATCH ranges r[0..k) with one statement on reader `slot`: node lo + i of
 * range j into rows[j][i], with bit i of present[j] set when it is stored.
 */
static int
log_ranges_read(struct isx_store *s, int slot, const struct node_range *r, size_t k,
                uint8_t (*rows)[LOG_GROUP][32], uint32_t *present)
{
    sqlite3_stmt *st = log_batch_stmt(s, slot, k);
    size_t j;
    int rc;

    if (st == NULL)
        return ISX_ESTORE;
    for (j = 0; j < k; j++) {
        sqlite3_bind_int(st, (int)(3 * j + 1), (int)r[j].level);
        sqlite3_bind_int64(st, (int)(3 * j + 2), (sqlite3_int64)r[j].lo);
        sqlite3_bind_int64(st, (int)(3 * j + 3), (sqlite3_int64)(r[j].lo + r[j].count - 1));
        present[j] = 0;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 arm = sqlite3_column_int64(st, 0);
        uint64_t at = (uint64_t)sqlite3_column_int64(st, 1);

        if (arm < 0 || (size_t)arm >= k || at - r[arm].lo >= r[arm].count ||
            sqlite3_column_bytes(st, 2) != 32) {
            rc = SQLITE_CORRUPT;
            break;
        }
        memcpy(rows[arm][at - r[arm].lo], sqlite3_column_blob(st, 2), 32);
        present[arm] |= UINT32_C(1) << (at - r[arm].lo);
    }
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : ISX_ESTORE;
}

/*
 * The node at (level, index) from the range r that range_for chose for it: the stored node
 * itself, or the hash of its descendants at the range's level, combined pairwise level by
 * level as the appends combined them. ISX_ENOTFOUND when any of them is not stored.
 */
static int
node_from_range(const struct node_range *r, uint8_t (*rows)[32], uint32_t present, unsigned level,
                uint64_t index, uint8_t out[32])
{
    uint8_t tmp[LOG_GROUP][32];
    uint64_t first = (index << (level - r->level)) - r->lo;
    uint64_t width = UINT64_C(1) << (level - r->level), i;
    uint32_t need = (uint32_t)(((UINT64_C(1) << width) - 1) << first);

    if ((present & need) != need)
        return ISX_ENOTFOUND;
    if (width == 1) {
        memcpy(out, rows[first], 32);
        return 0;
    }
    for (i = 0; i < width / 2; i++)
        isx_merkle_node_hash(rows[first + 2 * i], rows[first + 2 * i + 1], tmp[i]);
    for (width /= 2; width > 1; width /= 2)
        for (i = 0; i < width / 2; i++)
            isx_merkle_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
    memcpy(out, tmp[0], 32);
    return 0;
}

int
isx_store_log_nodes(void *ctx, const struct isx_merkle_addr *addrs, size_t n, uint8_t (*out)[32])
{
    struct isx_store *s = ctx;
    uint8_t got[ISX_MERKLE_MAX_NODES][32], rows[LOG_BATCH][LOG_GROUP][32];
    struct node_range ranges[ISX_MERKLE_MAX_NODES];
    size_t want[ISX_MERKLE_MAX_NODES], of[ISX_MERKLE_MAX_NODES], nwant = 0, nranges = 0;
    size_t i, j, c, k;
    uint32_t present[LOG_BATCH];
    int slot, rc = 0;

    if (s == NULL || addrs == NULL || out == NULL || n > ISX_MERKLE_MAX_NODES)
        return ISX_EINVAL;
    /* Only addresses a tree can have: leaves [index << level, (index + 1) << level) within
     * ISX_MERKLE_MAX_SIZE. This also keeps every shift and range below from overflowing. */
    for (i = 0; i < n; i++)
        if (addrs[i].level >= 64 || addrs[i].index >= ISX_MERKLE_MAX_SIZE >> addrs[i].level)
            return ISX_EINVAL;
    pthread_mutex_lock(&s->node_lock);
    /* The slots are scattered over tens of megabytes; asking for all of them before looking at
     * any lets the memory fetches overlap instead of waiting for each in turn. */
    for (i = 0; s->nodes != NULL && i < n; i++)
        if (addrs[i].level >= NODE_CACHE_LEVEL)
            __builtin_prefetch(&s->nodes[node_set_of(addrs[i].level, addrs[i].index)]);
    for (i = 0; i < n; i++)
        if (!cache_find_locked(s, addrs[i].level, addrs[i].index, got[i]))
            want[nwant++] = i;
    pthread_mutex_unlock(&s->node_lock);
    if (nwant == 0)
        goto done;
    /* Nodes that share a range read it once: a proof's siblings at levels 1 to 3 share one. */
    for (i = 0; i < nwant; i++) {
        struct node_range r = range_for(addrs[want[i]].level, addrs[want[i]].index);

        for (j = 0; j < nranges; j++)
            if (ranges[j].level == r.level && ranges[j].lo == r.lo && ranges[j].count == r.count)
                break;
        if (j == nranges)
            ranges[nranges++] = r;
        of[i] = j;
    }
    /* Chunks may see different snapshots; that is harmless because a node, once stored, never
     * changes, and every node a proof asks for was stored before its size was. */
    reader_get(s, &slot);
    for (c = 0; rc == 0 && c < nranges; c += k) {
        k = nranges - c < LOG_BATCH ? nranges - c : LOG_BATCH;
        if ((rc = log_ranges_read(s, slot, ranges + c, k, rows, present)) != 0)
            break;
        for (i = 0; rc == 0 && i < nwant; i++)
            if (of[i] >= c && of[i] < c + k)
                rc = node_from_range(&ranges[of[i]], rows[of[i] - c], present[of[i] - c],
                                     addrs[want[i]].level, addrs[want[i]].index, got[want[i]]);
        pthread_mutex_lock(&s->node_lock);
        for (j = 0; j < k; j++)
            for (i = 0; ranges[c + j].level >= NODE_CACHE_LEVEL && i < ranges[c + j].count; i++)
                if ((present[j] >> i) & 1)
                    cache_keep_locked(s, ranges[c + j].level, ranges[c + j].lo + i, rows[j][i]);
        pthread_mutex_unlock(&s->node_lock);
    }
    reader_put(s, slot);
done:
    if (rc == 0)
        memcpy(out, got, n * sizeof(got[0]));
    return rc;
}

static int
index_query(struct isx_store *s, const char *sql, const void *key, int keylen, uint64_t *index,
            uint8_t hash[32])
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    if (keylen < 0)
        bind_text(st, 1, key);
    else
        sqlite3_bind_blob(st, 1, key, keylen, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *index = (uint64_t)(sqlite3_column_int64(st, 0) - 1);
        if (hash != NULL && sqlite3_column_bytes(st, 1) == 32)
            memcpy(hash, sqlite3_column_blob(st, 1), 32);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
    }
    sqlite3_finalize(st);
done:
    reader_put(s, slot);
    return rc;
}

int
isx_store_log_index_of_hash(struct isx_store *s, const uint8_t hash[32], uint64_t *index)
{
    return index_query(s, "SELECT seq, hash FROM objects WHERE hash = ?1", hash, 32, index, NULL);
}

int
isx_store_log_index_of_id(struct isx_store *s, const char *id, uint64_t *index, uint8_t hash[32])
{
    return index_query(s,
                       "SELECT o.seq, o.hash FROM heads h JOIN objects o ON o.seq = h.object_seq "
                       "WHERE h.id = ?1",
                       id, -1, index, hash);
}

int
isx_store_checkpoint_add(struct isx_store *s, uint64_t size, const char *note)
{
    char sizetext[24], now[ISX_TIME_LEN + 1];
    int rc;

    snprintf(sizetext, sizeof(sizetext), "%llu", (unsigned long long)size);
    isx_time_format(isx_time_now_ms(), now);
    const char *p[] = {sizetext, note, now};
    pthread_mutex_lock(&s->write_lock);
    rc =
        run(s->writer, "INSERT INTO checkpoints (size, note, issued_at) VALUES (?1, ?2, ?3)", 3, p);
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

static int
checkpoint_query(struct isx_store *s, const char *sql, uint64_t arg, char **note,
                 uint64_t *got_size)
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)arg);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *got_size = (uint64_t)sqlite3_column_int64(st, 0);
        *note = strdup((const char *)sqlite3_column_text(st, 1));
        rc = *note != NULL ? 0 : ISX_ENOMEM;
    } else {
        rc = rc == SQLITE_DONE ? ISX_ENOTFOUND : ISX_ESTORE;
    }
    sqlite3_finalize(st);
done:
    reader_put(s, slot);
    return rc;
}

int
isx_store_checkpoint_get(struct isx_store *s, uint64_t size, char **note, uint64_t *got_size)
{
    if (size == 0)
        return checkpoint_query(s,
                                "SELECT size, note FROM checkpoints WHERE ?1 = 0 "
                                "ORDER BY size DESC LIMIT 1",
                                0, note, got_size);
    return checkpoint_query(s, "SELECT size, note FROM checkpoints WHERE size = ?1", size, note,
                            got_size);
}

int
isx_store_checkpoint_covering(struct isx_store *s, uint64_t index, char **note, uint64_t *got_size)
{
    return checkpoint_query(s,
                            "SELECT size, note FROM checkpoints WHERE size > ?1 "
                            "ORDER BY size LIMIT 1",
                            index, note, got_size);
}

struct object_scan {
    isx_store_object_fn fn;
    void *ctx;
};

static int
object_scan_leaf(void *ctx, const struct isx_store_leaf *leaf)
{
    struct object_scan *os = ctx;

    return os->fn(os->ctx, leaf->seq, leaf->hash, leaf->canonical, leaf->len);
}

int
isx_store_objects_scan(struct isx_store *s, isx_store_object_fn fn, void *ctx)
{
    struct object_scan os = {fn, ctx};

    /* The whole log, from its first leaf (src/store/peers.c walks any range of it). */
    return isx_store_log_range(s, 0, (size_t)INT64_MAX, object_scan_leaf, &os);
}

int
isx_store_checkpoints_scan(struct isx_store *s, isx_store_checkpoint_fn fn, void *ctx)
{
    int slot, rc;
    sqlite3 *db = reader_get(s, &slot);
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(db, "SELECT size, note FROM checkpoints ORDER BY size", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = ISX_ESTORE;
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
                     (const char *)sqlite3_column_text(st, 1))) != 0)
            break;
    }
    if (rc == SQLITE_DONE)
        rc = 0;
    else if (rc > 0)
        rc = ISX_ESTORE;
    sqlite3_finalize(st);
done:
    reader_put(s, slot);
    return rc;
}

/* Shared with the other files of this backend (src/store/internal.h). */
sqlite3 *
isx__store_reader(struct isx_store *s, int *slot)
{
    return reader_get(s, slot);
}

void
isx__store_reader_put(struct isx_store *s, int slot)
{
    reader_put(s, slot);
}

sqlite3 *
isx__store_writer_lock(struct isx_store *s)
{
    pthread_mutex_lock(&s->write_lock);
    return s->writer;
}

void
isx__store_writer_unlock(struct isx_store *s)
{
    pthread_mutex_unlock(&s->write_lock);
}

int
isx__store_run(sqlite3 *db, const char *sql, int n, const char *const *params)
{
    return run(db, sql, n, params);
}

void
isx__store_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
    bind_text(st, idx, v);
}

json_t *
isx__store_view(sqlite3_stmt *st, int canonical_col, int opened_col)
{
    json_t *env = json_loadb(sqlite3_column_blob(st, canonical_col),
                             (size_t)sqlite3_column_bytes(st, canonical_col), 0, NULL);

    /* A sealed object this node opened is shown as the API shows it: with its body. */
    if (env != NULL && opened_col < sqlite3_column_count(st) &&
        sqlite3_column_type(st, opened_col) != SQLITE_NULL)
        json_object_set_new(env, "body",
                            json_loadb(sqlite3_column_blob(st, opened_col),
                                       (size_t)sqlite3_column_bytes(st, opened_col), 0, NULL));
    return env;
}
