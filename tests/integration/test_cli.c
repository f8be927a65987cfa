/*
 * The isx command line against a real isxd: the quick-start verbs, the three languages, and
 * the error contract (one line on stderr; exit status 2 for bad input and 4xx answers, 1 for
 * a node that cannot be reached).
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

/* Runs the CLI; checks exit status and, for failures, exactly one line on stderr. */
#define CLI(expect, out, err, ...)                                                                 \
    do {                                                                                           \
        isx_buf_reset(out);                                                                        \
        isx_buf_reset(err);                                                                        \
        int rc_ = run_cli(&node, NULL, out, err, __VA_ARGS__, NULL);                               \
        if (rc_ != (expect))                                                                       \
            fprintf(stderr, "stdout: %s\nstderr: %s\n", (out)->data ? (out)->data : "",            \
                    (err)->data ? (err)->data : "");                                               \
        assert_int_equal(rc_, (expect));                                                           \
        if ((expect) != 0)                                                                         \
            assert_int_equal(lines(err), 1);                                                       \
    } while (0)

static void
test_poc_add_and_list_in_three_languages(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *o;

    (void)state;
    CLI(0, &out, &err, "--json", "poc", "add", "--party", "CN", "--kind", "technical", "--person",
        "zh:赵敏", "--person", "ru:Чжао Минь", "--person", "en:Zhao Min", "--organisation",
        "en:CNCERT", "--email", "zm@cert.cn.example", "--language", "zh", "--language", "ru",
        "--tz", "Asia/Shanghai", "--always");
    o = json_loads(out.data, 0, NULL);
    assert_non_null(o);
    char *id = strdup(json_string_value(json_object_get(o, "id")));
    json_decref(o);

    CLI(0, &out, &err, "poc", "list", "--lang", "ru");
    assert_non_null(strstr(out.data, "Чжао Минь"));
    assert_non_null(strstr(out.data, "Ли На")); /* from the example directory */
    CLI(0, &out, &err, "poc", "list", "--lang", "zh");
    assert_non_null(strstr(out.data, "赵敏"));
    CLI(0, &out, &err, "poc", "list", "--lang", "en", "--kind", "technical");
    assert_non_null(strstr(out.data, "Zhao Min"));
    CLI(0, &out, &err, "poc", "show", id);
    assert_non_null(strstr(out.data, "zm@cert.cn.example"));
    CLI(0, &out, &err, "poc", "retire", id);
    CLI(0, &out, &err, "--json", "poc", "list");
    assert_null(strstr(out.data, id));
    free(id);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_vocabulary(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;

    (void)state;
    CLI(0, &out, &err, "taxonomy", "--lang", "zh");
    assert_non_null(strstr(out.data, "信息犯罪"));
    assert_non_null(strstr(out.data, "T3-F2"));
    CLI(0, &out, &err, "directions", "--lang", "en");
    assert_non_null(strstr(out.data, "D16"));
    CLI(0, &out, &err, "glossary", "--lang", "ru");
    assert_true(out.len > 1000);
    CLI(0, &out, &err, "poc", "--help", "--lang", "ru");
    assert_true(out.len > 0);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_errors(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    struct testnode down = node;

    (void)state;
    /* Invalid party code: refused with one line naming the field. */
    CLI(2, &out, &err, "poc", "add", "--party", "XX", "--kind", "technical", "--person", "en:A",
        "--organisation", "en:B", "--email", "a@b.example", "--language", "zh");
    assert_non_null(strstr(err.data, "party"));
    /* The same in Russian. */
    CLI(2, &out, &err, "--lang", "ru", "authority", "add", "--party", "CN", "--name", "en:A",
        "--direction", "D99");
    assert_non_null(strstr(err.data, "D99"));
    /* Unknown verbs and missing arguments. */
    CLI(2, &out, &err, "poc", "frobnicate");
    CLI(2, &out, &err, "poc", "show");
    CLI(2, &out, &err, "nosuchnoun");
    /* A body file that is not JSON. */
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&node, "{not json", &out, &err, "poc", "add", "--file", "-", NULL), 2);
    assert_int_equal(lines(&err), 1);
    /* A bad token. */
    snprintf(down.token, sizeof(down.token), "isx_bad");
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&down, NULL, &out, &err, "poc", "list", NULL), 2);
    assert_int_equal(lines(&err), 1);
    /* A node that is not there. */
    snprintf(down.url, sizeof(down.url), "http://127.0.0.1:1");
    snprintf(down.token, sizeof(down.token), "%s", node.token);
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&down, NULL, &out, &err, "poc", "list", NULL), 1);
    assert_int_equal(lines(&err), 1);
    assert_non_null(strstr(err.data, "127.0.0.1:1"));
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_object_verify(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    json_t *list, *env;
    char *text;

    (void)state;
    CLI(0, &out, &err, "--json", "authority", "list");
    list = json_loads(out.data, 0, NULL);
    env = json_array_get(json_object_get(list, "items"), 0);
    assert_non_null(env);
    text = json_dumps(env, JSON_COMPACT);
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&node, text, &out, &err, "object", "verify", "-", NULL), 0);
    free(text);
    json_object_set_new(json_object_get(env, "body"), "category", json_string("other"));
    text = json_dumps(env, JSON_COMPACT);
    isx_buf_reset(&out);
    isx_buf_reset(&err);
    assert_int_equal(run_cli(&node, text, &out, &err, "object", "verify", "-", NULL), 2);
    assert_int_equal(lines(&err), 1);
    free(text);
    json_decref(list);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

static void
test_local_verbs(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char dir[300], fresh[300];

    (void)state;
    snprintf(dir, sizeof(dir), "%s/node", node.dir);
    snprintf(fresh, sizeof(fresh), "%s/fresh", node.dir);
    CLI(0, &out, &err, "user", "add", "ana", "--role", "analyst", "--dir", dir);
    assert_non_null(strstr(out.data, "isx_"));
    CLI(2, &out, &err, "user", "add", "ana", "--role", "emperor", "--dir", dir);
    CLI(0, &out, &err, "init", "--dir", fresh, "--party", "RU");
    assert_non_null(strstr(out.data, "admin token: isx_"));
    /* A second init over an existing node is refused and changes nothing. */
    CLI(2, &out, &err, "init", "--dir", fresh, "--party", "RU");
    CLI(2, &out, &err, "init", "--dir", fresh, "--party", "XX");
    CLI(0, &out, &err, "reindex", "--dir", fresh);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poc_add_and_list_in_three_languages),
        cmocka_unit_test(test_vocabulary),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_object_verify),
        cmocka_unit_test(test_local_verbs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
