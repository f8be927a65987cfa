/*
 * Tests for src/crypto/sign.c, box.c, signer.c and hash.c: RFC 8032 and signed-note vectors,
 * key files and their permission checks, strict text encodings, and the spawned signer
 * matching the local one under concurrent use.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "isx/error.h"
#include "isx/hash.h"
#include "isx/sign.h"

static void
hex(const char *text, uint8_t *out, size_t len)
{
    assert_int_equal(isx_hex_decode(text, strlen(text), out, len), 0);
}

static void
assert_hex(const uint8_t *bin, size_t len, const char *want)
{
    char got[257];

    assert_true(len * 2 < sizeof(got));
    isx_hex_encode(bin, len, got);
    assert_string_equal(got, want);
}

static int
setup(void **state)
{
    return isx_crypto_init();
}

/* --- Hashes and encodings --------------------------------------------------------------- */

static void
test_sha256(void **state)
{
    struct isx_sha256_ctx c;
    uint8_t h[ISX_SHA256_LEN];

    isx_sha256("", 0, h);
    assert_hex(h, sizeof(h), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    isx_sha256("abc", 3, h);
    assert_hex(h, sizeof(h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    isx_sha256_init(&c);
    isx_sha256_update(&c, "a", 1);
    isx_sha256_update(&c, "bc", 2);
    isx_sha256_final(&c, h);
    assert_hex(h, sizeof(h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_hex(void **state)
{
    uint8_t b[4] = {0xee, 0xee, 0xee, 0xee};
    char s[9];

    assert_int_equal(isx_hex_decode("0aFf10", 6, b, 3), 0);
    assert_int_equal(b[0], 0x0a);
    assert_int_equal(b[1], 0xff);
    assert_int_equal(b[2], 0x10);
    isx_hex_encode(b, 3, s);
    assert_string_equal(s, "0aff10");
    assert_int_equal(isx_hex_decode("", 0, b, 0), 0);
    memset(b, 0xee, sizeof(b));
    assert_int_equal(isx_hex_decode("0a0", 3, b, 2), ISX_EINVAL);
    assert_int_equal(isx_hex_decode("0a0b", 4, b, 1), ISX_EINVAL);
    assert_int_equal(isx_hex_decode("0a", 2, b, 2), ISX_EINVAL);
    assert_int_equal(isx_hex_decode("0g", 2, b, 1), ISX_EINVAL);
    assert_int_equal(isx_hex_decode(" 0a", 3, b, 1), ISX_EINVAL);
    assert_int_equal(isx_hex_decode("0x0a", 4, b, 2), ISX_EINVAL);
    /* Nothing is written when the input is refused. */
    assert_int_equal(b[0], 0xee);
}

/* RFC 4648 §10 vectors in both alphabets, then what strict decoding must refuse. */
static void
test_base64(void **state)
{
    static const struct {
        const char *bin, *std, *url;
    } vec[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    static const char *const bad_std[] = {
        "Zg=",  "Zg",    "Zh==",     "Zm9=",     " Zg==",    "Zg==\n", "Zg ==",
        "Z===", "====",  "Zg=a",     "Zg==Zg==", "Zm-v",     "Zm_v",   "Zm9",
        "=Zm9", "Zm9v=", "Zm9v====", "Z",        "Zm9vY===", "Zm9vY",  "Zm\r\n9v",
    };
    static const char *const bad_url[] = {"Zg==", "Zg=", "Zh",  "Zm8=",  "Zm+v",
                                          "Zm/v", "Z",   " Zg", "Zm9vY", "Zm8\n"};
    static const uint8_t bin[] = {0xfb, 0xff, 0xbf};
    uint8_t out[16];
    char enc[32];
    size_t i, n;

    for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        size_t len = strlen(vec[i].bin);
        assert_int_equal(isx_base64_len(len), strlen(vec[i].std) + 1);
        isx_base64_encode((const uint8_t *)vec[i].bin, len, enc);
        assert_string_equal(enc, vec[i].std);
        isx_base64url_encode((const uint8_t *)vec[i].bin, len, enc);
        assert_string_equal(enc, vec[i].url);
        n = 99;
        assert_int_equal(isx_base64_decode(vec[i].std, strlen(vec[i].std), out, sizeof(out), &n),
                         0);
        assert_int_equal(n, len);
        assert_memory_equal(out, vec[i].bin, len);
        n = 99;
        assert_int_equal(isx_base64url_decode(vec[i].url, strlen(vec[i].url), out, sizeof(out), &n),
                         0);
        assert_int_equal(n, len);
        assert_memory_equal(out, vec[i].bin, len);
    }
    /* The two alphabets differ in 62 and 63. */
    isx_base64_encode(bin, sizeof(bin), enc);
    assert_string_equal(enc, "+/+/");
    isx_base64url_encode(bin, sizeof(bin), enc);
    assert_string_equal(enc, "-_-_");
    assert_int_equal(isx_base64_decode("+/+/", 4, out, sizeof(out), &n), 0);
    assert_memory_equal(out, bin, sizeof(bin));
    assert_int_equal(isx_base64url_decode("-_-_", 4, out, sizeof(out), &n), 0);
    assert_memory_equal(out, bin, sizeof(bin));

    for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
        n = 99;
        assert_int_equal(isx_base64_decode(bad_std[i], strlen(bad_std[i]), out, sizeof(out), &n),
                         ISX_EINVAL);
        assert_int_equal(n, 99);
    }
    for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
        n = 99;
        assert_int_equal(isx_base64url_decode(bad_url[i], strlen(bad_url[i]), out, sizeof(out), &n),
                         ISX_EINVAL);
        assert_int_equal(n, 99);
    }
    /* An embedded NUL is not the end of the input. */
    assert_int_equal(isx_base64_decode("Zg\0=", 4, out, sizeof(out), &n), ISX_EINVAL);
    /* Too small an output buffer is refused rather than truncated. */
    assert_int_equal(isx_base64_decode("Zm9vYmFy", 8, out, 5, &n), ISX_EINVAL);
    assert_int_equal(isx_base64_decode("Zm9vYmFy", 8, out, 6, &n), 0);
    assert_int_equal(n, 6);
}

static void
test_memcmp_ct(void **state)
{
    assert_int_equal(isx_memcmp_ct("abcd", "abcd", 4), 0);
    assert_int_not_equal(isx_memcmp_ct("abcd", "abce", 4), 0);
    assert_int_equal(isx_memcmp_ct("a", "b", 0), 0);
}

static void
test_uuid4(void **state)
{
    char a[37], b[37];
    int i;

    isx_uuid4(a);
    isx_uuid4(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", a[i]));
    }
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}

/* --- Ed25519 ---------------------------------------------------------------------------- */

/* RFC 8032 §7.1 TEST 1. */
static void
test_rfc8032_test1(void **state)
{
    uint8_t seed[32], pk[32], sig[64];
    struct isx_sign_key *k = NULL;

    hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
    assert_int_equal(isx_sign_key_from_seed(seed, &k), 0);
    isx_sign_key_public(k, pk);
    assert_hex(pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert_int_equal(isx_sign(k, NULL, 0, sig), 0);
    assert_hex(sig, 64,
               "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
               "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_int_equal(isx_sign_verify(pk, "", 0, sig), 0);
    isx_sign_key_free(k);
}

static void
test_verify_rejects_flips(void **state)
{
    static const char msg[] = "isx object bytes";
    struct isx_sign_key *k = NULL;
    uint8_t pk[32], sig[64], m[sizeof(msg)], s2[64];
    size_t i;

    assert_int_equal(isx_sign_key_generate(&k), 0);
    isx_sign_key_public(k, pk);
    assert_int_equal(isx_sign(k, msg, sizeof(msg), sig), 0);
    assert_int_equal(isx_sign_verify(pk, msg, sizeof(msg), sig), 0);
    for (i = 0; i < sizeof(msg) * 8; i += 7) {
        memcpy(m, msg, sizeof(msg));
        m[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(isx_sign_verify(pk, m, sizeof(m), sig), ISX_ESIG);
    }
    for (i = 0; i < 64 * 8; i += 5) {
        memcpy(s2, sig, 64);
        s2[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(isx_sign_verify(pk, msg, sizeof(msg), s2), ISX_ESIG);
    }
    /* A shorter message is a different message. */
    assert_int_equal(isx_sign_verify(pk, msg, sizeof(msg) - 1, sig), ISX_ESIG);
    pk[0] ^= 1;
    assert_int_equal(isx_sign_verify(pk, msg, sizeof(msg), sig), ISX_ESIG);
    isx_sign_key_free(k);
}

/* What follows the n-th '+' of a Go note key; the base64 at the end may contain '+' too. */
static const char *
after_plus(const char *key, int n)
{
    while (n-- > 0) {
        key = strchr(key, '+');
        assert_non_null(key);
        key++;
    }
    return key;
}

/* standards.md §4.4: the C2SP signed-note vector from golang.org/x/mod/sumdb/note. */
static void
test_signed_note_vector(void **state)
{
    static const char vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static const char skey[] =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    static const char text[] = "If you think cryptography is the answer to your problem,\n"
                               "then you don't know what your problem is.\n";
    static const char line[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pA"
                               "cElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    uint8_t vk[33], sk[33], blob[68], pk[32], sig[64];
    struct isx_sign_key *k = NULL;
    const char *b64, *name;
    char id[9], idsig[9];
    size_t n;

    b64 = after_plus(vkey, 2); /* name+id+key */
    assert_int_equal(isx_base64_decode(b64, strlen(b64), vk, sizeof(vk), &n), 0);
    assert_int_equal(n, 33);
    assert_int_equal(vk[0], 0x01);
    isx_sign_key_id("PeterNeumann", vk + 1, id);
    assert_string_equal(id, "c74f20a3");

    /* The signature line: em dash, space, name, space, base64(key id || signature). */
    assert_memory_equal(line, "\xe2\x80\x94 ", 4);
    name = line + 4;
    b64 = strchr(name, ' ') + 1;
    assert_int_equal((size_t)(b64 - 1 - name), strlen("PeterNeumann"));
    assert_memory_equal(name, "PeterNeumann", 12);
    assert_int_equal(strlen(b64), 92);
    assert_int_equal(isx_base64_decode(b64, strlen(b64), blob, sizeof(blob), &n), 0);
    assert_int_equal(n, 68);
    isx_hex_encode(blob, 4, idsig);
    assert_string_equal(idsig, id);
    assert_int_equal(isx_sign_verify(vk + 1, text, strlen(text), blob + 4), 0);
    assert_int_equal(isx_sign_verify(vk + 1, text, strlen(text) - 1, blob + 4), ISX_ESIG);

    /* The private key reproduces the public key and, Ed25519 being deterministic, the
     * signature itself. */
    b64 = after_plus(skey, 4); /* PRIVATE+KEY+name+id+key */
    assert_int_equal(isx_base64_decode(b64, strlen(b64), sk, sizeof(sk), &n), 0);
    assert_int_equal(n, 33);
    assert_int_equal(isx_sign_key_from_seed(sk + 1, &k), 0);
    isx_sign_key_public(k, pk);
    assert_memory_equal(pk, vk + 1, 32);
    assert_int_equal(isx_sign(k, text, strlen(text), sig), 0);
    assert_memory_equal(sig, blob + 4, 64);
    isx_sign_key_free(k);
}

/* --- Key files -------------------------------------------------------------------------- */

struct tmpdir {
    char path[64];
};

static void
tmpdir_make(struct tmpdir *t)
{
    strcpy(t->path, "/tmp/isx-test-sign-XXXXXX");
    assert_non_null(mkdtemp(t->path));
}

static void
tmpdir_remove(struct tmpdir *t, const char *const *names, size_t n)
{
    char p[128];
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(p, sizeof(p), "%s/%s", t->path, names[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(t->path), 0);
}

static void
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
    int fd;

    unlink(path);
    fd = open(path, O_CREAT | O_EXCL | O_WRONLY, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static size_t
read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

static void
test_key_file_round_trip(void **state)
{
    static const char *const names[] = {"node.key", "missing/dir.key"};
    struct isx_sign_key *k = NULL, *k2 = NULL;
    uint8_t pk[32], pk2[32], sig[64], sig2[64];
    struct tmpdir t;
    char path[128], text[256];
    struct stat st;

    tmpdir_make(&t);
    snprintf(path, sizeof(path), "%s/node.key", t.path);
    assert_int_equal(isx_sign_key_generate(&k), 0);
    assert_int_equal(isx_sign_key_save(k, path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(read_file(path, text, sizeof(text)), 19 + 44 + 1);
    assert_memory_equal(text, "isx-ed25519-secret ", 19);
    assert_int_equal(text[63], '\n');

    assert_int_equal(isx_sign_key_load(path, &k2), 0);
    isx_sign_key_public(k, pk);
    isx_sign_key_public(k2, pk2);
    assert_memory_equal(pk, pk2, 32);
    assert_int_equal(isx_sign(k, "m", 1, sig), 0);
    assert_int_equal(isx_sign(k2, "m", 1, sig2), 0);
    assert_memory_equal(sig, sig2, 64);
    isx_sign_key_free(k2);
    k2 = NULL;

    /* Saving never overwrites, and the file that is there is left alone. */
    isx_sign_key_free(k);
    assert_int_equal(isx_sign_key_generate(&k), 0);
    assert_int_equal(isx_sign_key_save(k, path), ISX_EEXISTS);
    assert_int_equal(isx_sign_key_load(path, &k2), 0);
    isx_sign_key_public(k2, pk2);
    assert_memory_equal(pk, pk2, 32);
    isx_sign_key_free(k2);

    /* A file owned by the user alone but read-only still loads. */
    assert_int_equal(chmod(path, 0400), 0);
    k2 = NULL;
    assert_int_equal(isx_sign_key_load(path, &k2), 0);
    isx_sign_key_free(k2);

    snprintf(path, sizeof(path), "%s/missing/dir.key", t.path);
    assert_int_equal(isx_sign_key_save(k, path), ISX_EIO);
    k2 = NULL;
    assert_int_equal(isx_sign_key_load(path, &k2), ISX_ENOTFOUND);
    assert_null(k2);
    isx_sign_key_free(k);
    tmpdir_remove(&t, names, 2);
}

static void
test_key_file_permissions(void **state)
{
    static const char *const names[] = {"node.key"};
    static const mode_t refused[] = {0644, 0640, 0604, 0610, 0601, 0620, 0602, 0700 | 0070};
    struct isx_sign_key *k = NULL, *k2 = NULL;
    struct tmpdir t;
    char path[128];
    size_t i;

    tmpdir_make(&t);
    snprintf(path, sizeof(path), "%s/node.key", t.path);
    assert_int_equal(isx_sign_key_generate(&k), 0);
    assert_int_equal(isx_sign_key_save(k, path), 0);
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(chmod(path, refused[i]), 0);
        assert_int_equal(isx_sign_key_load(path, &k2), ISX_EPERM);
        assert_null(k2);
    }
    /* A directory is not a key file, whatever its mode. */
    assert_int_equal(isx_sign_key_load(t.path, &k2), ISX_EINVAL);
    assert_null(k2);
    isx_sign_key_free(k);
    tmpdir_remove(&t, names, 1);
}

/* The RFC 8032 TEST 1 seed as a key-file line, without its newline. */
#define GOOD "isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
#define S(lit)                                                                                     \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }

static void
test_key_file_malformed(void **state)
{
    static const char *const names[] = {"bad.key"};
    static const char good[] = GOOD;
    char path[128], text[160];
    struct isx_sign_key *k = NULL;
    struct tmpdir t;
    uint8_t pk[32];
    size_t i;
    const struct {
        const char *data;
        size_t len;
    } bad[] = {
        S(""),
        S(GOOD), /* no newline */
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n\n"),
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\r\n"),
        S("isx-ed25519-secret  nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n"),
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n"),
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2B=\n"),
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A*\n"),
        S("isx-ed25519-secret nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n"),
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyu==\n"),
        S("isx-x25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n"),
        S("ISX-ED25519-SECRET nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n"),
        S("isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\0"),
        S(" isx-ed25519-secret nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n"),
    };

    tmpdir_make(&t);
    snprintf(path, sizeof(path), "%s/bad.key", t.path);
    /* The good line loads, so each refusal below is for the one defect it has. */
    snprintf(text, sizeof(text), "%s\n", good);
    write_file(path, text, strlen(text), 0600);
    assert_int_equal(isx_sign_key_load(path, &k), 0);
    isx_sign_key_public(k, pk);
    assert_hex(pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    isx_sign_key_free(k);
    k = NULL;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i].data, bad[i].len, 0600);
        assert_int_equal(isx_sign_key_load(path, &k), ISX_EINVAL);
        assert_null(k);
    }
    tmpdir_remove(&t, names, 1);
}

static void
test_box_key_round_trip(void **state)
{
    static const char *const names[] = {"box.key", "sign.key"};
    struct isx_box_key *b = NULL, *b2 = NULL, *b3 = NULL;
    struct isx_sign_key *s = NULL;
    uint8_t pk[32], pk2[32];
    char path[128], spath[128], text[128];
    struct tmpdir t;
    struct stat st;

    tmpdir_make(&t);
    snprintf(path, sizeof(path), "%s/box.key", t.path);
    snprintf(spath, sizeof(spath), "%s/sign.key", t.path);
    assert_int_equal(isx_box_key_generate(&b), 0);
    assert_int_equal(isx_box_key_save(b, path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(read_file(path, text, sizeof(text)), 18 + 44 + 1);
    assert_memory_equal(text, "isx-x25519-secret ", 18);
    assert_int_equal(isx_box_key_load(path, &b2), 0);
    isx_box_key_public(b, pk);
    isx_box_key_public(b2, pk2);
    assert_memory_equal(pk, pk2, 32);
    assert_int_equal(isx_box_key_save(b2, path), ISX_EEXISTS);

    /* Two fresh keys differ. */
    assert_int_equal(isx_box_key_generate(&b3), 0);
    isx_box_key_public(b3, pk2);
    assert_memory_not_equal(pk, pk2, 32);

    /* Each kind refuses the other's file. */
    assert_int_equal(isx_sign_key_load(path, &s), ISX_EINVAL);
    assert_int_equal(isx_sign_key_generate(&s), 0);
    assert_int_equal(isx_sign_key_save(s, spath), 0);
    isx_box_key_free(b3);
    b3 = NULL;
    assert_int_equal(isx_box_key_load(spath, &b3), ISX_EINVAL);
    assert_null(b3);
    assert_int_equal(chmod(path, 0660), 0);
    assert_int_equal(isx_box_key_load(path, &b3), ISX_EPERM);

    isx_sign_key_free(s);
    isx_box_key_free(b);
    isx_box_key_free(b2);
    tmpdir_remove(&t, names, 2);
}

/* --- The signer ------------------------------------------------------------------------- */

static const uint8_t test_seed[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

struct thread_arg {
    struct isx_signer *local, *spawned;
    uint8_t pk[32];
    int id;
    int failures;
};

static void *
sign_thread(void *p)
{
    struct thread_arg *a = p;
    uint8_t msg[4096], s1[64], s2[64];
    int i;
    size_t len, j;

    for (i = 0; i < 100; i++) {
        len = (size_t)(i * 41 + a->id * 7) % sizeof(msg);
        for (j = 0; j < len; j++)
            msg[j] = (uint8_t)(j * 31 + (size_t)i + (size_t)a->id);
        if (isx_signer_sign(a->local, msg, len, s1) != 0 ||
            isx_signer_sign(a->spawned, msg, len, s2) != 0 || memcmp(s1, s2, 64) != 0 ||
            isx_sign_verify(a->pk, msg, len, s2) != 0)
            a->failures++;
    }
    return NULL;
}

static void
make_signers(struct isx_signer **local, struct isx_signer **spawned)
{
    struct isx_sign_key *k1 = NULL, *k2 = NULL;

    assert_int_equal(isx_sign_key_from_seed(test_seed, &k1), 0);
    assert_int_equal(isx_sign_key_from_seed(test_seed, &k2), 0);
    assert_int_equal(isx_signer_local(k1, "cert.example.int/node", local), 0);
    assert_int_equal(isx_signer_spawn(k2, "cert.example.int/node", spawned), 0);
}

static void
test_signer_identical_concurrent(void **state)
{
    struct isx_signer *local = NULL, *spawned = NULL;
    struct thread_arg args[4];
    pthread_t th[4];
    uint8_t pk[32], pk2[32];
    char id[9];
    int i;

    make_signers(&local, &spawned);
    isx_signer_public(local, pk);
    isx_signer_public(spawned, pk2);
    assert_memory_equal(pk, pk2, 32);
    isx_sign_key_id("cert.example.int/node", pk, id);
    assert_string_equal(isx_signer_key_id(local), id);
    assert_string_equal(isx_signer_key_id(spawned), id);

    for (i = 0; i < 4; i++) {
        args[i].local = local;
        args[i].spawned = spawned;
        memcpy(args[i].pk, pk, 32);
        args[i].id = i;
        args[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, sign_thread, &args[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    isx_signer_free(local);
    isx_signer_free(spawned);
}

static void
test_signer_limits(void **state)
{
    struct isx_signer *local = NULL, *spawned = NULL;
    const size_t max = (size_t)16 << 20;
    uint8_t *big = malloc(max + 1), s1[64], s2[64];

    assert_non_null(big);
    memset(big, 0x5a, max + 1);
    make_signers(&local, &spawned);
    /* The largest message crosses the channel whole. */
    assert_int_equal(isx_signer_sign(local, big, max, s1), 0);
    assert_int_equal(isx_signer_sign(spawned, big, max, s2), 0);
    assert_memory_equal(s1, s2, 64);
    assert_int_equal(isx_signer_sign(local, big, max + 1, s1), ISX_ETOOBIG);
    assert_int_equal(isx_signer_sign(spawned, big, max + 1, s2), ISX_ETOOBIG);
    /* The channel is still in step after the refusal and after a large message. */
    assert_int_equal(isx_signer_sign(local, "", 0, s1), 0);
    assert_int_equal(isx_signer_sign(spawned, "", 0, s2), 0);
    assert_memory_equal(s1, s2, 64);
    isx_signer_free(local);
    isx_signer_free(spawned);
    free(big);
}

static void
test_signer_bad_names(void **state)
{
    static const char *const bad[] = {"", "has space", "a+b", "tab\there", "caf\xc3\xa9", NULL};
    struct isx_signer *s = NULL;
    struct isx_sign_key *k;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(isx_sign_key_generate(&k), 0);
        assert_int_equal(isx_signer_local(k, bad[i], &s), ISX_EINVAL);
        assert_int_equal(isx_sign_key_generate(&k), 0);
        assert_int_equal(isx_signer_spawn(k, bad[i], &s), ISX_EINVAL);
        assert_null(s);
    }
}

/* The pids of this thread's children, from /proc (CONFIG_PROC_CHILDREN). */
static int
only_child(pid_t *pid)
{
    char path[64], buf[64];
    FILE *f;
    int n, first, second;

    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = (int)fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (sscanf(buf, "%d %d", &first, &second) != 1) /* exactly one child expected */
        return -1;
    *pid = (pid_t)first;
    return 0;
}

static void
test_signer_child_death(void **state)
{
    struct isx_sign_key *k = NULL;
    struct isx_signer *s = NULL;
    uint8_t sig[64];
    siginfo_t info;
    pid_t pid = -1;

    assert_int_equal(isx_sign_key_from_seed(test_seed, &k), 0);
    assert_int_equal(isx_signer_spawn(k, "node", &s), 0);
    assert_int_equal(isx_signer_sign(s, "x", 1, sig), 0);
    if (only_child(&pid) != 0) {
        isx_signer_free(s);
        skip();
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    /* Wait until it is dead without reaping it: isx_signer_free does that. */
    memset(&info, 0, sizeof(info));
    assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
    assert_int_equal(isx_signer_sign(s, "x", 1, sig), ISX_ECRYPTO);
    assert_int_equal(isx_signer_sign(s, "y", 1, sig), ISX_ECRYPTO);
    isx_signer_free(s);
    /* The child was reaped. */
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_memcmp_ct),
        cmocka_unit_test(test_uuid4),
        cmocka_unit_test(test_rfc8032_test1),
        cmocka_unit_test(test_verify_rejects_flips),
        cmocka_unit_test(test_signed_note_vector),
        cmocka_unit_test(test_key_file_round_trip),
        cmocka_unit_test(test_key_file_permissions),
        cmocka_unit_test(test_key_file_malformed),
        cmocka_unit_test(test_box_key_round_trip),
        cmocka_unit_test(test_signer_identical_concurrent),
        cmocka_unit_test(test_signer_limits),
        cmocka_unit_test(test_signer_bad_names),
        cmocka_unit_test(test_signer_child_death),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
