/*
 * The options of the isx command line and the parser of one verb's arguments.
 *
 * Invariants: the option names live only in `options`; a verb accepts its own options (its
 * row's mask) plus --json, --lang and --help anywhere, and --url as the server's address when
 * the verb does not give --url a meaning of its own. Values are never copied: they borrow from
 * argv. A usage error is reported here, once, before the handler runs.
 */
#include <string.h>

#include "cli.h"

static const struct {
    const char *name; /* as typed, "--party" */
    int value;        /* 1 when the option takes a value */
} options[CLI_OPT_COUNT] = {
    [CLI_OPT_URL] = {"--url", 1},
    [CLI_OPT_JSON] = {"--json", 0},
    [CLI_OPT_LANG] = {"--lang", 1},
    [CLI_OPT_HELP] = {"--help", 0},
    [CLI_OPT_DIR] = {"--dir", 1},
    [CLI_OPT_PARTY] = {"--party", 1},
    [CLI_OPT_NAME] = {"--name", 1},
    [CLI_OPT_EXAMPLES] = {"--examples", 1},
    [CLI_OPT_ROLE] = {"--role", 1},
    [CLI_OPT_TOKEN] = {"--token", 1},
    [CLI_OPT_DIRECTION] = {"--direction", 1},
    [CLI_OPT_CATEGORY] = {"--category", 1},
    [CLI_OPT_EMAIL] = {"--email", 1},
    [CLI_OPT_PHONE] = {"--phone", 1},
    [CLI_OPT_NOTE] = {"--note", 1},
    [CLI_OPT_KIND] = {"--kind", 1},
    [CLI_OPT_PERSON] = {"--person", 1},
    [CLI_OPT_ORGANISATION] = {"--organisation", 1},
    [CLI_OPT_POSITION] = {"--position", 1},
    [CLI_OPT_AUTHORITY] = {"--authority", 1},
    [CLI_OPT_HTTPS] = {"--https", 1},
    [CLI_OPT_LANGUAGE] = {"--language", 1},
    [CLI_OPT_TZ] = {"--tz", 1},
    [CLI_OPT_HOURS] = {"--hours", 1},
    [CLI_OPT_DAYS] = {"--days", 1},
    [CLI_OPT_ALWAYS] = {"--always", 0},
    [CLI_OPT_ALL] = {"--all", 0},
    [CLI_OPT_ALL_PAGES] = {"--all-pages", 0},
    [CLI_OPT_LIMIT] = {"--limit", 1},
    [CLI_OPT_CURSOR] = {"--cursor", 1},
    [CLI_OPT_Q] = {"--q", 1},
    [CLI_OPT_FILE] = {"--file", 1},
    [CLI_OPT_VERSION] = {"--version", 1},
    [CLI_OPT_KEY] = {"--key", 1},
    [CLI_OPT_KEY_ID] = {"--key-id", 1},
    [CLI_OPT_FULL] = {"--full", 0},
    [CLI_OPT_THREAT] = {"--threat", 1},
    [CLI_OPT_FEATURE] = {"--feature", 1},
    [CLI_OPT_SEVERITY] = {"--severity", 1},
    [CLI_OPT_STATUS] = {"--status", 1},
    [CLI_OPT_SECTOR] = {"--sector", 1},
    [CLI_OPT_SINCE] = {"--since", 1},
    [CLI_OPT_UNTIL] = {"--until", 1},
    [CLI_OPT_INDICATOR] = {"--indicator", 1},
    [CLI_OPT_TYPE] = {"--type", 1},
    [CLI_OPT_TITLE] = {"--title", 1},
    [CLI_OPT_SUMMARY] = {"--summary", 1},
    [CLI_OPT_TLP] = {"--tlp", 1},
    [CLI_OPT_TO] = {"--to", 1},
    [CLI_OPT_LABEL] = {"--label", 1},
    [CLI_OPT_ISSUE] = {"--issue", 0},
    [CLI_OPT_SIZE] = {"--size", 1},
    [CLI_OPT_OUT] = {"--out", 1},
    [CLI_OPT_KEY_FILE] = {"--key-file", 1},
    [CLI_OPT_BOX_KEY] = {"--box-key", 1},
    [CLI_OPT_FETCH] = {"--fetch", 0},
    [CLI_OPT_RELAY] = {"--relay", 0},
    /* Requests (issue 6). */
    [CLI_OPT_SUBJECT] = {"--subject", 1},
    [CLI_OPT_URGENCY] = {"--urgency", 1},
    [CLI_OPT_ACK_BY] = {"--ack-by", 1},
    [CLI_OPT_ANSWER_BY] = {"--answer-by", 1},
    [CLI_OPT_ATTACH] = {"--attach", 1},
    [CLI_OPT_OVERDUE] = {"--overdue", 0},

    /* Pings (issue 6). */
    [CLI_OPT_DEADLINE] = {"--deadline", 1},
    [CLI_OPT_MESSAGE] = {"--message", 1},
    [CLI_OPT_POC] = {"--poc", 1},

    /* Consultations and the agreement (issue 6). */
    [CLI_OPT_AT] = {"--at", 1},
    [CLI_OPT_DATE] = {"--date", 1},
    [CLI_OPT_STATE] = {"--state", 1},
    [CLI_OPT_VENUE] = {"--venue", 1},
    [CLI_OPT_AGENDA] = {"--agenda", 1},

};

#define ALWAYS_OPTS (CLI_BIT(CLI_OPT_JSON) | CLI_BIT(CLI_OPT_LANG) | CLI_BIT(CLI_OPT_HELP))

