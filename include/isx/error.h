/*
 * Error codes for every isx module. Functions return 0 or a negative ISX_E* code; the one
 * table below gives each code its name, its HTTP status and its English message. The
 * message catalogue (data/messages.json) translates the messages under "error.<NAME>".
 */
#ifndef ISX_ERROR_H
#define ISX_ERROR_H

#include <stddef.h>

/* X(name, http status, English message) */
#define ISX_ERRNO_MAP(X)                                                                           \
    X(NOMEM, 500, "out of memory")                                                                 \
    X(INVAL, 400, "invalid argument")                                                              \
    X(PARSE, 400, "malformed JSON")                                                                \
    X(FIELD, 422, "invalid value")                                                                 \
    X(UNKNOWN_FIELD, 422, "unknown field")                                                         \
    X(MISSING, 422, "required field missing")                                                      \
    X(TYPE, 422, "wrong type")                                                                     \
    X(NOTFOUND, 404, "not found")                                                                  \
    X(EXISTS, 409, "already exists")                                                               \
    X(CONFLICT, 409, "conflicts with the current state")                                           \
    X(RETIRED, 409, "retired")                                                                     \
    X(SIG, 422, "signature does not verify")                                                       \
    X(KEY, 422, "unknown signing key")                                                             \
    X(SECRET, 422, "state secrets are not exchanged (Art. 6.2)")                                   \
    X(MARKING, 403, "the marking does not allow this")                                             \
    X(AUTH, 401, "authentication required")                                                        \
    X(FORBIDDEN, 403, "not allowed")                                                               \
    X(TOOBIG, 413, "request too large")                                                            \
    X(METHOD, 405, "method not allowed")                                                           \
    X(MEDIA, 415, "unsupported media type")                                                        \
    X(IO, 500, "input/output error")                                                               \
    X(STORE, 500, "storage error")                                                                 \
    X(CRYPTO, 500, "cryptographic failure")                                                        \
    X(CONFIG, 500, "invalid configuration")                                                        \
    X(PERM, 500, "a secret file is readable by others")                                            \
    X(NET, 502, "network error")                                                                   \
    X(BUSY, 503, "busy, try again")                                                                \
    X(RANGE, 422, "value out of range")

enum isx__errno_index {
#define ISX__X(name, status, msg) ISX__EIDX_##name,
    ISX_ERRNO_MAP(ISX__X)
#undef ISX__X
        ISX__EIDX_MAX
};

enum isx_errno {
#define ISX__X(name, status, msg) ISX_E##name = -(ISX__EIDX_##name + 1),
    ISX_ERRNO_MAP(ISX__X)
#undef ISX__X
};

/* The English message of an error code; "unknown error" for anything not in the table. */
const char *isx_strerror(int err);

/* The symbolic name ("NOTFOUND") of an error code. */
const char *isx_err_name(int err);

/* The HTTP status that an API answer with this error carries. */
int isx_err_status(int err);

/*
 * A diagnostic: the error, the field at fault (a JSON pointer-like path such as
 * "body.channels[1].kind"), a message-catalogue key and one argument for its template.
 * Validation functions fill one so the API and the CLI can name what is wrong, in the
 * caller's language.
 */
struct isx_diag {
    int code;
    char field[128];
    char key[64];
    char arg[192];
};

/*
 * Records a diagnostic and returns `code`, so callers can write `return isx_diag_set(...)`.
 * `d` may be NULL; `field`, `key` and `arg` may be NULL. Only the first diagnostic is kept.
 */
int isx_diag_set(struct isx_diag *d, int code, const char *field, const char *key, const char *arg);

#endif
