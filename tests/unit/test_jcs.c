/*
 * Tests for src/crypto/jcs.c: RFC 8785 canonical output (the RFC's examples and every finite
 * number vector of its Appendix B), and the I-JSON parser's refusals and diagnostics.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "isx/error.h"
#include "isx/jcs.h"

/* Encodes v (taking the reference) and compares with the expected text. */
static void
expect_jcs(json_t *v, const char *want)
{
    struct isx_buf b = ISX_BUF_INIT;

    assert_non_null(v);
    assert_int_equal(isx_jcs_encode(v, &b), 0);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    isx_buf_free(&b);
    json_decref(v);
}

static json_t *
parse_ok(const char *text)
{
    struct isx_diag d = {0};
    json_t *v = NULL;

    assert_int_equal(isx_json_parse(text, strlen(text), &v, &d), 0);
    assert_int_equal(d.code, 0);
    assert_non_null(v);
    return v;
}

/* Parses text that must be refused and returns the diagnostic's argument. */
static void
expect_parse_error(const char *text, size_t len, const char *arg_prefix)
{
    struct isx_diag d = {0};
    json_t *v = (json_t *)(uintptr_t)1; /* must stay untouched */

    assert_int_equal(isx_json_parse(text, len, &v, &d), ISX_EPARSE);
    assert_ptr_equal(v, (json_t *)(uintptr_t)1);
    assert_int_equal(d.code, ISX_EPARSE);
    assert_string_equal(d.field, "");
    assert_string_equal(d.key, "error.json");
    assert_memory_equal(d.arg, "line ", 5);
    if (arg_prefix != NULL)
        assert_memory_equal(d.arg, arg_prefix, strlen(arg_prefix));
}

/* RFC 8785 §3.2.2, as quoted in standards.md §5.3 item 7. */
static void
test_rfc_example(void **state)
{
    static const char in[] =
        "{\"numbers\":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"
        "\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
        "\"literals\":[null,true,false]}";
    static const char want[] = "{\"literals\":[null,true,false],"
                               "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                               "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

    expect_jcs(parse_ok(in), want);
}

