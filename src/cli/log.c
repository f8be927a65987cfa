/*
 * The transparency log: `isx log status|checkpoint|prove|consistency|verify|audit`.
 *
 * Invariants: status, checkpoint, prove and consistency ask the node; proof documents and
 * checkpoints are written to files exactly as the node sent them, so what is checked later
 * is what the node said. `verify` never contacts a server: it reads a proof document and a
 * verifier key and checks them with the library's isx_log_verify_doc, then says what was
 * proved and, on one line, what a proof cannot show. `audit` opens the node directory on the
 * node's own machine (as `isx reindex` does) and never a server. Failures are one line on
 * stderr; a proof that does not hold and an audit that finds something exit with status 2.
 * The audit's own details are English; people get the catalogue's words, programs (--json)
 * get both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/hash.h"
#include "isx/http.h"
#include "isx/log.h"
#include "isx/merkle.h"
#include "isx/node.h"
#include "isx/note.h"
#include "isx/object.h"

#define TIMEOUT_MS 30000L
#define KEY_MAX    4096

/* ---- helpers ------------------------------------------------------------------------- */

/* A size of the log: decimal digits only, below the largest tree. */
static int
parse_size(const char *s, uint64_t *out)
{
    unsigned long long n;
    char *end;

    if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 19)
        return ISX_EINVAL;
    n = strtoull(s, &end, 10);
    if (*end != '\0' || n >= ISX_MERKLE_MAX_SIZE)
        return ISX_EINVAL;
    *out = n;
    return 0;
}

/* --size N, checked; NULL when absent. */
static int
size_option(struct isx__cli *c, const struct isx__cli_args *a, const char **out)
{
    uint64_t n;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_SIZE, out)) != 0)
        return rc;
    if (*out != NULL && parse_size(*out, &n) != 0)
        return isx__cli_bad(c, CLI_OPT_SIZE, "cli.err.log_size", *out);
    return 0;
}

/* The checkpoint carried by a signed note: its text ends at the first blank line. */
static int
note_checkpoint(const char *note, struct isx_checkpoint *cp)
{
    const char *sep = note != NULL ? strstr(note, "\n\n") : NULL;

    if (sep == NULL)
        return ISX_EINVAL;
    return isx_checkpoint_parse(note, (size_t)(sep - note) + 1, cp);
}

/* 1 when the text is printable as it is: no control characters but the newline. */
static int
plain_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
            return 0;
    }
    return 1;
}

static void
root_b64(const uint8_t root[32], char out[45])
{
    isx_base64_encode(root, 32, out);
}

/* Writes `len` bytes, and a final newline when they lack one, to `path`. */
static int
write_file(struct isx__cli *c, const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;

    if (f == NULL)
        return isx__cli_fail(c, ISX_EIO, "--out", "cli.err.write", path, 1);
    ok = fwrite(data, 1, len, f) == len;
    if (ok && (len == 0 || data[len - 1] != '\n'))
        ok = fputc('\n', f) != EOF;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok)
        return isx__cli_fail(c, ISX_EIO, "--out", "cli.err.write", path, 1);
    return 0;
}

/* Prints a JSON value for programs, indented, with a newline. */
static int
print_json(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2));

    if (text == NULL)
        return ISX_ENOMEM;
    printf("%s\n", text);
    free(text);
    return 0;
}

/*
 * A request whose answer is text (a signed checkpoint travels as text/plain, the exact bytes
 * that were signed, which isx__cli_api would try to read as JSON). Failures are reported as
 * isx__cli_api reports them.
 */
