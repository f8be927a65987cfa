/*
 * isx, the command line: the verb table, the global options and dispatch.
 *
 * Invariants: every command is one row of `verbs` (noun, verb, handler, argument counts, help
 * key, options, flags), and dispatch only looks rows up, so adding a verb is adding a row.
 * Help comes from the message catalogue in the chosen language. The exit status is 0 on
 * success, 2 for the user's own mistakes (usage, bad input, a 4xx answer) and 1 for the rest
 * (a 5xx answer, the network, the local system). The token is wiped before the process ends.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "isx/hash.h"

#define O(x) CLI_BIT(CLI_OPT_##x)

#define LIST_OPTS  (O(ALL) | O(ALL_PAGES) | O(LIMIT) | O(CURSOR))
#define PARTY_OPTS (O(NAME) | O(NOTE) | O(FILE))
#define AUTHORITY_OPTS                                                                             \
    (O(PARTY) | O(NAME) | O(DIRECTION) | O(CATEGORY) | O(EMAIL) | O(PHONE) | O(URL) | O(NOTE) |    \
     O(FILE))
#define POC_OPTS                                                                                   \
    (O(PARTY) | O(KIND) | O(PERSON) | O(ORGANISATION) | O(POSITION) | O(AUTHORITY) | O(EMAIL) |    \
     O(PHONE) | O(HTTPS) | O(LANGUAGE) | O(TZ) | O(HOURS) | O(DAYS) | O(ALWAYS) | O(NOTE) |        \
     O(FILE))

#define REPORT_LIST_OPTS                                                                           \
    (O(ALL_PAGES) | O(LIMIT) | O(CURSOR) | O(Q) | O(THREAT) | O(FEATURE) | O(SEVERITY) |           \
     O(STATUS) | O(SECTOR) | O(PARTY) | O(SINCE) | O(UNTIL) | O(INDICATOR))
#define IMPORT_CSV_OPTS                                                                            \
    (O(THREAT) | O(TITLE) | O(TLP) | O(TO) | O(LABEL) | O(FEATURE) | O(SEVERITY) | O(STATUS) |     \
     O(SECTOR) | O(SUMMARY))

#define LOCAL ISX__CLI_LOCAL
#define TOKEN ISX__CLI_TOKEN

static const struct isx__cli_verb verbs[] = {
    /* The node directory, without a server. */
    {"init", NULL, isx__cli_init, 0, 0, "cli.help.init", O(DIR) | O(PARTY) | O(NAME) | O(EXAMPLES),
     LOCAL},
    {"reindex", NULL, isx__cli_reindex, 0, 0, "cli.help.reindex", O(DIR), LOCAL},
    {"user", "add", isx__cli_user_add, 1, 1, "cli.help.user.add", O(ROLE) | O(DIR), LOCAL},

    /* The session and the node. */
    {"login", NULL, isx__cli_login, 0, 0, "cli.help.login", O(TOKEN), 0},
    {"whoami", NULL, isx__cli_whoami, 0, 0, "cli.help.whoami", 0, TOKEN},
    {"node", NULL, isx__cli_node, 0, 0, "cli.help.node", 0, 0},
    {"user", "list", isx__cli_user_list, 0, 0, "cli.help.user.list", 0, TOKEN},

    /* The directory. */
    {"party", "add", isx__cli_dir_add, 0, 1, "cli.help.party.add", PARTY_OPTS, TOKEN},
    {"party", "list", isx__cli_dir_list, 0, 0, "cli.help.party.list", LIST_OPTS, TOKEN},
    {"party", "show", isx__cli_dir_show, 1, 1, "cli.help.party.show", O(VERSION), TOKEN},
    {"party", "update", isx__cli_dir_update, 1, 1, "cli.help.party.update", PARTY_OPTS, TOKEN},
    {"party", "retire", isx__cli_dir_retire, 1, 1, "cli.help.party.retire", 0, TOKEN},
    {"authority", "add", isx__cli_dir_add, 0, 0, "cli.help.authority.add", AUTHORITY_OPTS, TOKEN},
    {"authority", "list", isx__cli_dir_list, 0, 0, "cli.help.authority.list",
     LIST_OPTS | O(PARTY) | O(DIRECTION) | O(CATEGORY), TOKEN},
    {"authority", "show", isx__cli_dir_show, 1, 1, "cli.help.authority.show", O(VERSION), TOKEN},
    {"authority", "update", isx__cli_dir_update, 1, 1, "cli.help.authority.update", AUTHORITY_OPTS,
     TOKEN},
    {"authority", "retire", isx__cli_dir_retire, 1, 1, "cli.help.authority.retire", 0, TOKEN},
    {"poc", "add", isx__cli_dir_add, 0, 0, "cli.help.poc.add", POC_OPTS, TOKEN},
    {"poc", "list", isx__cli_dir_list, 0, 0, "cli.help.poc.list",
     LIST_OPTS | O(PARTY) | O(KIND) | O(LANGUAGE) | O(AUTHORITY) | O(Q), TOKEN},
    {"poc", "show", isx__cli_dir_show, 1, 1, "cli.help.poc.show", O(VERSION), TOKEN},
    {"poc", "update", isx__cli_dir_update, 1, 1, "cli.help.poc.update", POC_OPTS, TOKEN},
    {"poc", "retire", isx__cli_dir_retire, 1, 1, "cli.help.poc.retire", 0, TOKEN},

    /* The agreement's vocabulary (public). */
    {"taxonomy", NULL, isx__cli_taxonomy, 0, 1, "cli.help.taxonomy", 0, 0},
    {"glossary", NULL, isx__cli_glossary, 0, 0, "cli.help.glossary", 0, 0},
    {"directions", NULL, isx__cli_directions, 0, 0, "cli.help.directions", O(FULL), 0},

    /* Signed objects. */
    {"object", "show", isx__cli_object_show, 1, 1, "cli.help.object.show", O(VERSION), TOKEN},
    {"object", "versions", isx__cli_object_versions, 1, 1, "cli.help.object.versions", 0, TOKEN},
    {"object", "verify", isx__cli_object_verify, 1, 1, "cli.help.object.verify", O(KEY) | O(KEY_ID),
     TOKEN},
    {"object", "import", isx__cli_object_import, 1, 1, "cli.help.object.import", 0, TOKEN},

    /* Threat reports and their indicators (Art. 3.2, Annex 2). */
    {"report", "submit", isx__cli_report_submit, 1, 1, "cli.help.report.submit", 0, TOKEN},
    {"report", "list", isx__cli_report_list, 0, 0, "cli.help.report.list", REPORT_LIST_OPTS, TOKEN},
    {"report", "show", isx__cli_report_show, 1, 1, "cli.help.report.show", 0, TOKEN},
    {"indicator", "lookup", isx__cli_indicator_lookup, 1, ISX__CLI_MAX_ARGS,
     "cli.help.indicator.lookup", O(TYPE), TOKEN},
    {"import", "csv", isx__cli_import_csv, 1, 1, "cli.help.import.csv", IMPORT_CSV_OPTS, TOKEN},

    /* The transparency log (issue 4): proofs come from the node, are checked without it. */
    {"log", "status", isx__cli_log_status, 0, 0, "cli.help.log.status", 0, TOKEN},
    {"log", "checkpoint", isx__cli_log_checkpoint, 0, 0, "cli.help.log.checkpoint",
     O(ISSUE) | O(SIZE) | O(OUT), TOKEN},
    {"log", "prove", isx__cli_log_prove, 1, 1, "cli.help.log.prove", O(SIZE) | O(OUT), TOKEN},
    {"log", "consistency", isx__cli_log_consistency, 1, 2, "cli.help.log.consistency", O(OUT),
     TOKEN},
    {"log", "verify", isx__cli_log_verify, 1, 1, "cli.help.log.verify", O(KEY) | O(KEY_FILE), 0},
    {"log", "audit", isx__cli_log_audit, 0, 0, "cli.help.log.audit", O(DIR), LOCAL},

    /* Federation (issue 5): peers, releases (Art. 6.3), witness alarms. */
    {"peer", "add", isx__cli_peer_add, 2, 2, "cli.help.peer.add",
     O(KEY) | O(BOX_KEY) | O(NAME) | O(FETCH) | O(RELAY), TOKEN},
    {"peer", "list", isx__cli_peer_list, 0, 0, "cli.help.peer.list", 0, TOKEN},
    {"peer", "remove", isx__cli_peer_remove, 1, 1, "cli.help.peer.remove", 0, TOKEN},
    {"peer", "alarms", isx__cli_peer_alarms, 0, 0, "cli.help.peer.alarms", 0, TOKEN},
    {"release", "grant", isx__cli_release_grant, 1, 1, "cli.help.release.grant", O(TO) | O(NOTE),
     TOKEN},

    /* Requests and joint response (issue 6). */
    {"request", "open", isx__cli_request_open, 0, ISX__CLI_MAX_ARGS, "cli.help.request.open",
     O(TO) | O(KIND) | O(SUBJECT) | O(NOTE) | O(URGENCY) | O(TLP) | O(LABEL) | O(ACK_BY) |
         O(ANSWER_BY),
     TOKEN},
    {"request", "list", isx__cli_request_list, 0, 0, "cli.help.request.list",
     O(OVERDUE) | O(STATUS) | O(KIND) | O(PARTY) | O(URGENCY), TOKEN},
    {"request", "show", isx__cli_request_show, 1, 1, "cli.help.request.show", O(OUT), TOKEN},
    {"request", "ack", isx__cli_request_act, 1, 1, "cli.help.request.ack", O(NOTE), TOKEN},
    {"request", "progress", isx__cli_request_act, 1, 1, "cli.help.request.progress",
     O(NOTE) | O(ATTACH), TOKEN},
    {"request", "reply", isx__cli_request_act, 1, 1, "cli.help.request.reply", O(NOTE) | O(ATTACH),
     TOKEN},
    {"request", "decline", isx__cli_request_act, 1, 1, "cli.help.request.decline", O(NOTE), TOKEN},
    {"request", "close", isx__cli_request_act, 1, 1, "cli.help.request.close", O(NOTE), TOKEN},
    {"request", "withdraw", isx__cli_request_act, 1, 1, "cli.help.request.withdraw", O(NOTE),
     TOKEN},
    {"request", "comment", isx__cli_request_act, 1, 1, "cli.help.request.comment",
     O(NOTE) | O(ATTACH), TOKEN},

    /* Communication checks (issue 6). */
    {"ping", "start", isx__cli_ping_start, 0, 0, "cli.help.ping.start",
     O(PARTY) | O(DEADLINE) | O(MESSAGE), TOKEN},
    {"ping", "status", isx__cli_ping_status, 0, 1, "cli.help.ping.status", 0, TOKEN},
    {"ping", "history", isx__cli_ping_history, 0, 0, "cli.help.ping.history", 0, TOKEN},
    {"ping", "ack", isx__cli_ping_ack, 1, 1, "cli.help.ping.ack", O(POC), TOKEN},

    /* Consultations and the agreement's calendar (issue 6). */
    {"agreement", "status", isx__cli_agreement_status, 0, 0, "cli.help.agreement.status", O(AT),
     TOKEN},
    {"agreement", "notify", isx__cli_agreement_notify, 0, 0, "cli.help.agreement.notify",
     O(KIND) | O(PARTY) | O(DATE) | O(STATE) | O(AT) | O(NOTE), TOKEN},
    {"consult", "list", isx__cli_consult_list, 0, 0, "cli.help.consult.list", O(LIMIT), TOKEN},
    {"consult", "show", isx__cli_consult_show, 1, 1, "cli.help.consult.show", 0, TOKEN},
    {"consult", "propose", isx__cli_consult_propose, 0, 0, "cli.help.consult.propose",
     O(KIND) | O(DATE) | O(UNTIL) | O(VENUE) | O(NAME) | O(AGENDA) | O(NOTE) | O(TO) | O(TLP),
     TOKEN},
    {"consult", "revise", isx__cli_consult_revise, 1, 1, "cli.help.consult.revise",
     O(DATE) | O(UNTIL) | O(VENUE) | O(NAME) | O(AGENDA) | O(NOTE), TOKEN},
    {"consult", "consent", isx__cli_consult_consent, 1, 1, "cli.help.consult.consent", O(NOTE),
     TOKEN},
    {"consult", "object", isx__cli_consult_object, 2, 2, "cli.help.consult.object", 0, TOKEN},
    {"consult", "minutes", isx__cli_consult_minutes, 2, 2, "cli.help.consult.minutes", 0, TOKEN},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static int
