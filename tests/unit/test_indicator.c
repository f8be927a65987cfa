/*
 * Indicators: every type's normalisation (several spellings, one value), every rejection with
 * its reason key, CIDR range matching, type detection, and the parse rate over 1M mixed
 * values (printed, not asserted: the benchmark under bench/ owns the performance targets).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "isx/indicator.h"

/*
 * Parses `text` as `type` and checks the type, value and display (NULL: same as value); then
 * that the value parses to itself, as its type and detected, and so does the display.
 */
static void
ok(const char *type, const char *text, enum isx_ind_type want, const char *value,
   const char *display)
{
    struct isx_indicator ind;
    struct isx_diag d = {0};
    int rc = isx_indicator_parse(type, text, "indicators[0]", &ind, &d);

    if (rc != 0)
        print_error("'%s' as %s: %s (%s)\n", text, type ? type : "auto", d.key, d.arg);
    assert_int_equal(rc, 0);
    if (ind.type != want || strcmp(ind.value, value) != 0)
        print_error("'%s' as %s: %s '%s'\n", text, type ? type : "auto",
                    isx_indicator_type_name(ind.type), ind.value);
    assert_string_equal(isx_indicator_type_name(ind.type), isx_indicator_type_name(want));
    assert_string_equal(ind.value, value);
    assert_int_equal(ind.len, strlen(value));
    assert_string_equal(ind.display, display != NULL ? display : value);

    /* Normalising is idempotent, and what is displayed reads back as the same indicator. */
    struct isx_indicator again;
    const char *name = isx_indicator_type_name(ind.type);
    assert_int_equal(isx_indicator_parse(name, ind.value, NULL, &again, NULL), 0);
    assert_string_equal(again.value, value);
    assert_int_equal(isx_indicator_parse(NULL, ind.value, NULL, &again, NULL), 0);
    assert_string_equal(again.value, value);
    assert_int_equal(isx_indicator_parse(name, ind.display, NULL, &again, NULL), 0);
    assert_string_equal(again.value, value);
}

/* Parses `text` as `type`, expecting ISX_EFIELD with `key` (and `arg` unless NULL), and the
 * out-parameter untouched. */
static void
bad(const char *type, const char *text, const char *key, const char *arg)
{
    static struct isx_indicator ind, before;
    struct isx_diag d = {0};

    memset(&ind, 0x5A, sizeof(ind));
    before = ind;
    int rc = isx_indicator_parse(type, text, "indicators[2]", &ind, &d);
    if (rc != ISX_EFIELD || strcmp(d.key, key) != 0)
        print_error("'%.60s' as %s: rc %d key %s arg %s, wanted %s\n", text, type ? type : "auto",
                    rc, d.key, d.arg, key);
    assert_int_equal(rc, ISX_EFIELD);
    assert_int_equal(d.code, ISX_EFIELD);
    assert_string_equal(d.key, key);
    assert_string_equal(d.field, "indicators[2]");
    if (arg != NULL)
        assert_string_equal(d.arg, arg);
    assert_memory_equal(&ind, &before, sizeof(ind));
}

static void
test_type_names(void **state)
{
    enum isx_ind_type t;

    (void)state;
    for (int i = 0; i < ISX_IND_TYPE_COUNT; i++) {
        assert_int_equal(isx_indicator_type_parse(isx_indicator_type_name(i), &t), 0);
        assert_int_equal(t, i);
    }
    assert_string_equal(isx_indicator_type_name(ISX_IND_CIDR6), "cidr6");
    assert_string_equal(isx_indicator_type_name((enum isx_ind_type)99), "unknown");
    assert_int_equal(isx_indicator_type_parse("SHA-256", &t), 0);
    assert_int_equal(t, ISX_IND_SHA256);
    assert_int_equal(isx_indicator_type_parse("domain-name", &t), 0);
    assert_int_equal(t, ISX_IND_DOMAIN);
    assert_int_equal(isx_indicator_type_parse("Email", &t), 0);
    assert_int_equal(t, ISX_IND_EMAIL);
    assert_int_equal(isx_indicator_type_parse("mac", &t), ISX_EINVAL);
    assert_int_equal(isx_indicator_type_parse(NULL, &t), ISX_EINVAL);
    bad("mac", "00:11:22:33:44:55", "indicator.type", "mac");
}