static int
fetch_text(struct isx__cli *c, const char *method, const char *path, struct isx_buf *out)
{
    struct isx_http_response resp;
    struct isx_buf url = ISX_BUF_INIT;
    int rc;

    memset(&resp, 0, sizeof(resp));
    if ((rc = isx__cli_connect(c, 1)) != 0)
        return rc;
    if ((rc = isx_buf_printf(&url, "%s%s", c->url, path)) != 0)
        goto cleanup;
    rc = isx_http_request(method, url.data, c->have_token ? c->token : NULL, c->lang, NULL, 0,
                          TIMEOUT_MS, &resp);
    if (rc == ISX_ENET) {
        rc = isx__cli_fail(c, rc, NULL, "cli.err.net", c->url, 1);
        goto cleanup;
    }
    if (rc != 0) {
        rc = isx__cli_fail(c, rc, NULL, NULL, NULL, 1);
        goto cleanup;
    }
    if (resp.status < 200 || resp.status > 299) {
        rc = isx__cli_problem(c, resp.status, resp.body.data, resp.body.len);
        goto cleanup;
    }
    if ((rc = isx_buf_puts(&resp.body, "")) != 0)
        goto cleanup;
    *out = resp.body;
    resp.body = (struct isx_buf)ISX_BUF_INIT;
cleanup:
    isx_buf_free(&url);
    isx_buf_free(&resp.body);
    return rc;
}

/* ---- isx log status ------------------------------------------------------------------- */

