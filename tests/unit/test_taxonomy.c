/*
 * The built-in vocabulary: Annex 2's six threat types and their features, Annex 1's 13 terms,
 * Art. 3's 16 directions, the founding parties, every entry in zh, ru and en, and the codes
 * that validation relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "isx/error.h"
#include "isx/i18n.h"
#include "isx/taxonomy.h"

static void
assert_trilingual(const json_t *m)
{
    static const char *const langs[] = {"zh", "ru", "en"};
    for (int i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(m, langs[i]));
        assert_non_null(s);
        assert_true(strlen(s) > 0);
    }
}

static void
test_threats(void **state)
{
    const json_t *list = isx_vocab_list(ISX_VOCAB_THREATS), *t, *f, *owner = NULL;
    size_t i, j, features = 0;

    (void)state;
    assert_int_equal(json_array_size(list), 6);
    json_array_foreach(list, i, t)
    {
        assert_trilingual(json_object_get(t, "name"));
        assert_trilingual(json_object_get(t, "source"));
        assert_true(json_array_size(json_object_get(t, "features")) > 0);
        json_array_foreach(json_object_get(t, "features"), j, f)
        {
            assert_trilingual(json_object_get(f, "text"));
            features++;
        }
    }
    assert_true(features >= 18);
    /* Information crime (Annex 2, item 3), with the Chinese of the agreement. */
    t = isx_taxonomy_threat("T3");
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "name"), "zh")),
                        "信息犯罪");
    f = isx_taxonomy_feature("T3-F2", &owner);
    assert_non_null(f);
    assert_ptr_equal(owner, t);
    assert_null(isx_taxonomy_threat("T7"));
    assert_null(isx_taxonomy_feature("T3-F99", NULL));
    assert_null(isx_taxonomy_feature("nonsense", NULL));
}

static void
test_glossary_and_directions(void **state)
{
    size_t i;
    const json_t *e;

    (void)state;
    assert_int_equal(json_array_size(isx_vocab_list(ISX_VOCAB_GLOSSARY)), 13);
    json_array_foreach(isx_vocab_list(ISX_VOCAB_GLOSSARY), i, e)
    {
        assert_trilingual(json_object_get(e, "term"));
        assert_trilingual(json_object_get(e, "definition"));
    }
    assert_int_equal(json_array_size(isx_vocab_list(ISX_VOCAB_DIRECTIONS)), 16);
    json_array_foreach(isx_vocab_list(ISX_VOCAB_DIRECTIONS), i, e)
    {
        assert_trilingual(json_object_get(e, "text"));
        assert_trilingual(json_object_get(e, "short"));
    }
    assert_non_null(isx_vocab_find(ISX_VOCAB_DIRECTIONS, "D01"));
    assert_non_null(isx_vocab_find(ISX_VOCAB_DIRECTIONS, "D16"));
    assert_null(isx_vocab_find(ISX_VOCAB_DIRECTIONS, "D17"));
}

static void
test_parties_and_codes(void **state)
{
    static const char *const founders[] = {"CN", "KZ", "KG", "RU", "TJ", "UZ"};

    (void)state;
    assert_int_equal(json_array_size(isx_vocab_list(ISX_VOCAB_PARTIES)), 6);
    for (int i = 0; i < 6; i++) {
        const json_t *p = isx_vocab_find(ISX_VOCAB_PARTIES, founders[i]);
        assert_non_null(p);
        assert_trilingual(json_object_get(p, "name"));
    }
    assert_true(isx_country_valid("BY"));
    assert_true(isx_country_valid("IN"));
    assert_false(isx_country_valid("XX"));
    assert_false(isx_country_valid("cn"));
    assert_false(isx_country_valid("CHN"));
    assert_true(isx_party_code_valid("SCO"));
    assert_true(isx_language_valid("zh"));
    assert_true(isx_language_valid("kk"));
    assert_true(isx_language_valid("uz"));
    assert_false(isx_language_valid("xq"));
    assert_false(isx_language_valid("ZH"));
    assert_false(isx_language_valid("zho"));
}

static void
test_messages(void **state)
{
    enum isx_lang l;
    (void)state;
    assert_int_equal(isx_lang_parse("ru_RU.UTF-8", &l), 0);
    assert_int_equal(l, ISX_LANG_RU);
    assert_int_equal(isx_lang_parse("zh-CN", &l), 0);
    assert_int_equal(l, ISX_LANG_ZH);
    assert_int_not_equal(isx_lang_parse("fr", &l), 0);
    assert_int_not_equal(isx_lang_parse("zhx", &l), 0);
    assert_int_equal(isx_lang_from_accept("fr-FR, ru;q=0.8, en;q=0.5"), ISX_LANG_RU);
    assert_string_equal(isx_err_title(ISX_LANG_ZH, ISX_ENOTFOUND), "未找到");
    assert_string_equal(isx_err_title(ISX_LANG_RU, ISX_ENOTFOUND), "Не найдено");
    assert_string_equal(isx_err_title(ISX_LANG_EN, ISX_ENOTFOUND), "Not found");
    /* Every error code has a title in each language. */
    for (int e = -1; e >= -ISX__EIDX_MAX; e--) {
        for (int lang = 0; lang < ISX_LANG_COUNT; lang++) {
            char key[64];
            snprintf(key, sizeof(key), "error.%s", isx_err_name(e));
            assert_string_not_equal(isx_msg((enum isx_lang)lang, key), key);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threats),
        cmocka_unit_test(test_glossary_and_directions),
        cmocka_unit_test(test_parties_and_codes),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
