/*
 * The harness behind every integration test. Processes are started with fork/exec and
 * always reaped; node directories live under the system temporary directory and are removed
 * at the end.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "isx/error.h"
#include "isx/hash.h"
#include "isx/sign.h"
#include "isx/node.h"

int
node_create(struct testnode *n, const char *party)
{
    struct isx_node *node = NULL;
    struct isx_diag d = {0};
    size_t count = 0;
    int rc;

    memset(n, 0, sizeof(*n));
    snprintf(n->dir, sizeof(n->dir), "/tmp/isx-test-XXXXXX");
    if (mkdtemp(n->dir) == NULL)
        return ISX_EIO;
    snprintf(n->party, sizeof(n->party), "%s", party);
    char nodedir[300];
    snprintf(nodedir, sizeof(nodedir), "%s/node", n->dir);
    if ((rc = isx_node_create(nodedir, party, NULL, n->token, &d)) != 0) {
        fprintf(stderr, "node_create: %s %s %s\n", isx_err_name(rc), d.field, d.arg);
        return rc;
    }
    if ((rc = isx_node_open(nodedir, 0, &node, &d)) != 0)
        return rc;
    rc = isx_node_load_examples(node, ISX_SOURCE_DIR "/examples/directory.json", &count, &d);
    if (rc != 0)
        fprintf(stderr, "examples: %s %s %s\n", isx_err_name(rc), d.field, d.arg);
    isx_node_free(node);
    return rc;
}

int
node_start(struct testnode *n)
{
    int out[2];
    char nodedir[300], line[256];
    FILE *f;

    snprintf(nodedir, sizeof(nodedir), "%s/node", n->dir);
    if (pipe(out) != 0)
        return ISX_EIO;
    n->pid = fork();
    if (n->pid < 0)
        return ISX_EIO;
    if (n->pid == 0) {
        char logpath[320];
        snprintf(logpath, sizeof(logpath), "%s/isxd.log", n->dir);
        int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out[1], 1);
        if (logfd >= 0)
            dup2(logfd, 2);
        close(out[0]);
        char port[8];
        snprintf(port, sizeof(port), "%u", (unsigned)n->want_port);
        execl(ISX_BIN_DIR "/isxd", "isxd", "-d", nodedir, "-p", port, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    f = fdopen(out[0], "r");
    if (f == NULL)
        return ISX_EIO;
    /* The daemon prints the bound address once it listens. */
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned port;
        if (sscanf(line, "isxd listening on http://127.0.0.1:%u/", &port) == 1) {
            n->port = (uint16_t)port;
            break;
        }
    }
    fclose(f);
    if (n->port == 0) {
        node_stop(n);
        return ISX_EIO;
    }
    snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%u", n->port);
    return 0;
}

