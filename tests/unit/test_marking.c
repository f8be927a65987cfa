/*
 * Markings (Art. 6): TLP levels, who may receive what, and the refusal of state secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isx/marking.h"

static json_t *
m(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static void
test_tlp_names(void **state)
{
    enum isx_tlp t;
    (void)state;
    assert_int_equal(isx_tlp_parse("amber+strict", &t), 0);
    assert_int_equal(t, ISX_TLP_AMBER_STRICT);
    assert_string_equal(isx_tlp_name(ISX_TLP_CLEAR), "clear");
    assert_int_not_equal(isx_tlp_parse("white", &t), 0);
    assert_int_not_equal(isx_tlp_parse("AMBER", &t), 0);
    assert_false(isx_tlp_needs_seal(ISX_TLP_GREEN));
    assert_true(isx_tlp_needs_seal(ISX_TLP_AMBER));
}

static void
test_secret_labels(void **state)
{
    (void)state;
    /* The Chinese and Russian degrees of secrecy, with the usual decorations. */
    assert_true(isx_marking_is_secret("绝密"));
    assert_true(isx_marking_is_secret("机密★10年"));
    assert_true(isx_marking_is_secret(" 秘密 "));
    assert_true(isx_marking_is_secret("«Секретно»"));
    assert_true(isx_marking_is_secret("СОВЕРШЕННО СЕКРЕТНО"));
    assert_true(isx_marking_is_secret("Особой важности, экз. № 1"));
    assert_true(isx_marking_is_secret("Top Secret"));
    /* Labels that are not state secrets. */
    assert_false(isx_marking_is_secret("内部"));
    assert_false(isx_marking_is_secret("Для служебного пользования"));
    assert_false(isx_marking_is_secret("secretariat"));
    assert_false(isx_marking_is_secret("TLP:AMBER"));
    /* A label an operator configures. */
    assert_false(isx_marking_is_secret("Құпия"));
    assert_int_equal(isx_marking_add_secret_label("Құпия"), 0);
    assert_true(isx_marking_is_secret("«Құпия»"));
    isx_marking_clear_secret_labels();
    assert_false(isx_marking_is_secret("Құпия"));
}

static void
check(const char *text, int code, const char *field)
{
    struct isx_diag d = {0};
    json_t *v = m(text);
    assert_int_equal(isx_marking_check(v, "marking", &d), code);
    if (field != NULL)
        assert_string_equal(d.field, field);
    json_decref(v);
}

static void
test_marking_check(void **state)
{
    (void)state;
    check("{\"tlp\":\"green\"}", 0, NULL);
    check("{\"tlp\":\"amber\",\"to\":[\"RU\",\"KZ\"],\"labels\":[\"内部\"]}", 0, NULL);
    check("{\"tlp\":\"amber\"}", ISX_EMISSING, "marking.to");
    check("{\"tlp\":\"red\",\"to\":[]}", ISX_EMISSING, "marking.to");
    check("{\"tlp\":\"purple\"}", ISX_EFIELD, "marking.tlp");
    check("{\"tlp\":\"green\",\"to\":[\"XX\"]}", ISX_EFIELD, "marking.to[0]");
    check("{\"tlp\":\"green\",\"to\":[\"RU\",\"RU\"]}", ISX_EFIELD, "marking.to[1]");
    check("{\"tlp\":\"green\",\"audience\":1}", ISX_EUNKNOWN_FIELD, "marking.audience");
    check("{\"tlp\":\"green\",\"labels\":[\"机密\"]}", ISX_ESECRET, "marking.labels[0]");
    /* A secret label wins over every other fault, so the refusal always cites Art. 6.2. */
    check("{\"tlp\":\"purple\",\"labels\":[\"ok\",\"секретно\"]}", ISX_ESECRET,
          "marking.labels[1]");
}

static void
test_recipients(void **state)
{
    json_t *clear = m("{\"tlp\":\"clear\"}");
    json_t *green = m("{\"tlp\":\"green\"}");
    json_t *green_to = m("{\"tlp\":\"green\",\"to\":[\"RU\"]}");
    json_t *amber = m("{\"tlp\":\"amber\",\"to\":[\"RU\"]}");
    json_t *red = m("{\"tlp\":\"red\",\"to\":[\"RU\"]}");

    (void)state;
    assert_true(isx_marking_allows_party(clear, "CN", "US"));
    assert_true(isx_marking_allows_party(green, "CN", "KZ"));
    assert_true(isx_marking_allows_party(green_to, "CN", "RU"));
    assert_false(isx_marking_allows_party(green_to, "CN", "KZ"));
    assert_true(isx_marking_allows_party(amber, "CN", "RU"));
    assert_false(isx_marking_allows_party(amber, "CN", "KZ"));
    assert_true(isx_marking_allows_party(amber, "CN", "CN")); /* the originator */
    assert_false(isx_marking_allows_party(amber, "CN", NULL));
    assert_true(isx_marking_allows_role(amber, ISX_ROLE_OBSERVER));
    assert_false(isx_marking_allows_role(red, ISX_ROLE_OBSERVER));
    assert_true(isx_marking_allows_role(red, ISX_ROLE_ANALYST));
    json_decref(clear);
    json_decref(green);
    json_decref(green_to);
    json_decref(amber);
    json_decref(red);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlp_names),
        cmocka_unit_test(test_secret_labels),
        cmocka_unit_test(test_marking_check),
        cmocka_unit_test(test_recipients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