noun_known(const char *noun)
{
    for (size_t i = 0; i < NVERBS; i++) {
        if (strcmp(verbs[i].noun, noun) == 0)
            return 1;
    }
    return 0;
}

/* The row for (noun, verb); verb NULL finds a noun that is a whole command. */
static const struct isx__cli_verb *
find_verb(const char *noun, const char *verb)
{
    for (size_t i = 0; i < NVERBS; i++) {
        if (strcmp(verbs[i].noun, noun) != 0)
            continue;
        if (verbs[i].verb == NULL || (verb != NULL && strcmp(verbs[i].verb, verb) == 0))
            return &verbs[i];
    }
    return NULL;
}

static int
noun_has_verbs(const char *noun)
{
    const struct isx__cli_verb *v = find_verb(noun, NULL);
    return v == NULL || v->verb != NULL;
}

/* The usage lines of a help text: everything before its first blank line. */
static void
print_usage(FILE *f, const char *text)
{
    const char *end = strstr(text, "\n\n");
    size_t len = end != NULL ? (size_t)(end - text) : strlen(text);

    while (len > 0) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl != NULL ? (size_t)(nl - text) : len;
        fprintf(f, "  %.*s\n", (int)n, text);
        text += n;
        len -= n;
        if (len > 0) {
            text++;
            len--;
        }
    }
}