int
isx__cli_log_status(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT, entries = ISX_BUF_INIT, cp = ISX_BUF_INIT,
                   key = ISX_BUF_INIT;
    struct isx__cli_table t;
    const char *vkey;
    json_t *doc = NULL;
    char num[24];
    int rc;

    (void)a;
    if ((rc = isx__cli_api(c, "GET", "/api/v1/log", NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(doc, "size")));
    isx_buf_puts(&entries, num);
    if (json_is_string(json_object_get(doc, "checkpoint"))) {
        snprintf(num, sizeof(num), "%lld",
                 (long long)json_integer_value(json_object_get(doc, "checkpoint_size")));
        isx__cli_fmt(c->lang, "cli.log.entries", &cp, num, (const char *)NULL);
    } else {
        isx__cli_fmt(c->lang, "cli.log.no_checkpoint", &cp, (const char *)NULL);
    }
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    isx__cli_kv(c, &t, "cli.field.log", json_string_value(json_object_get(doc, "origin")));
    isx__cli_kv(c, &t, "cli.field.log_size", entries.data);
    isx__cli_kv(c, &t, "cli.field.checkpoint", cp.data);
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    /* The key goes on a line of its own, never cut to the terminal's width: people copy it. */
    vkey = json_string_value(json_object_get(doc, "key"));
    if ((rc = isx__cli_clean(vkey != NULL ? vkey : "", &key)) != 0)
        goto cleanup;
    isx__cli_say(c, "cli.log.status.key", (const char *)NULL);
    printf("%s\n", key.data);
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    isx_buf_free(&entries);
    isx_buf_free(&cp);
    isx_buf_free(&key);
    return rc;
}

/* ---- isx log checkpoint --------------------------------------------------------------- */

int
isx__cli_log_checkpoint(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, note = ISX_BUF_INIT;
    struct isx_checkpoint cp;
    const char *size = NULL, *out = NULL;
    char num[24], root[45];
    int issue = isx__cli_has(a, CLI_OPT_ISSUE), rc;

    if ((rc = size_option(c, a, &size)) != 0 || (rc = isx__cli_one(c, a, CLI_OPT_OUT, &out)) != 0)
        return rc;
    if (issue && size != NULL)
        return isx__cli_usage(c, "cli.err.issue_size", NULL);
    if ((rc = isx_buf_puts(&path, "/api/v1/log/checkpoint")) != 0 ||
        (size != NULL && (rc = isx__cli_query(&path, "size", size)) != 0))
        goto cleanup;
    if ((rc = fetch_text(c, issue ? "POST" : "GET", path.data, &note)) != 0)
        goto cleanup;
    if (!plain_text(note.data, note.len) || note_checkpoint(note.data, &cp) != 0) {
        rc = isx__cli_fail(c, ISX_EPARSE, NULL, "cli.err.bad_note", c->url, 1);
        goto cleanup;
    }
    snprintf(num, sizeof(num), "%llu", (unsigned long long)cp.size);
    root_b64(cp.root, root);
    if (out != NULL && (rc = write_file(c, out, note.data, note.len)) != 0)
        goto cleanup;
    if (c->json) {
        json_t *doc = json_pack("{s:s, s:I, s:s, s:s*, s:s*}", "origin", cp.origin, "size",
                                (json_int_t)cp.size, "root", root, "note",
                                out == NULL ? note.data : NULL, "file", out);
        rc = doc != NULL ? print_json(doc) : ISX_ENOMEM;
        json_decref(doc);
    } else if (out != NULL) {
        isx__cli_say(c, "cli.log.checkpoint.written", num, cp.origin, out, (const char *)NULL);
    } else {
        fwrite(note.data, 1, note.len, stdout);
    }
cleanup:
    isx_buf_free(&path);
    isx_buf_free(&note);
    return rc;
}

/* ---- isx log prove / consistency ------------------------------------------------------- */

/* Prints a proof document, or writes it to `out` and tells (say_key, args) what is where. */
static int
emit_proof(struct isx__cli *c, const char *out, const struct isx_buf *raw, json_t *summary,
           const char *say_key, const char *const *args)
{
    int rc;

    if (out == NULL) {
        isx__cli_print_raw(raw);
        return 0;
    }
    if ((rc = write_file(c, out, raw->data, raw->len)) != 0)
        return rc;
    if (c->json) {
        json_object_set_new(summary, "file", json_string(out));
        return print_json(summary);
    }
    isx__cli_say(c, say_key, args[0], args[1], args[2], args[3], args[4], (const char *)NULL);
    isx__cli_note(c, "cli.log.verify_hint", out, (const char *)NULL);
    return 0;
}

int
isx__cli_log_prove(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT, what = ISX_BUF_INIT;
    const char *ref = a->pos[0], *size = NULL, *out = NULL, *id, *args[5];
    uint8_t hash[32];
    char index[24], entries[24];
    json_t *doc = NULL, *summary = NULL;
    int rc;

    if ((rc = size_option(c, a, &size)) != 0 || (rc = isx__cli_one(c, a, CLI_OPT_OUT, &out)) != 0)
        return rc;
    if (!isx_object_id_valid(ref, NULL) &&
        (strlen(ref) != 64 || isx_hex_decode(ref, 64, hash, sizeof(hash)) != 0))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.log_ref", ref, 2);
    if ((rc = isx_buf_puts(&path, "/api/v1/log/inclusion")) != 0 ||
        (rc = isx__cli_query(&path, "object", ref)) != 0 ||
        (rc = isx__cli_query(&path, "with_object", "true")) != 0 ||
        (size != NULL && (rc = isx__cli_query(&path, "size", size)) != 0))
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    id = json_string_value(json_object_get(json_object_get(doc, "object"), "id"));
    if ((rc = isx__cli_clean(id != NULL ? id : ref, &what)) != 0)
        goto cleanup;
    snprintf(index, sizeof(index), "%lld",
             (long long)json_integer_value(json_object_get(doc, "index")));
    snprintf(entries, sizeof(entries), "%lld",
             (long long)json_integer_value(json_object_get(doc, "size")));
    summary =
        json_pack("{s:s, s:O?, s:O?, s:O?, s:O?}", "kind", "inclusion", "origin",
                  json_object_get(doc, "origin"), "index", json_object_get(doc, "index"), "size",
                  json_object_get(doc, "size"), "object_hash", json_object_get(doc, "object_hash"));
    if (summary == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    args[0] = what.data;
    args[1] = index;
    args[2] = json_string_value(json_object_get(doc, "origin"));
    if (args[2] == NULL)
        args[2] = "";
    args[3] = entries;
    args[4] = out;
    rc = emit_proof(c, out, &raw, summary, "cli.log.prove.written", args);
cleanup:
    json_decref(doc);
    json_decref(summary);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    isx_buf_free(&what);
    return rc;
}

int
isx__cli_log_consistency(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx_checkpoint old_cp, new_cp;
    const char *out = NULL, *args[5];
    char old_n[24], new_n[24];
    json_t *doc = NULL, *summary = NULL;
    uint64_t n;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_OUT, &out)) != 0)
        return rc;
    for (size_t i = 0; i < a->npos; i++) {
        if (parse_size(a->pos[i], &n) != 0)
            return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.log_size", a->pos[i], 2);
    }
    if ((rc = isx_buf_puts(&path, "/api/v1/log/consistency")) != 0 ||
        (rc = isx__cli_query(&path, "from", a->pos[0])) != 0 ||
        (a->npos > 1 && (rc = isx__cli_query(&path, "to", a->pos[1])) != 0))
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (note_checkpoint(json_string_value(json_object_get(doc, "old")), &old_cp) != 0 ||
        note_checkpoint(json_string_value(json_object_get(doc, "new")), &new_cp) != 0) {
        rc = isx__cli_fail(c, ISX_EPARSE, NULL, "cli.err.bad_note", c->url, 1);
        goto cleanup;
    }
    snprintf(old_n, sizeof(old_n), "%llu", (unsigned long long)old_cp.size);
    snprintf(new_n, sizeof(new_n), "%llu", (unsigned long long)new_cp.size);
    summary = json_pack("{s:s, s:s, s:I, s:I}", "kind", "consistency", "origin", old_cp.origin,
                        "old_size", (json_int_t)old_cp.size, "new_size", (json_int_t)new_cp.size);
    if (summary == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    args[0] = new_cp.origin;
    args[1] = new_n;
    args[2] = old_n;
    args[3] = out;
    args[4] = NULL;
    rc = emit_proof(c, out, &raw, summary, "cli.log.consistency.written", args);
cleanup:
    json_decref(doc);
    json_decref(summary);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* ---- isx log verify -------------------------------------------------------------------- */

/* The verifier key from --key, or the first line of --key-file, parsed. */
static int
read_key(struct isx__cli *c, const struct isx__cli_args *a, struct isx_note_verifier *out)
{
    struct isx_buf text = ISX_BUF_INIT;
    const char *key = NULL, *file = NULL, *s;
    size_t len;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_KEY, &key)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_KEY_FILE, &file)) != 0)
        return rc;
    if ((key == NULL) == (file == NULL))
        return isx__cli_usage(c, "cli.err.key_choice", NULL);
    if (key != NULL) {
        if (isx_note_vkey_parse(key, strlen(key), out) != 0)
            return isx__cli_bad(c, CLI_OPT_KEY, "cli.err.vkey", key);
        return 0;
    }
    if ((rc = isx__cli_read_input(c, file, KEY_MAX, &text)) != 0)
        return rc;
    /* Blank space around the key, as editors and copies leave it, is not part of it. */
    for (s = text.data; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
        ;
    for (len = strcspn(s, "\r\n"); len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'); len--)
        ;
    if (isx_note_vkey_parse(s, len, out) != 0)
        rc = isx__cli_bad(c, CLI_OPT_KEY_FILE, "cli.err.vkey_file", file);
    isx_buf_free(&text);
    return rc;
}

static int
say_proved(struct isx__cli *c, const json_t *doc, const json_t *res, const char *signer)
{
    const char *kind = json_string_value(json_object_get(res, "kind"));
    const char *origin = json_string_value(json_object_get(res, "origin"));
    const char *id = json_string_value(json_object_get(json_object_get(doc, "object"), "id"));
    const char *hash, *root;
    struct isx_buf clean = ISX_BUF_INIT;
    char n1[24], n2[24];
    int rc = 0;

    if (kind != NULL && strcmp(kind, "inclusion") == 0) {
        hash = json_string_value(json_object_get(res, "object_hash"));
        root = json_string_value(json_object_get(res, "root"));
        snprintf(n1, sizeof(n1), "%lld",
                 (long long)json_integer_value(json_object_get(res, "index")));
        snprintf(n2, sizeof(n2), "%lld",
                 (long long)json_integer_value(json_object_get(res, "size")));
        if (json_is_true(json_object_get(res, "object_checked")) && id != NULL &&
            (rc = isx__cli_clean(id, &clean)) == 0)
            isx__cli_say(c, "cli.log.proved.inclusion", hash, clean.data, n1, origin, n2, root,
                         signer, (const char *)NULL);
        else if (rc == 0)
            isx__cli_say(c, "cli.log.proved.inclusion_hash", hash, n1, origin, n2, root, signer,
                         (const char *)NULL);
    } else {
        snprintf(n1, sizeof(n1), "%lld",
                 (long long)json_integer_value(json_object_get(res, "new_size")));
        snprintf(n2, sizeof(n2), "%lld",
                 (long long)json_integer_value(json_object_get(res, "old_size")));
        isx__cli_say(c, "cli.log.proved.consistency", origin, n1, n2,
                     json_string_value(json_object_get(res, "old_root")),
                     json_string_value(json_object_get(res, "new_root")), signer,
                     (const char *)NULL);
    }
    if (rc == 0)
        isx__cli_say(c, "cli.log.not_shown", signer, (const char *)NULL);
    isx_buf_free(&clean);
    return rc;
}

int
isx__cli_log_verify(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_note_verifier key;
    struct isx_diag d = {0};
    json_t *doc = NULL, *res = NULL;
    char signer[ISX_NOTE_NAME_MAX + 16];
    int rc;

    if ((rc = isx_crypto_init()) != 0)
        return isx__cli_fail(c, rc, NULL, NULL, NULL, 1);
    if ((rc = read_key(c, a, &key)) != 0)
        return rc;
    snprintf(signer, sizeof(signer), "%s+%08x", key.name, (unsigned)key.id);
    if ((rc = isx__cli_read_json(c, a->pos[0], &doc)) != 0)
        return rc;
    if ((rc = isx_log_verify_doc(doc, &key, &res, &d)) != 0) {
        /* What does not hold is about the document or the key the user gave. */
        isx__cli_fail_diag(c, rc, &d);
        c->exit_code = rc == ISX_ENOMEM ? 1 : 2;
        goto cleanup;
    }
    if (c->json) {
        const char *id = json_string_value(json_object_get(json_object_get(doc, "object"), "id"));
        json_object_set_new(res, "signed_by", json_string(signer));
        if (id != NULL && json_is_true(json_object_get(res, "object_checked")))
            json_object_set_new(res, "id", json_string(id));
        rc = print_json(res);
    } else {
        rc = say_proved(c, doc, res, signer);
    }
cleanup:
    json_decref(doc);
    json_decref(res);
    return rc;
}

/* ---- isx log audit --------------------------------------------------------------------- */

/* The node directory: --dir, else $ISX_DIR, else var/node (as the other local verbs). */
static int
node_dir(struct isx__cli *c, const struct isx__cli_args *a, const char **out)
{
    const char *dir = NULL, *env = getenv("ISX_DIR");
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_DIR, &dir)) != 0)
        return rc;
    if (dir == NULL)
        dir = env != NULL && env[0] != '\0' ? env : "var/node";
    if (dir[0] == '\0')
        return isx__cli_bad(c, CLI_OPT_DIR, "cli.err.empty", NULL);
    *out = dir;
    return 0;
}

