/*
 * INI parsing for isx.conf. The table of keys is data: each entry names its section, key,
 * kind and where it lands in struct isx_config. Nothing here touches files.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isx/agreement.h"
#include "isx/config.h"
#include "isx/ping.h"
#include "isx/taxonomy.h"

enum kind {
    K_STRING,
    K_PATH,
    K_PARTY,
    K_PORT,
    K_SIZE,
    K_THREADS,
    K_BOOL,
    K_LABELS,
    K_SECONDS,
    K_HOURS,
    K_PING, /* [pings]: parsed by isx_ping_config_set (issue 6) */
    K_DATE, /* consultations (issue 6) */
};

struct key {
    const char *section;
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size;
};

#define F(field) offsetof(struct isx_config, field), sizeof(((struct isx_config *)0)->field)

static const struct key keys[] = {
    {"node", "party", K_PARTY, F(party)},
    {"node", "name", K_STRING, F(name)},
    {"node", "database", K_PATH, F(database)},
    {"node", "signing_key", K_PATH, F(signing_key)},
    {"node", "box_key", K_PATH, F(box_key)},
    {"http", "listen", K_STRING, F(listen)},
    {"http", "port", K_PORT, F(port)},
    {"http", "max_body", K_SIZE, F(max_body)},
    {"http", "threads", K_THREADS, F(threads)},
    {"http", "log_requests", K_BOOL, F(log_requests)},
    {"security", "signer_process", K_BOOL, F(signer_process)},
    {"marking", "secret_labels", K_LABELS, 0, 0},
    {"log", "checkpoint_interval", K_SECONDS, F(checkpoint_interval)},
    {"federation", "sync_interval", K_SECONDS, F(sync_interval)},
    {"federation", "witness_interval", K_SECONDS, F(witness_interval)},
    {"federation", "window", K_SECONDS, F(sig_window)},
    {"federation", "relay", K_BOOL, F(relay)},
    /* Requests (issue 6). */
    {"requests", "ack_routine", K_HOURS, F(request_ack_hours[0])},
    {"requests", "ack_urgent", K_HOURS, F(request_ack_hours[1])},
    {"requests", "ack_critical", K_HOURS, F(request_ack_hours[2])},
    {"requests", "answer_routine", K_HOURS, F(request_answer_hours[0])},
    {"requests", "answer_urgent", K_HOURS, F(request_answer_hours[1])},
    {"requests", "answer_critical", K_HOURS, F(request_answer_hours[2])},

    /* Pings (issue 6). */
    {"pings", "schedule", K_PING, 0, 0},
    {"pings", "weekday", K_PING, 0, 0},
    {"pings", "monthday", K_PING, 0, 0},
    {"pings", "hour", K_PING, 0, 0},
    {"pings", "deadline_hours", K_PING, 0, 0},
    {"pings", "parties", K_PING, 0, 0},

    /* Consultations (issue 6). */
    {"consultations", "first", K_DATE, F(consult_first)},

};

void
isx_config_defaults(struct isx_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->party, sizeof(cfg->party), "CN");
    snprintf(cfg->name, sizeof(cfg->name), "isx-cn");
    snprintf(cfg->database, sizeof(cfg->database), "isx.db");
    snprintf(cfg->signing_key, sizeof(cfg->signing_key), "keys/sign.key");
    snprintf(cfg->box_key, sizeof(cfg->box_key), "keys/box.key");
    snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1");
    cfg->port = 8440;
    cfg->max_body = 1048576;
    cfg->threads = 4;
    cfg->log_requests = 1;
    cfg->signer_process = 1;
    cfg->checkpoint_interval = 60;
    cfg->sync_interval = 5;
    cfg->witness_interval = 30;
    cfg->sig_window = 300;
    cfg->relay = 0;
    /* Requests: acknowledge within 3 days, a day, 4 hours; answer within 30 days, 7 days, 2. */
    cfg->request_ack_hours[0] = 72;
    cfg->request_ack_hours[1] = 24;
    cfg->request_ack_hours[2] = 4;
    cfg->request_answer_hours[0] = 720;
    cfg->request_answer_hours[1] = 168;
    cfg->request_answer_hours[2] = 48;
    /* Pings (issue 6): no schedule until an operator sets one. */
    cfg->ping_schedule = ISX_PING_OFF;
    cfg->ping_weekday = 1;
    cfg->ping_monthday = 1;
    cfg->ping_hour = 9;
    cfg->ping_deadline_hours = ISX_PING_DEFAULT_HOURS;
    snprintf(cfg->ping_parties, sizeof(cfg->ping_parties), "all");
}

