/*
 * The indicator lookup answers, which isxd writes as text rather than through jansson: every
 * answer must be exactly what jansson's compact dump of the same document gives (so escaping,
 * member order and nulls cannot drift), keep the shape of docs/reports-api-contract.md, and
 * leave out TLP:RED reports for observers, in the single and the batch form alike.
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
static char observer[ISX_TOKEN_LEN + 1];

/* Titles and values that need every kind of escaping the answers can meet. */
static const char green[] =
    "{\"marking\":{\"tlp\":\"green\"},\"threat\":\"T3\",\"severity\":\"high\","
    "\"title\":{\"en\":\"A \\\"quoted\\\" \\\\ back/slash </script>\","
    "\"zh\":\"\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\",\"ru\":\"\xd0\x97\xd0\xb0\"},"
    "\"indicators\":[{\"value\":\"198.51.100.7\"},{\"value\":\"203.0.113.0/24\"},"
    "{\"value\":\"shared.example\"},{\"value\":\"b\xc3\xbc"
    "cher.example\"},"
    "{\"value\":\"http://www.example.org/a?b=1&c=%22\"}]}";
static const char red[] = "{\"marking\":{\"tlp\":\"red\",\"to\":[\"CN\"]},\"threat\":\"T1\","
                          "\"title\":{\"en\":\"Red one\"},\"indicators\":[{\"value\":"
                          "\"shared.example\"},{\"value\":\"203.0.113.0/25\"},"
                          "{\"value\":\"red.example\"}]}";

static int
setup(void **state)
{
    struct isx_http_response r;
    json_t *u;

    (void)state;
    if (node_create(&node, "CN") != 0 || node_start(&node) != 0)
        return -1;
    if (api(&node, "POST", "/api/v1/reports", NULL, green, &r) != 201)
        return -1;
    isx_buf_free(&r.body);
    if (api(&node, "POST", "/api/v1/reports", NULL, red, &r) != 201)
        return -1;
    isx_buf_free(&r.body);
    if (api(&node, "POST", "/api/v1/users", NULL, "{\"name\":\"watcher\",\"role\":\"observer\"}",
            &r) != 201)
        return -1;
    u = json_loadb(r.body.data, r.body.len, 0, NULL);
    snprintf(observer, sizeof(observer), "%s", json_string_value(json_object_get(u, "token")));
    json_decref(u);
    isx_buf_free(&r.body);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    node_destroy(&node);
    return 0;
}

/* Calls, checks the status, and checks the answer text is jansson's compact dump of itself. */
static json_t *
call_exact(const char *method, const char *path, const char *token, const char *body)
{
    struct isx_http_response r;
    long status = api(&node, method, path, token, body, &r);
    json_t *v;
    char *again;

    assert_int_equal(status, 200);
    v = json_loadb(r.body.data, r.body.len, 0, NULL);
    assert_non_null(v);
    again = json_dumps(v, JSON_COMPACT);
    assert_non_null(again);
    assert_int_equal(strlen(again), r.body.len);
    assert_memory_equal(again, r.body.data, r.body.len);
    free(again);
    isx_buf_free(&r.body);
    return v;
}

/* The reports of one result: each has exactly the contract's members, in order. */
static size_t
check_reports(const json_t *result, int *saw_red)
{
    static const char *const members[] = {"id",     "version", "origin", "threat", "severity",
                                          "status", "tlp",     "title",  "match",  "indicator"};
    const json_t *reports = json_object_get(result, "reports");
    json_t *m, *v;
    const char *key;
    size_t i, k;

    assert_true(json_is_array(reports));
    json_array_foreach(reports, i, m)
    {
        k = 0;
        json_object_foreach(m, key, v)
        {
            assert_true(k < 10);
            assert_string_equal(key, members[k]);
            k++;
        }
        assert_int_equal(k, 10);
        assert_true(json_is_object(json_object_get(m, "title")));
        if (strcmp(json_string_value(json_object_get(m, "tlp")), "red") == 0)
            *saw_red = 1;
    }
    return json_array_size(reports);
}