static int
count_checkpoint(void *ctx, uint64_t size, const char *note)
{
    (void)size;
    (void)note;
    ++*(uint64_t *)ctx;
    return 0;
}

/*
 * Why a checkpoint does not match, found again as the audit found it: a signature that does
 * not verify with this node's key, a size beyond the objects that remain, or another root.
 */
static void
say_checkpoint(struct isx__cli *c, struct isx_node *n, uint64_t size, uint64_t objects)
{
    struct isx_note_verifier key;
    struct isx_note_result res;
    struct isx_checkpoint cp;
    char *note = NULL, s1[24], s2[24], s3[24];
    uint64_t got;

    snprintf(s1, sizeof(s1), "%llu", (unsigned long long)size);
    snprintf(s3, sizeof(s3), "%llu", (unsigned long long)objects);
    if (isx_store_checkpoint_get(n->store, size, &note, &got) != 0 ||
        isx_note_verifier_init(n->cfg.name, ISX_NOTE_ED25519, n->sign_pk, &key) != 0 ||
        isx_checkpoint_open(note, strlen(note), &key, 1, &cp, &res) != 0) {
        isx__cli_say(c, "cli.log.finding.checkpoint_sig", s1, (const char *)NULL);
    } else if (cp.size != size || size > objects) {
        snprintf(s2, sizeof(s2), "%llu", (unsigned long long)cp.size);
        isx__cli_say(c, "cli.log.finding.checkpoint_size", s1, s2, s3, (const char *)NULL);
    } else {
        isx__cli_say(c, "cli.log.finding.checkpoint_root", s1, (const char *)NULL);
    }
    free(note);
}

