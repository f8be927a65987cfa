/*
 * The report and indicator verbs of the isx command line against a real isxd: submitting a
 * report from standard input, listing with filters in Russian, showing a report with its
 * correlated reports, looking indicators up (an address inside a reported range, several
 * values at once, an invalid value), and importing indicators from CSV, where a bad row is
 * refused with its line number before anything is created.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

static struct testnode node;

static int
setup(void **state)
{
    (void)state;
    if (node_create(&node, "CN") != 0 || node_start(&node) != 0)
        return -1;
    /* Objects above TLP:GREEN are sealed for each party named, so RU's key must be known. */
    if (peer_register_keys(&node, "RU", NULL, NULL, NULL) != 0 ||
        peer_register_keys(&node, "KZ", NULL, NULL, NULL) != 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    node_destroy(&node);
    return 0;
}

static size_t
lines(const struct isx_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

/* Runs the CLI with `in` on stdin; checks the exit status and, for failures, one stderr line. */
#define CLI_IN(expect, in, out, err, ...)                                                          \
    do {                                                                                           \
        isx_buf_reset(out);                                                                        \
        isx_buf_reset(err);                                                                        \
        int rc_ = run_cli(&node, (in), out, err, __VA_ARGS__, NULL);                               \
        if (rc_ != (expect))                                                                       \
            fprintf(stderr, "stdout: %s\nstderr: %s\n", (out)->data ? (out)->data : "",            \
                    (err)->data ? (err)->data : "");                                               \
        assert_int_equal(rc_, (expect));                                                           \
        if ((expect) != 0)                                                                         \
            assert_int_equal(lines(err), 1);                                                       \
    } while (0)

#define CLI(expect, out, err, ...) CLI_IN(expect, NULL, out, err, __VA_ARGS__)

/* A report body with a TLP:GREEN marking; `indicators` is the JSON text of the list. */
static char *
report_text(const char *threat, const char *severity, const char *title_en, const char *title_ru,
            const char *indicators)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    fprintf(f,
            "{\"marking\": {\"tlp\": \"green\"}, \"threat\": \"%s\", \"severity\": \"%s\", "
            "\"status\": \"confirmed\", \"sectors\": [\"energy\"], "
            "\"last_seen\": \"2026-11-21T09:30:00.000Z\", "
            "\"title\": {\"en\": \"%s\", \"ru\": \"%s\"}, \"indicators\": %s}",
            threat, severity, title_en, title_ru, indicators);
    fclose(f);
    return text;
}

/* Submits a report from stdin with --json and returns its id (to free). */
static char *
submit(const char *text)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *env;
    char *id;

    CLI_IN(0, text, &out, &err, "--json", "report", "submit", "-");
    env = json_loads(out.data, 0, NULL);
    assert_non_null(env);
    id = strdup(json_string_value(json_object_get(env, "id")));
    json_decref(env);
    isx_buf_free(&out);
    isx_buf_free(&err);
    return id;
}

