/*
 * Roles, user names and bearer tokens. A token is never stored: only its SHA-256, which is
 * what the store looks users up by.
 */
#include <string.h>

#include "isx/auth.h"
#include "isx/error.h"
#include "isx/hash.h"

static const struct {
    const char *name;
    enum isx_role role;
} roles[] = {
    {"observer", ISX_ROLE_OBSERVER},
    {"analyst", ISX_ROLE_ANALYST},
    {"liaison", ISX_ROLE_LIAISON},
    {"admin", ISX_ROLE_ADMIN},
};

int
isx_role_parse(const char *s, enum isx_role *out)
{
    for (size_t i = 0; s != NULL && i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (strcmp(s, roles[i].name) == 0) {
            *out = roles[i].role;
            return 0;
        }
    }
    return ISX_EINVAL;
}

const char *
isx_role_name(enum isx_role role)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (roles[i].role == role)
            return roles[i].name;
    }
    return "unknown";
}

int
isx_user_name_valid(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;

    if (n == 0 || n > ISX_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

void
isx_token_new(char out[ISX_TOKEN_LEN + 1])
{
    uint8_t raw[32];

    isx_random(raw, sizeof(raw));
    memcpy(out, "isx_", 4);
    isx_base64url_encode(raw, sizeof(raw), out + 4);
    isx_memzero(raw, sizeof(raw));
}

int
isx_token_hash(const char *token, uint8_t hash[32])
{
    uint8_t raw[33];
    size_t rawlen;

    if (token == NULL || strlen(token) != ISX_TOKEN_LEN || strncmp(token, "isx_", 4) != 0)
        return ISX_EAUTH;
    if (isx_base64url_decode(token + 4, ISX_TOKEN_LEN - 4, raw, sizeof(raw), &rawlen) != 0 ||
        rawlen != 32)
        return ISX_EAUTH;
    isx_sha256(token, ISX_TOKEN_LEN, hash);
    isx_memzero(raw, sizeof(raw));
    return 0;
}