/* The overview: usage, global options, and each noun with its one-line summary. */
static void
help_main(struct isx__cli *c, FILE *f)
{
    static const char *const head[] = {NULL, NULL};
    struct isx__cli_table t;
    char key[64];

    fprintf(f, "%s\n", isx_msg(c->lang, "cli.help.main"));
    if (isx__cli_table_init(c, &t, 2, head, NULL) != 0)
        return;
    for (size_t i = 0; i < NVERBS; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            seen |= strcmp(verbs[j].noun, verbs[i].noun) == 0;
        if (seen)
            continue;
        snprintf(key, sizeof(key), "cli.summary.%s", verbs[i].noun);
        char indented[32];
        snprintf(indented, sizeof(indented), "  %s", verbs[i].noun);
        const char *cells[] = {indented, isx_msg(c->lang, key)};
        isx__cli_table_row(&t, cells);
    }
    isx__cli_table_print(&t, f);
    isx__cli_table_free(&t);
    fprintf(f, "\n%s\n", isx_msg(c->lang, "cli.help.more"));
}

/* A noun's help: its summary and the usage line of each of its verbs. */
static void
help_noun(struct isx__cli *c, const char *noun, FILE *f)
{
    char key[64];

    snprintf(key, sizeof(key), "cli.summary.%s", noun);
    fprintf(f, "%s\n\n", isx_msg(c->lang, key));
    for (size_t i = 0; i < NVERBS; i++) {
        if (strcmp(verbs[i].noun, noun) == 0)
            print_usage(f, isx_msg(c->lang, verbs[i].help_key));
    }
    fputc('\n', f);
    struct isx_buf more = ISX_BUF_INIT;
    if (isx_msg_format(c->lang, "cli.help.verb", noun, &more) == 0)
        fprintf(f, "%s\n", more.data);
    isx_buf_free(&more);
}