static void
say_finding(struct isx__cli *c, struct isx_node *n, const json_t *f, uint64_t objects)
{
    const char *kind = json_string_value(json_object_get(f, "kind"));
    const char *detail = json_string_value(json_object_get(f, "detail"));
    const json_t *where = json_object_get(f, "index");
    char at[24], from[24], key[64];
    long long logged;

    if (where == NULL)
        where = json_object_get(f, "size");
    snprintf(at, sizeof(at), "%lld", (long long)json_integer_value(where));
    if (kind == NULL)
        kind = "";
    if (strcmp(kind, "checkpoint") == 0) {
        say_checkpoint(c, n, (uint64_t)json_integer_value(where), objects);
    } else if (strcmp(kind, "reordered") == 0 && detail != NULL &&
               sscanf(detail, "logged at position %lld", &logged) == 1) {
        snprintf(from, sizeof(from), "%lld", logged);
        isx__cli_say(c, "cli.log.finding.reordered", at, from, (const char *)NULL);
    } else if (strcmp(kind, "changed") == 0 || strcmp(kind, "removed") == 0 ||
               strcmp(kind, "reordered") == 0 || strcmp(kind, "extra") == 0) {
        snprintf(key, sizeof(key), "cli.log.finding.%s%s", kind,
                 strcmp(kind, "reordered") == 0 ? "_elsewhere" : "");
        isx__cli_say(c, key, at, (const char *)NULL);
    } else {
        isx__cli_say(c, "cli.log.finding.other", kind, at, detail != NULL ? detail : "",
                     (const char *)NULL);
    }
}

