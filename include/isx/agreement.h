/*
 * The agreement's own calendar (Art. 5.1, 11, 12 of the 2009 SCO agreement): from the
 * notifications the depositary holds, the date the agreement entered into force, the date it
 * binds each party, when a withdrawal takes effect, the depositary's and the parties' deadlines,
 * and the status of every state on a given day. docs/agreement.md gives each rule with the
 * article it comes from. This module does no I/O.
 *
 * Dates are whole days: the number of days since 1970-01-01 in the proleptic Gregorian
 * calendar (isx_days_from_civil), written "YYYY-MM-DD". There is no time of day and no time
 * zone: a notification is dated the day the depositary received it.
 */
#ifndef ISX_AGREEMENT_H
#define ISX_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/error.h"

/* "No such date yet" in every date field below. */
#define ISX_AGREEMENT_NO_DATE INT64_MIN

/* The day the agreement was signed at Yekaterinburg by the six founding parties. */
#define ISX_AGREEMENT_SIGNED "2009-06-16"

/* The fixed numbers of days in the articles. */
#define ISX_AGREEMENT_ENTRY_DAYS    30 /* Art. 12.1 and 12.3: "the 30th day after" */
#define ISX_AGREEMENT_NOTICE_DAYS   90 /* Art. 12.4: withdrawal notice at least 90 days ahead */
#define ISX_AGREEMENT_CIRCULAR_DAYS 30 /* Art. 12.4: depositary informs the others in 30 days */
#define ISX_AGREEMENT_COPY_DAYS     15 /* Art. 11: certified copies within 15 days of signing */
#define ISX_AGREEMENT_DETAILS_DAYS  60 /* Art. 5.1: authority details within 60 days */
#define ISX_AGREEMENT_QUORUM        4  /* Art. 12.1: the 4th notification brings it into force */

/* "YYYY-MM-DD" */
#define ISX_AGREEMENT_DATE_LEN 10

/*
 * The kinds of notification (the body's "kind"), in the order isx_agreement_kinds names them.
 * The first five come from a state, the last three record what the depositary (or a party
 * through it) did to meet a deadline.
 */
enum isx_agreement_kind {
    ISX_AGREEMENT_SIGNATURE,           /* a founding party signed (Art. 12, final clause) */
    ISX_AGREEMENT_RATIFICATION,        /* domestic procedures completed (Art. 12.1) */
    ISX_AGREEMENT_ACCESSION_REQUEST,   /* instrument of accession of a state (Art. 12.3) */
    ISX_AGREEMENT_ACCESSION_CONSENT,   /* a party consents to "state" acceding (Art. 12.3) */
    ISX_AGREEMENT_WITHDRAWAL,          /* notice of withdrawal (Art. 12.4) */
    ISX_AGREEMENT_WITHDRAWAL_CIRCULAR, /* depositary told the others of "state"'s withdrawal */
    ISX_AGREEMENT_CERTIFIED_COPY,      /* depositary sent certified copies (Art. 11) */
    ISX_AGREEMENT_AUTHORITY_DETAILS,   /* a party sent its competent-authority details (Art. 5.1) */
    ISX_AGREEMENT_KIND_COUNT
};
extern const char *const isx_agreement_kinds[]; /* NULL-terminated, by enum value */

/* A state's standing on the calendar's day, in the order isx_agreement_statuses names them. */
enum isx_agreement_status {
    ISX_AGREEMENT_NOT_PARTY, /* neither signed, nor acceding, nor ever bound */
    ISX_AGREEMENT_SIGNATORY, /* signed, not (yet) bound: awaiting its procedures or entry */
    ISX_AGREEMENT_ACCEDING,  /* accession requested, not yet in force for it */
    ISX_AGREEMENT_BOUND,     /* the agreement is in force for it (also during a notice period) */
    ISX_AGREEMENT_WITHDRAWN, /* was bound, its withdrawal has taken effect */
    ISX_AGREEMENT_STATUS_COUNT
};
extern const char *const isx_agreement_statuses[];

enum isx_agreement_duty_kind {
    ISX_AGREEMENT_DUTY_CERTIFIED_COPY,      /* depositary -> each signatory, Art. 11 */
    ISX_AGREEMENT_DUTY_WITHDRAWAL_CIRCULAR, /* depositary -> the others, Art. 12.4 */
    ISX_AGREEMENT_DUTY_AUTHORITY_DETAILS,   /* each party, through the depositary, Art. 5.1 */
    ISX_AGREEMENT_DUTY_COUNT
};
extern const char *const isx_agreement_duties[];

enum isx_agreement_duty_state {
    ISX_AGREEMENT_DONE,    /* a matching notification was received on or before the day */
    ISX_AGREEMENT_DUE,     /* not done, the last day has not passed */
    ISX_AGREEMENT_OVERDUE, /* not done, the last day has passed */
    ISX_AGREEMENT_DUTY_STATE_COUNT
};
extern const char *const isx_agreement_duty_states[];

/* One notification, as the calendar needs it. Codes are NUL-terminated, "" when absent. */
struct isx_agreement_notice {
    enum isx_agreement_kind kind;
    char party[4];     /* who notifies: a state's ISO 3166-1 code, or "SCO" */
    char state[4];     /* the state it concerns (consent, circular, copy), or "" */
    int64_t date;      /* the day the depositary received it (or, for its own acts, did it) */
    int64_t effective; /* withdrawal: the date the notice names, or ISX_AGREEMENT_NO_DATE */
};

