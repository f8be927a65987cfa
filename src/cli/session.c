/*
 * The session and the node: `isx login`, `isx whoami`, `isx node` and `isx user list`.
 *
 * Invariants: `login` stores a token only after the server has accepted it, so the
 * credentials file never holds a token that does not work for its URL; a token read from the
 * command line or standard input is wiped once it has been used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/hash.h"

/* Reads the token from the first line of standard input (`--token -`), keeping it off argv. */
static int
token_from_stdin(struct isx__cli *c, char *out, size_t cap)
{
    char line[256];
    size_t len;
    int rc = 0;

    if (fgets(line, (int)sizeof(line), stdin) == NULL) {
        rc = isx__cli_bad(c, CLI_OPT_TOKEN, "cli.err.token_shape", NULL);
        goto cleanup;
    }
    len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
        line[--len] = '\0';
    if (len >= cap) {
        rc = isx__cli_bad(c, CLI_OPT_TOKEN, "cli.err.token_shape", NULL);
        goto cleanup;
    }
    memcpy(out, line, len + 1);
cleanup:
    isx_memzero(line, sizeof(line));
    return rc;
}

int
isx__cli_login(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *arg = NULL;
    char token[256];
    uint8_t hash[32];
    json_t *me = NULL;
    int rc;

    memset(token, 0, sizeof(token));
    if ((rc = isx__cli_one(c, a, CLI_OPT_TOKEN, &arg)) != 0)
        return rc;
    if (arg == NULL)
        return isx__cli_usage(c, "cli.err.missing_opt", "--token");
    if (strcmp(arg, "-") == 0) {
        if ((rc = token_from_stdin(c, token, sizeof(token))) != 0)
            goto cleanup;
    } else if (strlen(arg) < sizeof(token)) {
        memcpy(token, arg, strlen(arg) + 1);
    }
    if (isx_token_hash(token, hash) != 0) {
        rc = isx__cli_bad(c, CLI_OPT_TOKEN, "cli.err.token_shape", NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_connect(c, 0)) != 0)
        goto cleanup;
    memcpy(c->token, token, sizeof(token));
    c->have_token = 1;
    if ((rc = isx__cli_api(c, "GET", "/api/v1/whoami", NULL, NULL, &me, NULL, NULL)) != 0)
        goto cleanup;
    if ((rc = isx__cli_creds_write(c, c->url, token)) != 0)
        goto cleanup;
    if (c->json) {
        json_t *doc = json_pack("{s:s, s:O}", "url", c->url, "user", me);
        char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        if (text != NULL)
            printf("%s\n", text);
        free(text);
        json_decref(doc);
    } else {
        isx__cli_say(c, "cli.login.done", c->url, json_string_value(json_object_get(me, "name")),
                     isx__cli_label(c, "role", json_string_value(json_object_get(me, "role"))),
                     (const char *)NULL);
    }
cleanup:
    isx_memzero(token, sizeof(token));
    isx_memzero(hash, sizeof(hash));
    json_decref(me);
    return rc;
}

int
isx__cli_whoami(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT, party = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *me = NULL;
    int rc;

    if ((rc = isx__cli_api(c, "GET", "/api/v1/whoami", NULL, NULL, &me, &raw, NULL)) != 0)
        return rc;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    isx__cli_party_label(c, json_string_value(json_object_get(me, "party")), &party);
    isx__cli_kv(c, &t, "cli.field.user", json_string_value(json_object_get(me, "name")));
    isx__cli_kv(c, &t, "cli.field.role",
                isx__cli_label(c, "role", json_string_value(json_object_get(me, "role"))));
    isx__cli_kv(c, &t, "cli.field.party", party.data);
    isx__cli_kv(c, &t, "cli.field.server", c->url);
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
cleanup:
    isx_buf_free(&party);
    isx_buf_free(&raw);
    json_decref(me);
    return rc;
}

int
isx__cli_node(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT, party = ISX_BUF_INIT, key = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *info = NULL;
    int rc;

    if ((rc = isx__cli_api(c, "GET", "/api/v1/node", NULL, NULL, &info, &raw, NULL)) != 0)
        return rc;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_kv_init(c, &t)) != 0)
        goto cleanup;
    const json_t *k = json_object_get(info, "key");
    const char *party_code = json_string_value(json_object_get(info, "party"));
    if (party_code != NULL)
        isx__cli_party_label(c, party_code, &party);
    isx_buf_printf(&key, "%s %s", json_string_value(json_object_get(k, "key")),
                   json_string_value(json_object_get(k, "suite")));
    isx__cli_kv(c, &t, "cli.field.party", party.data);
    isx__cli_kv(c, &t, "cli.field.node_name", json_string_value(json_object_get(info, "name")));
    isx__cli_kv(c, &t, "cli.field.software", json_string_value(json_object_get(info, "version")));
    isx__cli_kv(c, &t, "cli.field.key", key.data);
    isx__cli_kv(c, &t, "cli.field.public_key", json_string_value(json_object_get(k, "public")));
    isx__cli_kv(c, &t, "cli.field.box_key", json_string_value(json_object_get(info, "box_key")));
    isx__cli_kv(c, &t, "cli.field.server", c->url);
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
cleanup:
    isx_buf_free(&key);
    isx_buf_free(&party);
    isx_buf_free(&raw);
    json_decref(info);
    return rc;
}

int
isx__cli_user_list(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.user", "cli.col.role", "cli.col.created",
                                       "cli.col.created_by"};
    struct isx_buf raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *u;
    size_t i;
    int rc;

    if ((rc = isx__cli_api(c, "GET", "/api/v1/users", NULL, NULL, &doc, &raw, NULL)) != 0)
        return rc;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 4, head, NULL)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "items"), i, u)
    {
        const char *cells[] = {
            json_string_value(json_object_get(u, "name")),
            isx__cli_label(c, "role", json_string_value(json_object_get(u, "role"))),
            json_string_value(json_object_get(u, "created_at")),
            json_string_value(json_object_get(u, "created_by")),
        };
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
cleanup:
    isx_buf_free(&raw);
    json_decref(doc);
    return rc;
}
