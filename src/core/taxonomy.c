/*
 * Access to the built-in vocabulary. Documents are parsed on first use under pthread_once and
 * are immutable afterwards, so readers on any thread share them without locks.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "isx/data.h"
#include "isx/error.h"
#include "isx/taxonomy.h"

static const struct {
    const char *file;
    const char *list;
} vocab_files[ISX_VOCAB_COUNT] = {
    [ISX_VOCAB_THREATS] = {"threats.json", "threats"},
    [ISX_VOCAB_GLOSSARY] = {"glossary.json", "terms"},
    [ISX_VOCAB_DIRECTIONS] = {"directions.json", "directions"},
    [ISX_VOCAB_PARTIES] = {"parties.json", "parties"},
    [ISX_VOCAB_COUNTRIES] = {"countries.json", "countries"},
    [ISX_VOCAB_SECTORS] = {"sectors.json", "sectors"},
};

static pthread_once_t vocab_once = PTHREAD_ONCE_INIT;
static json_t *vocab_docs[ISX_VOCAB_COUNT];
static json_t *empty_list;

static void
vocab_load(void)
{
    empty_list = json_array();
    for (int i = 0; i < ISX_VOCAB_COUNT; i++) {
        const char *bytes;
        size_t len;
        json_t *doc = NULL;

        if (isx_data_get(vocab_files[i].file, &bytes, &len) == 0)
            doc = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL);
        vocab_docs[i] = doc != NULL ? doc : json_object();
    }
}

const json_t *
isx_vocab_get(enum isx_vocab which)
{
    pthread_once(&vocab_once, vocab_load);
    return vocab_docs[which];
}

const json_t *
isx_vocab_list(enum isx_vocab which)
{
    const json_t *list = json_object_get(isx_vocab_get(which), vocab_files[which].list);

    return json_is_array(list) ? list : empty_list;
}

const json_t *
isx_vocab_find(enum isx_vocab which, const char *code)
{
    const json_t *list = isx_vocab_list(which);
    size_t i;
    json_t *e;

    if (code == NULL)
        return NULL;
    json_array_foreach(list, i, e)
    {
        const char *c = json_string_value(json_object_get(e, "code"));
        if (c != NULL && strcmp(c, code) == 0)
            return e;
    }
    return NULL;
}

const json_t *
isx_taxonomy_threat(const char *code)
{
    return isx_vocab_find(ISX_VOCAB_THREATS, code);
}

const json_t *
isx_taxonomy_feature(const char *code, const json_t **threat)
{
    const char *dash;
    char tcode[8];
    const json_t *t, *features;
    size_t i;
    json_t *f;

    if (code == NULL || (dash = strchr(code, '-')) == NULL ||
        (size_t)(dash - code) >= sizeof(tcode))
        return NULL;
    memcpy(tcode, code, (size_t)(dash - code));
    tcode[dash - code] = '\0';
    if ((t = isx_taxonomy_threat(tcode)) == NULL)
        return NULL;
    features = json_object_get(t, "features");
    json_array_foreach(features, i, f)
    {
        const char *c = json_string_value(json_object_get(f, "code"));
        if (c != NULL && strcmp(c, code) == 0) {
            if (threat != NULL)
                *threat = t;
            return f;
        }
    }
    return NULL;
}

int
isx_country_valid(const char *code)
{
    if (code == NULL || strlen(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
        code[1] > 'Z')
        return 0;
    return isx_vocab_find(ISX_VOCAB_COUNTRIES, code) != NULL;
}

int
isx_party_code_valid(const char *code)
{
    return code != NULL && (strcmp(code, ISX_DEPOSITARY) == 0 || isx_country_valid(code));
}

int
isx_party_code_check(const json_t *v, const char *path, struct isx_diag *d)
{
    if (!isx_party_code_valid(json_string_value(v)))
        return isx_diag_set(d, ISX_EFIELD, path, "party.code", json_string_value(v));
    return 0;
}

/* ISO 639-1, space-separated with a space at each end, so " xx " finds a code. */
static const char iso639_1[] =
    " aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu "
    "cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho "
    "hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv "
    "kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr "
    "nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq "
    "sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh "
    "yi yo za zh zu ";

int
isx_language_valid(const char *code)
{
    char needle[5];

    if (code == NULL || strlen(code) != 2 || code[0] < 'a' || code[0] > 'z' || code[1] < 'a' ||
        code[1] > 'z')
        return 0;
    snprintf(needle, sizeof(needle), " %s ", code);
    return strstr(iso639_1, needle) != NULL;
}
