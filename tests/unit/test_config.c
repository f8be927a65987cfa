/*
 * isx.conf parsing: defaults, every key, and the refusal of anything unknown or malformed
 * with the line and key named. Also the round trip through isx_config_format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "isx/config.h"

static void
fails(const char *text, const char *field, const char *line)
{
    struct isx_config c;
    struct isx_diag d = {0};

    isx_config_defaults(&c);
    assert_int_equal(isx_config_parse(text, strlen(text), &c, &d), ISX_ECONFIG);
    assert_string_equal(d.field, field);
    assert_string_equal(d.arg, line);
}

static void
test_parse(void **state)
{
    static const char text[] = "# comment\n[node]\nparty = RU\nname = isx-ru\n\n[http]\n"
                               "port = 9000\nthreads = 8\nlog_requests = no\n"
                               "[marking]\nsecret_labels = Құпия, Махфӣ\n";
    struct isx_config c;
    struct isx_diag d = {0};

    (void)state;
    isx_config_defaults(&c);
    assert_int_equal(c.port, 8440);
    assert_int_equal(isx_config_parse(text, strlen(text), &c, &d), 0);
    assert_string_equal(c.party, "RU");
    assert_string_equal(c.name, "isx-ru");
    assert_int_equal(c.port, 9000);
    assert_int_equal(c.threads, 8);
    assert_int_equal(c.log_requests, 0);
    assert_int_equal(c.nsecret_labels, 2);
    assert_string_equal(c.secret_labels[1], "Махфӣ");
    assert_string_equal(c.listen, "127.0.0.1");
}

static void
test_round_trip(void **state)
{
    struct isx_config a, b;
    struct isx_buf out = ISX_BUF_INIT;
    struct isx_diag d = {0};

    (void)state;
    isx_config_defaults(&a);
    strcpy(a.party, "KZ");
    a.port = 1234;
    a.nsecret_labels = 1;
    strcpy(a.secret_labels[0], "Құпия");
    assert_int_equal(isx_config_format(&a, &out), 0);
    isx_config_defaults(&b);
    assert_int_equal(isx_config_parse(out.data, out.len, &b, &d), 0);
    assert_memory_equal(&a, &b, sizeof(a));
    isx_buf_free(&out);
}

static void
test_rejects(void **state)
{
    (void)state;
    fails("[node]\nparty = XX\n", "node.party", "2");
    fails("[node]\ncolour = blue\n", "node.colour", "2");
    fails("[nodes]\nparty = CN\n", "nodes.party", "2");
    fails("[http]\nport = 70000\n", "http.port", "2");
    fails("[http]\nport = -1\n", "http.port", "2");
    fails("[http]\nport = 80x\n", "http.port", "2");
    fails("[http]\nthreads = 0\n", "http.threads", "2");
    fails("[http]\nlog_requests = maybe\n", "http.log_requests", "2");
    fails("[node]\njust words\n", "just words", "2");
    fails("[node\nparty = CN\n", "[node", "1");
    fails("[node]\nname = has space\n", "node.name", "2");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
