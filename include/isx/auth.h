/*
 * Users, roles and bearer tokens (ARCHITECTURE.md §1). Tokens are 32 random bytes shown once
 * as "isx_" + base64url; only their SHA-256 is stored, so a copy of the database does not
 * let anyone log in.
 */
#ifndef ISX_AUTH_H
#define ISX_AUTH_H

#include <stddef.h>
#include <stdint.h>

enum isx_role {
    ISX_ROLE_OBSERVER = 1u << 0,
    ISX_ROLE_ANALYST = 1u << 1,
    ISX_ROLE_LIAISON = 1u << 2,
    ISX_ROLE_ADMIN = 1u << 3,
};

/* Role sets that routes require. Admin can do everything. */
#define ISX_ROLES_READ   (ISX_ROLE_OBSERVER | ISX_ROLE_ANALYST | ISX_ROLE_LIAISON | ISX_ROLE_ADMIN)
#define ISX_ROLES_DIR    (ISX_ROLE_LIAISON | ISX_ROLE_ADMIN)
#define ISX_ROLES_REPORT (ISX_ROLE_ANALYST | ISX_ROLE_ADMIN)
#define ISX_ROLES_ADMIN  (ISX_ROLE_ADMIN)
#define ISX_ROLES_NONE   0u /* public route: no token needed */

#define ISX_USER_NAME_MAX 64
#define ISX_TOKEN_LEN     47 /* "isx_" + 43 base64url characters */

struct isx_user {
    int64_t id;
    char name[ISX_USER_NAME_MAX + 1];
    enum isx_role role;
};

/* "admin" -> ISX_ROLE_ADMIN; ISX_EINVAL for anything else. */
int isx_role_parse(const char *s, enum isx_role *out);
const char *isx_role_name(enum isx_role role);

/* A user name is 1-64 characters of [a-z0-9._-], starting with a letter or digit. */
int isx_user_name_valid(const char *name);

/* A fresh token (out: ISX_TOKEN_LEN + 1 bytes) and the hash that the store keeps. */
void isx_token_new(char out[ISX_TOKEN_LEN + 1]);
/* ISX_EAUTH when the text is not shaped like a token. */
int isx_token_hash(const char *token, uint8_t hash[32]);

#endif