const char *
isx__cli_opt_name(enum isx__cli_opt opt)
{
    return options[opt].name;
}

static int
lookup(const char *name, size_t len, enum isx__cli_opt *out)
{
    for (int i = 0; i < CLI_OPT_COUNT; i++) {
        if (strlen(options[i].name + 2) == len && strncmp(options[i].name + 2, name, len) == 0) {
            *out = (enum isx__cli_opt)i;
            return 0;
        }
    }
    return ISX_ENOTFOUND;
}

/* Options that act on the run as a whole take effect at once instead of reaching the verb. */
static int
apply_global(struct isx__cli *c, enum isx__cli_opt opt, const char *value)
{
    switch (opt) {
    case CLI_OPT_JSON:
        c->json = 1;
        return 1;
    case CLI_OPT_LANG:
        if (isx_lang_parse(value, &c->lang) != 0)
            return isx__cli_usage(c, "cli.err.lang", value);
        return 1;
    case CLI_OPT_URL:
        if (c->cmd->opts & CLI_BIT(CLI_OPT_URL))
            return 0;
        c->url_opt = value;
        return 1;
    default:
        return 0;
    }
}

int
isx__cli_parse(struct isx__cli *c, int argc, char **argv, struct isx__cli_args *out)
{
    isx__cli_optset allowed = c->cmd->opts | ALWAYS_OPTS | CLI_BIT(CLI_OPT_URL);
    int only_pos = 0, rc;

    memset(out, 0, sizeof(*out));
    if (argc > ISX__CLI_MAX_ARGS)
        return isx__cli_usage(c, "cli.err.too_many_args", NULL);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq, *value = NULL;
        enum isx__cli_opt opt;

        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
            out->pos[out->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0)
            return isx__cli_usage(c, "cli.err.unknown_option", arg);
        eq = strchr(arg + 2, '=');
        if (lookup(arg + 2, eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2), &opt) != 0 ||
            (allowed & CLI_BIT(opt)) == 0)
            return isx__cli_usage(c, "cli.err.unknown_option", arg);
        if (options[opt].value) {
            if (eq != NULL)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return isx__cli_usage(c, "cli.err.needs_value", isx__cli_opt_name(opt));
        } else if (eq != NULL) {
            return isx__cli_usage(c, "cli.err.no_value", isx__cli_opt_name(opt));
        }
        if ((rc = apply_global(c, opt, value)) != 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        out->opt[out->nopt] = opt;
        out->val[out->nopt++] = value;
    }
    return 0;
}

int
isx__cli_has(const struct isx__cli_args *a, enum isx__cli_opt opt)
{
    for (size_t i = 0; i < a->nopt; i++) {
        if (a->opt[i] == opt)
            return 1;
    }
    return 0;
}

const char *
isx__cli_next(const struct isx__cli_args *a, enum isx__cli_opt opt, size_t *i)
{
    for (; *i < a->nopt; (*i)++) {
        if (a->opt[*i] == opt)
            return a->val[(*i)++];
    }
    return NULL;
}

int
isx__cli_one(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt,
             const char **out)
{
    size_t i = 0;
    const char *v = isx__cli_next(a, opt, &i);

    if (v != NULL && isx__cli_next(a, opt, &i) != NULL)
        return isx__cli_usage(c, "cli.err.repeated", isx__cli_opt_name(opt));
    *out = v;
    return 0;
}

int
isx__cli_langtext(struct isx__cli *c, enum isx__cli_opt opt, const char *arg, const char **lang,
                  const char **text)
{
    static const char *const known[] = {"zh", "ru", "en"};
    const char *l = isx_lang_code(c->lang), *t = arg;

    /* Two lower-case letters and a colon look like a language prefix, known or not. */
    if (arg[0] >= 'a' && arg[0] <= 'z' && arg[1] >= 'a' && arg[1] <= 'z' && arg[2] == ':') {
        l = NULL;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            if (strncmp(arg, known[i], 2) == 0)
                l = known[i];
        }
        if (l == NULL)
            return isx__cli_bad(c, opt, "cli.err.langtext_lang", arg);
        t = arg + 3;
    }
    while (*t == ' ')
        t++;
    if (*t == '\0')
        return isx__cli_bad(c, opt, "cli.err.langtext_empty", arg);
    *lang = l;
    *text = t;
    return 0;
}

/* Calls `fn` for each comma-separated item of each value of `opt`. */
int
isx__cli_each_item(struct isx__cli *c, const struct isx__cli_args *a, enum isx__cli_opt opt,
                   int (*fn)(struct isx__cli *c, const char *item, void *arg), void *arg)
{
    char item[128];
    const char *v;
    size_t i = 0;
    int rc;

    while ((v = isx__cli_next(a, opt, &i)) != NULL) {
        const char *p = v;
        do {
            const char *comma = strchr(p, ',');
            size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
            while (len > 0 && *p == ' ')
                p++, len--;
            while (len > 0 && p[len - 1] == ' ')
                len--;
            if (len == 0 || len >= sizeof(item))
                return isx__cli_bad(c, opt, "cli.err.list_item", v);
            memcpy(item, p, len);
            item[len] = '\0';
            if ((rc = fn(c, item, arg)) != 0)
                return rc;
            p = comma != NULL ? comma + 1 : NULL;
        } while (p != NULL);
    }
    return 0;
}

int
isx__cli_append_unique(json_t *array, const char *s)
{
    size_t i;
    json_t *v;

    json_array_foreach(array, i, v)
    {
        if (strcmp(json_string_value(v), s) == 0)
            return 0;
    }
    return json_array_append_new(array, json_string(s)) == 0 ? 0 : ISX_ENOMEM;
}
