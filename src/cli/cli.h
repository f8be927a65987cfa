/*
 * The isx command line: the private interface between the files of src/cli/.
 *
 * main.c owns the verb table and dispatch; args.c the option table and the parser; report.c
 * every message to stderr and the exit status; api.c the requests to a node; creds.c the
 * credentials file; text.c display widths, tables and wrapping; dirbody.c options into
 * directory bodies; csv.c the CSV reader of imports; the other files one family of verbs each. No
 * file here prints a user-facing word that is not in the catalogue.
 */
#ifndef ISX_CLI_H
#define ISX_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "isx/auth.h"
#include "isx/buf.h"
#include "isx/error.h"
#include "isx/i18n.h"

/* Every option any verb knows. The names are in args.c; a verb lists the ones it accepts. */
enum isx__cli_opt {
    CLI_OPT_URL,
    CLI_OPT_JSON,
    CLI_OPT_LANG,
    CLI_OPT_HELP,
    CLI_OPT_DIR,
    CLI_OPT_PARTY,
    CLI_OPT_NAME,
    CLI_OPT_EXAMPLES,
    CLI_OPT_ROLE,
    CLI_OPT_TOKEN,
    CLI_OPT_DIRECTION,
    CLI_OPT_CATEGORY,
    CLI_OPT_EMAIL,
    CLI_OPT_PHONE,
    CLI_OPT_NOTE,
    CLI_OPT_KIND,
    CLI_OPT_PERSON,
    CLI_OPT_ORGANISATION,
    CLI_OPT_POSITION,
    CLI_OPT_AUTHORITY,
    CLI_OPT_HTTPS,
    CLI_OPT_LANGUAGE,
    CLI_OPT_TZ,
    CLI_OPT_HOURS,
    CLI_OPT_DAYS,
    CLI_OPT_ALWAYS,
    CLI_OPT_ALL,
    CLI_OPT_ALL_PAGES,
    CLI_OPT_LIMIT,
    CLI_OPT_CURSOR,
    CLI_OPT_Q,
    CLI_OPT_FILE,
    CLI_OPT_VERSION,
    CLI_OPT_KEY,
    CLI_OPT_KEY_ID,
    CLI_OPT_FULL,
    CLI_OPT_THREAT,
    CLI_OPT_FEATURE,
    CLI_OPT_SEVERITY,
    CLI_OPT_STATUS,
    CLI_OPT_SECTOR,
    CLI_OPT_SINCE,
    CLI_OPT_UNTIL,
    CLI_OPT_INDICATOR,
    CLI_OPT_TYPE,
    CLI_OPT_TITLE,
    CLI_OPT_SUMMARY,
    CLI_OPT_TLP,
    CLI_OPT_TO,
    CLI_OPT_LABEL,
    CLI_OPT_ISSUE,
    CLI_OPT_SIZE,
    CLI_OPT_OUT,
    CLI_OPT_KEY_FILE,
    CLI_OPT_BOX_KEY,
    CLI_OPT_FETCH,
    CLI_OPT_RELAY,
    /* Requests (issue 6). */
    CLI_OPT_SUBJECT,
    CLI_OPT_URGENCY,
    CLI_OPT_ACK_BY,
    CLI_OPT_ANSWER_BY,
    CLI_OPT_ATTACH,
    CLI_OPT_OVERDUE,

    /* Pings (issue 6). */
    CLI_OPT_DEADLINE,
    CLI_OPT_MESSAGE,
    CLI_OPT_POC,

    /* Consultations and the agreement (issue 6). */
    CLI_OPT_AT,
    CLI_OPT_DATE,
    CLI_OPT_STATE,
    CLI_OPT_VENUE,
    CLI_OPT_AGENDA,

    CLI_OPT_COUNT
};

/*
 * A set of options, one bit per enum isx__cli_opt. 128 bits: the verbs have outgrown 64.
 * __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit integer it names.
 */
__extension__ typedef unsigned __int128 isx__cli_optset;
#define CLI_BIT(o) ((isx__cli_optset)1 << (o))
_Static_assert(CLI_OPT_COUNT <= 128, "one bit per option in isx__cli_optset");

#define ISX__CLI_MAX_ARGS 256

/* One verb's parsed command line. Every string borrows from argv. */
struct isx__cli_args {
    const char *pos[ISX__CLI_MAX_ARGS];
    size_t npos;
    enum isx__cli_opt opt[ISX__CLI_MAX_ARGS];
    const char *val[ISX__CLI_MAX_ARGS]; /* NULL for a flag */
    size_t nopt;
};

struct isx__cli;

/* A verb's handler: 0, or a negative ISX_E* code after the problem has been reported. */
typedef int (*isx__cli_handler)(struct isx__cli *c, const struct isx__cli_args *a);

