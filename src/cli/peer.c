/*
 * isx peer add|list|remove|alarms and isx release grant: federation as an operator sees it.
 * A peer's keys are given on the command line or fetched from the peer's own /api/v1/node;
 * either way the key id is printed so the operator can confirm it with the other party by
 * another channel, which is what makes the peer's identity trustworthy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "isx/hash.h"
#include "isx/http.h"
#include "isx/sign.h"
#include "isx/taxonomy.h"

/* Reads the peer's own description of itself: party, name and public keys. */
static int
fetch_node(struct isx__cli *c, const char *url, json_t **out)
{
    struct isx_http_response resp = {0};
    char full[1100];
    json_t *doc = NULL;
    int rc;

    snprintf(full, sizeof(full), "%s/api/v1/node", url);
    if ((rc = isx_http_request("GET", full, NULL, c->lang, NULL, 0, 10000, &resp)) != 0)
        return isx__cli_fail(c, rc, "url", "cli.peer.unreachable", url, 1);
    if (resp.status == 200)
        doc = json_loadb(resp.body.data, resp.body.len, 0, NULL);
    isx_buf_free(&resp.body);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return isx__cli_fail(c, ISX_EPARSE, "url", "cli.peer.not_a_node", url, 1);
    }
    *out = doc;
    return 0;
}

int
isx__cli_peer_add(struct isx__cli *c, const struct isx__cli_args *a)
{
    const char *party = a->pos[0], *url = a->pos[1], *key = NULL, *box = NULL, *name = NULL;
    json_t *node = NULL, *body = NULL, *doc = NULL;
    struct isx_buf raw = ISX_BUF_INIT;
    long status = 0;
    int rc;

    if (!isx_party_code_valid(party))
        return isx__cli_usage(c, "cli.peer.party", party);
    if ((rc = isx__cli_one(c, a, CLI_OPT_KEY, &key)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_BOX_KEY, &box)) != 0 ||
        (rc = isx__cli_one(c, a, CLI_OPT_NAME, &name)) != 0)
        return rc;
    size_t len = strlen(url);
    char base[1024];
    if (len == 0 || len >= sizeof(base))
        return isx__cli_usage(c, "cli.peer.url", url);
    /* A trailing slash would double in every path the node builds from the URL. */
    snprintf(base, sizeof(base), "%s", url);
    while (len > 0 && base[len - 1] == '/')
        base[--len] = '\0';
    if (isx__cli_has(a, CLI_OPT_FETCH)) {
        if (key != NULL || box != NULL || name != NULL)
            return isx__cli_usage(c, "cli.peer.fetch_or_keys", NULL);
        if ((rc = fetch_node(c, base, &node)) != 0)
            return rc;
        const char *got = json_string_value(json_object_get(node, "party"));
        if (got == NULL || strcmp(got, party) != 0) {
            rc = isx__cli_fail(c, ISX_EINVAL, "party", "cli.peer.other_party", got, 2);
            goto cleanup;
        }
        name = json_string_value(json_object_get(node, "name"));
        key = json_string_value(json_object_get(json_object_get(node, "key"), "public"));
        box = json_string_value(json_object_get(node, "box_key"));
    } else if (key == NULL || box == NULL || name == NULL) {
        return isx__cli_usage(c, "cli.peer.fetch_or_keys", NULL);
    }
    body = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:b}", "party", party, "url", base, "name", name,
                     "sign_key", key, "box_key", box, "relay", isx__cli_has(a, CLI_OPT_RELAY));
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = isx__cli_api(c, "POST", "/api/v1/peers", NULL, body, &doc, &raw, &status)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    isx__cli_say(c, status == 201 ? "cli.peer.added" : "cli.peer.updated", party,
                 json_string_value(json_object_get(doc, "url")), (const char *)NULL);
    /* The key id is what the two operators compare by phone or in person. */
    isx__cli_say(c, "cli.peer.confirm", json_string_value(json_object_get(doc, "name")),
                 json_string_value(json_object_get(doc, "key_id")), party, (const char *)NULL);
cleanup:
    json_decref(node);
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

static const char *
num(char *buf, size_t cap, const json_t *v)
{
    snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    return buf;
}

