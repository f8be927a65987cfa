/*
 * Report bodies: what isx_report_prepare accepts and how it normalises, and what
 * isx_report_check demands of a report that arrives already signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isx/report.h"

static json_t *
j(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void
prepare_fails(const char *text, int code, const char *field)
{
    struct isx_diag d = {0};
    json_t *b = j(text);
    char *before = json_dumps(b, JSON_SORT_KEYS);

    assert_int_equal(isx_report_prepare(b, &d), code);
    assert_string_equal(d.field, field);
    /* A refused body is left as it was. */
    char *after = json_dumps(b, JSON_SORT_KEYS);
    assert_string_equal(before, after);
    free(before);
    free(after);
    json_decref(b);
}

static void
test_prepare_normalises_and_merges(void **state)
{
    struct isx_diag d = {0};
    json_t *b = j("{\"threat\":\"T3\",\"title\":{\"zh\":\"钓鱼\"},\"indicators\":["
                  "{\"value\":\"Пример.РФ\"},{\"value\":\"xn--e1afmkfd.xn--p1ai\"},"
                  "{\"value\":\"as15169\",\"note\":\"transit\"},{\"value\":\"cve-2024-3094\"},"
                  "{\"type\":\"ipv4\",\"value\":\"192.0.2.1/32\"}]}");
    json_t *inds;

    (void)state;
    assert_int_equal(isx_report_prepare(b, &d), 0);
    inds = json_object_get(b, "indicators");
    assert_int_equal(json_array_size(inds), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 0), "value")),
                        "xn--e1afmkfd.xn--p1ai");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 0), "display")),
                        "пример.рф");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 1), "value")),
                        "AS15169");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 1), "note")),
                        "transit");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 2), "type")), "cve");
    assert_string_equal(json_string_value(json_object_get(json_array_get(inds, 3), "value")),
                        "192.0.2.1");
    /* The normalised body passes the strict check that imported reports must pass. */
    assert_int_equal(isx_report_check(b, "body", &d), 0);
    json_decref(b);
}

static void
test_prepare_refuses(void **state)
{
    (void)state;
    prepare_fails("{\"title\":{\"en\":\"x\"}}", ISX_EMISSING, "threat");
    prepare_fails("{\"threat\":\"T7\",\"title\":{\"en\":\"x\"}}", ISX_EFIELD, "threat");
    prepare_fails("{\"threat\":\"T2\",\"features\":[\"T2-F1\",\"T5-F1\"],\"title\":{\"en\":\"x\"}}",
                  ISX_EFIELD, "features[1]");
    prepare_fails("{\"threat\":\"T2\",\"severity\":\"extreme\",\"title\":{\"en\":\"x\"}}",
                  ISX_EFIELD, "severity");
    prepare_fails("{\"threat\":\"T2\",\"sectors\":[\"space\"],\"title\":{\"en\":\"x\"}}",
                  ISX_EFIELD, "sectors[0]");
    prepare_fails(
        "{\"threat\":\"T2\",\"title\":{\"en\":\"x\"},\"first_seen\":\"2026-13-01T00:00:00Z\"}",
        ISX_EFIELD, "first_seen");
    prepare_fails(
        "{\"threat\":\"T2\",\"title\":{\"en\":\"x\"},\"indicators\":[{\"value\":\"a..b\"}]}",
        ISX_EFIELD, "indicators[0].value");
    prepare_fails("{\"threat\":\"T2\",\"title\":{\"en\":\"x\"},\"indicators\":[{\"type\":\"md5\","
                  "\"value\":\"e3b0c44298fc1c149afbf4c8996fb924\",\"weight\":3}]}",
                  ISX_EUNKNOWN_FIELD, "indicators[0].weight");
    prepare_fails(
        "{\"threat\":\"T2\",\"title\":{\"en\":\"x\"},\"indicators\":[{\"type\":\"toaster\","
        "\"value\":\"x\"}]}",
        ISX_EFIELD, "indicators[0].type");
}

static void
test_check_demands_canonical_form(void **state)
{
    struct isx_diag d = {0};
    json_t *b = j("{\"threat\":\"T3\",\"title\":{\"en\":\"x\"},\"indicators\":["
                  "{\"type\":\"domain\",\"value\":\"Example.com\"}]}");

    (void)state;
    assert_int_equal(isx_report_check(b, "body", &d), ISX_EFIELD);
    assert_string_equal(d.field, "body.indicators[0].value");
    json_decref(b);
    /* A spoofed display form is refused. */
    b = j("{\"threat\":\"T3\",\"title\":{\"en\":\"x\"},\"indicators\":[{\"type\":\"domain\","
          "\"value\":\"evil.example\",\"display\":\"bank.example\"}]}");
    memset(&d, 0, sizeof(d));
    assert_int_equal(isx_report_check(b, "body", &d), ISX_EFIELD);
    assert_string_equal(d.key, "report.display");
    json_decref(b);
    b = j("{\"first_seen\":\"a\"}");
    assert_string_equal(isx_report_time(b), "a");
    json_decref(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_normalises_and_merges),
        cmocka_unit_test(test_prepare_refuses),
        cmocka_unit_test(test_check_demands_canonical_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