int
node_stop(struct testnode *n)
{
    int status = 0;

    if (n->pid <= 0)
        return 0;
    kill(n->pid, SIGTERM);
    for (int i = 0; i < 300; i++) {
        if (waitpid(n->pid, &status, WNOHANG) == n->pid) {
            n->pid = 0;
            n->port = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(n->pid, SIGKILL);
    waitpid(n->pid, &status, 0);
    n->pid = 0;
    return 255;
}

void
node_destroy(struct testnode *n)
{
    char cmd[300];

    node_stop(n);
    if (n->dir[0] != '\0' && strncmp(n->dir, "/tmp/isx-test-", 14) == 0) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", n->dir);
    }
    n->dir[0] = '\0';
}

long
api(struct testnode *n, const char *method, const char *path, const char *token, const char *body,
    struct isx_http_response *resp)
{
    char url[512];

    memset(resp, 0, sizeof(*resp));
    snprintf(url, sizeof(url), "%s%s", n->url, path);
    if (isx_http_request(method, url, token != NULL ? token : n->token, ISX_LANG_EN, body,
                         body != NULL ? strlen(body) : 0, 10000, resp) != 0)
        return -1;
    return resp->status;
}

long
objects_stored(struct testnode *n)
{
    struct isx_http_response r;
    long v = -1;

    if (api(n, "GET", "/metrics", NULL, NULL, &r) == 200 && r.body.data != NULL) {
        const char *p = strstr(r.body.data, "\nisx_objects_stored ");
        if (p != NULL)
            v = strtol(p + 20, NULL, 10);
    }
    isx_buf_free(&r.body);
    return v;
}

static void
drain(int fd, struct isx_buf *b)
{
    char chunk[4096];
    ssize_t got;

    while ((got = read(fd, chunk, sizeof(chunk))) > 0) {
        if (b != NULL)
            isx_buf_append(b, chunk, (size_t)got);
    }
}

static int
spawn(const char *prog, char **argv, struct testnode *n, const char *stdin_text,
      struct isx_buf *out, struct isx_buf *err)
{
    int in[2], o[2], e[2], status;
    pid_t pid;

    if (pipe(in) != 0 || pipe(o) != 0 || pipe(e) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(o[1], 1);
        dup2(e[1], 2);
        close(in[1]);
        close(o[0]);
        close(e[0]);
        if (n != NULL) {
            setenv("ISX_URL", n->url, 1);
            setenv("ISX_TOKEN", n->token, 1);
        }
        setenv("XDG_CONFIG_HOME", "/nonexistent-isx-test", 1);
        execv(prog, argv);
        _exit(127);
    }
    close(in[0]);
    close(o[1]);
    close(e[1]);
    if (stdin_text != NULL && write(in[1], stdin_text, strlen(stdin_text)) < 0)
        perror("write");
    close(in[1]);
    /* Outputs in tests are small, so reading one pipe to its end before the other is safe. */
    drain(o[0], out);
    drain(e[0], err);
    close(o[0]);
    close(e[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
vrun(const char *prog, struct testnode *n, const char *stdin_text, struct isx_buf *out,
     struct isx_buf *err, const char *arg0, va_list ap)
{
    char *argv[64];
    int argc = 0;

    argv[argc++] = (char *)prog;
    for (const char *a = arg0; a != NULL && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    return spawn(prog, argv, n, stdin_text, out, err);
}

int
run_cli(struct testnode *n, const char *stdin_text, struct isx_buf *out, struct isx_buf *err,
        const char *arg0, ...)
{
    va_list ap;
    int rc;

    va_start(ap, arg0);
    rc = vrun(ISX_BIN_DIR "/isx", n, stdin_text, out, err, arg0, ap);
    va_end(ap);
    return rc;
}

int
run_prog(const char *prog, struct isx_buf *out, struct isx_buf *err, const char *arg0, ...)
{
    va_list ap;
    int rc;

    va_start(ap, arg0);
    rc = vrun(prog, NULL, NULL, out, err, arg0, ap);
    va_end(ap);
    return rc;
}

int
peer_register_keys(struct testnode *n, const char *party, const char *url,
                   struct isx_sign_key **sign_out, struct isx_box_key **box_out)
{
    struct isx_sign_key *sk = NULL;
    struct isx_box_key *bk = NULL;
    struct isx_http_response r;
    uint8_t pk[32], bpk[32];
    char pk64[64], bpk64[64], name[32], body[512];
    long status;
    int rc = -1;

    if (isx_sign_key_generate(&sk) != 0 || isx_box_key_generate(&bk) != 0)
        goto done;
    isx_sign_key_public(sk, pk);
    isx_box_key_public(bk, bpk);
    isx_base64_encode(pk, sizeof(pk), pk64);
    isx_base64_encode(bpk, sizeof(bpk), bpk64);
    snprintf(name, sizeof(name), "isx-%s", party);
    for (char *p = name; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    snprintf(body, sizeof(body),
             "{\"party\":\"%s\",\"url\":\"%s\",\"name\":\"%s\",\"sign_key\":\"%s\","
             "\"box_key\":\"%s\"}",
             party, url != NULL ? url : "http://127.0.0.1:9", name, pk64, bpk64);
    status = api(n, "POST", "/api/v1/peers", NULL, body, &r);
    isx_buf_free(&r.body);
    if (status != 201 && status != 200)
        goto done;
    rc = 0;
    if (sign_out != NULL) {
        *sign_out = sk;
        sk = NULL;
    }
    if (box_out != NULL) {
        *box_out = bk;
        bk = NULL;
    }
done:
    isx_sign_key_free(sk);
    isx_box_key_free(bk);
    return rc;
}

int
node_config_set(struct testnode *n, const char *line, const char *with)
{
    char path[320], *text, *at;
    struct isx_buf b = ISX_BUF_INIT;
    FILE *f;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/node/isx.conf", n->dir);
    if (isx_file_read(path, 1 << 20, &b) != 0 || (text = b.data) == NULL)
        goto done;
    if ((at = strstr(text, line)) == NULL || (at != text && at[-1] != '\n'))
        goto done;
    if ((f = fopen(path, "w")) == NULL)
        goto done;
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(with, f);
    fputs(at + strlen(line), f);
    rc = fclose(f) == 0 ? 0 : -1;
done:
    isx_buf_free(&b);
    return rc;
}