/* A stretch of days during which the agreement binds a state: from <= day < until. */
struct isx_agreement_period {
    int64_t from;
    int64_t until; /* ISX_AGREEMENT_NO_DATE while no withdrawal is scheduled */
};

struct isx_agreement_party {
    char code[4];
    int founding;                     /* one of the six signatories named in the text */
    enum isx_agreement_status status; /* on the calendar's day */
    int64_t signed_on;                /* founding parties only */
    int64_t ratified;                 /* receipt of its completed-procedures notification */
    int64_t requested;                /* receipt of its latest accession request */
    int64_t consented;                /* the day every required consent was held */
    char (*missing)[4];               /* pending accession: parties whose consent is lacking */
    size_t nmissing;
    int64_t notice;    /* receipt of its latest withdrawal notice */
    int64_t asked;     /* the withdrawal date that notice named, if any */
    int64_t withdrawn; /* the day that withdrawal takes effect (first day not bound) */
    struct isx_agreement_period *periods; /* oldest first; may end after the calendar's day */
    size_t nperiods;
};

struct isx_agreement_duty {
    enum isx_agreement_duty_kind kind;
    char by[4];    /* who owes it: "SCO" or a party */
    char about[4]; /* the signatory (copy), the withdrawing state (circular), or "" */
    int64_t from;  /* the day the duty arose */
    int64_t due;   /* the last day to meet it */
    int64_t done;  /* receipt of the notification that met it, or ISX_AGREEMENT_NO_DATE */
    enum isx_agreement_duty_state state;
};

/* A notification left out by ISX_AGREEMENT_SKIP_INVALID, and why. */
struct isx_agreement_skip {
    size_t index;
    struct isx_diag diag;
};

struct isx_agreement_calendar {
    int64_t at;       /* the day it describes */
    int64_t fourth;   /* receipt of the 4th completed-procedures notification */
    int64_t in_force; /* entry into force (Art. 12.1); may be after `at` (scheduled) */
    struct isx_agreement_party *parties; /* founding parties and every state named; by code */
    size_t nparties;
    struct isx_agreement_duty *duties; /* by due date */
    size_t nduties;
    struct isx_agreement_skip *skipped;
    size_t nskipped;
};

/* isx_agreement_compute flags. */
#define ISX_AGREEMENT_SKIP_INVALID 0x1u /* leave out refused notifications instead of failing */

/* Parses "YYYY-MM-DD" (a date that exists) into days since 1970-01-01. 0 or ISX_EINVAL. */
int isx_agreement_parse_date(const char *s, int64_t *day);
/* Writes a day as "YYYY-MM-DD"; out has room for ISX_AGREEMENT_DATE_LEN + 1. */
void isx_agreement_format_date(int64_t day, char out[ISX_AGREEMENT_DATE_LEN + 1]);

/*
 * Checks a notification body against its schema and the rules between its fields (who may
 * send which kind, which kinds name a state or a date). `path` prefixes field names in the
 * diagnostic ("" at the top).
 */
int isx_agreement_check(const json_t *body, const char *path, struct isx_diag *d);

/* Checks a body as above and fills `out` from it. */
int isx_agreement_parse(const json_t *body, const char *path, struct isx_agreement_notice *out,
                        struct isx_diag *d);

/*
 * Computes the calendar on day `at` from `n` notifications (in any order). Only notifications
 * received on or before `at` count; dates after `at` in the result are what is scheduled as of
 * `at` if nothing more arrives. A notification the agreement does not allow at the point it
 * arrives (a completed-procedures notice before signature, a consent from a state that is not
 * bound, a second withdrawal, ...) fails the whole computation with the diagnostic naming
 * "notifications[i].<field>", unless `flags` has ISX_AGREEMENT_SKIP_INVALID: then it is left
 * out and listed in `skipped`. Free the result with isx_agreement_free.
 */
int isx_agreement_compute(const struct isx_agreement_notice *v, size_t n, int64_t at,
                          unsigned flags, struct isx_agreement_calendar **out, struct isx_diag *d);

/* The same from a JSON array of notification bodies; bodies that fail the check count as
 * refused (skipped under ISX_AGREEMENT_SKIP_INVALID). */
int isx_agreement_compute_json(const json_t *bodies, int64_t at, unsigned flags,
                               struct isx_agreement_calendar **out, struct isx_diag *d);

void isx_agreement_free(struct isx_agreement_calendar *c);

/* The entry for a state, or NULL when the calendar does not name it. */
const struct isx_agreement_party *isx_agreement_find(const struct isx_agreement_calendar *c,
                                                     const char *code);

/*
 * 1 when the agreement binds both `a` and `b` on `day` (they are parties to each other), else 0.
 * Exact for any day up to the calendar's; for later days it answers as scheduled. The
 * depositary is not a state and is never bound.
 */
int isx_agreement_bound(const struct isx_agreement_calendar *c, const char *a, const char *b,
                        int64_t day);

/* The calendar as JSON (dates as "YYYY-MM-DD", null when none), for the API and the CLI. */
int isx_agreement_render(const struct isx_agreement_calendar *c, json_t **out);

#endif