void
isx__cli_help(struct isx__cli *c, FILE *f)
{
    if (c->cmd != NULL)
        fprintf(f, "%s\n", isx_msg(c->lang, c->cmd->help_key));
    else if (c->noun != NULL)
        help_noun(c, c->noun, f);
    else
        help_main(c, f);
}

/* "--name value" or "--name=value" at argv[*i]; advances *i past what it used. */
static int
global_value(struct isx__cli *c, int argc, char **argv, int *i, const char *name, const char **out)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *out = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        isx__cli_usage(c, "cli.err.needs_value", name);
        return -1;
    }
    *out = argv[++*i];
    return 1;
}

/* --lang decides the language of every later message, so it is read before anything else. */
static void
early_lang(struct isx__cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strncmp(argv[i], "--lang=", 7) == 0)
            v = argv[i] + 7;
        else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            v = argv[i + 1];
        if (v != NULL)
            isx_lang_parse(v, &c->lang);
    }
}

/* The options before the noun. Returns the index of the noun, argc when none, or -1. */
static int
parse_globals(struct isx__cli *c, int argc, char **argv, int *help)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
            break;
        if (strcmp(argv[i], "--json") == 0) {
            c->json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *help = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("isx %s\n", ISX_VERSION);
            *help = 2;
        } else if ((r = global_value(c, argc, argv, &i, "--lang", &v)) != 0) {
            if (r < 0)
                return -1;
            if (isx_lang_parse(v, &c->lang) != 0) {
                isx__cli_usage(c, "cli.err.lang", v);
                return -1;
            }
        } else if ((r = global_value(c, argc, argv, &i, "--url", &v)) != 0) {
            if (r < 0)
                return -1;
            c->url_opt = v;
        } else {
            isx__cli_usage(c, "cli.err.unknown_option", argv[i]);
            return -1;
        }
    }
    return i;
}

