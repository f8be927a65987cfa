/*
 * The credentials file that `isx login` writes: $XDG_CONFIG_HOME/isx/credentials, else
 * ~/.config/isx/credentials, holding {"url": "...", "token": "..."}.
 *
 * Invariants: the file is created with mode 0600 in a directory of mode 0700 and replaced
 * atomically (a temporary file in the same directory, fsync, rename), so a crash leaves the
 * old file or the new one, never half of one. A file that group or others can read, or that
 * another user owns, is refused rather than used, because its token is as good as a
 * password. Buffers that held the token are wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "isx/hash.h"

#define CREDS_MAX 65536

int
isx__cli_creds_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;

    /* The XDG base directory spec ignores a relative XDG_CONFIG_HOME. */
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, cap, "%s/isx/credentials", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, cap, "%s/.config/isx/credentials", home);
    else
        return ISX_ENOTFOUND;
    return n > 0 && (size_t)n < cap ? 0 : ISX_EINVAL;
}

/* Copies the file's url and token, both or neither. */
static int
copy_fields(const json_t *doc, char *url, size_t url_cap, char *token, size_t tok_cap)
{
    const char *u = json_string_value(json_object_get(doc, "url"));
    const char *t = json_string_value(json_object_get(doc, "token"));

    if (u == NULL || t == NULL || strlen(u) >= url_cap || strlen(t) >= tok_cap)
        return ISX_EINVAL;
    memcpy(url, u, strlen(u) + 1);
    memcpy(token, t, strlen(t) + 1);
    return 0;
}

int
isx__cli_creds_read(struct isx__cli *c, char *url, size_t url_cap, char *token, size_t tok_cap)
{
    char path[1024], buf[CREDS_MAX];
    struct stat st;
    json_t *doc = NULL;
    ssize_t n;
    size_t len = 0;
    int fd = -1, rc;

    /* No file is not an error: there is simply nothing saved. */
    if (isx__cli_creds_path(path, sizeof(path)) != 0) {
        url[0] = token[0] = '\0';
        return 0;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return isx__cli_fail(c, ISX_EIO, NULL, "cli.err.creds_read", path, 2);
        url[0] = token[0] = '\0';
        return 0;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = isx__cli_fail(c, ISX_EIO, NULL, "cli.err.creds_read", path, 2);
        goto cleanup;
    }
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
        rc = isx__cli_fail(c, ISX_EPERM, NULL, "cli.err.creds_perm", path, 2);
        goto cleanup;
    }
    while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
        len += (size_t)n;
    doc = len < sizeof(buf) ? json_loadb(buf, len, 0, NULL) : NULL;
    if (doc == NULL || copy_fields(doc, url, url_cap, token, tok_cap) != 0) {
        rc = isx__cli_fail(c, ISX_EPARSE, NULL, "cli.err.creds_bad", path, 2);
        goto cleanup;
    }
    rc = 0;
cleanup:
    json_decref(doc);
    isx_memzero(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* mkdir -p, with `mode` for every directory it creates. */
static int
make_dirs(const char *dir, mode_t mode)
{
    char tmp[1024];
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(tmp))
        return ISX_EINVAL;
    memcpy(tmp, dir, len + 1);
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST)
            return ISX_EIO;
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return ISX_EIO;
    return 0;
}

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ISX_EIO;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int
isx__cli_creds_write(struct isx__cli *c, const char *url, const char *token)
{
    char path[1024], dir[1024], tmp[1100];
    char *text = NULL, *slash;
    json_t *doc = NULL;
    int fd = -1, made = 0, rc;

    if (isx__cli_creds_path(path, sizeof(path)) != 0)
        return isx__cli_fail(c, ISX_ECONFIG, NULL, "cli.err.no_home", NULL, 1);
    memcpy(dir, path, sizeof(dir));
    slash = strrchr(dir, '/');
    *slash = '\0';
    snprintf(tmp, sizeof(tmp), "%s/.credentials.XXXXXX", dir);
    if (make_dirs(dir, 0700) != 0) {
        rc = isx__cli_fail(c, ISX_EIO, NULL, "cli.err.creds_write", path, 1);
        goto cleanup;
    }
    doc = json_pack("{s:s, s:s}", "url", url, "token", token);
    if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2))) == NULL) {
        rc = ISX_ENOMEM;
        goto cleanup;
    }
    if ((fd = mkstemp(tmp)) < 0) {
        rc = isx__cli_fail(c, ISX_EIO, NULL, "cli.err.creds_write", path, 1);
        goto cleanup;
    }
    made = 1;
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) != 0 ||
        write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        rc = isx__cli_fail(c, ISX_EIO, NULL, "cli.err.creds_write", path, 1);
        goto cleanup;
    }
    rc = close(fd);
    fd = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        rc = isx__cli_fail(c, ISX_EIO, NULL, "cli.err.creds_write", path, 1);
        goto cleanup;
    }
    made = 0;
    /* The rename is durable only once the directory itself reaches the disk. */
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
        fsync(fd);
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (made)
        unlink(tmp);
    if (text != NULL) {
        isx_memzero(text, strlen(text));
        free(text);
    }
    json_decref(doc);
    return rc;
}
