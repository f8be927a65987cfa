/*
 * The transparency log through the isx command line: an inclusion proof and a consistency
 * proof fetched from a real isxd, written to files and then checked with the node stopped,
 * from those files alone; tampered copies and a wrong key that must fail with one line; and
 * `isx log audit` finding each kind of tampering made directly on a stopped node's database
 * with the sqlite3 tool, each on a fresh node of its own, and nothing on a clean one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "isx/hash.h"
#include "isx/node.h"
#include "isx/note.h"

#define SQLITE3 "/usr/bin/sqlite3"

static struct testnode node;

static int
setup(void **state)
{
    (void)state;
    if (node_create(&node, "CN") != 0 || node_start(&node) != 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    node_destroy(&node);
    return 0;
}

static size_t
lines(const struct isx_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

/*
 * Runs the CLI against node `n` (NULL: no node at all, nothing in the environment names one);
 * checks the exit status and, for failures, exactly one line on stderr.
 */
#define CLI(n, expect, out, err, ...)                                                              \
    do {                                                                                           \
        isx_buf_reset(out);                                                                        \
        isx_buf_reset(err);                                                                        \
        int rc_ = run_cli((n), NULL, out, err, __VA_ARGS__, NULL);                                 \
        if (rc_ != (expect))                                                                       \
            fprintf(stderr, "stdout: %s\nstderr: %s\n", (out)->data ? (out)->data : "",            \
                    (err)->data ? (err)->data : "");                                               \
        assert_int_equal(rc_, (expect));                                                           \
        if ((expect) != 0)                                                                         \
            assert_int_equal(lines(err), 1);                                                       \
    } while (0)

static json_t *
parse_out(const struct isx_buf *b)
{
    json_t *doc = json_loadb(b->data != NULL ? b->data : "", b->len, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static json_t *
load_file(const char *path)
{
    json_t *doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static void
save_file(const char *path, const json_t *doc)
{
    assert_int_equal(json_dump_file(doc, path, JSON_COMPACT), 0);
}

/* Changes one character of a base64 string held at `v`, keeping it valid base64. */
static void
flip_char(json_t *v)
{
    char *s = strdup(json_string_value(v));
    assert_non_null(s);
    s[0] = s[0] == 'A' ? 'B' : 'A';
    json_string_set(v, s);
    free(s);
}

/* Adds a point of contact through the CLI; returns its id. */
static char *
add_poc(struct testnode *n, const char *person)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *o;
    char *id;

    CLI(n, 0, &out, &err, "--json", "poc", "add", "--party", "CN", "--kind", "technical",
        "--person", person, "--organisation", "en:CNCERT (log test)", "--email",
        "log@cert.cn.example", "--language", "zh", "--tz", "Asia/Shanghai", "--always");
    o = parse_out(&out);
    id = strdup(json_string_value(json_object_get(o, "id")));
    assert_non_null(id);
    json_decref(o);
    isx_buf_free(&out);
    isx_buf_free(&err);
    return id;
}

/* The verifier key, as `isx log status --json` gives it. */
static char *
verifier_key(struct testnode *n)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *o;
    char *key;

    CLI(n, 0, &out, &err, "--json", "log", "status");
    o = parse_out(&out);
    key = strdup(json_string_value(json_object_get(o, "key")));
    assert_non_null(key);
    assert_non_null(strstr(key, "isx-cn+"));
    json_decref(o);
    isx_buf_free(&out);
    isx_buf_free(&err);
    return key;
}

/* Issues a checkpoint through the CLI; returns the size it covers. */
static long long
issue_checkpoint(struct testnode *n)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *o;
    long long size;

    CLI(n, 0, &out, &err, "--json", "log", "checkpoint", "--issue");
    o = parse_out(&out);
    size = (long long)json_integer_value(json_object_get(o, "size"));
    assert_true(size > 0);
    assert_non_null(strstr(json_string_value(json_object_get(o, "note")), "\n\n\xE2\x80\x94 "));
    json_decref(o);
    isx_buf_free(&out);
    isx_buf_free(&err);
    return size;
}