#define ISX__CLI_LOCAL 0x1u /* works on a node directory; never talks to a server */
#define ISX__CLI_TOKEN 0x2u /* the API answers only with a bearer token */

/* One row of the verb table (Redis-style command table). */
struct isx__cli_verb {
    const char *noun;
    const char *verb; /* NULL when the noun is the whole command */
    isx__cli_handler handler;
    unsigned min_args, max_args;
    const char *help_key;
    isx__cli_optset opts; /* the verb's own options; --json, --lang, --help always go */
    unsigned flags;
};

/* The state of one run of the command. */
struct isx__cli {
    enum isx_lang lang;
    int json;
    const char *url_opt;             /* --url naming the server, if given */
    const char *noun;                /* the noun typed, once it is known to exist */
    const struct isx__cli_verb *cmd; /* the verb being run */
    int resolved;                    /* url and token below have been worked out */
    char url[1024];                  /* the server, without a trailing '/' */
    char token[256];                 /* wiped at exit */
    int have_token;
    int exit_code; /* set by whoever reports a failure: 2 for the user's input, 1 otherwise */
};

/* ---- main.c ---- */

/* Prints the help of the current verb (or noun) to `f`. */
void isx__cli_help(struct isx__cli *c, FILE *f);

/* ---- args.c ---- */

/* Parses the verb's arguments; on a usage error it has been reported. */
int isx__cli_parse(struct isx__cli *c, int argc, char **argv, struct isx__cli_args *out);
/* 1 when the option was given at all. */
int isx__cli_has(const struct isx__cli_args *a, enum isx__cli_opt opt);
/* The option's only value (NULL when absent); a repeated option is a usage error. */
int isx__cli_one(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt,
                 const char **out);
/* Iterates over an option's values: start with *i = 0; NULL at the end. */
const char *isx__cli_next(const struct isx__cli_args *a, enum isx__cli_opt opt, size_t *i);
/* "--party" for CLI_OPT_PARTY. */
const char *isx__cli_opt_name(enum isx__cli_opt opt);
/*
 * Splits "zh:文本" into a language and its text; text without a zh:/ru:/en: prefix is in the
 * current language. An unknown two-letter prefix or an empty text is refused.
 */
int isx__cli_langtext(struct isx__cli *c, enum isx__cli_opt opt, const char *arg, const char **lang,
                      const char **text);

/* ---- report.c ---- */

/*
 * Formats catalogue text: "{}" takes the next argument, "{1}".."{9}" a given one. The
 * arguments end with NULL.
 */
int isx__cli_fmt(enum isx_lang lang, const char *key, struct isx_buf *out, ...)
    __attribute__((sentinel));
int isx__cli_vfmt(enum isx_lang lang, const char *key, struct isx_buf *out, va_list ap);
/* Prints formatted catalogue text and a newline on stdout. */
void isx__cli_say(struct isx__cli *c, const char *key, ...) __attribute__((sentinel));
/* The same on stderr (hints, page cursors), so that stdout keeps only the answer. */
void isx__cli_note(struct isx__cli *c, const char *key, ...) __attribute__((sentinel));
/* A usage error: one line that names the help to read; exit status 2. Returns ISX_EINVAL. */
int isx__cli_usage(struct isx__cli *c, const char *key, const char *arg);
/*
 * A failure, printed as one line "isx: <title>: <field>: <detail>" where the detail is the
 * catalogue text of `key` with `arg`. `exit_code` is the process's exit status. Returns `rc`.
 */
int isx__cli_fail(struct isx__cli *c, int rc, const char *field, const char *key, const char *arg,
                  int exit_code);
/* A bad value given by the user: isx__cli_fail with ISX_EINVAL and exit status 2. */
int isx__cli_bad(struct isx__cli *c, enum isx__cli_opt opt, const char *key, const char *arg);
/* A library failure with its diagnostic; exit status 2 for a 4xx-class error. */
int isx__cli_fail_diag(struct isx__cli *c, int rc, const struct isx_diag *d);
/* Prints a problem document from a node as one line; returns the ISX_E* code it names. */
int isx__cli_problem(struct isx__cli *c, long status, const char *body, size_t len);

/* ---- creds.c ---- */

/* The credentials file's path; ISX_ENOTFOUND when neither XDG_CONFIG_HOME nor HOME is set. */
int isx__cli_creds_path(char *out, size_t cap);
/*
 * Reads the credentials file. A missing file leaves url and token empty and returns 0; a file
 * that others can read is refused (ISX_EPERM) after being reported.
 */
