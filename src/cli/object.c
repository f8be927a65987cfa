/*
 * Signed objects: `isx object show|versions|verify|import`.
 *
 * Invariants: an envelope read from a file is checked to be JSON here (so a bad file is the
 * user's error, named by its line and column) and then sent byte for byte as it was read, so
 * what the node verifies is exactly what the user holds. Offline verification (--key with
 * --key-id) uses the same parser and verifier as the node, with the given key as the only
 * key known, and never contacts a server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/directory.h"
#include "isx/hash.h"
#include "isx/jcs.h"
#include "isx/object.h"

#define ENVELOPE_MAX ((size_t)16 << 20)

/* Reads an envelope and checks that it is JSON, keeping the bytes for sending. */
static int
read_envelope(struct isx__cli *c, const char *path, struct isx_buf *out)
{
    struct isx_buf text = ISX_BUF_INIT;
    struct isx_diag d = {0};
    json_t *doc = NULL;
    int rc;

    if ((rc = isx__cli_read_input(c, path, ENVELOPE_MAX, &text)) != 0)
        return rc;
    if ((rc = isx_json_parse(text.data, text.len, &doc, &d)) != 0) {
        snprintf(d.field, sizeof(d.field), "%s",
                 strcmp(path, "-") == 0 ? isx_msg(c->lang, "cli.stdin") : path);
        isx__cli_fail_diag(c, rc, &d);
        c->exit_code = 2;
        isx_buf_free(&text);
        return rc;
    }
    json_decref(doc);
    *out = text;
    return 0;
}

static int
object_path(struct isx__cli *c, const char *id, const char *suffix, struct isx_buf *out)
{
    if (!isx_object_id_valid(id, NULL))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.id.object", id, 2);
    return isx_buf_printf(out, "/api/v1/objects/%s%s", id, suffix);
}

int
isx__cli_object_show(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    const char *version = NULL;
    json_t *env = NULL;
    char *text = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_VERSION, &version)) != 0 ||
        (rc = object_path(c, a->pos[0], "", &path)) != 0)
        goto cleanup;
    if (version != NULL && (rc = isx__cli_query(&path, "version", version)) != 0)
        goto cleanup;
    if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &env, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
    } else if ((text = json_dumps(env, JSON_INDENT(2))) != NULL) {
        printf("%s\n", text);
    } else {
        rc = ISX_ENOMEM;
    }
cleanup:
    free(text);
    json_decref(env);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_object_versions(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.version", "cli.col.recorded", "cli.col.actor",
                                       "cli.col.action", "cli.col.hash"};
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *v;
    size_t i;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = object_path(c, a->pos[0], "/versions", &path)) != 0 ||
        (rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 5, head, NULL)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "versions"), i, v)
    {
        const char *cells[] = {
            json_string_value(json_object_get(v, "version")),
            json_string_value(json_object_get(v, "recorded_at")),
            json_string_value(json_object_get(v, "actor")),
            isx__cli_label(c, "action", json_string_value(json_object_get(v, "action"))),
            json_string_value(json_object_get(v, "hash")),
        };
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
cleanup:
    isx__cli_table_free(&t);
    json_decref(doc);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}

/* The one key that offline verification knows. */
struct given_key {
    char id[9];
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];
};

static int
given_keyfn(void *ctx, const char *origin, const char *key_id, uint8_t pk[ISX_SIGN_PUBLIC_LEN])
{
    const struct given_key *k = ctx;

    (void)origin;
    if (key_id == NULL || strcmp(key_id, k->id) != 0)
        return ISX_EKEY;
    memcpy(pk, k->pk, ISX_SIGN_PUBLIC_LEN);
    return 0;
}

/* Prints what a verified object is, for people. `sig` is the envelope's signature list. */
static void
print_verified(struct isx__cli *c, const char *id, const char *version, const char *origin,
               const char *hash, const json_t *sig)
{
    struct isx__cli_table t;
    struct isx_buf keys = ISX_BUF_INIT;
    size_t i;
    json_t *s;

    isx__cli_say(c, "cli.verify.ok", origin, (const char *)NULL);
    json_array_foreach(sig, i, s)
    {
        isx_buf_printf(&keys, "%s%s (%s)", i > 0 ? ", " : "",
                       json_string_value(json_object_get(s, "key")),
                       json_string_value(json_object_get(s, "suite")));
    }
    if (isx__cli_kv_init(c, &t) == 0) {
        isx__cli_kv(c, &t, "cli.field.id", id);
        isx__cli_kv(c, &t, "cli.field.version", version);
        isx__cli_kv(c, &t, "cli.field.origin", origin);
        isx__cli_kv(c, &t, "cli.field.key", keys.data);
        isx__cli_kv(c, &t, "cli.field.hash", hash);
        isx__cli_table_print(&t, stdout);
        isx__cli_table_free(&t);
    }
    isx_buf_free(&keys);
}