static void
test_ipv4(void **state)
{
    struct isx_indicator ind;

    (void)state;
    ok("ipv4", "192.0.2.1", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok("ipv4", " 192.0.2.1 ", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok("ipv4", "192.0.2[.]1", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok("ipv4", "0.0.0.0", ISX_IND_IPV4, "0.0.0.0", NULL);
    ok("ipv4", "255.255.255.255", ISX_IND_IPV4, "255.255.255.255", NULL);
    ok("cidr4", "192.0.2.1/32", ISX_IND_IPV4, "192.0.2.1", NULL); /* /32 is the address */
    assert_int_equal(isx_indicator_parse("ipv4", "10.1.2.3", NULL, &ind, NULL), 0);
    assert_int_equal(ind.prefix, 32);
    assert_memory_equal(ind.addr, "\x0a\x01\x02\x03\0\0\0\0\0\0\0\0\0\0\0\0", 16);

    bad("ipv4", "256.1.1.1", "indicator.ipv4", "256.1.1.1");
    bad("ipv4", "1.2.3", "indicator.ipv4", NULL);
    bad("ipv4", "1.2.3.4.5", "indicator.ipv4", NULL);
    bad("ipv4", "010.0.0.1", "indicator.ipv4", NULL); /* octal or decimal? */
    bad("ipv4", "1.2.3.04", "indicator.ipv4", NULL);
    bad("ipv4", "1..2.3", "indicator.ipv4", NULL);
    bad("ipv4", "1.2.3.4.", "indicator.ipv4", NULL);
    bad("ipv4", "1.2.3.-4", "indicator.ipv4", NULL);
    bad("ipv4", "0x7f.0.0.1", "indicator.ipv4", NULL);
    bad("ipv4", "3232235777", "indicator.ipv4", NULL);
    bad("ipv4", "1.2.3.1234", "indicator.ipv4", NULL);
    bad("ipv4", "::1", "indicator.ipv4", NULL);
}

static void
test_ipv6(void **state)
{
    struct isx_indicator ind;

    (void)state;
    ok("ipv6", "2001:DB8:0:0:0:0:0:1", ISX_IND_IPV6, "2001:db8::1", NULL);
    ok("ipv6", "2001:0db8::0001", ISX_IND_IPV6, "2001:db8::1", NULL);
    ok("ipv6", "2001:db8::1", ISX_IND_IPV6, "2001:db8::1", NULL);
    /* The longest run is compressed; on a tie the leftmost; never a single field. */
    ok("ipv6", "2001:db8:0:0:1:0:0:1", ISX_IND_IPV6, "2001:db8::1:0:0:1", NULL);
    ok("ipv6", "2001:0:0:1:0:0:0:1", ISX_IND_IPV6, "2001:0:0:1::1", NULL);
    ok("ipv6", "2001:db8:0:1:1:1:1:1", ISX_IND_IPV6, "2001:db8:0:1:1:1:1:1", NULL);
    ok("ipv6", "2001:db8::1:1:1:1:1", ISX_IND_IPV6, "2001:db8:0:1:1:1:1:1", NULL);
    ok("ipv6", "0:0:0:0:0:0:0:0", ISX_IND_IPV6, "::", NULL);
    ok("ipv6", "0:0:0:0:0:0:0:1", ISX_IND_IPV6, "::1", NULL);
    ok("ipv6", "1:0:0:0:0:0:0:0", ISX_IND_IPV6, "1::", NULL);
    ok("ipv6", "FE80:0:0:0:0:0:0:ABCD", ISX_IND_IPV6, "fe80::abcd", NULL);
    ok("ipv6", "1:2:3:4:5:6:7:8", ISX_IND_IPV6, "1:2:3:4:5:6:7:8", NULL);
    /* IPv4-mapped in mixed notation, however it was written. */
    ok("ipv6", "::ffff:192.0.2.1", ISX_IND_IPV6, "::ffff:192.0.2.1", NULL);
    ok("ipv6", "::FFFF:c000:0201", ISX_IND_IPV6, "::ffff:192.0.2.1", NULL);
    ok("ipv6", "0:0:0:0:0:ffff:c000:201", ISX_IND_IPV6, "::ffff:192.0.2.1", NULL);
    /* The deprecated IPv4-compatible form is plain hex (glibc's inet_ntop would differ). */
    ok("ipv6", "::192.0.2.1", ISX_IND_IPV6, "::c000:201", NULL);
    ok("cidr6", "2001:db8::1/128", ISX_IND_IPV6, "2001:db8::1", NULL);
    assert_int_equal(isx_indicator_parse("ipv6", "2001:db8::1", NULL, &ind, NULL), 0);
    assert_int_equal(ind.prefix, 128);
    assert_int_equal(ind.addr[0], 0x20);
    assert_int_equal(ind.addr[15], 1);

    bad("ipv6", "2001:db8::1::1", "indicator.ipv6", NULL);
    bad("ipv6", "2001:db8:::1", "indicator.ipv6", NULL);
    bad("ipv6", "12345::1", "indicator.ipv6", NULL);
    bad("ipv6", "1:2:3:4:5:6:7:8:9", "indicator.ipv6", NULL);
    bad("ipv6", "fe80::1%eth0", "indicator.ipv6", NULL);
    bad("ipv6", "g::1", "indicator.ipv6", NULL);
    bad("ipv6", "192.0.2.1", "indicator.ipv6", NULL);
    bad("ipv6", "::ffff:010.0.0.1", "indicator.ipv6", NULL);
}

static void
test_cidr(void **state)
{
    struct isx_indicator ind;

    (void)state;
    ok("cidr4", "10.0.0.0/8", ISX_IND_CIDR4, "10.0.0.0/8", NULL);
    ok("ipv4", "10.0.0.0/8", ISX_IND_CIDR4, "10.0.0.0/8", NULL);
    ok("cidr4", "10[.]0[.]0[.]0/8", ISX_IND_CIDR4, "10.0.0.0/8", NULL);
    ok("cidr4", "0.0.0.0/0", ISX_IND_CIDR4, "0.0.0.0/0", NULL);
    ok("cidr4", "192.0.2.128/25", ISX_IND_CIDR4, "192.0.2.128/25", NULL);
    ok("cidr4", "192.0.2.0/024", ISX_IND_CIDR4, "192.0.2.0/24", NULL);
    ok("cidr4", "192.0.2.1", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok("cidr6", "2001:DB8::/32", ISX_IND_CIDR6, "2001:db8::/32", NULL);
    ok("cidr6", "2001:db8:0:0::/64", ISX_IND_CIDR6, "2001:db8::/64", NULL);
    ok("cidr6", "::/0", ISX_IND_CIDR6, "::/0", NULL);
    ok("ipv6", "2001:db8::/127", ISX_IND_CIDR6, "2001:db8::/127", NULL);
    assert_int_equal(isx_indicator_parse("cidr4", "10.0.0.0/8", NULL, &ind, NULL), 0);
    assert_int_equal(ind.prefix, 8);

    /* Host bits: refused, suggesting the network. */
    bad("cidr4", "10.0.0.1/8", "indicator.cidr_host_bits", "10.0.0.0/8");
    bad("cidr4", "192.0.2.129/25", "indicator.cidr_host_bits", "192.0.2.128/25");
    bad("cidr4", "255.255.255.255/1", "indicator.cidr_host_bits", "128.0.0.0/1");
    bad("cidr6", "2001:db8::1/32", "indicator.cidr_host_bits", "2001:db8::/32");
    bad("cidr6", "2001:db8:1:ffff::/63", "indicator.cidr_host_bits", "2001:db8:1:fffe::/63");
    bad("cidr4", "10.0.0.0/33", "indicator.cidr_prefix", NULL);
    bad("cidr6", "::1/129", "indicator.cidr_prefix", "::1/129");
    bad("cidr4", "10.0.0.0/", "indicator.cidr_prefix", NULL);
    bad("cidr4", "10.0.0.0/-1", "indicator.cidr_prefix", NULL);
    bad("cidr4", "10.0.0.0/8/8", "indicator.cidr_prefix", NULL);
    bad("cidr4", "10.0.0.0/0008", "indicator.cidr_prefix", NULL);
    bad("cidr4", "10.0.0/8", "indicator.ipv4", NULL);
}

static void
test_domain(void **state)
{
    char label63[64], label64[65], long_name[300], dotted[300];

    (void)state;
    ok("domain", "Example.COM.", ISX_IND_DOMAIN, "example.com", NULL);
    ok("domain", "example.com", ISX_IND_DOMAIN, "example.com", NULL);
    ok("domain", "EXAMPLE.com", ISX_IND_DOMAIN, "example.com", NULL);
    ok("domain", "example[.]com", ISX_IND_DOMAIN, "example.com", NULL);
    ok("domain", "example(.)com[.]", ISX_IND_DOMAIN, "example.com", NULL);
    ok("domain", "www.example[dot]com", ISX_IND_DOMAIN, "www.example.com", NULL);
    ok("domain", "_dmarc.example.com", ISX_IND_DOMAIN, "_dmarc.example.com", NULL);
    ok("domain", "bad_actor.example.com", ISX_IND_DOMAIN, "bad_actor.example.com", NULL);
    ok("domain", "a-b.c0m", ISX_IND_DOMAIN, "a-b.c0m", NULL);
    ok("domain", "1.2.3.example", ISX_IND_DOMAIN, "1.2.3.example", NULL);
    /* Internationalised names: the A-label form is the value, the U-label form the display. */
    ok("domain", "Пример.рф", ISX_IND_DOMAIN, "xn--e1afmkfd.xn--p1ai", "пример.рф");
    ok("domain", "пример.рф.", ISX_IND_DOMAIN, "xn--e1afmkfd.xn--p1ai", "пример.рф");
    ok("domain", "XN--E1AFMKFD.xn--P1AI", ISX_IND_DOMAIN, "xn--e1afmkfd.xn--p1ai", "пример.рф");
    ok("domain", "bücher.example", ISX_IND_DOMAIN, "xn--bcher-kva.example", "bücher.example");
    ok("domain", "BÜCHER.Example", ISX_IND_DOMAIN, "xn--bcher-kva.example", "bücher.example");
    ok("domain", "例子.测试", ISX_IND_DOMAIN, "xn--fsqu00a.xn--0zwm56d", "例子.测试");
    ok("domain", "例子。测试", ISX_IND_DOMAIN, "xn--fsqu00a.xn--0zwm56d", "例子.测试");
    ok("domain", "ｅｘａｍｐｌｅ.com", ISX_IND_DOMAIN, "example.com", NULL);
    ok("domain", "faß.de", ISX_IND_DOMAIN, "xn--fa-hia.de", "faß.de"); /* non-transitional */
    /* ASCII labels follow the same rules whether or not a neighbour is internationalised. */
    ok("domain", "ab--cd.bücher.example", ISX_IND_DOMAIN, "ab--cd.xn--bcher-kva.example",
       "ab--cd.bücher.example");
    ok("domain", "_dmarc.Пример.рф", ISX_IND_DOMAIN, "_dmarc.xn--e1afmkfd.xn--p1ai",
       "_dmarc.пример.рф");
    ok("domain", "例子．测试｡", ISX_IND_DOMAIN, "xn--fsqu00a.xn--0zwm56d", "例子.测试");
    /* An A-label that is not valid IDNA is kept, but shown as it is written. */
    ok("domain", "xn--i-7iq.ws", ISX_IND_DOMAIN, "xn--i-7iq.ws", NULL);
    ok("domain", "xn--a.example", ISX_IND_DOMAIN, "xn--a.example", NULL);

    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label64, 'a', 64);
    label64[64] = '\0';
    snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s.com", label63, label63, label63, label63);
    bad("domain", long_name, "indicator.domain_length", NULL);
    snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s", label63, label63, label63, label63);
    bad("domain", long_name, "indicator.domain_length", NULL); /* 255 */
    snprintf(long_name, sizeof(long_name), "%s.%s.%s.%.58s.com", label63, label63, label63,
             label63);
    bad("domain", long_name, "indicator.domain_length", NULL); /* 254 */
    snprintf(long_name, sizeof(long_name), "%s.%s.%s.%.57s.com", label63, label63, label63,
             label63);
    ok("domain", long_name, ISX_IND_DOMAIN, long_name, NULL); /* 253, the most */
    memcpy(dotted, long_name, 253);
    memcpy(dotted + 253, ".", 2); /* the trailing dot does not count */
    ok("domain", dotted, ISX_IND_DOMAIN, long_name, NULL);
    snprintf(long_name, sizeof(long_name), "%s.com", label63);
    ok("domain", long_name, ISX_IND_DOMAIN, long_name, NULL);
    snprintf(long_name, sizeof(long_name), "%s.com", label64);
    bad("domain", long_name, "indicator.domain_label", NULL);

    bad("domain", "-bad-.com", "indicator.domain", "-bad-.com");
    bad("domain", "bad-.com", "indicator.domain", NULL);
    bad("domain", "example..com", "indicator.domain", NULL);
    bad("domain", ".example.com", "indicator.domain", NULL);
    bad("domain", "example.com..", "indicator.domain", NULL);
    bad("domain", "exa mple.com", "indicator.domain", NULL);
    bad("domain", "*.example.com", "indicator.domain", NULL);
    bad("domain", "http://example.com", "indicator.domain", NULL);
    bad("domain", "example.com:80", "indicator.domain", NULL);
    bad("domain", "localhost", "indicator.domain_single", "localhost");
    bad("domain", "localhost.", "indicator.domain_single", NULL);
    bad("domain", "example.123", "indicator.domain_tld", NULL);
    bad("domain", "1.2.3.4", "indicator.domain_tld", NULL);
    bad("domain", "example.co_m", "indicator.domain_tld", NULL);
    bad("domain", "i❤.ws", "indicator.idn", NULL);
    bad("domain", "-пример.рф", "indicator.idn", NULL);
    bad("domain", "пример.рф。。", "indicator.domain", NULL);
    bad("domain", "bücher..example", "indicator.domain", NULL);
    bad("domain", "bücher.example_tld", "indicator.domain_tld", NULL);
    bad("domain", "", "indicator.empty", NULL);
    bad("domain", "   ", "indicator.empty", NULL);
}

static void
test_url(void **state)
{
    (void)state;
    ok("url", "hxxps://Example.com:443/a/%7euser#frag", ISX_IND_URL, "https://example.com/a/~user",
       NULL);
    ok("url", "https://example.com/a/~user", ISX_IND_URL, "https://example.com/a/~user", NULL);
    ok("url", "HTTPS://EXAMPLE.COM/a/%7Euser", ISX_IND_URL, "https://example.com/a/~user", NULL);
    ok("url", "http://example.com", ISX_IND_URL, "http://example.com/", NULL);
    ok("url", "http://example.com:80", ISX_IND_URL, "http://example.com/", NULL);
    ok("url", "http://example.com:0080/", ISX_IND_URL, "http://example.com/", NULL);
    ok("url", "http://example.com:/", ISX_IND_URL, "http://example.com/", NULL);
    ok("url", "http://example.com:8080", ISX_IND_URL, "http://example.com:8080/", NULL);
    ok("url", "https://example.com:80/", ISX_IND_URL, "https://example.com:80/", NULL);
    ok("url", "hxxp://evil[.]example[.]com/x", ISX_IND_URL, "http://evil.example.com/x", NULL);
    ok("url", "hxxp[:]//evil[.]example/x", ISX_IND_URL, "http://evil.example/x", NULL);
    ok("url", "fxp://files.example/pub", ISX_IND_URL, "ftp://files.example/pub", NULL);
    ok("url", "wss://example.com:443/socket", ISX_IND_URL, "wss://example.com/socket", NULL);
    ok("url", "ftps://example.com:990/", ISX_IND_URL, "ftps://example.com/", NULL);
    ok("url", "http://example.com/a%2fb%2Fc", ISX_IND_URL, "http://example.com/a%2Fb%2Fc", NULL);
    ok("url", "http://example.com/%41%62%2D%5f", ISX_IND_URL, "http://example.com/Ab-_", NULL);
    ok("url", "http://example.com/a b", ISX_IND_URL, "http://example.com/a%20b", NULL);
    ok("url", "http://example.com/a%20b", ISX_IND_URL, "http://example.com/a%20b", NULL);
    ok("url", "http://example.com/100%", ISX_IND_URL, "http://example.com/100%25", NULL);
    ok("url", "http://example.com/ü", ISX_IND_URL, "http://example.com/%C3%BC", NULL);
    ok("url", "http://example.com/%c3%bc", ISX_IND_URL, "http://example.com/%C3%BC", NULL);
    ok("url", "http://example.com/a/./b/../c/", ISX_IND_URL, "http://example.com/a/c/", NULL);
    ok("url", "http://example.com/a/%2e%2E/b", ISX_IND_URL, "http://example.com/b", NULL);
    ok("url", "http://example.com/../../x", ISX_IND_URL, "http://example.com/x", NULL);
    ok("url", "http://example.com/a/..", ISX_IND_URL, "http://example.com/", NULL);
    ok("url", "http://example.com/a//b", ISX_IND_URL, "http://example.com/a//b", NULL);
    ok("url", "http://example.com?q=1", ISX_IND_URL, "http://example.com/?q=1", NULL);
    ok("url", "http://example.com/p?Q=%7e&x=a/b?c#top", ISX_IND_URL,
       "http://example.com/p?Q=~&x=a/b?c", NULL);
    ok("url", "http://example.com/?", ISX_IND_URL, "http://example.com/?", NULL);
    ok("url", "http://example.com#only", ISX_IND_URL, "http://example.com/", NULL);
    ok("url", "http://192.0.2.1:80/x", ISX_IND_URL, "http://192.0.2.1/x", NULL);
    ok("url", "http://[2001:DB8:0:0::1]:8080/", ISX_IND_URL, "http://[2001:db8::1]:8080/", NULL);
    ok("url", "http://[::ffff:c000:201]/", ISX_IND_URL, "http://[::ffff:192.0.2.1]/", NULL);
    /* Userinfo is kept as written (only its escapes normalised): it is how phishing hides. */
    ok("url", "http://PayPal.com@Evil.example/login", ISX_IND_URL,
       "http://PayPal.com@evil.example/login", NULL);
    ok("url", "http://user:p%61ss@example.com/", ISX_IND_URL, "http://user:pass@example.com/",
       NULL);
    ok("url", "http://a@b@example.com/", ISX_IND_URL, "http://a%40b@example.com/", NULL);
    ok("url", "https://Пример.рф/Путь", ISX_IND_URL,
       "https://xn--e1afmkfd.xn--p1ai/%D0%9F%D1%83%D1%82%D1%8C",
       "https://пример.рф/%D0%9F%D1%83%D1%82%D1%8C");
    ok("url", "http://u@bücher.example:8080/x", ISX_IND_URL,
       "http://u@xn--bcher-kva.example:8080/x", "http://u@bücher.example:8080/x");

    bad("url", "http://", "indicator.url_no_host", NULL);
    bad("url", "http:///path", "indicator.url_no_host", NULL);
    bad("url", "http://:80/", "indicator.url_no_host", NULL);
    bad("url", "mailto:x", "indicator.url_no_scheme", NULL);
    bad("url", "example.com/path", "indicator.url_no_scheme", NULL);
    bad("url", "//example.com/", "indicator.url_no_scheme", NULL);
    bad("url", "javascript://alert(1)", "indicator.url_scheme", "javascript");
    bad("url", "file:///etc/passwd", "indicator.url_scheme", "file");
    bad("url", "http://localhost/", "indicator.url_host", "localhost");
    bad("url", "http://256.1.1.1/", "indicator.url_host", "256.1.1.1");
    bad("url", "http://3232235777/", "indicator.url_host", NULL);
    bad("url", "http://[2001:db8::1/", "indicator.url_host", NULL);
    bad("url", "http://[2001:db8::1]x/", "indicator.url_host", NULL);
    bad("url", "http://[fe80::1%25eth0]/", "indicator.url_host", NULL);
    bad("url", "http://exa mple.com/", "indicator.url_host", NULL);
    bad("url", "http://example.com:99999/", "indicator.url_port", "99999");
    bad("url", "http://example.com:0/", "indicator.url_port", "0");
    bad("url", "http://example.com:8o/", "indicator.url_port", NULL);
}

static void
test_url_length(void **state)
{
    char *u = malloc(4000);

    (void)state;
    strcpy(u, "http://example.com/");
    memset(u + 19, 'a', 2048 - 19);
    u[2048] = '\0';
    ok("url", u, ISX_IND_URL, u, NULL);
    /* Escaping grows it past the limit. */
    memset(u + 19, ' ', 700);
    bad("url", u, "indicator.too_long", "2048");
    u[2048] = 'a';
    u[2049] = '\0';
    bad("url", u, "indicator.too_long", "2048");

    /* A value that fits whose Unicode display would not: the display falls back to it. */
    struct isx_indicator *ind = malloc(sizeof(*ind));
    const char *host = "http://жжжжжжжжжжжжжжжжжжжжжжжжжжжжжж.example/";
    assert_int_equal(isx_indicator_parse("url", host, NULL, ind, NULL), 0);
    assert_true(strlen(ind->display) > ind->len);
    size_t pad = 2048 - ind->len - 3 * 500; /* 500 spaces become 1500 bytes of "%20" */
    strcpy(u, host);
    memset(u + strlen(host), ' ', 500);
    memset(u + strlen(host) + 500, 'p', pad);
    u[strlen(host) + 500 + pad] = '\0';
    assert_int_equal(isx_indicator_parse("url", u, NULL, ind, NULL), 0);
    assert_int_equal(ind->len, 2048);
    assert_string_equal(ind->display, ind->value);
    free(ind);
    free(u);
}

static void
test_email(void **state)
{
    char local65[80];

    (void)state;
    ok("email", "John.Smith@Example.COM.", ISX_IND_EMAIL, "John.Smith@example.com", NULL);
    ok("email", "John.Smith@example.com", ISX_IND_EMAIL, "John.Smith@example.com", NULL);
    ok("email", " John.Smith@EXAMPLE.com ", ISX_IND_EMAIL, "John.Smith@example.com", NULL);
    ok("email", "john.smith@example.com", ISX_IND_EMAIL, "john.smith@example.com", NULL);
    ok("email", "mailto:a+tag@example.com", ISX_IND_EMAIL, "a+tag@example.com", NULL);
    ok("email", "phish[@]evil[.]example", ISX_IND_EMAIL, "phish@evil.example", NULL);
    ok("email", "phish[at]evil[dot]example", ISX_IND_EMAIL, "phish@evil.example", NULL);
    ok("email", "info@Пример.рф", ISX_IND_EMAIL, "info@xn--e1afmkfd.xn--p1ai", "info@пример.рф");
    ok("email", "用户@例子.测试", ISX_IND_EMAIL, "用户@xn--fsqu00a.xn--0zwm56d", "用户@例子.测试");
    ok("email", "Иван@example.com", ISX_IND_EMAIL, "Иван@example.com", NULL);
    ok("email", "!#$%&'*+-/=?^_`{|}~@example.com", ISX_IND_EMAIL, "!#$%&'*+-/=?^_`{|}~@example.com",
       NULL);

    memset(local65, 'a', 65);
    strcpy(local65 + 65, "@example.com");
    bad("email", local65, "indicator.email_local", NULL);
    bad("email", "no-at-sign.example.com", "indicator.email", "no-at-sign.example.com");
    bad("email", "mailto:x", "indicator.email", "mailto:x");
    bad("email", "@example.com", "indicator.email_local", NULL);
    bad("email", ".a@example.com", "indicator.email_local", NULL);
    bad("email", "a.@example.com", "indicator.email_local", NULL);
    bad("email", "a..b@example.com", "indicator.email_local", NULL);
    bad("email", "a b@example.com", "indicator.email_local", NULL);
    bad("email", "\"a b\"@example.com", "indicator.email_local", NULL);
    bad("email", "a@", "indicator.email_domain", "");
    bad("email", "a@localhost", "indicator.email_domain", "localhost");
    bad("email", "a@[192.0.2.1]", "indicator.email_domain", NULL);
    bad("email", "a@-x.com", "indicator.email_domain", NULL);
}

static void
test_hashes(void **state)
{
    (void)state;
    ok("md5", "D41D8CD98F00B204E9800998ECF8427E", ISX_IND_MD5, "d41d8cd98f00b204e9800998ecf8427e",
       NULL);
    ok("md5", "d41d8cd98f00b204e9800998ecf8427e", ISX_IND_MD5, "d41d8cd98f00b204e9800998ecf8427e",
       NULL);
    ok("sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", ISX_IND_SHA1,
       "da39a3ee5e6b4b0d3255bfef95601890afd80709", NULL);
    ok("sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", ISX_IND_SHA256,
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL);
    ok("sha512",
       "CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE47D0D13C5D85F2B0FF8318D"
       "2877EEC2F63B931BD47417A81A538327AF927DA3E",
       ISX_IND_SHA512,
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d"
       "2877eec2f63b931bd47417a81a538327af927da3e",
       NULL);
    ok("hash", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", ISX_IND_SHA1,
       "da39a3ee5e6b4b0d3255bfef95601890afd80709", NULL);

    bad("md5", "d41d8cd98f00b204e9800998ecf8427", "indicator.md5", NULL);
    bad("md5", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "indicator.md5", NULL);
    bad("sha1", "d41d8cd98f00b204e9800998ecf8427e", "indicator.sha1", NULL);
    bad("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "indicator.sha256", NULL);
    bad("sha512", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "indicator.sha512", NULL);
    bad("md5", "g41d8cd98f00b204e9800998ecf8427e", "indicator.md5", NULL);
    bad("md5", "d41d8cd98f00b204 e9800998ecf8427e", "indicator.md5", NULL);
    bad("hash", "d41d8cd98f00b204e9800998ecf8427e00", "indicator.hash", NULL);
    bad(NULL, "d41d8cd98f00b204e9800998ecf8427e00", "indicator.hash", NULL);
}

static void
test_cve(void **state)
{
    (void)state;
    ok("cve", "CVE-2021-44228", ISX_IND_CVE, "CVE-2021-44228", NULL);
    ok("cve", "cve-2021-44228", ISX_IND_CVE, "CVE-2021-44228", NULL);
    ok("cve", "Cve-2014-0160", ISX_IND_CVE, "CVE-2014-0160", NULL);
    ok("cve", "CVE-1999-0001", ISX_IND_CVE, "CVE-1999-0001", NULL);
    ok("cve", "CVE-2024-1234567", ISX_IND_CVE, "CVE-2024-1234567", NULL);

    bad("cve", "CVE-99-1", "indicator.cve", "CVE-99-1");
    bad("cve", "CVE-2021-123", "indicator.cve", NULL);
    bad("cve", "CVE-2021-01234", "indicator.cve", NULL);
    bad("cve", "CVE-2021-4422a", "indicator.cve", NULL);
    bad("cve", "CVE_2021_44228", "indicator.cve", NULL);
    bad("cve", "2021-44228", "indicator.cve", NULL);
    bad("cve", "CVE-1998-0001", "indicator.cve_year", NULL);
    bad("cve", "CVE-2101-0001", "indicator.cve_year", NULL);
}

static void
test_asn(void **state)
{
    (void)state;
    ok("asn", "AS12345", ISX_IND_ASN, "AS12345", NULL);
    ok("asn", "as12345", ISX_IND_ASN, "AS12345", NULL);
    ok("asn", "ASN12345", ISX_IND_ASN, "AS12345", NULL);
    ok("asn", "12345", ISX_IND_ASN, "AS12345", NULL);
    ok("asn", "AS012345", ISX_IND_ASN, "AS12345", NULL);
    ok("asn", "AS1.10", ISX_IND_ASN, "AS65546", NULL); /* asdot */
    ok("asn", "AS23456", ISX_IND_ASN, "AS23456", NULL);
    ok("asn", "AS4294967295", ISX_IND_ASN, "AS4294967295", NULL);
    ok("asn", "AS65535.65535", ISX_IND_ASN, "AS4294967295", NULL);

    bad("asn", "AS0", "indicator.asn_range", "AS0");
    bad("asn", "AS0.0", "indicator.asn_range", NULL);
    bad("asn", "AS4294967296", "indicator.asn_range", "AS4294967296");
    bad("asn", "AS99999999999999999999999", "indicator.asn_range", NULL);
    bad("asn", "AS65536.1", "indicator.asn_range", NULL);
    bad("asn", "AS", "indicator.asn", NULL);
    bad("asn", "AS-1", "indicator.asn", NULL);
    bad("asn", "AS 123", "indicator.asn", NULL);
    bad("asn", "AS1.", "indicator.asn", NULL);
    bad("asn", "AS1.2.3", "indicator.asn", NULL);
    bad("asn", "AB123", "indicator.asn", NULL);
}

static void
test_input_checks(void **state)
{
    char *big = malloc(3001);
    struct isx_indicator ind;
    struct isx_diag d = {0};

    (void)state;
    bad(NULL, "example.com\n", "indicator.control", "12");
    bad("domain", "exa\tmple.com", "indicator.control", "4");
    bad("url", "http://example.com/\x7f", "indicator.control", NULL);
    bad("domain", "exa\xC2\x85mple.com", "indicator.control", "4"); /* C1 NEL */
    bad("domain",
        "\xE2\x80\xAE"
        "moc.example",
        "indicator.control", "1");                                        /* RLO */
    bad("domain", "exam\xE2\x80\x8Bple.com", "indicator.control", "5");   /* ZWSP */
    bad("email", "a\xEF\xBB\xBF@example.com", "indicator.control", NULL); /* BOM */
    bad("domain", "exa\xC3mple.com", "indicator.encoding", "4");
    bad("domain", "\xC0\xAE.example", "indicator.encoding", NULL);     /* overlong */
    bad("domain", "\xED\xA0\x80.example", "indicator.encoding", NULL); /* surrogate */
    bad("domain", "example.co\xE2\x82", "indicator.encoding", NULL);   /* truncated */
    memset(big, 'a', 3000);
    big[3000] = '\0';
    bad(NULL, big, "indicator.too_long", "2048");
    bad("md5", big, "indicator.too_long", "2048");
    /* An embedded NUL (a JSON "\u0000") is a control character. */
    assert_int_equal(isx_indicator_parsen("domain", "example.com\0.evil", 17, "v", &ind, &d),
                     ISX_EFIELD);
    assert_string_equal(d.key, "indicator.control");
    assert_string_equal(d.arg, "12");
    assert_int_equal(isx_indicator_parsen("domain", "example.com.evil", 11, "v", &ind, NULL), 0);
    assert_string_equal(ind.value, "example.com");
    bad("ipv4", NULL, "indicator.empty", NULL);
    /* A long offending value is cut at a character boundary, with an ellipsis. */
    memset(&d, 0, sizeof(d));
    for (int i = 0; i < 1000; i += 2)
        memcpy(big + i, "\xD0\xB6", 2); /* ж */
    big[1000] = '\0';
    assert_int_equal(isx_indicator_parse(NULL, big, "v", &ind, &d), ISX_EFIELD);
    assert_string_equal(d.key, "indicator.unknown");
    assert_true(strlen(d.arg) < sizeof(d.arg));
    assert_string_equal(d.arg + strlen(d.arg) - 3, "\xE2\x80\xA6");
    assert_memory_equal(d.arg, "\xD0\xB6\xD0\xB6", 4);
    assert_int_equal(strlen(d.arg) % 2, 1); /* whole two-byte characters plus the ellipsis */
    free(big);
}

static void
test_detect(void **state)
{
    (void)state;
    ok(NULL, "192.0.2.1", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok("", "192.0.2[.]1", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok("auto", "10.0.0.0/8", ISX_IND_CIDR4, "10.0.0.0/8", NULL);
    ok(NULL, "2001:DB8::1", ISX_IND_IPV6, "2001:db8::1", NULL);
    ok(NULL, "::1", ISX_IND_IPV6, "::1", NULL);
    ok(NULL, "::ffff:192.0.2.1", ISX_IND_IPV6, "::ffff:192.0.2.1", NULL);
    ok(NULL, "2001:db8::/32", ISX_IND_CIDR6, "2001:db8::/32", NULL);
    ok("ip", "2001:db8::/32", ISX_IND_CIDR6, "2001:db8::/32", NULL);
    ok("ip", "192.0.2.1", ISX_IND_IPV4, "192.0.2.1", NULL);
    ok(NULL, "D41D8CD98F00B204E9800998ECF8427E", ISX_IND_MD5, "d41d8cd98f00b204e9800998ecf8427e",
       NULL);
    ok(NULL, "da39a3ee5e6b4b0d3255bfef95601890afd80709", ISX_IND_SHA1,
       "da39a3ee5e6b4b0d3255bfef95601890afd80709", NULL);
    ok(NULL, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ISX_IND_SHA256,
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL);
    ok(NULL,
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d"
       "2877eec2f63b931bd47417a81a538327af927da3e",
       ISX_IND_SHA512,
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d"
       "2877eec2f63b931bd47417a81a538327af927da3e",
       NULL);
    ok(NULL, "12345678901234567890123456789012", ISX_IND_MD5, "12345678901234567890123456789012",
       NULL);
    ok(NULL, "cve-2021-44228", ISX_IND_CVE, "CVE-2021-44228", NULL);
    ok(NULL, "as12345", ISX_IND_ASN, "AS12345", NULL);
    ok(NULL, "ASN12345", ISX_IND_ASN, "AS12345", NULL);
    ok(NULL, "John@Example.com", ISX_IND_EMAIL, "John@example.com", NULL);
    ok(NULL, "john[at]example[.]com", ISX_IND_EMAIL, "john@example.com", NULL);
    ok(NULL, "hxxps://Example.com:443/a/%7euser#frag", ISX_IND_URL, "https://example.com/a/~user",
       NULL);
    ok(NULL, "http://user@example.com/", ISX_IND_URL, "http://user@example.com/", NULL);
    ok(NULL, "Example.COM.", ISX_IND_DOMAIN, "example.com", NULL);
    ok(NULL, "Пример.рф", ISX_IND_DOMAIN, "xn--e1afmkfd.xn--p1ai", "пример.рф");
    ok(NULL, "dead.beef", ISX_IND_DOMAIN, "dead.beef", NULL);
    ok(NULL, "asus.com", ISX_IND_DOMAIN, "asus.com", NULL);
    ok(NULL, "cve.mitre.org", ISX_IND_DOMAIN, "cve.mitre.org", NULL);
    ok(NULL, "as15169.example", ISX_IND_DOMAIN, "as15169.example", NULL);
    ok(NULL, "ASN1.Example", ISX_IND_DOMAIN, "asn1.example", NULL);
    ok(NULL, "cve-2021-44228.example.com", ISX_IND_DOMAIN, "cve-2021-44228.example.com", NULL);
    ok(NULL, "AS1.10", ISX_IND_ASN, "AS65546", NULL);

    /* A malformed value is refused for the type it looks like. */
    bad(NULL, "256.1.1.1", "indicator.ipv4", NULL);
    bad(NULL, "1.2.3", "indicator.ipv4", NULL);
    bad(NULL, "10.0.0.1/8", "indicator.cidr_host_bits", "10.0.0.0/8");
    bad(NULL, "::1/129", "indicator.cidr_prefix", NULL);
    bad(NULL, "2001:db8::1::1", "indicator.ipv6", NULL);
    bad(NULL, "CVE-99-1", "indicator.cve", NULL);
    bad(NULL, "AS0", "indicator.asn_range", NULL);
    bad(NULL, "AS4294967296", "indicator.asn_range", NULL);
    bad(NULL, "AS1.2.3", "indicator.asn", NULL);
    bad(NULL, "CVE-2021", "indicator.cve", NULL);
    bad(NULL, "x@localhost", "indicator.email_domain", NULL);
    bad(NULL, "http://", "indicator.url_no_host", NULL);
    bad(NULL, "example.com/path", "indicator.url_no_scheme", NULL);
    bad(NULL, "-bad-.com", "indicator.domain", NULL);
    /* What looks like nothing in particular. */
    bad(NULL, "localhost", "indicator.unknown", "localhost");
    bad(NULL, "mailto:x", "indicator.email", NULL);
    bad(NULL, "12345", "indicator.unknown", NULL); /* a bare number is no ASN */
    bad(NULL, "hello world", "indicator.unknown", NULL);
}

static struct isx_indicator *
parsed(const char *text)
{
    static struct isx_indicator slots[4];
    static int next;
    struct isx_indicator *ind = &slots[next++ % 4];

    assert_int_equal(isx_indicator_parse(NULL, text, NULL, ind, NULL), 0);
    return ind;
}

static void
test_ranges(void **state)
{
    (void)state;
    assert_true(isx_indicator_in_range(parsed("10.1.2.3"), parsed("10.0.0.0/8")));
    assert_false(isx_indicator_in_range(parsed("10.1.2.3"), parsed("10.0.0.0/16")));
    assert_true(isx_indicator_in_range(parsed("10.0.255.255"), parsed("10.0.0.0/16")));
    assert_false(isx_indicator_in_range(parsed("11.0.0.0"), parsed("10.0.0.0/8")));
    assert_true(isx_indicator_in_range(parsed("192.0.2.200"), parsed("192.0.2.128/25")));
    assert_false(isx_indicator_in_range(parsed("192.0.2.127"), parsed("192.0.2.128/25")));
    assert_true(isx_indicator_in_range(parsed("8.8.8.8"), parsed("0.0.0.0/0")));
    assert_true(isx_indicator_in_range(parsed("10.1.0.0/16"), parsed("10.0.0.0/8")));
    assert_false(isx_indicator_in_range(parsed("10.0.0.0/8"), parsed("10.1.0.0/16")));
    assert_true(isx_indicator_in_range(parsed("10.1.2.3"), parsed("10.1.2.3")));
    assert_false(isx_indicator_in_range(parsed("10.1.2.4"), parsed("10.1.2.3")));
    assert_true(isx_indicator_in_range(parsed("2001:db8:1::5"), parsed("2001:db8::/32")));
    assert_false(isx_indicator_in_range(parsed("2001:db9::5"), parsed("2001:db8::/32")));
    assert_true(isx_indicator_in_range(parsed("2001:db8::1"), parsed("2001:db8::/127")));
    assert_false(isx_indicator_in_range(parsed("2001:db8::2"), parsed("2001:db8::/127")));
    assert_true(isx_indicator_in_range(parsed("::1"), parsed("::/0")));
    /* No cross-family matching, not even for the IPv4-mapped form. */
    assert_false(isx_indicator_in_range(parsed("::ffff:10.1.2.3"), parsed("10.0.0.0/8")));
    assert_false(isx_indicator_in_range(parsed("10.1.2.3"), parsed("::/0")));
    assert_false(isx_indicator_in_range(parsed("0.0.0.0"), parsed("::/0")));
    assert_false(isx_indicator_in_range(parsed("example.com"), parsed("10.0.0.0/8")));
    assert_int_equal(isx_indicator_family(parsed("10.0.0.0/8")), 4);
    assert_int_equal(isx_indicator_family(parsed("::/0")), 6);
    assert_int_equal(isx_indicator_family(parsed("AS1")), 0);
}

/* One million detections over a mix like a real report's; prints the rate. */
static void
test_parse_rate(void **state)
{
    enum { POOL = 1024, N = 1000000 };
    char(*pool)[160] = malloc(POOL * sizeof(*pool));
    struct isx_indicator *ind = malloc(sizeof(*ind));
    struct timespec t0, t1;
    unsigned long ok_count = 0;

    (void)state;
    for (unsigned i = 0; i < POOL; i++) {
        unsigned x = i * 2654435761u;
        switch (i % 12) {
        case 0:
            snprintf(pool[i], 160, "%u.%u.%u.%u", 1 + x % 223, x >> 8 & 255, x >> 16 & 255,
                     x >> 24);
            break;
        case 1:
            snprintf(pool[i], 160, "2001:DB8:%x:0:0:0:0:%x", x & 0xffff, x >> 16);
            break;
        case 2:
            snprintf(pool[i], 160, "10.%u.0.0/16", x % 256);
            break;
        case 3:
            snprintf(pool[i], 160, "Host%u.Evil-Domain%u.example.", x % 1000, i);
            break;
        case 4:
            snprintf(pool[i], 160, "hxxp://cdn%u.example[.]com/a/%%7e%u/payload.exe?id=%u#x", i,
                     x % 97, x);
            break;
        case 5:
            snprintf(pool[i], 160, "Phish%u@Mail%u.Example.org", i, x % 100);
            break;
        case 6:
            snprintf(pool[i], 160, "%08X%08X%08X%08X", x, x ^ 0x5bd1e995u, x * 7u, i);
            break;
        case 7:
            snprintf(pool[i], 160, "%08x%08x%08x%08x%08x", x, i, x * 3u, x ^ i, x * 5u);
            break;
        case 8:
            snprintf(pool[i], 160, "%08x%08x%08x%08x%08x%08x%08x%08x", x, i, x * 3u, x ^ i, x * 5u,
                     x * 9u, x * 11u, x * 13u);
            break;
        case 9:
            snprintf(pool[i], 160, "cve-20%02u-%u", 10 + i % 15, 1000 + x % 90000);
            break;
        case 10:
            snprintf(pool[i], 160, "AS%u", 1 + x % 400000);
            break;
        default: /* an internationalised name, one in twelve, through libidn2 */
            snprintf(pool[i], 160, (i / 12) % 2 ? "Пример%u.рф" : "bücher%u.example", i);
            break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < N; i++)
        ok_count += isx_indicator_parse(NULL, pool[i % POOL], NULL, ind, NULL) == 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(ok_count, N);
    printf("[ rate     ] %d mixed indicators, 1 in 12 an IDN name: %.3f s: %.0f/s\n", N, s, N / s);

    /* The same without the internationalised names, which dominate the cost. */
    for (unsigned i = 11; i < POOL; i += 12)
        snprintf(pool[i], 160, "www%u.example.net", i);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < N; i++)
        ok_count += isx_indicator_parse(NULL, pool[i % POOL], NULL, ind, NULL) == 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(ok_count, 2 * N);
    printf("[ rate     ] %d mixed indicators, ASCII names only: %.3f s: %.0f/s\n", N, s, N / s);
    free(pool);
    free(ind);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names), cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),       cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_domain),     cmocka_unit_test(test_url),
        cmocka_unit_test(test_url_length), cmocka_unit_test(test_email),
        cmocka_unit_test(test_hashes),     cmocka_unit_test(test_cve),
        cmocka_unit_test(test_asn),        cmocka_unit_test(test_input_checks),
        cmocka_unit_test(test_detect),     cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_parse_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
