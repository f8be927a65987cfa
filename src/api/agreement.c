/*
 * /api/v1/agreement and /api/v1/notifications: the agreement's calendar (Art. 5.1, 11, 12)
 * computed from the notifications this node holds, and the recording of notifications.
 *
 * Invariants: the calendar is computed from stored objects at read time (nothing about it is
 * stored), with refused notifications left out and listed, so one bad object cannot hide
 * it; a notification is recorded only when its body passes its check, it is this node's
 * party's own (the depositary's node records every state's, Art. 11), and the calendar
 * accepts it without refusing one it accepted before.
 */
#include <stdio.h>
#include <string.h>

#include "isx/agreement.h"
#include "isx/api.h"
#include "isx/fed.h"
#include "isx/marking.h"
#include "isx/taxonomy.h"

/* ?at=YYYY-MM-DD, today when absent. */
static int
day_param(struct isx_http_req *req, int64_t *day)
{
    const char *at = isx_http_query(req, "at");

    if (at == NULL || *at == '\0') {
        *day = isx_fed_today();
        return 0;
    }
    if (isx_agreement_parse_date(at, day) != 0)
        return isx_diag_set(&req->diag, ISX_EFIELD, "at", "agreement.date", at);
    return 0;
}

/* The calendar's "skipped" entries with the object each one is and what is wrong, in words. */
static void
explain_skipped(struct isx_http_req *req, json_t *doc, const json_t *items)
{
    size_t i;
    json_t *s;

    json_array_foreach(json_object_get(doc, "skipped"), i, s)
    {
        const json_t *env =
            json_array_get(items, (size_t)json_integer_value(json_object_get(s, "index")));
        struct isx_buf why = ISX_BUF_INIT;
        const char *key = json_string_value(json_object_get(s, "key"));

        json_object_set_new(s, "id", json_incref(json_object_get(env, "id")));
        json_object_set_new(s, "origin", json_incref(json_object_get(env, "origin")));
        if (key != NULL && *key != '\0' &&
            isx_msg_format(req->lang, key, json_string_value(json_object_get(s, "arg")), &why) == 0)
            json_object_set_new(s, "detail", json_string(why.data));
        isx_buf_free(&why);
    }
}

int
isx__api_agreement(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_agreement_calendar *c = NULL;
    json_t *items = NULL, *doc = NULL, *bound = json_array();
    char today[ISX_AGREEMENT_DATE_LEN + 1];
    size_t counted = 0;
    int64_t day;
    int rc;

    if (bound == NULL)
        return ISX_ENOMEM;
    if ((rc = day_param(req, &day)) != 0 ||
        (rc = isx_fed_calendar(n, day, &items, &c, &counted, &req->diag)) != 0 ||
        (rc = isx_agreement_render(c, &doc)) != 0)
        goto done;
    /* The agreement is multilateral: any two states it binds that day are bound to each
     * other, so one list says who is bound to whom. */
    for (size_t i = 0; i < c->nparties; i++) {
        if (isx_agreement_bound(c, c->parties[i].code, c->parties[i].code, day))
            json_array_append_new(bound, json_string(c->parties[i].code));
    }
    explain_skipped(req, doc, items);
    isx_agreement_format_date(isx_fed_today(), today);
    json_object_set_new(doc, "today", json_string(today));
    json_object_set(doc, "bound", bound);
    json_object_set_new(doc, "notifications", json_integer((json_int_t)json_array_size(items)));
    json_object_set_new(doc, "counted", json_integer((json_int_t)counted));
    /* What federation does on this node today (src/fed/calendar.c): until the notifications
     * it holds bring the agreement into force, every party is treated as bound. */
    json_object_set_new(doc, "bootstrap", json_boolean(!isx_fed_calendar_counts(c, counted, day)));
    rc = isx_http_reply_json(req, 200, doc);
done:
    isx_agreement_free(c);
    json_decref(items);
    json_decref(doc);
    json_decref(bound);
    return rc;
}