static void
test_single_answers(void **state)
{
    static const char *const values[] = {
        "198.51.100.7",    "203.0.113.9",
        "shared.example",  "b%C3%BCcher.example",
        "red.example",     "nothing.example",
        "2001:db8::1",     "http%3A%2F%2Fwww.example.org%2Fa%3Fb%3D1%26c%3D%2522",
        "%22q%22%5C%2F%3C"};
    char path[256];
    int saw_red;

    (void)state;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        snprintf(path, sizeof(path), "/api/v1/indicators/lookup?value=%s", values[i]);
        struct isx_http_response r;
        long status = api(&node, "GET", path, NULL, NULL, &r);
        isx_buf_free(&r.body);
        if (status != 200) {
            /* Not an indicator: a problem document, which this test does not cover. */
            assert_int_equal(status, 422);
            continue;
        }
        for (int as_observer = 0; as_observer < 2; as_observer++) {
            json_t *doc = call_exact("GET", path, as_observer ? observer : NULL, NULL);
            size_t n;
            saw_red = 0;
            n = check_reports(doc, &saw_red);
            assert_non_null(json_string_value(json_object_get(doc, "input")));
            assert_non_null(json_string_value(json_object_get(doc, "type")));
            assert_non_null(json_string_value(json_object_get(doc, "value")));
            if (as_observer)
                assert_false(saw_red);
            /* The admin sees the red report where it matches. */
            if (!as_observer &&
                (strcmp(values[i], "red.example") == 0 || strcmp(values[i], "203.0.113.9") == 0))
                assert_true(saw_red);
            if (strcmp(values[i], "203.0.113.9") == 0)
                assert_int_equal(n, as_observer ? 1 : 2);
            json_decref(doc);
        }
    }
}

static void
test_batch_answers(void **state)
{
    /* Values a client may send: stored ones, unknown ones, and ones that do not parse, whose
     * input is echoed back with control characters, quotes and non-ASCII text. */
    static const char body[] =
        "{\"values\":[\"198.51.100.7\",\"203.0.113.9\",\"SHARED.example.\",\"red.example\","
        "\"x..y\",\"\\u0001\\u001f\\u007f\",\"\\b\\f\\n\\r\\t\",\"\\\"\\\\/\","
        "\"\\ud83d\\ude00.example\",\"b\\u00fccher.example\",\"nothing.example\","
        "\"198.51.100.7\"]}";
    int saw_red;

    (void)state;
    for (int as_observer = 0; as_observer < 2; as_observer++) {
        json_t *doc =
            call_exact("POST", "/api/v1/indicators/lookup", as_observer ? observer : NULL, body);
        const json_t *results = json_object_get(doc, "results");
        json_t *r;
        size_t i;
        assert_int_equal(json_object_size(doc), 1);
        assert_int_equal(json_array_size(results), 12);
        saw_red = 0;
        json_array_foreach(results, i, r)
        {
            if (json_object_get(r, "error") != NULL) {
                assert_int_equal(json_object_size(r), 2);
                assert_non_null(json_string_value(json_object_get(r, "input")));
                continue;
            }
            check_reports(r, &saw_red);
        }
        assert_int_equal(saw_red, !as_observer);
        /* Values that do not parse are echoed as sent. */
        assert_string_equal(json_string_value(json_object_get(json_array_get(results, 5), "input")),
                            "\x01\x1f\x7f");
        assert_non_null(json_object_get(json_array_get(results, 5), "error"));
        /* The same value twice gives the same answer twice. */
        assert_true(json_equal(json_array_get(results, 0), json_array_get(results, 11)));
        json_decref(doc);
    }
}

/* A report page's correlation (the lookup's other caller) still sees only what it may. */
static void
test_correlation_hides_red(void **state)
{
    struct isx_http_response r;
    json_t *list, *doc;
    char path[160];
    const char *id = NULL;
    json_t *item;
    size_t i;

    (void)state;
    assert_int_equal(api(&node, "GET", "/api/v1/reports?threat=T3", NULL, NULL, &r), 200);
    list = json_loadb(r.body.data, r.body.len, 0, NULL);
    isx_buf_free(&r.body);
    id =
        json_string_value(json_object_get(json_array_get(json_object_get(list, "items"), 0), "id"));
    assert_non_null(id);
    snprintf(path, sizeof(path), "/api/v1/reports/%s", id);
    for (int as_observer = 0; as_observer < 2; as_observer++) {
        assert_int_equal(api(&node, "GET", path, as_observer ? observer : NULL, NULL, &r), 200);
        doc = json_loadb(r.body.data, r.body.len, 0, NULL);
        isx_buf_free(&r.body);
        const json_t *corr = json_object_get(doc, "correlated");
        assert_int_equal(json_array_size(corr), as_observer ? 0 : 1);
        json_array_foreach(corr, i, item)
        {
            /* Only shared.example is in both: a range is looked up as itself, not as the
             * addresses it holds, so the /24 does not meet the /25. */
            assert_int_equal(json_integer_value(json_object_get(item, "shared")), 1);
        }
        json_decref(doc);
    }
    json_decref(list);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_answers),
        cmocka_unit_test(test_batch_answers),
        cmocka_unit_test(test_correlation_hides_red),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
