/*
 * The agreement's vocabulary, built in: the six threat types of Annex 2 with their features,
 * the 13 terms of Annex 1, the 16 cooperation directions of Art. 3, the founding parties,
 * ISO 3166-1 country codes and the critical-structure sectors. Everything is read-only data
 * parsed once from the embedded data files.
 */
#ifndef ISX_TAXONOMY_H
#define ISX_TAXONOMY_H

#include <jansson.h>

enum isx_vocab {
    ISX_VOCAB_THREATS,    /* threats.json: {"threats": [...]} */
    ISX_VOCAB_GLOSSARY,   /* glossary.json: {"terms": [...]} */
    ISX_VOCAB_DIRECTIONS, /* directions.json: {"directions": [...]} */
    ISX_VOCAB_PARTIES,    /* parties.json: {"parties": [...]} */
    ISX_VOCAB_COUNTRIES,  /* countries.json: {"countries": [...]} */
    ISX_VOCAB_SECTORS,    /* sectors.json: {"sectors": [...]} */
    ISX_VOCAB_COUNT
};

/* The parsed document (borrowed, never NULL: an empty object when the file is missing). */
const json_t *isx_vocab_get(enum isx_vocab which);
/* The list inside a document ("threats", "terms", ...). */
const json_t *isx_vocab_list(enum isx_vocab which);
/* The entry whose "code" equals `code`, or NULL. */
const json_t *isx_vocab_find(enum isx_vocab which, const char *code);

/* "T3" -> the threat type; "T3-F2" -> the feature (with its threat in *threat when wanted). */
const json_t *isx_taxonomy_threat(const char *code);
const json_t *isx_taxonomy_feature(const char *code, const json_t **threat);

/* 1 when the code is an assigned ISO 3166-1 alpha-2 code (upper case). */
int isx_country_valid(const char *code);

/* 1 when `code` is an ISO 639-1 language code (lower case): working languages of contacts. */
int isx_language_valid(const char *code);

/* The code of the depositary (the SCO Secretariat), which is not a state: "SCO". */
#define ISX_DEPOSITARY "SCO"

/* A party code: a country code, or the depositary. */
int isx_party_code_valid(const char *code);

/* Schema check (isx_schema_check_fn) for a field holding a party code. */
struct isx_diag;
int isx_party_code_check(const json_t *v, const char *path, struct isx_diag *d);

#endif
