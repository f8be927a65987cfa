/*
 * Indicators (Art. 3.2, Annex 2): the observables a threat report carries, validated and
 * normalised so that the same thing written two ways is one indicator. `value` is the identity
 * the store indexes and correlates on; `display` is what people read (the Unicode form of an
 * internationalised name). Parsing does no I/O, keeps no state and allocates only for
 * internationalised domain names (libidn2), so it is safe from any thread.
 *
 * What a value normalises to:
 *   ipv4    dotted quad, no leading zeros ("010.0.0.1" is refused: octal or decimal?)
 *   ipv6    RFC 5952 text: lower case, longest zero run as "::" (leftmost on a tie, never a
 *           single field), ::ffff:0:0/96 as "::ffff:192.0.2.1". An IPv4-mapped address stays
 *           an ipv6 indicator: it is not merged with, nor matched against, its IPv4 form.
 *   cidr4/6 "network/prefix" with no host bits set (a set host bit is refused and the
 *           diagnostic's arg carries the network that was probably meant); /32 and /128 become
 *           the plain ipv4 / ipv6 indicator.
 *   domain  lower case, trailing dot removed, internationalised labels in their ASCII form
 *           ("xn--", IDNA2008 with UTS #46 non-transitional mapping); labels 1-63 bytes of
 *           letters, digits, hyphens (not first or last) and underscores, at least two labels,
 *           253 bytes at most. Underscores are allowed except in the top-level label because
 *           real hostile names use them (DNS allows any byte; only host names forbid "_").
 *           The top-level label is not all digits. `display` shows valid A-labels in Unicode;
 *           an A-label that does not survive a round trip through IDNA stays in ASCII there,
 *           so a forged or spoofing label is never shown as friendlier text.
 *   url     scheme lower case and one of http, https, ftp, ftps, ws, wss ("hxxp", "hxxps",
 *           "fxp" are refanged); host normalised as a domain or an address (IPv6 in brackets);
 *           default port dropped; percent-escapes of unreserved characters decoded, all other
 *           escapes in upper-case hex, characters a URI may not contain (space, non-ASCII,
 *           "<>\"{}|\\^`[]", a stray "%") percent-encoded; dot segments removed (RFC 3986
 *           §5.2.4); empty path "/"; an empty query "?" kept; the fragment dropped. Userinfo is
 *           kept (phishing URLs hide behind "trusted.example@evil.example") with only its
 *           escapes normalised. At most 2048 bytes.
 *   email   local@domain: the domain as above, the local part unchanged (RFC 5321 local parts
 *           are case-sensitive): a dot-atom of RFC 5322 atext and UTF-8, 64 bytes at most;
 *           quoted local parts and address literals are refused; 254 bytes at most. A leading
 *           "mailto:" is dropped.
 *   md5, sha1, sha256, sha512   32, 40, 64, 128 hex digits, lower case.
 *   cve     "CVE-YYYY-NNNN", upper case; year 1999-2100; four digits or more, no leading zero
 *           beyond four (the CVE numbering rule).
 *   asn     "AS12345" from "AS12345", "as12345", "ASN12345", "12345" or asdot "AS1.10";
 *           1 to 4294967295 (AS 0 is refused, RFC 7607; the reserved 23456 and 4294967295 are
 *           accepted because a report may be about their misuse).
 *
 * Every type: surrounding spaces are ignored; control characters (C0, DEL, C1), bidirectional
 * controls and invisible format characters, invalid UTF-8 and input over 2048 bytes are
 * refused. Common defanging is undone: "[.]", "(.)", "{.}", "[dot]" for dots in IPs, domains,
 * e-mail addresses and URL hosts; "[@]", "[at]" in e-mail addresses; "[:]//" in URLs.
 */
#ifndef ISX_INDICATOR_H
#define ISX_INDICATOR_H

#include <stddef.h>
#include <stdint.h>

#include "isx/error.h"

/* The longest input accepted and the longest normalised value, in bytes. */
#define ISX_INDICATOR_MAX 2048

