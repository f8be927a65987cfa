/*
 * libFuzzer target for indicator normalisation. Invariants checked on every input: a failure
 * is ISX_EFIELD with an indicator.* key; a success re-parses to the same value by its type,
 * by detection and from its display form. Build and run (clang's libFuzzer):
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_indicator.c \
 *       src/core/indicator.c src/core/error.c $(pkg-config --cflags --libs libidn2) -o fuzz
 *   ./fuzz -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isx/indicator.h"
static struct isx_indicator a, b;
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *types[] = {NULL,     "ip",  "hash",  "ipv4", "ipv6", "cidr4", "cidr6",
                                  "domain", "url", "email", "md5",  "cve",  "asn"};
    if (size < 1)
        return 0;
    const char *t = types[data[0] % 13];
    struct isx_diag d = {0};
    int rc = isx_indicator_parsen(t, (const char *)data + 1, size - 1, "f", &a, &d);
    if (rc != 0) {
        if (rc != ISX_EFIELD || strncmp(d.key, "indicator.", 10) != 0)
            abort();
        return 0;
    }
    if (strlen(a.value) != a.len || a.len > ISX_INDICATOR_MAX)
        abort();
    const char *name = isx_indicator_type_name(a.type);
    if (isx_indicator_parse(name, a.value, NULL, &b, NULL) != 0 || strcmp(a.value, b.value) ||
        a.type != b.type) {
        fprintf(stderr, "not idempotent (%s): [%.*s] -> [%s] -> [%s]\n", name, (int)size - 1,
                data + 1, a.value, b.value);
        abort();
    }
    if (isx_indicator_parse(NULL, a.value, NULL, &b, NULL) != 0 || strcmp(a.value, b.value)) {
        fprintf(stderr, "auto differs (%s): [%.*s] -> [%s] -> [%s]\n", name, (int)size - 1,
                data + 1, a.value, b.value);
        abort();
    }
    if (isx_indicator_parse(name, a.display, NULL, &b, NULL) != 0 || strcmp(a.value, b.value)) {
        fprintf(stderr, "display differs (%s): [%.*s] -> [%s] / [%s] -> [%s]\n", name,
                (int)size - 1, data + 1, a.value, a.display, b.value);
        abort();
    }
    return 0;
}