static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int
parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long n;

    if (*v < '0' || *v > '9')
        return ISX_EINVAL;
    n = strtoull(v, &end, 10);
    if (*end != '\0' || n > max)
        return ISX_EINVAL;
    *out = n;
    return 0;
}

static int
parse_bool(const char *v, int *out)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return ISX_EINVAL;
    return 0;
}

static int
set_labels(struct isx_config *cfg, char *v)
{
    char *save = NULL;

    cfg->nsecret_labels = 0;
    for (char *tok = strtok_r(v, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if (cfg->nsecret_labels == ISX_CONFIG_LABELS || strlen(tok) >= ISX_CONFIG_LABEL_MAX)
            return ISX_EINVAL;
        snprintf(cfg->secret_labels[cfg->nsecret_labels++], ISX_CONFIG_LABEL_MAX, "%s", tok);
    }
    return 0;
}

static int
apply(struct isx_config *cfg, const struct key *k, char *v)
{
    char *dst = (char *)cfg + k->offset;
    unsigned long long n;
    int b;

    switch (k->kind) {
    case K_STRING:
    case K_PATH:
        if (*v == '\0' || strlen(v) >= k->size)
            return ISX_EINVAL;
        /* Names appear in key ids, log origins and metric labels: keep them plain. */
        if (k->kind == K_STRING && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789._-:/") != strlen(v))
            return ISX_EINVAL;
        memcpy(dst, v, strlen(v) + 1);
        return 0;
    case K_PARTY:
        if (!isx_party_code_valid(v))
            return ISX_EINVAL;
        memcpy(dst, v, strlen(v) + 1);
        return 0;
    case K_PORT:
        if (parse_uint(v, 65535, &n) != 0)
            return ISX_EINVAL;
        cfg->port = (uint16_t)n;
        return 0;
    case K_SIZE:
        if (parse_uint(v, 1ull << 30, &n) != 0 || n < 1024)
            return ISX_EINVAL;
        cfg->max_body = (size_t)n;
        return 0;
    case K_THREADS:
        if (parse_uint(v, 256, &n) != 0 || n == 0)
            return ISX_EINVAL;
        cfg->threads = (unsigned)n;
        return 0;
    case K_BOOL:
        if (parse_bool(v, &b) != 0)
            return ISX_EINVAL;
        memcpy(dst, &b, sizeof(b));
        return 0;
    case K_LABELS:
        return set_labels(cfg, v);
    case K_HOURS:
        if (parse_uint(v, 8760, &n) != 0 || n == 0)
            return ISX_EINVAL;
        {
            unsigned u = (unsigned)n;
            memcpy(dst, &u, sizeof(u));
        }
        return 0;
    case K_PING:
        return isx_ping_config_set(cfg, k->name, v);
    case K_DATE:
        /* Empty: not set. Otherwise a day that exists, written YYYY-MM-DD. */
        if (*v != '\0') {
            int64_t day;
            if (isx_agreement_parse_date(v, &day) != 0)
                return ISX_EINVAL;
        }
        snprintf(dst, k->size, "%s", v);
        return 0;
    case K_SECONDS:
        if (parse_uint(v, 86400, &n) != 0)
            return ISX_EINVAL;
        {
            unsigned u = (unsigned)n;
            memcpy(dst, &u, sizeof(u));
        }
        return 0;
    }
    return ISX_EINVAL;
}

int
isx_config_parse(const char *text, size_t len, struct isx_config *cfg, struct isx_diag *d)
{
    char section[32] = "", field[96], lineno[32];
    char *copy = malloc(len + 1), *save = NULL, *line;
    int n = 0, rc = 0;

    if (copy == NULL)
        return ISX_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (strlen(copy) != len) {
        rc = isx_diag_set(d, ISX_ECONFIG, "", "config.syntax", "NUL");
        goto done;
    }
    for (char *p = copy;; p = NULL) {
        line = strtok_r(p, "\n", &save);
        if (line == NULL)
            break;
        n++;
        snprintf(lineno, sizeof(lineno), "%d", n);
        line = trim(line);
        if (*line == '\0' || *line == '#' || *line == ';')
            continue;
        if (*line == '[') {
            char *end = strchr(line, ']');
            if (end == NULL || end[1] != '\0' || (size_t)(end - line - 1) >= sizeof(section)) {
                rc = isx_diag_set(d, ISX_ECONFIG, line, "config.syntax", lineno);
                goto done;
            }
            memcpy(section, line + 1, (size_t)(end - line - 1));
            section[end - line - 1] = '\0';
            continue;
        }
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            rc = isx_diag_set(d, ISX_ECONFIG, line, "config.syntax", lineno);
            goto done;
        }
        *eq = '\0';
        char *name = trim(line), *value = trim(eq + 1);
        const struct key *k = NULL;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
                k = &keys[i];
        }
        snprintf(field, sizeof(field), "%s.%s", section, name);
        if (k == NULL) {
            rc = isx_diag_set(d, ISX_ECONFIG, field, "config.unknown", lineno);
            goto done;
        }
        if (apply(cfg, k, value) != 0) {
            rc = isx_diag_set(d, ISX_ECONFIG, field, "config.value", lineno);
            goto done;
        }
    }
done:
    free(copy);
    return rc;
}