static void
test_submit_from_stdin(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char *text =
        report_text("T3", "high", "Phishing against utilities", "Фишинг против энергокомпаний",
                    "[{\"type\": \"ipv4\", \"value\": \"198.51.100.7\"},"
                    " {\"value\": \"Phish.EXAMPLE.\"}, {\"value\": \"phish.example\"},"
                    " {\"value\": \"CVE-2024-3094\"}]");

    (void)state;
    /* The two spellings of one domain are merged: three indicators remain. */
    CLI_IN(0, text, &out, &err, "report", "submit", "-", "--lang", "en");
    assert_non_null(strstr(out.data, "Created report--"));
    assert_non_null(strstr(out.data, "3 indicators"));
    CLI_IN(0, text, &out, &err, "report", "submit", "-", "--lang", "ru");
    assert_non_null(strstr(out.data, "3 индикатора"));
    /* Not JSON, and an invalid indicator: each refused with one line, exit status 2. */
    CLI_IN(2, "{not json", &out, &err, "report", "submit", "-");
    free(text);
    text = report_text("T3", "high", "Bad", "Плохой", "[{\"value\": \"999.1.1.1\"}]");
    CLI_IN(2, text, &out, &err, "report", "submit", "-");
    assert_non_null(strstr(err.data, "indicators[0]"));
    free(text);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_list_in_russian_with_filter(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char *a = report_text("T2", "critical", "Defacement wave", "Волна дефейсов",
                          "[{\"value\": \"deface.example\"}]");
    char *b = report_text("T2", "low", "Spam relay", "Спам-ретранслятор",
                          "[{\"value\": \"spam.example\"}]");
    char *ida = submit(a), *idb = submit(b);

    (void)state;
    CLI(0, &out, &err, "report", "list", "--lang", "ru", "--threat", "t2", "--severity",
        "CRITICAL");
    assert_non_null(strstr(out.data, ida));
    assert_null(strstr(out.data, idb));
    assert_non_null(strstr(out.data, "Волна дефейсов"));
    assert_non_null(strstr(out.data, "критическая"));
    assert_non_null(strstr(out.data, "Информационный терроризм"));
    assert_non_null(strstr(out.data, "Заголовок"));
    /* An indicator in another spelling finds its report. */
    CLI(0, &out, &err, "report", "list", "--indicator", "SPAM.example.");
    assert_non_null(strstr(out.data, idb));
    assert_null(strstr(out.data, ida));
    /* Filters are checked before anything is sent. */
    CLI(2, &out, &err, "report", "list", "--lang", "ru", "--severity", "huge");
    assert_non_null(strstr(err.data, "huge"));
    CLI(2, &out, &err, "report", "list", "--since", "2026-11-22", "--until", "2026-11-21");
    CLI(0, &out, &err, "report", "list", "--since", "2030-01-01");
    assert_null(strstr(out.data, ida));
    free(a);
    free(b);
    free(ida);
    free(idb);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_show_with_correlation(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char *a = report_text("T3", "medium", "Botnet C2", "Управление ботнетом",
                          "[{\"value\": \"c2.botnet.example\"}, {\"value\": \"192.0.2.200\"}]");
    char *b = report_text("T3", "high", "Loader campaign", "Кампания загрузчика",
                          "[{\"value\": \"C2.Botnet.Example.\"}, {\"value\": \"192.0.2.201\"}]");
    char *ida = submit(a), *idb = submit(b);

    (void)state;
    CLI(0, &out, &err, "report", "show", ida, "--lang", "en");
    assert_non_null(strstr(out.data, "Information crime"));
    assert_non_null(strstr(out.data, "c2.botnet.example"));
    assert_non_null(strstr(out.data, "Correlated reports"));
    assert_non_null(strstr(out.data, idb));
    assert_non_null(strstr(out.data, "Loader campaign"));
    CLI(0, &out, &err, "report", "show", idb, "--lang", "zh");
    assert_non_null(strstr(out.data, "信息犯罪"));
    assert_non_null(strstr(out.data, "关联报告"));
    assert_non_null(strstr(out.data, ida));
    CLI(2, &out, &err, "report", "show", "report--not-an-id");
    CLI(2, &out, &err, "report", "show", "report--00000000-0000-4000-8000-000000000000");
    free(a);
    free(b);
    free(ida);
    free(idb);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_lookup(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char *a = report_text("T3", "high", "Scanner range", "Диапазон сканеров",
                          "[{\"type\": \"cidr4\", \"value\": \"203.0.113.0/24\"},"
                          " {\"value\": \"scan.example\"}]");
    char *ida = submit(a);

    (void)state;
    /* One value: an address inside the reported range. */
    CLI(0, &out, &err, "indicator", "lookup", "203.0.113.77", "--lang", "en");
    assert_non_null(strstr(out.data, "203.0.113.77"));
    assert_non_null(strstr(out.data, ida));
    assert_non_null(strstr(out.data, "in range 203.0.113.0/24"));
    /* Several values in one request, one of them invalid: the others are still answered. */
    CLI(2, &out, &err, "indicator", "lookup", "--lang", "ru", "SCAN.example.", "203.0.113.5",
        "999.1.1.1", "192.0.2.99");
    assert_non_null(strstr(out.data, "scan.example"));
    assert_non_null(strstr(out.data, "точное совпадение"));
    assert_non_null(strstr(out.data, "в диапазоне 203.0.113.0/24"));
    assert_non_null(strstr(out.data, "не встречался"));
    assert_non_null(strstr(err.data, "999.1.1.1"));
    /* Several valid values: exit status 0. */
    CLI(0, &out, &err, "indicator", "lookup", "scan.example", "198.18.0.1");
    assert_non_null(strstr(out.data, "not seen"));
    /* One invalid value: its reason, one line, exit status 2. */
    CLI(2, &out, &err, "indicator", "lookup", "999.1.1.1");
    assert_non_null(strstr(err.data, "IPv4"));
    /* --type with several values. */
    CLI(0, &out, &err, "--json", "indicator", "lookup", "--type", "domain", "scan.example",
        "other.example");
    json_t *doc = json_loads(out.data, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "results")), 2);
    json_decref(doc);
    free(a);
    free(ida);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_import_csv(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char path[300];
    long before;
    json_t *env;

    (void)state;
    snprintf(path, sizeof(path), "%s/good.csv", node.dir);
    /* A header, a comment, a blank line, CRLF ends, quoted fields with a comma and a quote. */
    write_file(path, "# exported from the sandbox\r\n"
                     "type,value,note\r\n"
                     "ipv4,192.0.2.77,\"first seen, twice\"\r\n"
                     "\r\n"
                     ",\"csv.example\",\r\n"
                     "url,\"http://csv.example/a\"\"b\",\r\n"
                     "domain,CSV.Example.,a duplicate\r\n");
    CLI(0, &out, &err, "--json", "import", "csv", path, "--threat", "T3", "--title",
        "en:Imported from CSV", "--title", "zh:CSV 导入", "--tlp", "amber", "--to", "RU,KZ",
        "--feature", "t3-f1", "--severity", "medium", "--sector", "energy,finance");
    env = json_loads(out.data, 0, NULL);
    assert_non_null(env);
    const json_t *body = json_object_get(env, "body");
    assert_int_equal(json_array_size(json_object_get(body, "indicators")), 3);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "title"), "zh")),
                        "CSV 导入");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(body, "indicators"), 0), "note")),
                        "first seen, twice");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(body, "indicators"), 2), "value")),
                        "http://csv.example/a%22b");
    json_decref(env);
    /* The same from stdin, without a header, in Chinese. */
    CLI_IN(0, "198.51.100.99\n\"csv2.example\"\n", &out, &err, "import", "csv", "-", "--threat",
           "T3", "--title", "zh:第二次导入", "--tlp", "green", "--lang", "zh");
    assert_non_null(strstr(out.data, "含 2 个指标"));

    /* Malformed quoting: refused with its line, and nothing is created. */
    before = objects_stored(&node);
    assert_true(before > 0);
    CLI_IN(2, "value\n192.0.2.1\n192.0.2.2\nab\"c\n192.0.2.3\n", &out, &err, "import", "csv", "-",
           "--threat", "T3", "--title", "en:Bad", "--tlp", "green");
    assert_non_null(strstr(err.data, "line 4"));
    CLI_IN(2, "value\n192.0.2.1\n\"open\n192.0.2.3\n", &out, &err, "import", "csv", "-", "--threat",
           "T3", "--title", "en:Bad", "--tlp", "green", "--lang", "ru");
    assert_non_null(strstr(err.data, "строка 3"));
    /* An invalid indicator: named with its line, in the chosen language. */
    CLI_IN(2, "type,value\nipv4,192.0.2.1\nipv4,300.1.1.1\n", &out, &err, "import", "csv", "-",
           "--threat", "T3", "--title", "en:Bad", "--tlp", "green", "--lang", "zh");
    assert_non_null(strstr(err.data, "第 3 行"));
    assert_non_null(strstr(err.data, "300.1.1.1"));
    /* A header and a wrong number of fields. */
    CLI_IN(2, "type,value\nipv4,192.0.2.1,extra\n", &out, &err, "import", "csv", "-", "--threat",
           "T3", "--title", "en:Bad", "--tlp", "green");
    assert_non_null(strstr(err.data, "line 2"));
    /* Options: a missing title, a state-secret label, a feature of another threat. */
    CLI_IN(2, "192.0.2.1\n", &out, &err, "import", "csv", "-", "--threat", "T3", "--tlp", "green");
    CLI_IN(2, "192.0.2.1\n", &out, &err, "import", "csv", "-", "--threat", "T3", "--title",
           "en:Bad", "--tlp", "green", "--label", "秘密");
    CLI_IN(2, "192.0.2.1\n", &out, &err, "import", "csv", "-", "--threat", "T3", "--title",
           "en:Bad", "--tlp", "green", "--feature", "T2-F1");
    assert_int_equal(objects_stored(&node), before);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_import_csv_splits_large_files(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT, csv = ISX_BUF_INIT;
    char path[300];

    (void)state;
    snprintf(path, sizeof(path), "%s/big.csv", node.dir);
    isx_buf_puts(&csv, "value\n");
    for (unsigned i = 0; i < 10001; i++)
        isx_buf_printf(&csv, "10.%u.%u.%u\n", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    write_file(path, csv.data);
    CLI(0, &out, &err, "import", "csv", path, "--threat", "T6", "--title", "en:Sinkhole", "--tlp",
        "green");
    assert_int_equal(lines(&out), 2);
    assert_non_null(strstr(out.data, "10000 indicators"));
    assert_non_null(strstr(out.data, "1 indicator."));
    CLI(0, &out, &err, "report", "list", "--threat", "T6", "--lang", "en");
    assert_non_null(strstr(out.data, "Sinkhole (1/2)"));
    assert_non_null(strstr(out.data, "Sinkhole (2/2)"));
    isx_buf_free(&csv);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_help(void **state)
{
    static const char *const verbs[][2] = {{"report", "submit"},
                                           {"report", "list"},
                                           {"report", "show"},
                                           {"indicator", "lookup"},
                                           {"import", "csv"}};
    static const char *const langs[] = {"zh", "ru", "en"};
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        for (size_t j = 0; j < 3; j++) {
            CLI(0, &out, &err, verbs[i][0], verbs[i][1], "--help", "--lang", langs[j]);
            assert_non_null(strstr(out.data, verbs[i][1]));
            assert_null(strstr(out.data, "cli.help"));
        }
    }
    CLI(0, &out, &err, "--lang", "ru", "--help");
    assert_non_null(strstr(out.data, "сообщения об угрозах"));
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_from_stdin),
        cmocka_unit_test(test_list_in_russian_with_filter),
        cmocka_unit_test(test_show_with_correlation),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_import_csv),
        cmocka_unit_test(test_import_csv_splits_large_files),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
