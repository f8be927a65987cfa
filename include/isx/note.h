/*
 * C2SP signed notes (c2sp.org/signed-note, as golang.org/x/mod/sumdb/note), the tlog
 * checkpoint that travels in them (c2sp.org/tlog-checkpoint) and witness cosignatures
 * (c2sp.org/tlog-cosignature, cosignature/v1).
 *
 * A signed note is its text (UTF-8 ending in a newline, no control characters but the
 * newline), one empty line, and one or more signature lines
 *     "\xE2\x80\x94 <key name> <base64(key id[4] || signature)>\n"
 * (U+2014 EM DASH, then a space). A key id is the first 4 bytes, read big-endian, of
 * SHA-256(key name || "\n" || signature type || public key). Types here: 0x01, Ed25519 over
 * the text; 0x04, cosignature/v1, Ed25519 over "cosignature/v1\ntime <ts>\n" || text, whose
 * signature bytes are uint64_be(ts) || signature.
 *
 * A checkpoint's text is "<origin>\n<tree size>\n<base64 root>\n", optionally followed by
 * extension lines, which isx never writes.
 *
 * Functions return 0 or a negative ISX_E* code: ISX_EINVAL for malformed input, ISX_ETOOBIG
 * for a note over ISX_NOTE_MAX_SIZE or with more than ISX_NOTE_MAX_SIGS signatures, ISX_ESIG
 * when a known key's signature does not verify, ISX_EKEY when no known key signed. Functions
 * that append to an isx_buf leave it as it was when they fail.
 */
#ifndef ISX_NOTE_H
#define ISX_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "isx/buf.h"
#include "isx/merkle.h"
#include "isx/sign.h"

#define ISX_NOTE_MAX_SIZE (1u << 20)
#define ISX_NOTE_MAX_SIGS 16
/* Key names and checkpoint origins, in bytes; the signer holds names to the same limit. */
#define ISX_NOTE_NAME_MAX 255

enum isx_note_type {
    ISX_NOTE_ED25519 = 0x01,
    ISX_NOTE_COSIG_V1 = 0x04,
};

/* A key that notes are checked against. */
struct isx_note_verifier {
    char name[ISX_NOTE_NAME_MAX + 1];
    uint8_t type; /* enum isx_note_type */
    uint32_t id;
    uint8_t pk[ISX_SIGN_PUBLIC_LEN];
};

/*
 * 1 when `name` (len bytes) may name a key or a log: non-empty, at most ISX_NOTE_NAME_MAX
 * bytes of valid UTF-8, with no Unicode white space, no '+' and no control characters.
 */
int isx_note_name_valid(const char *name, size_t len);

/* The key id of (name, type, pk). */
uint32_t isx_note_key_id(const char *name, uint8_t type, const uint8_t pk[ISX_SIGN_PUBLIC_LEN]);

/* Fills a verifier and its key id. ISX_EINVAL for an invalid name or an unknown type. */
int isx_note_verifier_init(const char *name, uint8_t type, const uint8_t pk[ISX_SIGN_PUBLIC_LEN],
                           struct isx_note_verifier *out);

/*
 * Verifier key strings "<name>+<8 hex key id>+<base64(type || public key)>", the form of the
 * Go note package and of witness configurations. Parsing checks the key id against the key.
 */
int isx_note_vkey_format(const struct isx_note_verifier *k, struct isx_buf *out);
int isx_note_vkey_parse(const char *s, size_t len, struct isx_note_verifier *out);

/*
 * Appends the signed note: text, an empty line and one Ed25519 signature line by `signer`
 * under `name`. `name` must be the name the signer was made with (the key id must match).
 */
int isx_note_sign(const char *text, size_t len, struct isx_signer *signer, const char *name,
                  struct isx_buf *out);

/* Appends only the Ed25519 signature line, to add a signature to a note being assembled. */
int isx_note_signature_line(const char *text, size_t len, struct isx_signer *signer,
                            const char *name, struct isx_buf *out);

/*
 * Appends one cosignature/v1 signature line over checkpoint text (which must parse as a
 * checkpoint) at `timestamp`, seconds since the epoch. Appended to a signed checkpoint
 * note, it makes the note carry the witness's cosignature.
 */
int isx_cosig_sign(const char *text, size_t len, struct isx_signer *signer, const char *name,
                   uint64_t timestamp, struct isx_buf *out);

/* The signatures that verified, in the order they appear in the note. */
struct isx_note_result {
    size_t text_len; /* the signed text is note[0, text_len) */
    size_t count;
    struct {
        size_t key;         /* index into the caller's keys */
        uint64_t timestamp; /* cosignature/v1 time; 0 for Ed25519 */
    } sig[ISX_NOTE_MAX_SIGS];
};

/*
 * Verifies a signed note against `keys`. The text ends at the last empty line. Signatures by
 * an unknown (name, key id) are ignored; any known key's signature that fails rejects the
 * note; so does a note that no known key signed. A key that signs twice is checked twice and
 * reported once.
 */
int isx_note_verify(const char *note, size_t len, const struct isx_note_verifier *keys,
                    size_t nkeys, struct isx_note_result *out);

struct isx_checkpoint {
    char origin[ISX_NOTE_NAME_MAX + 1];
    uint64_t size;
    uint8_t root[ISX_MERKLE_HASH_LEN];
    size_t extensions; /* extension lines seen when parsing; ignored when formatting */
};

/* Appends the checkpoint text. */
int isx_checkpoint_format(const struct isx_checkpoint *cp, struct isx_buf *out);

/*
 * Parses checkpoint text strictly: three lines (then only non-empty extension lines), every
 * line ending in a newline; an origin as isx_note_name_valid; a decimal size without sign,
 * spaces or leading zeros; a root that is the canonical base64 of exactly 32 bytes.
 */
int isx_checkpoint_parse(const char *text, size_t len, struct isx_checkpoint *out);

/*
 * Appends the signed checkpoint note, signed by `signer` with the origin as key name (as
 * tlog-checkpoint recommends), so the signer must have been made under that name.
 */
int isx_checkpoint_sign(const struct isx_checkpoint *cp, struct isx_signer *signer,
                        struct isx_buf *out);

/* isx_note_verify, then isx_checkpoint_parse of the signed text; both outputs on success. */
int isx_checkpoint_open(const char *note, size_t len, const struct isx_note_verifier *keys,
                        size_t nkeys, struct isx_checkpoint *cp, struct isx_note_result *res);

#endif
