/*
 * What the files of the SQLite backend share: the connection pool and the one writer. Only
 * src/store/ includes this (and sqlite3.h).
 */
#ifndef ISX_STORE_INTERNAL_H
#define ISX_STORE_INTERNAL_H

#include <sqlite3.h>

#include "isx/store.h"

/* A read-only connection from the pool; give it back with isx__store_reader_put. */
sqlite3 *isx__store_reader(struct isx_store *s, int *slot);
void isx__store_reader_put(struct isx_store *s, int slot);
/* The writer connection, held under the write lock until isx__store_writer_unlock. */
sqlite3 *isx__store_writer_lock(struct isx_store *s);
void isx__store_writer_unlock(struct isx_store *s);
/* One statement with text parameters (NULL = SQL NULL) that returns no rows. */
int isx__store_run(sqlite3 *db, const char *sql, int n, const char *const *params);
void isx__store_bind_text(sqlite3_stmt *st, int idx, const char *v);
/*
 * The first column of the first row of `sql` on a reader, appended to `out`: ?1 is `key`
 * (text when keylen < 0, else a blob of keylen bytes), ?2 is `key2` when not NULL.
 * ISX_ENOTFOUND when there is no row.
 */
int isx__store_fetch_blob(struct isx_store *s, const char *sql, const void *key, int keylen,
                          const char *key2, struct isx_buf *out);
/*
 * The envelope in column `canonical_col` as the API shows it: with the opened body of column
 * `opened_col` (when that column exists and is not NULL) beside "sealed". NULL if unparsable.
 */
json_t *isx__store_view(sqlite3_stmt *st, int canonical_col, int opened_col);

#endif