static int
verify_offline(struct isx__cli *c, const char *file, const char *key, const char *key_id)
{
    struct isx_buf text = ISX_BUF_INIT;
    struct isx_diag d = {0};
    struct isx_object *o = NULL;
    struct given_key k;
    size_t len = 0;
    int rc;

    memset(&k, 0, sizeof(k));
    if ((rc = isx_crypto_init()) != 0)
        return isx__cli_fail(c, rc, NULL, NULL, NULL, 1);
    if (isx_base64_decode(key, strlen(key), k.pk, sizeof(k.pk), &len) != 0 ||
        len != ISX_SIGN_PUBLIC_LEN)
        return isx__cli_bad(c, CLI_OPT_KEY, "cli.err.key", key);
    if (strlen(key_id) != 8 || strspn(key_id, "0123456789abcdef") != 8)
        return isx__cli_bad(c, CLI_OPT_KEY_ID, "cli.err.key_id", key_id);
    memcpy(k.id, key_id, 9);
    if ((rc = isx__cli_read_input(c, file, ENVELOPE_MAX, &text)) != 0)
        return rc;
    if ((rc = isx_object_parse(text.data, text.len, &o, &d)) != 0 ||
        (o->body != NULL && isx_directory_type(o->type) &&
         (rc = isx_directory_check(o->type, o->body, "body", &d)) != 0) ||
        (rc = isx_object_verify(o, given_keyfn, &k, &d)) != 0) {
        /* Whatever fails here is about the file or the key the user gave. */
        isx__cli_fail_diag(c, rc, &d);
        c->exit_code = rc == ISX_ENOMEM ? 1 : 2;
        goto cleanup;
    }
    if (c->json) {
        json_t *doc = json_pack("{s:b, s:s, s:s, s:s, s:s, s:O}", "valid", 1, "id", o->id,
                                "version", o->version, "origin", o->origin, "hash", o->hash_hex,
                                "sig", json_object_get(o->env, "sig"));
        char *out = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        if (out != NULL)
            printf("%s\n", out);
        free(out);
        json_decref(doc);
    } else {
        print_verified(c, o->id, o->version, o->origin, o->hash_hex,
                       json_object_get(o->env, "sig"));
    }
cleanup:
    isx_object_free(o);
    isx_buf_free(&text);
    return rc;
}

int
isx__cli_object_verify(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf text = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    const char *key = NULL, *key_id = NULL;
    json_t *doc = NULL;
    int rc;

    if ((rc = isx__cli_one(c, a, CLI_OPT_KEY, &key)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_KEY_ID, &key_id)) != 0)
        return rc;
    if ((key == NULL) != (key_id == NULL))
        return isx__cli_usage(c, "cli.err.key_pair", NULL);
    if (key != NULL)
        return verify_offline(c, a->pos[0], key, key_id);
    if ((rc = read_envelope(c, a->pos[0], &text)) != 0)
        return rc;
    if ((rc = isx__cli_api_text(c, "POST", "/api/v1/objects/verify", NULL, text.data, text.len,
                                &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        print_verified(c, json_string_value(json_object_get(doc, "id")),
                       json_string_value(json_object_get(doc, "version")),
                       json_string_value(json_object_get(doc, "origin")),
                       json_string_value(json_object_get(doc, "hash")),
                       json_object_get(doc, "sig"));
cleanup:
    json_decref(doc);
    isx_buf_free(&text);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_object_import(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf text = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *env = NULL;
    long status = 0;
    int rc;

    if ((rc = read_envelope(c, a->pos[0], &text)) != 0)
        return rc;
    if ((rc = isx__cli_api_text(c, "POST", "/api/v1/objects", NULL, text.data, text.len, &env, &raw,
                                &status)) != 0)
        goto cleanup;
    if (c->json)
        isx__cli_print_raw(&raw);
    else
        isx__cli_say(c, status == 201 ? "cli.import.stored" : "cli.import.known",
                     json_string_value(json_object_get(env, "id")),
                     json_string_value(json_object_get(env, "version")), (const char *)NULL);
cleanup:
    json_decref(env);
    isx_buf_free(&text);
    isx_buf_free(&raw);
    return rc;
}