enum isx_ind_type {
    ISX_IND_IPV4,
    ISX_IND_IPV6,
    ISX_IND_CIDR4,
    ISX_IND_CIDR6,
    ISX_IND_DOMAIN,
    ISX_IND_URL,
    ISX_IND_EMAIL,
    ISX_IND_MD5,
    ISX_IND_SHA1,
    ISX_IND_SHA256,
    ISX_IND_SHA512,
    ISX_IND_CVE,
    ISX_IND_ASN,
};

#define ISX_IND_TYPE_COUNT (ISX_IND_ASN + 1)

struct isx_indicator {
    enum isx_ind_type type;
    /* IPs and CIDRs: the network-order address (IPv4 in addr[0..3], the rest zero) and the
     * prefix length (32 or 128 for a single address). Zero for every other type. */
    unsigned prefix;
    uint8_t addr[16];
    size_t len;                          /* strlen(value) */
    char value[ISX_INDICATOR_MAX + 1];   /* normalised: the identity */
    char display[ISX_INDICATOR_MAX + 1]; /* Unicode form to show; else equal to value */
};

/* "ipv4", "ipv6", "cidr4", "cidr6", "domain", "url", "email", "md5", "sha1", "sha256",
 * "sha512", "cve", "asn"; "unknown" for a value outside the enum. */
const char *isx_indicator_type_name(enum isx_ind_type type);

/*
 * The type named by `s`: the names above, or the STIX 2.1 spellings ("ipv4-addr",
 * "ipv6-addr", "domain-name", "email-addr", "autonomous-system", "SHA-256", …), ignoring case.
 * Returns 0 or ISX_EINVAL.
 */
int isx_indicator_type_parse(const char *s, enum isx_ind_type *out);

/*
 * Validates and normalises `text` as an indicator of type `type` (a name accepted by
 * isx_indicator_type_parse), or detects the type when `type` is NULL, "" or "auto". Two more
 * type names stand for a family: "ip" (any address or range) and "hash" (by length). A named
 * address type admits its range form and the other way round ("ipv4" accepts 10.0.0.0/8 and
 * answers cidr4; "cidr4" accepts 192.0.2.1 and answers ipv4), so a value decides which it is.
 *
 * Detection goes by shape, so a malformed value is refused for what it was meant to be
 * ("256.1.1.1" as a bad IPv4 address). In order: URL (has "://"); IP or CIDR (digits and dots,
 * or hex and two colons or more); hash (all hex, 32 digits or more); CVE ("CVE-" and no ".",
 * "/" or "@"); ASN ("AS" or "ASN", then only digits and dots, so "as15169.example" stays a
 * domain and a bare number is never taken for an AS); e-mail (has "@", or "mailto:"); URL
 * without a scheme (has "/": refused for that); domain (has "."); else indicator.unknown.
 *
 * Returns 0 and fills *out, or ISX_EFIELD with d->field = `path`, d->key an "indicator.*"
 * message key naming the reason and d->arg the offending text (cut at 191 bytes, on a
 * character boundary, with "…"). For indicator.too_long the arg is the limit, for
 * indicator.control and indicator.encoding the 1-based byte position; for
 * indicator.cidr_host_bits the network probably meant; for url_host, url_port, url_scheme,
 * email_local, email_domain the part at fault. *out is untouched on failure. Also ISX_ENOMEM
 * when libidn2 cannot allocate.
 */
int isx_indicator_parse(const char *type, const char *text, const char *path,
                        struct isx_indicator *out, struct isx_diag *d);

/* The same for `len` bytes at `text`, which need not be NUL-terminated; an embedded NUL is
 * refused as a control character. For JSON strings, which may carry "\u0000". */
int isx_indicator_parsen(const char *type, const char *text, size_t len, const char *path,
                         struct isx_indicator *out, struct isx_diag *d);

/* 4 for ipv4 and cidr4, 6 for ipv6 and cidr6, 0 for everything else. */
int isx_indicator_family(const struct isx_indicator *ind);

/*
 * 1 when the address or range `inner` lies inside the range `outer`: same family, a prefix at
 * least as long, and the same leading `outer->prefix` bits. An address "lies inside" itself
 * and a range inside a wider one; IPv4 never matches IPv6 (not even an IPv4-mapped address).
 */
int isx_indicator_in_range(const struct isx_indicator *inner, const struct isx_indicator *outer);

#endif