int
isx__cli_log_audit(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_diag d = {0};
    struct isx_node *n = NULL;
    const char *dir = NULL;
    json_t *report = NULL, *f;
    uint64_t checkpoints = 0, objects;
    char s1[24], s2[24], s3[24];
    size_t i, nfind;
    int rc;

    if ((rc = node_dir(c, a, &dir)) != 0)
        return rc;
    if ((rc = isx_node_open(dir, 0, &n, &d)) != 0) {
        /* As with the other local verbs: a directory that is not a node is the operator's. */
        isx__cli_fail_diag(c, rc, &d);
        if (rc == ISX_ECONFIG || rc == ISX_EPERM || rc == ISX_EINVAL || rc == ISX_ENOTFOUND ||
            rc == ISX_EEXISTS)
            c->exit_code = 2;
        return rc;
    }
    if ((rc = isx_log_audit(n, &report)) != 0 ||
        (rc = isx_store_checkpoints_scan(n->store, count_checkpoint, &checkpoints)) != 0) {
        rc = isx__cli_fail(c, rc, NULL, "cli.err.audit", dir, 1);
        goto cleanup;
    }
    if (json_object_get(report, "checkpoints") == NULL)
        json_object_set_new(report, "checkpoints", json_integer((json_int_t)checkpoints));
    objects = (uint64_t)json_integer_value(json_object_get(report, "objects"));
    nfind = json_array_size(json_object_get(report, "findings"));
    if (c->json) {
        if ((rc = print_json(report)) != 0)
            goto cleanup;
    } else {
        snprintf(s1, sizeof(s1), "%llu", (unsigned long long)objects);
        snprintf(s2, sizeof(s2), "%lld",
                 (long long)json_integer_value(json_object_get(report, "leaves")));
        snprintf(s3, sizeof(s3), "%lld",
                 (long long)json_integer_value(json_object_get(report, "checkpoints")));
        isx__cli_say(c, "cli.log.audit.checked", s1, s2, s3, (const char *)NULL);
        if (nfind == 0)
            isx__cli_say(c, "cli.log.audit.clean", (const char *)NULL);
        json_array_foreach(json_object_get(report, "findings"), i, f)
        {
            say_finding(c, n, f, objects);
        }
    }
    if (nfind > 0) {
        snprintf(s1, sizeof(s1), "%zu", nfind);
        rc = isx__cli_fail(c, ISX_ESTORE, dir, "cli.err.audit_findings", s1, 2);
    }
cleanup:
    json_decref(report);
    isx_node_free(n);
    return rc;
}
