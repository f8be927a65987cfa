/*
 * Paged lists: one loop for every list verb. It fetches a page, prints its rows into the
 * caller's table (or keeps the JSON), follows `next` cursors when every page is wanted, and
 * never loops on a cursor that does not move.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
isx__cli_pages(struct isx__cli *c, const char *base, const char *cursor, int all_pages,
               struct isx__cli_table *t, isx__cli_row_fn row, const char *empty_key)
{
    struct isx_buf path = ISX_BUF_INIT, raw = ISX_BUF_INIT;
    json_t *page = NULL, *all = json_array(), *e;
    char *next = cursor != NULL ? strdup(cursor) : NULL;
    size_t i;
    int rc = 0;

    if (all == NULL || (cursor != NULL && next == NULL)) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    for (;;) {
        isx_buf_reset(&path);
        /* The call hands over a fresh buffer; the previous page's goes first. */
        isx_buf_free(&raw);
        if ((rc = isx_buf_puts(&path, base)) != 0 ||
            (next != NULL && (rc = isx__cli_query(&path, "cursor", next)) != 0))
            goto cleanup;
        json_decref(page);
        page = NULL;
        if ((rc = isx__cli_api(c, "GET", path.data, NULL, NULL, &page, &raw, NULL)) != 0)
            goto cleanup;
        json_array_foreach(json_object_get(page, "items"), i, e)
        {
            json_array_append(all, e);
            if (!c->json && (rc = row(c, t, e)) != 0)
                goto cleanup;
        }
        const char *n = json_string_value(json_object_get(page, "next"));
        /* A cursor that does not move would loop for ever. */
        if (n != NULL && next != NULL && strcmp(n, next) == 0)
            n = NULL;
        free(next);
        next = n != NULL ? strdup(n) : NULL;
        if (!all_pages || next == NULL)
            break;
    }
    if (c->json && !all_pages) {
        isx__cli_print_raw(&raw);
    } else if (c->json) {
        json_t *doc = json_pack("{s:O}", "items", all);
        char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        if (text != NULL)
            printf("%s\n", text);
        free(text);
        json_decref(doc);
    } else if (json_array_size(all) == 0) {
        isx__cli_say(c, empty_key, (const char *)NULL);
    } else {
        isx__cli_table_print(t, stdout);
    }
    if (!c->json && !all_pages && next != NULL)
        isx__cli_note(c, "cli.list.more", next, (const char *)NULL);
cleanup:
    free(next);
    json_decref(page);
    json_decref(all);
    isx_buf_free(&path);
    isx_buf_free(&raw);
    return rc;
}