/* A verifier key of the same name over a key that never signed anything. */
static void
wrong_key(char out[512])
{
    struct isx_note_verifier v;
    struct isx_buf b = ISX_BUF_INIT;
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];

    assert_int_equal(isx_crypto_init(), 0);
    isx_random(pk, sizeof(pk));
    assert_int_equal(isx_note_verifier_init("isx-cn", ISX_NOTE_ED25519, pk, &v), 0);
    assert_int_equal(isx_note_vkey_format(&v, &b), 0);
    snprintf(out, 512, "%s", b.data);
    isx_buf_free(&b);
}

static void
test_inclusion_offline(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT, file = ISX_BUF_INIT;
    char proof[320], tampered[320], keyfile[320], cpfile[320], other[512];
    char *id, *key;
    json_t *doc, *res;

    (void)state;
    snprintf(proof, sizeof(proof), "%s/p.json", node.dir);
    snprintf(tampered, sizeof(tampered), "%s/p-tampered.json", node.dir);
    snprintf(keyfile, sizeof(keyfile), "%s/isx-cn.vkey", node.dir);
    snprintf(cpfile, sizeof(cpfile), "%s/checkpoint.txt", node.dir);

    id = add_poc(&node, "en:Wang Fang");
    issue_checkpoint(&node);
    key = verifier_key(&node);
    CLI(&node, 0, &out, &err, "log", "status", "--lang", "en");
    assert_non_null(strstr(out.data, key));
    CLI(&node, 0, &out, &err, "log", "checkpoint", "--out", cpfile);
    assert_int_equal(isx_file_read(cpfile, 4096, &file), 0);
    assert_non_null(strstr(file.data, "isx-cn\n"));
    /* A proof against a checkpoint that does not exist, and of something that is no object. */
    CLI(&node, 2, &out, &err, "log", "prove", id, "--size", "999999");
    CLI(&node, 2, &out, &err, "log", "prove", "not-an-object");
    CLI(&node, 0, &out, &err, "log", "prove", id, "--out", proof, "--lang", "en");
    assert_non_null(strstr(out.data, id));
    assert_int_equal(node_stop(&node), 0);

    /* From here on no node runs: the files and the key are all there is. */
    CLI(NULL, 0, &out, &err, "log", "verify", proof, "--key", key, "--lang", "en");
    assert_non_null(strstr(out.data, "Proved: object "));
    assert_non_null(strstr(out.data, id));
    assert_non_null(strstr(out.data, "of log isx-cn"));
    assert_non_null(strstr(out.data, "Not shown"));
    CLI(NULL, 0, &out, &err, "log", "verify", proof, "--key", key, "--lang", "zh");
    assert_non_null(strstr(out.data, "已证明"));
    CLI(NULL, 0, &out, &err, "log", "verify", proof, "--key", key, "--lang", "ru");
    assert_non_null(strstr(out.data, "Доказано"));
    CLI(NULL, 0, &out, &err, "--json", "log", "verify", proof, "--key", key);
    res = parse_out(&out);
    assert_true(json_is_true(json_object_get(res, "proved")));
    assert_true(json_is_true(json_object_get(res, "object_checked")));
    assert_string_equal(json_string_value(json_object_get(res, "id")), id);
    json_decref(res);
    FILE *f = fopen(keyfile, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", key);
    fclose(f);
    CLI(NULL, 0, &out, &err, "log", "verify", proof, "--key-file", keyfile);

    /* One character of the path changed. */
    doc = load_file(proof);
    assert_true(json_array_size(json_object_get(doc, "path")) > 0);
    flip_char(json_array_get(json_object_get(doc, "path"), 0));
    save_file(tampered, doc);
    json_decref(doc);
    CLI(NULL, 2, &out, &err, "log", "verify", tampered, "--key", key, "--lang", "en");
    assert_non_null(strstr(err.data, "path"));

    /* The object's body changed. */
    doc = load_file(proof);
    json_object_set_new(
        json_object_get(json_object_get(json_object_get(doc, "object"), "body"), "person"), "en",
        json_string("Mallory"));
    save_file(tampered, doc);
    json_decref(doc);
    CLI(NULL, 2, &out, &err, "log", "verify", tampered, "--key", key, "--lang", "en");
    assert_non_null(strstr(err.data, "object"));

    /* Another entry claimed for the same object. */
    doc = load_file(proof);
    json_object_set_new(doc, "index",
                        json_integer(json_integer_value(json_object_get(doc, "index")) ^ 1));
    save_file(tampered, doc);
    json_decref(doc);
    CLI(NULL, 2, &out, &err, "log", "verify", tampered, "--key", key);

    /* A key that did not sign the checkpoint, and things that are not keys. */
    wrong_key(other);
    CLI(NULL, 2, &out, &err, "log", "verify", proof, "--key", other, "--lang", "en");
    assert_non_null(strstr(err.data, "checkpoint"));
    CLI(NULL, 2, &out, &err, "log", "verify", proof, "--key", "isx-cn+00000000+AAAA");
    CLI(NULL, 2, &out, &err, "log", "verify", proof);
    CLI(NULL, 2, &out, &err, "log", "verify", proof, "--key", key, "--key-file", keyfile);
    CLI(NULL, 2, &out, &err, "log", "verify", keyfile, "--key", key);

    assert_int_equal(node_start(&node), 0);
    free(id);
    free(key);
    isx_buf_free(&file);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_consistency_offline(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char proof[320], tampered[320], from[24], to[24], *id, *key, *note, *p;
    long long a, b;
    json_t *doc, *res;

    (void)state;
    snprintf(proof, sizeof(proof), "%s/c.json", node.dir);
    snprintf(tampered, sizeof(tampered), "%s/c-tampered.json", node.dir);
    a = issue_checkpoint(&node);
    id = add_poc(&node, "en:Chen Jie");
    b = issue_checkpoint(&node);
    assert_int_equal(b, a + 1);
    snprintf(from, sizeof(from), "%lld", a);
    snprintf(to, sizeof(to), "%lld", b);
    key = verifier_key(&node);
    CLI(&node, 2, &out, &err, "log", "consistency", to, from);
    CLI(&node, 2, &out, &err, "log", "consistency", "ten");
    CLI(&node, 0, &out, &err, "log", "consistency", from, to, "--out", proof);
    assert_int_equal(node_stop(&node), 0);

    CLI(NULL, 0, &out, &err, "log", "verify", proof, "--key", key, "--lang", "en");
    assert_non_null(strstr(out.data, "Proved: the log isx-cn of "));
    assert_non_null(strstr(out.data, "without rewriting it"));
    CLI(NULL, 0, &out, &err, "--json", "log", "verify", proof, "--key", key);
    res = parse_out(&out);
    assert_string_equal(json_string_value(json_object_get(res, "kind")), "consistency");
    assert_int_equal(json_integer_value(json_object_get(res, "old_size")), a);
    assert_int_equal(json_integer_value(json_object_get(res, "new_size")), b);
    json_decref(res);

    /* One character of the path changed. */
    doc = load_file(proof);
    assert_true(json_array_size(json_object_get(doc, "path")) > 0);
    flip_char(json_array_get(json_object_get(doc, "path"), 0));
    save_file(tampered, doc);
    json_decref(doc);
    CLI(NULL, 2, &out, &err, "log", "verify", tampered, "--key", key, "--lang", "en");
    assert_non_null(strstr(err.data, "path"));

    /* The newer checkpoint's size changed: its signature no longer holds. */
    doc = load_file(proof);
    note = strdup(json_string_value(json_object_get(doc, "new")));
    assert_non_null(note);
    p = strchr(note, '\n');
    assert_non_null(p);
    p[1] = p[1] == '9' ? '8' : (char)(p[1] + 1);
    json_object_set_new(doc, "new", json_string(note));
    free(note);
    save_file(tampered, doc);
    json_decref(doc);
    CLI(NULL, 2, &out, &err, "log", "verify", tampered, "--key", key, "--lang", "en");
    assert_non_null(strstr(err.data, "new"));

    assert_int_equal(node_start(&node), 0);
    free(id);
    free(key);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* ---- audit ---------------------------------------------------------------------------- */

static struct testnode audited;

static int
audit_teardown(void **state)
{
    (void)state;
    node_destroy(&audited);
    return 0;
}

/* A fresh node that has run once (so it issued a checkpoint) and is stopped again. */
static void
fresh_node(char db[320], char dir[320])
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;

    if (access(SQLITE3, X_OK) != 0)
        skip();
    node_destroy(&audited);
    assert_int_equal(node_create(&audited, "CN"), 0);
    assert_int_equal(node_start(&audited), 0);
    issue_checkpoint(&audited);
    assert_int_equal(node_stop(&audited), 0);
    snprintf(dir, 320, "%s/node", audited.dir);
    snprintf(db, 320, "%s/node/isx.db", audited.dir);
    CLI(NULL, 0, &out, &err, "log", "audit", "--dir", dir);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
sql(const char *db, const char *statements)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    int rc = run_prog(SQLITE3, &out, &err, db, statements, NULL);

    if (rc != 0)
        fprintf(stderr, "sqlite3: %s\n", err.data != NULL ? err.data : "");
    assert_int_equal(rc, 0);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

/* Audits the node: exit status 2, and a finding of `kind` in both forms of the output. */
static void
expect_finding(const char *dir, const char *kind)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *report, *f;
    size_t i;
    int found = 0;

    CLI(NULL, 2, &out, &err, "log", "audit", "--dir", dir, "--lang", "en");
    assert_non_null(strstr(out.data, kind));
    CLI(NULL, 2, &out, &err, "--json", "log", "audit", "--dir", dir);
    report = parse_out(&out);
    assert_false(json_is_true(json_object_get(report, "ok")));
    assert_true(json_integer_value(json_object_get(report, "checkpoints")) > 0);
    json_array_foreach(json_object_get(report, "findings"), i, f)
    {
        found |= strcmp(json_string_value(json_object_get(f, "kind")), kind) == 0;
    }
    if (!found)
        fprintf(stderr, "%s\n", out.data);
    assert_true(found);
    json_decref(report);
    CLI(NULL, 2, &out, &err, "log", "audit", "--dir", dir, "--lang", "zh");
    CLI(NULL, 2, &out, &err, "log", "audit", "--dir", dir, "--lang", "ru");
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_audit_clean(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char db[320], dir[320];
    json_t *report;

    (void)state;
    fresh_node(db, dir);
    CLI(NULL, 0, &out, &err, "--json", "log", "audit", "--dir", dir);
    report = parse_out(&out);
    assert_true(json_is_true(json_object_get(report, "ok")));
    assert_int_equal(json_array_size(json_object_get(report, "findings")), 0);
    assert_int_equal(json_integer_value(json_object_get(report, "objects")),
                     json_integer_value(json_object_get(report, "leaves")));
    json_decref(report);
    CLI(NULL, 0, &out, &err, "log", "audit", "--dir", dir, "--lang", "en");
    assert_non_null(strstr(out.data, "matches"));
    /* A directory that holds no node. */
    CLI(NULL, 2, &out, &err, "log", "audit", "--dir", audited.dir);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_audit_changed(void **state)
{
    char db[320], dir[320];

    (void)state;
    fresh_node(db, dir);
    sql(db, "UPDATE objects SET canonical = replace(canonical, 'Li Na', 'Li Xa') "
            "WHERE instr(canonical, 'Li Na') > 0;");
    expect_finding(dir, "changed");
}

/* The content and its hash column rewritten together, so each row agrees with itself. */
static void
test_audit_changed_with_hash(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char db[320], dir[320], hashhex[65], *canon, *p, *stmt;
    uint8_t hash[32];
    size_t len;

    (void)state;
    fresh_node(db, dir);
    assert_int_equal(run_prog(SQLITE3, &out, &err, db,
                              "SELECT hex(canonical) FROM objects "
                              "WHERE instr(canonical, 'Li Na') > 0;",
                              NULL),
                     0);
    len = strcspn(out.data, "\n") / 2;
    assert_true(len > 0);
    canon = malloc(len + 1);
    assert_non_null(canon);
    assert_int_equal(isx_hex_decode(out.data, 2 * len, (uint8_t *)canon, len), 0);
    canon[len] = '\0';
    p = strstr(canon, "Li Na");
    assert_non_null(p);
    p[3] = 'X';
    isx_sha256(canon, len, hash);
    isx_hex_encode(hash, 32, hashhex);
    stmt = malloc(4 * len + 256);
    assert_non_null(stmt);
    p = stmt + sprintf(stmt, "UPDATE objects SET canonical = X'");
    isx_hex_encode((const uint8_t *)canon, len, p);
    sprintf(p + 2 * len, "', hash = X'%s' WHERE instr(canonical, 'Li Na') > 0;", hashhex);
    sql(db, stmt);
    expect_finding(dir, "changed");
    free(stmt);
    free(canon);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_audit_removed(void **state)
{
    char db[320], dir[320];

    (void)state;
    fresh_node(db, dir);
    sql(db, "PRAGMA foreign_keys=OFF;"
            "CREATE TEMP TABLE gone AS SELECT max(seq) AS seq FROM objects;"
            "DELETE FROM changes WHERE object_seq IN (SELECT seq FROM gone);"
            "DELETE FROM heads WHERE object_seq IN (SELECT seq FROM gone);"
            "DELETE FROM directory WHERE object_seq IN (SELECT seq FROM gone);"
            "DELETE FROM reports WHERE object_seq IN (SELECT seq FROM gone);"
            "DELETE FROM objects WHERE seq IN (SELECT seq FROM gone);");
    expect_finding(dir, "removed");
}

static void
test_audit_reordered(void **state)
{
    char db[320], dir[320];

    (void)state;
    fresh_node(db, dir);
    sql(db, "PRAGMA foreign_keys=OFF;"
            "UPDATE objects SET seq = -1 WHERE seq = 2;"
            "UPDATE objects SET seq = 2 WHERE seq = 3;"
            "UPDATE objects SET seq = 3 WHERE seq = -1;");
    expect_finding(dir, "reordered");
}

static void
test_audit_checkpoint(void **state)
{
    char db[320], dir[320];

    (void)state;
    fresh_node(db, dir);
    /* The size line of every checkpoint says one entry fewer than was signed. */
    sql(db, "UPDATE checkpoints SET note = replace(note, char(10) || size || char(10), "
            "char(10) || (size - 1) || char(10));");
    expect_finding(dir, "checkpoint");
}

static void
test_help(void **state)
{
    static const char *const verbs[] = {"status",      "checkpoint", "prove",
                                        "consistency", "verify",     "audit"};
    static const char *const langs[] = {"zh", "ru", "en"};
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        for (size_t j = 0; j < 3; j++) {
            CLI(NULL, 0, &out, &err, "log", verbs[i], "--help", "--lang", langs[j]);
            assert_non_null(strstr(out.data, verbs[i]));
            assert_null(strstr(out.data, "cli.help"));
        }
    }
    CLI(NULL, 0, &out, &err, "log", "--help", "--lang", "ru");
    assert_non_null(strstr(out.data, "журнал прозрачности"));
    CLI(NULL, 2, &out, &err, "log");
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inclusion_offline),
        cmocka_unit_test(test_consistency_offline),
        cmocka_unit_test_teardown(test_audit_clean, audit_teardown),
        cmocka_unit_test_teardown(test_audit_changed, audit_teardown),
        cmocka_unit_test_teardown(test_audit_changed_with_hash, audit_teardown),
        cmocka_unit_test_teardown(test_audit_removed, audit_teardown),
        cmocka_unit_test_teardown(test_audit_reordered, audit_teardown),
        cmocka_unit_test_teardown(test_audit_checkpoint, audit_teardown),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
