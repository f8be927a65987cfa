/*
 * Integration-test harness: real isxd processes on 127.0.0.1 in temporary node directories,
 * the isx command line as a subprocess, and HTTP calls. Every process a test starts is
 * stopped by node_stop, also when a test fails (cmocka teardown).
 */
#ifndef ISX_TEST_HARNESS_H
#define ISX_TEST_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include "isx/buf.h"
#include "isx/http.h"

struct testnode {
    char dir[256];
    char party[4];
    pid_t pid;
    uint16_t port;
    char url[64];
    char token[ISX_TOKEN_LEN + 1];
    uint16_t want_port; /* node_start binds this port when set (a restart keeps its address) */
};

/* Replaces the first line of the node's isx.conf that equals `line` with `with`; 0 on success. */
int node_config_set(struct testnode *n, const char *line, const char *with);

/* Creates a node (party, example directory) in a fresh temporary directory. */
int node_create(struct testnode *n, const char *party);
/* Starts isxd for the node on a free port; waits until it answers. */
int node_start(struct testnode *n);
/* SIGTERM, wait; returns the exit status (0 for a clean stop). */
int node_stop(struct testnode *n);
/* Stops if running and removes the directory. */
void node_destroy(struct testnode *n);

/* An API call with the node's admin token (or `token` when non-NULL). */
long api(struct testnode *n, const char *method, const char *path, const char *token,
         const char *body, struct isx_http_response *resp);

/* The value of isx_objects_stored in /metrics (-1 on failure). */
long objects_stored(struct testnode *n);

/*
 * Runs build/isx with the arguments (NULL-terminated), env ISX_URL/ISX_TOKEN of the node
 * (when n is non-NULL) and optional stdin text. Returns the exit status.
 */
int run_cli(struct testnode *n, const char *stdin_text, struct isx_buf *out, struct isx_buf *err,
            const char *arg0, ...);

/*
 * Adds `party` as a peer of `n` with freshly made keys (signing and encryption), at `url`
 * (NULL: a port where nothing answers). The secret keys go to *sign_out / *box_out when those
 * are not NULL, so a test can act as that party; 0 on success.
 */
struct isx_sign_key;
struct isx_box_key;
int peer_register_keys(struct testnode *n, const char *party, const char *url,
                       struct isx_sign_key **sign_out, struct isx_box_key **box_out);

/* Runs any program with arguments (NULL-terminated); returns the exit status. */
int run_prog(const char *prog, struct isx_buf *out, struct isx_buf *err, const char *arg0, ...);

#endif