int isx__cli_creds_read(struct isx__cli *c, char *url, size_t url_cap, char *token, size_t tok_cap);
/* Writes the credentials file atomically with mode 0600. */
int isx__cli_creds_write(struct isx__cli *c, const char *url, const char *token);

/* ---- api.c ---- */

/* Works out the server's URL and, when `need_token`, the token; reports what is missing. */
int isx__cli_connect(struct isx__cli *c, int need_token);
/*
 * One API call. `path` starts with "/api/v1/" and carries its query. `if_match` (may be NULL)
 * is sent as If-Match. On a 2xx answer *out (may be NULL) receives the parsed JSON (a new
 * reference, NULL for an empty body), *raw (may be NULL) the bytes and *status the code;
 * anything else has been reported and its error returned.
 */
int isx__cli_api(struct isx__cli *c, const char *method, const char *path, const char *if_match,
                 const json_t *body, json_t **out, struct isx_buf *raw, long *status);
/* The same with a body of JSON text sent as it is (a signed envelope keeps its bytes). */
int isx__cli_api_text(struct isx__cli *c, const char *method, const char *path,
                      const char *if_match, const char *text, size_t len, json_t **out,
                      struct isx_buf *raw, long *status);
/* Appends "?name=value" or "&name=value" with the value percent-encoded. */
int isx__cli_query(struct isx_buf *path, const char *name, const char *value);
/* Prints JSON for programs: the bytes as received, ending with a newline. */
void isx__cli_print_raw(const struct isx_buf *raw);
/* Reads a file, or stdin for "-", reporting failures as bad input. */
int isx__cli_read_input(struct isx__cli *c, const char *path, size_t max, struct isx_buf *out);
/* Reads and parses a JSON object from a file or stdin. */
int isx__cli_read_json(struct isx__cli *c, const char *path, json_t **out);

/* ---- text.c ---- */

/* Display columns of UTF-8 text: CJK and other wide characters 2, combining marks 0. */
size_t isx__cli_width(const char *s);
/*
 * Copies text for a terminal: control characters become spaces and bidirectional overrides
 * are dropped, so data from other nodes cannot move the cursor or reorder what is shown.
 */
int isx__cli_clean(const char *s, struct isx_buf *out);
/* Prints `s` wrapped to `width` columns, each line after the first indented by `indent`. */
void isx__cli_wrap(FILE *f, const char *s, size_t first_col, size_t indent, size_t width);
/* The terminal's width, or 80 when stdout is not a terminal. */
size_t isx__cli_columns(void);
/* A language map's text in `lang`, else in another language it has; NULL when empty. */
const char *isx__cli_pick(const json_t *map, enum isx_lang lang);
/* The translated label of an enumerated value ("cli.kind.technical"), else the value. */
const char *isx__cli_label(struct isx__cli *c, const char *group, const char *value);

#define ISX__CLI_TABLE_COLS 10

/* An aligned table; cells are cleaned copies. */
struct isx__cli_table {
    size_t ncols;
    const char *head[ISX__CLI_TABLE_COLS]; /* NULL heads: no header line */
    size_t max[ISX__CLI_TABLE_COLS];       /* widest a cell may be shown; 0 = no limit */
    json_t *rows;                          /* [[cell, ...], ...] */
};

/* Headers are catalogue keys (NULL for a table without a header). */
int isx__cli_table_init(struct isx__cli *c, struct isx__cli_table *t, size_t ncols,
                        const char *const *head_keys, const size_t *max);
/* Adds a row of `ncols` cells (a NULL cell is empty). */
int isx__cli_table_row(struct isx__cli_table *t, const char *const *cells);
void isx__cli_table_print(const struct isx__cli_table *t, FILE *f);
void isx__cli_table_free(struct isx__cli_table *t);
/* A two-column table of labels and values, for `show` verbs. */
int isx__cli_kv_init(struct isx__cli *c, struct isx__cli_table *t);
/* Adds "label  value"; a NULL label key continues the previous label on a new line. */
int isx__cli_kv(struct isx__cli *c, struct isx__cli_table *t, const char *label_key,
                const char *value);
/* Adds a language map: the chosen language first, the others after it with their prefix. */
int isx__cli_kv_langmap(struct isx__cli *c, struct isx__cli_table *t, const char *label_key,
                        const json_t *map);
/* "CN (China)" in the chosen language, from the built-in vocabulary. */
int isx__cli_party_label(struct isx__cli *c, const char *code, struct isx_buf *out);

/* ---- dirbody.c ---- */