int
isx__cli_peer_list(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.party",   "cli.col.url",      "cli.col.contact",
                                       "cli.col.sent",    "cli.col.received", "cli.col.refused",
                                       "cli.col.backlog", "cli.col.error"};
    static const size_t max[] = {0, 40, 0, 0, 0, 0, 0, 60};
    struct isx_buf raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *p;
    char s[24], r[24], f[24], b[24], alarms[24];
    size_t i;
    int rc;

    (void)a;
    if ((rc = isx__cli_api(c, "GET", "/api/v1/peers", NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if (json_array_size(json_object_get(doc, "items")) == 0) {
        isx__cli_say(c, "cli.peer.none", (const char *)NULL);
    } else {
        if ((rc = isx__cli_table_init(c, &t, 8, head, max)) != 0)
            goto cleanup;
        json_array_foreach(json_object_get(doc, "items"), i, p)
        {
            const char *contact = json_string_value(json_object_get(p, "last_contact"));
            const char *cells[] = {json_string_value(json_object_get(p, "party")),
                                   json_string_value(json_object_get(p, "url")),
                                   contact != NULL ? contact : isx_msg(c->lang, "cli.peer.never"),
                                   num(s, sizeof(s), json_object_get(p, "sent")),
                                   num(r, sizeof(r), json_object_get(p, "received")),
                                   num(f, sizeof(f), json_object_get(p, "refused")),
                                   num(b, sizeof(b), json_object_get(p, "backlog")),
                                   json_string_value(json_object_get(p, "last_error"))};
            isx__cli_table_row(&t, cells);
        }
        isx__cli_table_print(&t, stdout);
        isx__cli_table_free(&t);
    }
    if (json_integer_value(json_object_get(doc, "alarms")) > 0)
        isx__cli_say(c, "cli.peer.alarms_pending",
                     num(alarms, sizeof(alarms), json_object_get(doc, "alarms")),
                     (const char *)NULL);
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_peer_remove(struct isx__cli *c, const struct isx__cli_args *a)
{
    char path[64];
    int rc;

    if (!isx_party_code_valid(a->pos[0]))
        return isx__cli_usage(c, "cli.peer.party", a->pos[0]);
    snprintf(path, sizeof(path), "/api/v1/peers/%s", a->pos[0]);
    if ((rc = isx__cli_api(c, "DELETE", path, NULL, NULL, NULL, NULL, NULL)) != 0)
        return rc;
    if (!c->json)
        isx__cli_say(c, "cli.peer.removed", a->pos[0], (const char *)NULL);
    return 0;
}

int
isx__cli_peer_alarms(struct isx__cli *c, const struct isx__cli_args *a)
{
    static const char *const head[] = {"cli.col.at", "cli.col.party", "cli.col.kind",
                                       "cli.col.detail"};
    struct isx_buf raw = ISX_BUF_INIT;
    struct isx__cli_table t;
    json_t *doc = NULL, *al;
    size_t i;
    int rc;

    (void)a;
    if ((rc = isx__cli_api(c, "GET", "/api/v1/alarms", NULL, NULL, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    if (json_array_size(json_object_get(doc, "items")) == 0) {
        isx__cli_say(c, "cli.peer.no_alarms", (const char *)NULL);
        goto cleanup;
    }
    if ((rc = isx__cli_table_init(c, &t, 4, head, NULL)) != 0)
        goto cleanup;
    json_array_foreach(json_object_get(doc, "items"), i, al)
    {
        const char *cells[] = {json_string_value(json_object_get(al, "at")),
                               json_string_value(json_object_get(al, "peer")),
                               json_string_value(json_object_get(al, "kind")),
                               json_string_value(json_object_get(al, "detail"))};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, stdout);
    isx__cli_table_free(&t);
    isx__cli_note(c, "cli.peer.alarm_evidence", (const char *)NULL);
cleanup:
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}

int
isx__cli_release_grant(struct isx__cli *c, const struct isx__cli_args *a)
{
    struct isx_buf raw = ISX_BUF_INIT;
    json_t *to = json_array(), *body = NULL, *doc = NULL;
    const char *reason = NULL, *v;
    size_t i = 0;
    int rc;

    if (to == NULL)
        return ISX_ENOMEM;
    if ((rc = isx__cli_one(c, a, CLI_OPT_NOTE, &reason)) != 0)
        goto cleanup;
    /* --to KZ --to TJ, or --to KZ,TJ. */
    while ((v = isx__cli_next(a, CLI_OPT_TO, &i)) != NULL) {
        char copy[256], *save = NULL;
        snprintf(copy, sizeof(copy), "%s", v);
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
             tok = strtok_r(NULL, ",", &save)) {
            if (!isx_party_code_valid(tok)) {
                rc = isx__cli_bad(c, CLI_OPT_TO, "cli.peer.party", tok);
                goto cleanup;
            }
            json_array_append_new(to, json_string(tok));
        }
    }
    if (json_array_size(to) == 0) {
        rc = isx__cli_usage(c, "cli.release.to", NULL);
        goto cleanup;
    }
    body = json_pack("{s:s, s:O, s:s?}", "object", a->pos[0], "to", to, "reason", reason);
    if (body == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((rc = isx__cli_api(c, "POST", "/api/v1/releases", NULL, body, &doc, &raw, NULL)) != 0)
        goto cleanup;
    if (c->json) {
        isx__cli_print_raw(&raw);
        goto cleanup;
    }
    isx__cli_say(c, "cli.release.granted", a->pos[0], json_string_value(json_object_get(doc, "id")),
                 (const char *)NULL);
cleanup:
    json_decref(to);
    json_decref(body);
    json_decref(doc);
    isx_buf_free(&raw);
    return rc;
}