int
isx__api_notification_list(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    json_t *list = NULL, *items = json_array(), *env, *doc;
    size_t i;
    int rc;

    if (items == NULL)
        return ISX_ENOMEM;
    if ((rc = isx_store_type_list(n->store, "notification", 100000, &list)) != 0)
        goto done;
    json_array_foreach(list, i, env)
    {
        if (json_is_object(json_object_get(env, "body")) &&
            isx_marking_allows_role(json_object_get(env, "marking"), req->user->role))
            json_array_append(items, env);
    }
    doc = json_pack("{s:O}", "items", items);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
done:
    json_decref(list);
    json_decref(items);
    return rc;
}

/* "notifications[3].date" -> "date": the field of the request's own body. */
static void
own_field(struct isx_diag *d)
{
    const char *dot = strstr(d->field, "].");

    if (strncmp(d->field, "notifications[", 14) == 0 && dot != NULL)
        memmove(d->field, dot + 2, strlen(dot + 2) + 1);
}

/*
 * Would the calendar accept `body` beside what this node holds? Computed as far ahead as the
 * calendar can see, so every later notification is judged with it in place.
 */
static int
fits_calendar(struct isx_http_req *req, const json_t *items, const json_t *body)
{
    json_t *bodies = json_array(), *env;
    struct isx_agreement_calendar *before = NULL, *after = NULL;
    struct isx_diag local = {0};
    size_t i, n = json_array_size(items);
    int64_t last;
    int rc;

    if (bodies == NULL)
        return ISX_ENOMEM;
    isx_agreement_parse_date("9999-12-31", &last);
    json_array_foreach(items, i, env)
    {
        json_array_append(bodies, json_object_get(env, "body"));
    }
    if ((rc = isx_agreement_compute_json(bodies, last, ISX_AGREEMENT_SKIP_INVALID, &before,
                                         &local)) != 0)
        goto done;
    json_array_append(bodies, (json_t *)body);
    if ((rc = isx_agreement_compute_json(bodies, last, ISX_AGREEMENT_SKIP_INVALID, &after,
                                         &local)) != 0)
        goto done;
    for (i = 0; i < after->nskipped; i++) {
        const struct isx_agreement_skip *s = &after->skipped[i];
        int was = 0;
        if (s->index == n) {
            /* The new one itself is refused: say why, naming its own field. */
            req->diag = s->diag;
            own_field(&req->diag);
            rc = s->diag.code;
            goto done;
        }
        for (size_t k = 0; k < before->nskipped; k++)
            was |= before->skipped[k].index == s->index;
        if (!was) {
            /* Accepting it would make the calendar refuse one it holds: the dates clash. */
            const json_t *other = json_array_get(items, s->index);
            rc = isx_diag_set(&req->diag, ISX_ECONFLICT, "date", "agreement.displaces",
                              json_string_value(json_object_get(other, "id")));
            goto done;
        }
    }
done:
    isx_agreement_free(before);
    isx_agreement_free(after);
    json_decref(bodies);
    return rc;
}

int
isx__api_notification_create(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    struct isx_agreement_calendar *c = NULL;
    struct isx_object *o = NULL;
    json_t *body = NULL, *items = NULL;
    const char *party;
    int rc;

    if ((rc = isx_http_body_json(req, &body)) != 0)
        return rc;
    if ((rc = isx_agreement_check(body, "", &req->diag)) != 0)
        goto done;
    party = json_string_value(json_object_get(body, "party"));
    /* The same rule as at the door (src/fed/calendar.c): a state records its own. */
    if (strcmp(n->cfg.party, ISX_DEPOSITARY) != 0 && strcmp(party, n->cfg.party) != 0) {
        rc = isx_diag_set(&req->diag, ISX_EFORBIDDEN, "party", "agreement.not_own", n->cfg.party);
        goto done;
    }
    if ((rc = isx_fed_calendar(n, isx_fed_today(), &items, &c, NULL, &req->diag)) != 0 ||
        (rc = fits_calendar(req, items, body)) != 0)
        goto done;
    struct isx_change change = {req->user->name, "create"};
    /* The agreement's dates are no secret: every party may see them (TLP:GREEN). */
    rc = isx_node_publish(n, "notification", NULL, json_pack("{s:s}", "tlp", "green"),
                          json_incref(body), &change, NULL, &o, &req->diag);
    if (rc == 0)
        rc = isx__api_reply_object(req, 201, o);
done:
    isx_object_free(o);
    isx_agreement_free(c);
    json_decref(items);
    json_decref(body);
    return rc;
}