/* A party code as the API spells it (upper case), checked against the built-in list. */
int isx__cli_party_code(struct isx__cli *c, const char *field, const char *in, char out[8]);
/* "D02", "d2" or "2" -> "D02", checked against the directions of Art. 3. */
int isx__cli_direction_code(struct isx__cli *c, const char *in, char out[8]);
int isx__cli_category_valid(const char *v);
int isx__cli_kind_valid(const char *v);
/* Apply a verb's options to a party, authority or contact body (new or current). */
int isx__cli_party_apply(struct isx__cli *c, const struct isx__cli_args *a, json_t *body);
int isx__cli_authority_apply(struct isx__cli *c, const struct isx__cli_args *a, json_t *body);
int isx__cli_poc_apply(struct isx__cli *c, const struct isx__cli_args *a, json_t *body);
/* What `add` cannot do without, checked before anything is sent. */
int isx__cli_party_require(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_authority_require(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_poc_require(struct isx__cli *c, const struct isx__cli_args *a);

/* ---- csv.c ---- */

#define ISX__CLI_CSV_FIELDS 8

/* A reader of RFC 4180 records from text in memory (see csv.c for what it accepts). */
struct isx__cli_csv {
    const char *p, *end;
    size_t line;        /* the line the reader is on (1-based) */
    size_t record_line; /* the line the current record starts on */
    struct isx_buf text;
    size_t nfields;
    size_t off[ISX__CLI_CSV_FIELDS];
    const char *why; /* after ISX_EPARSE: a catalogue key saying what is malformed */
    size_t bad_line; /* and the line it is on */
};

void isx__cli_csv_init(struct isx__cli_csv *r, const char *text, size_t len);
/* 1 with the next record's fields, 0 at the end, ISX_EPARSE (see why, bad_line) or ENOMEM. */
int isx__cli_csv_next(struct isx__cli_csv *r);
/* The current record's field `i` (NUL-terminated), or NULL past the last one. */
const char *isx__cli_csv_field(const struct isx__cli_csv *r, size_t i);
void isx__cli_csv_free(struct isx__cli_csv *r);

/* ---- the verbs ---- */

int isx__cli_init(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_reindex(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_user_add(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_user_list(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_login(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_whoami(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_node(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_dir_add(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_dir_list(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_dir_show(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_dir_update(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_dir_retire(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_taxonomy(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_glossary(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_directions(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_object_show(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_object_versions(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_object_verify(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_object_import(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_report_submit(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_report_list(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_report_show(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_indicator_lookup(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_import_csv(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_log_status(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_log_checkpoint(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_log_prove(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_log_consistency(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_log_verify(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_log_audit(struct isx__cli *c, const struct isx__cli_args *a);

/* ---- peer.c ---- */
int isx__cli_peer_add(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_peer_list(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_peer_remove(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_peer_alarms(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_release_grant(struct isx__cli *c, const struct isx__cli_args *a);

/* ---- request.c (issue 6) ---- */
int isx__cli_request_open(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_request_list(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_request_show(struct isx__cli *c, const struct isx__cli_args *a);
/* ack, progress, reply, decline, close, withdraw, comment: one step in the thread. */
int isx__cli_request_act(struct isx__cli *c, const struct isx__cli_args *a);

/* ---- ping.c (issue 6) ---- */
int isx__cli_ping_start(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_ping_status(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_ping_history(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_ping_ack(struct isx__cli *c, const struct isx__cli_args *a);
/* The directory's mark for a contact that did not answer its latest closed ping, or NULL. */
const char *isx__cli_ping_flag(struct isx__cli *c, const json_t *env);

/* ---- consult.c, agreement.c (issue 6) ---- */
int isx__cli_agreement_status(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_agreement_notify(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_propose(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_revise(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_consent(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_object(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_minutes(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_list(struct isx__cli *c, const struct isx__cli_args *a);
int isx__cli_consult_show(struct isx__cli *c, const struct isx__cli_args *a);

/* One row of a list table, from one item of a page. */
typedef int (*isx__cli_row_fn)(struct isx__cli *c, struct isx__cli_table *t, const json_t *env);

/*
 * Lists `base` (an API path with its query) from `cursor`: one page, or every page with
 * `all_pages`; rows go into `t` through `row`, or the JSON is printed with --json.
 * `empty_key` is the catalogue message for an empty list. (src/cli/pager.c)
 */
int isx__cli_pages(struct isx__cli *c, const char *base, const char *cursor, int all_pages,
                   struct isx__cli_table *t, isx__cli_row_fn row, const char *empty_key);

/* Calls `fn` for each comma-separated item of each value of `opt` (src/cli/args.c). */
int isx__cli_each_item(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt,
                       int (*fn)(struct isx__cli *c, const char *item, void *arg), void *arg);
/* Appends a string to an array unless it is already there (the API wants unique items). */
int isx__cli_append_unique(json_t *array, const char *s);

#endif