static double
from_bits(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Every finite vector of RFC 8785 Appendix B, given as IEEE-754 bit patterns. */
static void
test_number_vectors(void **state)
{
    static const struct {
        uint64_t bits;
        const char *want;
    } vec[] = {
        {0x0000000000000000ULL, "0"},
        {0x8000000000000000ULL, "0"},
        {0x0000000000000001ULL, "5e-324"},
        {0x8000000000000001ULL, "-5e-324"},
        {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
        {0xffefffffffffffffULL, "-1.7976931348623157e+308"},
        {0x4340000000000000ULL, "9007199254740992"},
        {0xc340000000000000ULL, "-9007199254740992"},
        {0x4430000000000000ULL, "295147905179352830000"},
        {0x44b52d02c7e14af5ULL, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ULL, "1e+23"},
        {0x44b52d02c7e14af7ULL, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eULL, "999999999999999700000"},
        {0x444b1ae4d6e2ef4fULL, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ULL, "1e+21"},
        {0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dULL, "0.000001"},
        {0x41b3de4355555553ULL, "333333333.3333332"},
        {0x41b3de4355555554ULL, "333333333.33333325"},
        {0x41b3de4355555555ULL, "333333333.3333333"},
        {0x41b3de4355555556ULL, "333333333.3333334"},
        {0x41b3de4355555557ULL, "333333333.33333343"},
        {0xbecbf647612f3696ULL, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ULL, "1424953923781206.2"},
    };
    size_t i;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
        expect_jcs(json_real(from_bits(vec[i].bits)), vec[i].want);
}

/* The same values written as decimal literals, and the layout boundaries between forms. */
static void
test_number_literals(void **state)
{
    static const struct {
        double d;
        const char *want;
    } vec[] = {
        {-0.0, "0"},
        {333333333.33333329, "333333333.3333333"},
        {333333333.33333325, "333333333.33333325"},
        {-0.0000033333333333333333, "-0.0000033333333333333333"},
        {1424953923781206.2, "1424953923781206.2"},
        {1e21, "1e+21"},
        {1e20, "100000000000000000000"},
        {1e-6, "0.000001"},
        {1e-7, "1e-7"},
        {0.5, "0.5"},
        {4.5, "4.5"},
        {123.0, "123"},
        {-1.5e300, "-1.5e+300"},
        /*
         * Powers of two whose rounding interval is narrower below than above: the correctly
         * rounded 16-digit candidate does not read back, its upper neighbour does.
         */
        {7.120236347223045e-307, "7.120236347223045e-307"},
        {7.291122019556398e-304, "7.291122019556398e-304"},
        {8.209073602596753e-289, "8.209073602596753e-289"},
    };
    size_t i;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
        expect_jcs(json_real(vec[i].d), vec[i].want);
}

static void
test_integers(void **state)
{
    struct isx_buf b = ISX_BUF_INIT;

    expect_jcs(json_integer(0), "0");
    expect_jcs(json_integer(-42), "-42");
    expect_jcs(json_integer(9007199254740991LL), "9007199254740991");
    expect_jcs(json_integer(-9007199254740991LL), "-9007199254740991");
    expect_jcs(parse_ok("[1.0,-0.0,-0,100]"), "[1,0,0,100]");

    /* Out of range: refused, and the buffer keeps what it had. */
    assert_int_equal(isx_buf_puts(&b, "prefix"), 0);
    json_t *big = json_pack("{s:[i,I]}", "a", 1, (json_int_t)9007199254740992LL);
    assert_int_equal(isx_jcs_encode(big, &b), ISX_EINVAL);
    assert_string_equal(b.data, "prefix");
    assert_int_equal(b.len, 6);
    json_decref(big);
    json_t *neg = json_integer(-9007199254740992LL);
    assert_int_equal(isx_jcs_encode(neg, &b), ISX_EINVAL);
    assert_string_equal(b.data, "prefix");
    json_decref(neg);
    isx_buf_free(&b);

    /* A buffer that held nothing holds nothing afterwards. */
    json_t *big2 = json_integer(INT64_MAX);
    assert_int_equal(isx_jcs_encode(big2, &b), ISX_EINVAL);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    json_decref(big2);
}

/* RFC 8785 §3.2.3: names sort as UTF-16 code units, so U+1F600 comes before U+FB33. */
static void
test_utf16_key_order(void **state)
{
    static const char in[] = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
                             "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
                             "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
                             "\"\\u0080\":\"Control\","
                             "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
    static const char want[] = "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
                               "\"\xc2\x80\":\"Control\","
                               "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
                               "\"\xe2\x82\xac\":\"Euro Sign\","
                               "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
                               "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";

    expect_jcs(parse_ok(in), want);
}

static void
test_key_order_nested(void **state)
{
    expect_jcs(parse_ok("{\"b\":{\"z\":1,\"a\":[{\"y\":true,\"x\":null}]},\"a\":{},\"ab\":[],"
                        "\"\":\"empty\"}"),
               "{\"\":\"empty\",\"a\":{},\"ab\":[],\"b\":{\"a\":[{\"x\":null,\"y\":true}],"
               "\"z\":1}}");
}

static void
test_string_escapes(void **state)
{
    /* \b \t \n \f \r get short forms; other controls \u00xx in lowercase; '/', DEL,
     * U+2028 and U+2029 stay literal. */
    static const char in[] = "\"\\b\\t\\n\\f\\r\\u0001\\u000f\\u001F\\u007f/\\u2028\\u2029"
                             "\\\"\\\\\\u00e9\"";
    static const char want[] = "\"\\b\\t\\n\\f\\r\\u0001\\u000f\\u001f\x7f/"
                               "\xe2\x80\xa8\xe2\x80\xa9\\\"\\\\\xc3\xa9\"";

    expect_jcs(parse_ok(in), want);
    /* A NUL that a caller put in a value (the parser refuses them) prints as \u0000. */
    expect_jcs(json_stringn("a\0b", 3), "\"a\\u0000b\"");
    expect_jcs(json_string(""), "\"\"");
}

static void
test_literals_and_empty(void **state)
{
    expect_jcs(parse_ok("[true,false,null,{},[],\"\"]"), "[true,false,null,{},[],\"\"]");
    expect_jcs(parse_ok(" \n\t{ \"a\" : [ 1 , 2 ] }\n"), "{\"a\":[1,2]}");
    expect_jcs(parse_ok("7"), "7");
}

/* Values built in code bypass the parser; the encoder still refuses invalid UTF-8. */
static void
test_encode_invalid_utf8(void **state)
{
    struct isx_buf b = ISX_BUF_INIT;
    json_t *o = json_object();
    json_t *s = json_stringn_nocheck("ok\xed\xa0\x80", 5); /* an encoded surrogate */

    assert_int_equal(isx_buf_puts(&b, "x"), 0);
    assert_int_equal(isx_jcs_encode(s, &b), ISX_EINVAL);
    assert_string_equal(b.data, "x");
    assert_int_equal(json_object_set_new_nocheck(o, "bad\xff", json_integer(1)), 0);
    assert_int_equal(json_object_set_new(o, "good", json_integer(2)), 0);
    assert_int_equal(isx_jcs_encode(o, &b), ISX_EINVAL);
    assert_string_equal(b.data, "x");
    assert_int_equal(b.len, 1);
    json_decref(s);
    json_decref(o);
    isx_buf_free(&b);
}

static char *
nested(int depth)
{
    char *t = malloc((size_t)depth * 2 + 1);
    int i;

    assert_non_null(t);
    for (i = 0; i < depth; i++) {
        t[i] = '[';
        t[depth + i] = ']';
    }
    t[2 * depth] = '\0';
    return t;
}

static void
test_depth(void **state)
{
    struct isx_buf b = ISX_BUF_INIT;
    char *ok = nested(64), *deep = nested(65);
    json_t *v = parse_ok(ok), *inner;
    int i;

    assert_int_equal(isx_jcs_encode(v, &b), 0);
    assert_string_equal(b.data, ok);
    json_decref(v);
    isx_buf_free(&b);
    expect_parse_error(deep, strlen(deep), "line 1 column 65: nesting deeper than 64");
    /* Objects count too, and the place is reported on later lines. */
    free(deep);
    deep = malloc(65 * 6 + 8);
    assert_non_null(deep);
    strcpy(deep, "\n");
    for (i = 0; i < 65; i++)
        strcat(deep, "{\"a\":");
    strcat(deep, "1");
    for (i = 0; i < 65; i++)
        strcat(deep, "}");
    expect_parse_error(deep, strlen(deep), "line 2 column 321:");

    /* The encoder has the same limit for values built in code. */
    v = json_array();
    inner = v;
    for (i = 1; i < 65; i++) {
        json_t *a = json_array();
        json_array_append_new(inner, a);
        inner = a;
    }
    assert_int_equal(isx_jcs_encode(v, &b), ISX_EINVAL);
    assert_null(b.data);
    json_decref(v);
    free(ok);
    free(deep);
}

static void
test_parse_rejects(void **state)
{
    static const char nul_raw[] = "[\"a\0b\"]";

    expect_parse_error("{\"a\":1,\"a\":2}", 13, "line 1 column 10: duplicate object key");
    expect_parse_error("{\"a\":1,\"\\u0061\":2}", 18, NULL);
    expect_parse_error("[\"\\ud800\"]", 10, "line 1 column 9: invalid Unicode");
    expect_parse_error("[\"\\udc00\"]", 10, NULL);
    expect_parse_error("[\"\\ud800\\u0041\"]", 16, NULL);
    expect_parse_error("[\"\xff\"]", 5, NULL);
    expect_parse_error("[\"\xc0\xaf\"]", 6, NULL);         /* overlong '/' */
    expect_parse_error("[\"\xed\xa0\x80\"]", 7, NULL);     /* encoded surrogate */
    expect_parse_error("[\"\xf4\x90\x80\x80\"]", 8, NULL); /* above U+10FFFF */
    expect_parse_error("[\"\\u0000\"]", 10, NULL);
    expect_parse_error("{\"\\u0000\":1}", 12, NULL);
    expect_parse_error(nul_raw, sizeof(nul_raw) - 1, NULL);
    expect_parse_error("{\"a\":1} x", 9, "line 1 column 9: end of file expected");
    expect_parse_error("{\"a\":1}{}", 9, NULL);
    expect_parse_error("", 0, NULL);
    expect_parse_error("[1,]", 4, NULL);
    expect_parse_error("[NaN]", 5, NULL);
    expect_parse_error("[Infinity]", 10, NULL);
    expect_parse_error("[1e400]", 7, NULL);
    expect_parse_error("{'a':1}", 7, NULL);
    expect_parse_error("[1]", 2, NULL); /* the length is honoured, not the NUL */
}

/* Untrusted bytes quoted in jansson's message must not reach the diagnostic raw. */
static void
test_parse_diag_sanitised(void **state)
{
    static const char in[] = "[\"ok\",\xff\xfe\x01garbage]";
    struct isx_diag d = {0};
    json_t *v = NULL;
    size_t i;

    assert_int_equal(isx_json_parse(in, sizeof(in) - 1, &v, &d), ISX_EPARSE);
    assert_null(v);
    for (i = 0; d.arg[i] != '\0'; i++) {
        unsigned char c = (unsigned char)d.arg[i];
        assert_true(c >= 0x20 && c < 0x7f);
    }
    /* A NULL diag is allowed. */
    assert_int_equal(isx_json_parse("[", 1, &v, NULL), ISX_EPARSE);
    assert_int_equal(isx_json_parse(NULL, 1, &v, NULL), ISX_EINVAL);
}

/*
 * The radix character of the caller's locale must not leak into numbers. The test switches
 * only this thread (setlocale would change the whole process and leaks inside glibc).
 */
static void
test_locale_independent(void **state)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                        "ru_RU.UTF-8", "ru_RU.utf8", "de_DE"};
    locale_t loc = (locale_t)0, old;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]) && loc == (locale_t)0; i++)
        loc = newlocale(LC_NUMERIC_MASK, names[i], (locale_t)0);
    if (loc == (locale_t)0)
        skip();
    old = uselocale(loc);
    if (strcmp(localeconv()->decimal_point, ",") != 0) {
        uselocale(old);
        freelocale(loc);
        skip();
    }
    expect_jcs(json_real(4.5), "4.5");
    expect_jcs(json_real(1.5e-7), "1.5e-7");
    /* This one takes the neighbour path, which reads back digits it wrote itself. */
    expect_jcs(json_real(7.120236347223045e-307), "7.120236347223045e-307");
    /* The caller's locale is back in place afterwards. */
    assert_string_equal(localeconv()->decimal_point, ",");
    uselocale(old);
    freelocale(loc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example),         cmocka_unit_test(test_number_vectors),
        cmocka_unit_test(test_number_literals),     cmocka_unit_test(test_integers),
        cmocka_unit_test(test_utf16_key_order),     cmocka_unit_test(test_key_order_nested),
        cmocka_unit_test(test_string_escapes),      cmocka_unit_test(test_literals_and_empty),
        cmocka_unit_test(test_encode_invalid_utf8), cmocka_unit_test(test_depth),
        cmocka_unit_test(test_parse_rejects),       cmocka_unit_test(test_parse_diag_sanitised),
        cmocka_unit_test(test_locale_independent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
