/*
 * The node's INI configuration (isx.conf in the node directory). Parsing is strict: an
 * unknown section or key, a bad value or a malformed line is an error naming the line and
 * the key, so a typo cannot silently leave a setting at its default.
 */
#ifndef ISX_CONFIG_H
#define ISX_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "isx/buf.h"
#include "isx/error.h"

#define ISX_CONFIG_PATH_MAX  512
#define ISX_CONFIG_LABELS    32
#define ISX_CONFIG_LABEL_MAX 128

struct isx_config {
    char party[4];                         /* [node] party = CN */
    char name[64];                         /* [node] name = isx-cn (key name, log origin) */
    char database[ISX_CONFIG_PATH_MAX];    /* [node] database = isx.db (relative: node dir) */
    char signing_key[ISX_CONFIG_PATH_MAX]; /* [node] signing_key = keys/sign.key */
    char box_key[ISX_CONFIG_PATH_MAX];     /* [node] box_key = keys/box.key */
    char listen[64];                       /* [http] listen = 127.0.0.1 */
    uint16_t port;                         /* [http] port = 8440 */
    size_t max_body;                       /* [http] max_body = 1048576 */
    unsigned threads;                      /* [http] threads = 4 */
    int log_requests;                      /* [http] log_requests = yes */
    int signer_process;                    /* [security] signer_process = yes */
    unsigned checkpoint_interval; /* [log] checkpoint_interval = 60 (seconds; 0: on demand) */
    unsigned sync_interval;       /* [federation] sync_interval = 5 (seconds; 0: no sync) */
    unsigned witness_interval;    /* [federation] witness_interval = 30 (seconds) */
    unsigned sig_window;          /* [federation] window = 300 (seconds a signature is valid) */
    int relay;                    /* [federation] relay = no */
    char secret_labels[ISX_CONFIG_LABELS][ISX_CONFIG_LABEL_MAX]; /* [marking] secret_labels */
    size_t nsecret_labels;
    /* [requests] ack_routine, ack_urgent, ack_critical, answer_routine, answer_urgent,
     * answer_critical: hours from opening a request to its default deadlines, by urgency
     * (include/isx/request.h). */
    unsigned request_ack_hours[3];
    unsigned request_answer_hours[3];
    /* [pings] (issue 6): communication checks started on a schedule (include/isx/ping.h). */
    int ping_schedule;            /* [pings] schedule = off | daily | weekly | monthly */
    unsigned ping_weekday;        /* [pings] weekday = mon (weekly; 1 Monday .. 7 Sunday) */
    unsigned ping_monthday;       /* [pings] monthday = 1 (monthly; 1..28) */
    unsigned ping_hour;           /* [pings] hour = 9 (UTC, 0..23) */
    unsigned ping_deadline_hours; /* [pings] deadline_hours = 48 (1..720) */
    char ping_parties[256];       /* [pings] parties = all, or "RU,KZ" */
    /* Consultations (issue 6). */
    char consult_first[11]; /* [consultations] first = YYYY-MM-DD ("": from entry into force) */
};

void isx_config_defaults(struct isx_config *cfg);
/* Parses INI text over the defaults. On error `d` names "section.key" and the line. */
int isx_config_parse(const char *text, size_t len, struct isx_config *cfg, struct isx_diag *d);
/* Writes the configuration back as INI text (used by `isx init`). */
int isx_config_format(const struct isx_config *cfg, struct isx_buf *out);

#endif