int
isx_config_format(const struct isx_config *cfg, struct isx_buf *out)
{
    int rc = isx_buf_printf(out,
                            "# isx node configuration. See docs/operations.md.\n"
                            "[node]\nparty = %s\nname = %s\ndatabase = %s\nsigning_key = %s\n"
                            "box_key = %s\n\n[http]\nlisten = %s\nport = %u\nmax_body = %zu\n"
                            "threads = %u\nlog_requests = %s\n\n[security]\n"
                            "signer_process = %s\n\n[log]\n# Seconds between checkpoints of the "
                            "transparency log (0: only on demand).\ncheckpoint_interval = %u\n\n"
                            "[federation]\n# Seconds between delivery rounds with peers (0: "
                            "no federation) and between checks of their logs.\nsync_interval = "
                            "%u\nwitness_interval = %u\n# Seconds a signed request between "
                            "nodes stays valid.\nwindow = %u\n# Forward sealed objects for "
                            "parties the sender does not reach.\nrelay = %s\n\n"
                            "[marking]\n# Extra state-secret labels, "
                            "comma-separated (the Art. 6.2 labels are built in).\n"
                            "secret_labels =",
                            cfg->party, cfg->name, cfg->database, cfg->signing_key, cfg->box_key,
                            cfg->listen, cfg->port, cfg->max_body, cfg->threads,
                            cfg->log_requests ? "yes" : "no", cfg->signer_process ? "yes" : "no",
                            cfg->checkpoint_interval, cfg->sync_interval, cfg->witness_interval,
                            cfg->sig_window, cfg->relay ? "yes" : "no");
    for (size_t i = 0; rc == 0 && i < cfg->nsecret_labels; i++)
        rc = isx_buf_printf(out, "%s %s", i ? "," : "", cfg->secret_labels[i]);
    if (rc == 0)
        rc = isx_buf_putc(out, '\n');
    if (rc == 0)
        rc = isx_buf_printf(
            out,
            "\n[requests]\n# Hours from opening a request to its default deadlines, by urgency "
            "(a\n# deadline given in the request overrides them).\nack_routine = %u\n"
            "ack_urgent = %u\nack_critical = %u\nanswer_routine = %u\nanswer_urgent = %u\n"
            "answer_critical = %u\n",
            cfg->request_ack_hours[0], cfg->request_ack_hours[1], cfg->request_ack_hours[2],
            cfg->request_answer_hours[0], cfg->request_answer_hours[1],
            cfg->request_answer_hours[2]);
    if (rc == 0) /* issue 6 */
        rc = isx_ping_config_format(cfg, out);
    /* Consultations (issue 6). */
    if (rc == 0)
        rc = isx_buf_printf(out,
                            "\n[consultations]\n# The first regular consultation (Art. 5.2), "
                            "YYYY-MM-DD; the others follow\n# every six months. Empty: half a "
                            "year after the agreement entered into force.\nfirst = %s\n",
                            cfg->consult_first);
    return rc;
}