/* A noun without its verb: one line that lists the verbs there are. */
static int
missing_verb(struct isx__cli *c, const char *noun)
{
    struct isx_buf list = ISX_BUF_INIT;
    int rc;

    for (size_t i = 0; i < NVERBS; i++) {
        if (strcmp(verbs[i].noun, noun) == 0 && verbs[i].verb != NULL)
            isx_buf_printf(&list, "%s%s", list.len > 0 ? ", " : "", verbs[i].verb);
    }
    rc = isx__cli_usage(c, "cli.err.missing_verb", list.data != NULL ? list.data : "");
    isx_buf_free(&list);
    return rc;
}

static int
run(struct isx__cli *c, int argc, char **argv)
{
    struct isx__cli_args args;
    const char *noun, *verb = NULL;
    int help = 0, i, rc;

    if ((i = parse_globals(c, argc, argv, &help)) < 0)
        return ISX_EINVAL;
    if (help == 2)
        return 0;
    if (i >= argc) {
        help_main(c, help ? stdout : stderr);
        if (help)
            return 0;
        c->exit_code = 2;
        return ISX_EINVAL;
    }
    noun = argv[i++];
    if (!noun_known(noun))
        return isx__cli_usage(c, "cli.err.unknown_command", noun);
    c->noun = noun;
    if (help) {
        isx__cli_help(c, stdout);
        return 0;
    }
    if (noun_has_verbs(noun)) {
        if (i >= argc)
            return missing_verb(c, noun);
        verb = argv[i++];
        if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
            isx__cli_help(c, stdout);
            return 0;
        }
        if ((c->cmd = find_verb(noun, verb)) == NULL)
            return isx__cli_usage(c, "cli.err.unknown_verb", verb);
    } else {
        c->cmd = find_verb(noun, NULL);
    }
    if ((rc = isx__cli_parse(c, argc - i, argv + i, &args)) != 0)
        return rc;
    if (isx__cli_has(&args, CLI_OPT_HELP)) {
        isx__cli_help(c, stdout);
        return 0;
    }
    if (args.npos < c->cmd->min_args)
        return isx__cli_usage(c, "cli.err.missing_arg", NULL);
    if (args.npos > c->cmd->max_args)
        return isx__cli_usage(c, "cli.err.extra_arg", args.pos[c->cmd->max_args]);
    return c->cmd->handler(c, &args);
}

int
main(int argc, char **argv)
{
    struct isx__cli c;
    int rc, status;

    memset(&c, 0, sizeof(c));
    c.lang = isx_lang_from_env();
    early_lang(&c, argc, argv);
    rc = run(&c, argc, argv);
    if (rc == 0)
        status = 0;
    else if (c.exit_code != 0)
        status = c.exit_code;
    else
        status = isx_err_status(rc) >= 400 && isx_err_status(rc) < 500 ? 2 : 1;
    isx_memzero(c.token, sizeof(c.token));
    if (fflush(stdout) != 0 && status == 0)
        status = 1;
    return status;
}
