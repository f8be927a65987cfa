/*
 * The verbs that work on a node directory without a server: `isx init`, `isx reindex` and
 * `isx user add`. They are for the operator on the node's own machine, who can read its keys.
 *
 * Invariants: the directory is --dir, else $ISX_DIR, else var/node. A token is shown exactly
 * once, on a line of its own, and wiped from memory afterwards; the store keeps only its hash.
 * The signing key stays in this process (no signer process is spawned for a one-off command).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "isx/config.h"
#include "isx/hash.h"
#include "isx/node.h"
#include "isx/store.h"
#include "isx/taxonomy.h"

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

/* Local failures about the node directory are the operator's to fix, as with isxd. */
static int
fail_local(struct isx__cli *c, int rc, const struct isx_diag *d)
{
    isx__cli_fail_diag(c, rc, d);
    if (rc == ISX_ECONFIG || rc == ISX_EPERM || rc == ISX_EINVAL || rc == ISX_ENOTFOUND ||
        rc == ISX_EEXISTS)
        c->exit_code = 2;
    return rc;
}

/* Creates the parents of `dir` (not `dir` itself, which isx_node_create makes 0700). */
static int
make_parents(const char *dir)
{
    char tmp[ISX_CONFIG_PATH_MAX];
    size_t len = strlen(dir);

    if (len >= sizeof(tmp))
        return ISX_EINVAL;
    memcpy(tmp, dir, len + 1);
    while (len > 1 && tmp[len - 1] == '/')
        tmp[--len] = '\0';
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return ISX_EIO;
        *p = '/';
    }
    return 0;
}

int
isx__cli_init(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_config defaults;
    struct isx_diag d = {0};
    struct isx_node *n = NULL;
    const char *dir = NULL, *party = NULL, *name = NULL, *examples = NULL;
    char token[ISX_TOKEN_LEN + 1], code[8], count[32];
    size_t loaded = 0;
    int rc, ex_rc = 0;

    memset(token, 0, sizeof(token));
    if ((rc = node_dir(c, a, &dir)) != 0 || (rc = isx__cli_one(c, a, CLI_OPT_PARTY, &party)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_NAME, &name)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_EXAMPLES, &examples)) != 0)
        return rc;
    /* Without --party the node belongs to the configuration's default party. */
    isx_config_defaults(&defaults);
    snprintf(code, sizeof(code), "%s", party != NULL ? party : defaults.party);
    for (char *p = code; *p != '\0'; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    if (!isx_party_code_valid(code))
        return isx__cli_bad(c, CLI_OPT_PARTY, "cli.err.party", party);
    if (name != NULL && (name[0] == '\0' || strlen(name) >= sizeof(defaults.name)))
        return isx__cli_bad(c, CLI_OPT_NAME, "cli.err.node_name", name);
    if (make_parents(dir) != 0)
        return isx__cli_fail(c, ISX_EIO, "--dir", "cli.err.mkdir", dir, 2);
    if ((rc = isx_node_create(dir, code, name, token, &d)) != 0)
        return fail_local(c, rc, &d);
    if (examples != NULL) {
        ex_rc = isx_node_open(dir, 0, &n, &d);
        if (ex_rc == 0)
            ex_rc = isx_node_load_examples(n, examples, &loaded, &d);
        isx_node_free(n);
    }
    snprintf(count, sizeof(count), "%zu", loaded);
    if (c->json) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:I}", "dir", dir, "party", code, "token", token,
                                "examples", (json_int_t)loaded);
        char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        if (text != NULL) {
            printf("%s\n", text);
            isx_memzero(text, strlen(text));
        }
        free(text);
        json_decref(doc);
    } else {
        isx__cli_say(c, "cli.init.created", dir, code, (const char *)NULL);
        if (examples != NULL && ex_rc == 0)
            isx__cli_say(c, "cli.init.examples", count, examples, (const char *)NULL);
        isx__cli_say(c, "cli.init.keep_token", (const char *)NULL);
        /* A line of its own with a fixed shape, so scripts can pick the token up. */
        printf("admin token: %s\n", token);
    }
    isx_memzero(token, sizeof(token));
    if (ex_rc != 0) {
        /* The node exists and its token is shown; only the examples are missing. */
        fail_local(c, ex_rc, &d);
        c->exit_code = ex_rc == ISX_ENOMEM || ex_rc == ISX_ESTORE ? 1 : 2;
        return ex_rc;
    }
    return 0;
}

int
isx__cli_reindex(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_diag d = {0};
    struct isx_node *n = NULL;
    const char *dir = NULL;
    size_t count = 0;
    char num[32];
    int rc;

    if ((rc = node_dir(c, a, &dir)) != 0)
        return rc;
    if ((rc = isx_node_open(dir, 0, &n, &d)) != 0)
        return fail_local(c, rc, &d);
    if ((rc = isx_store_reindex(n->store, &count)) != 0) {
        rc = isx__cli_fail(c, rc, NULL, "cli.err.reindex", dir, 1);
        goto cleanup;
    }
    snprintf(num, sizeof(num), "%zu", count);
    if (c->json)
        printf("{\"objects\": %zu}\n", count);
    else
        isx__cli_say(c, "cli.reindex.done", num, (const char *)NULL);
cleanup:
    isx_node_free(n);
    return rc;
}

int
isx__cli_user_add(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_diag d = {0};
    struct isx_node *n = NULL;
    const char *dir = NULL, *role_s = NULL, *name = a->pos[0];
    char token[ISX_TOKEN_LEN + 1];
    uint8_t hash[32];
    enum isx_role role;
    int rc;

    memset(token, 0, sizeof(token));
    if ((rc = node_dir(c, a, &dir)) != 0 || (rc = isx__cli_one(c, a, CLI_OPT_ROLE, &role_s)) != 0)
        return rc;
    if (role_s == NULL)
        return isx__cli_usage(c, "cli.err.missing_opt", "--role");
    if (!isx_user_name_valid(name))
        return isx__cli_fail(c, ISX_EINVAL, NULL, "cli.err.user_name", name, 2);
    if (isx_role_parse(role_s, &role) != 0)
        return isx__cli_bad(c, CLI_OPT_ROLE, "cli.err.role", role_s);
    if ((rc = isx_node_open(dir, 0, &n, &d)) != 0)
        return fail_local(c, rc, &d);
    isx_token_new(token);
    if ((rc = isx_token_hash(token, hash)) != 0)
        goto cleanup;
    if ((rc = isx_store_user_add(n->store, name, role, hash, "cli")) != 0) {
        rc = isx__cli_fail(c, rc, name, rc == ISX_EEXISTS ? "cli.err.user_exists" : NULL, name,
                           rc == ISX_EEXISTS ? 2 : 1);
        goto cleanup;
    }
    if (c->json) {
        printf("{\"name\": \"%s\", \"role\": \"%s\", \"token\": \"%s\"}\n", name,
               isx_role_name(role), token);
    } else {
        isx__cli_say(c, "cli.user.created", name, isx__cli_label(c, "role", isx_role_name(role)),
                     (const char *)NULL);
        isx__cli_say(c, "cli.user.keep_token", (const char *)NULL);
        printf("token: %s\n", token);
    }
cleanup:
    isx_memzero(token, sizeof(token));
    isx_memzero(hash, sizeof(hash));
    isx_node_free(n);
    return rc;
}
