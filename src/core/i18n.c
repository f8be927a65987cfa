/*
 * Languages and the message catalogue. The catalogue is data/messages.json, embedded at build
 * time: {"key": {"zh": "...", "ru": "...", "en": "..."}}. It is parsed once and then only
 * read, so lookups from many threads need no lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "isx/data.h"
#include "isx/error.h"
#include "isx/i18n.h"

static const char *const lang_codes[ISX_LANG_COUNT] = {"zh", "ru", "en"};

static pthread_once_t catalogue_once = PTHREAD_ONCE_INIT;
static json_t *catalogue;

static void
catalogue_load(void)
{
    const char *bytes;
    size_t len;

    if (isx_data_get("messages.json", &bytes, &len) != 0)
        return;
    catalogue = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL);
}

const char *
isx_lang_code(enum isx_lang lang)
{
    return (unsigned)lang < ISX_LANG_COUNT ? lang_codes[lang] : "en";
}

int
isx_lang_parse(const char *s, enum isx_lang *out)
{
    if (s == NULL)
        return ISX_EINVAL;
    for (int i = 0; i < ISX_LANG_COUNT; i++) {
        size_t n = strlen(lang_codes[i]);
        /* The language subtag must end the string or be followed by a region or encoding. */
        if (strncasecmp(s, lang_codes[i], n) == 0 &&
            (s[n] == '\0' || strchr("-_.;, ", s[n]) != NULL)) {
            *out = (enum isx_lang)i;
            return 0;
        }
    }
    return ISX_EINVAL;
}

enum isx_lang
isx_lang_from_env(void)
{
    static const char *const vars[] = {"ISX_LANG", "LC_ALL", "LC_MESSAGES", "LANG"};
    enum isx_lang lang;

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || *v == '\0')
            continue;
        if (isx_lang_parse(v, &lang) == 0)
            return lang;
        /* The first variable that is set decides, as POSIX locale lookup does. */
        if (i > 0)
            break;
    }
    return ISX_LANG_EN;
}

enum isx_lang
isx_lang_from_accept(const char *header)
{
    enum isx_lang lang;
    const char *p = header;

    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == ',')
            p++;
        if (isx_lang_parse(p, &lang) == 0)
            return lang;
        p = strchr(p, ',');
    }
    return ISX_LANG_EN;
}

const char *
isx_msg(enum isx_lang lang, const char *key)
{
    json_t *entry;
    const char *text;

    pthread_once(&catalogue_once, catalogue_load);
    entry = catalogue != NULL ? json_object_get(catalogue, key) : NULL;
    if (entry == NULL)
        return key;
    text = json_string_value(json_object_get(entry, isx_lang_code(lang)));
    if (text == NULL || *text == '\0')
        text = json_string_value(json_object_get(entry, "en"));
    return text != NULL ? text : key;
}

int
isx_msg_format(enum isx_lang lang, const char *key, const char *arg, struct isx_buf *out)
{
    const char *text = isx_msg(lang, key);
    const char *p;
    int rc;

    while ((p = strstr(text, "{}")) != NULL) {
        rc = isx_buf_append(out, text, (size_t)(p - text));
        if (rc == 0 && arg != NULL)
            rc = isx_buf_puts(out, arg);
        if (rc != 0)
            return rc;
        text = p + 2;
    }
    return isx_buf_puts(out, text);
}

const char *
isx_err_title(enum isx_lang lang, int err)
{
    char key[64];
    const char *text;

    snprintf(key, sizeof(key), "error.%s", isx_err_name(err));
    text = isx_msg(lang, key);
    return text == key ? isx_strerror(err) : text;
}

void
isx_text_fold(char *s)
{
    unsigned char *p = (unsigned char *)s;

    while (p != NULL && *p != '\0') {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (unsigned char)(*p + 32);
        } else if (p[0] == 0xD0 && p[1] >= 0x90 && p[1] <= 0x9F) { /* А-П */
            p[1] = (unsigned char)(p[1] + 0x20);
        } else if (p[0] == 0xD0 && p[1] >= 0xA0 && p[1] <= 0xAF) { /* Р-Я */
            p[0] = 0xD1;
            p[1] = (unsigned char)(p[1] - 0x20);
        } else if (p[0] == 0xD0 && p[1] == 0x81) { /* Ё */
            p[0] = 0xD1;
            p[1] = 0x91;
        }
        p++;
    }
}

int
isx_text_append(struct isx_buf *out, const json_t *v)
{
    const char *key;
    size_t i;
    json_t *item;
    int rc = 0;

    if (json_is_string(v)) {
        rc = isx_buf_puts(out, json_string_value(v));
        return rc == 0 ? isx_buf_putc(out, '\n') : rc;
    }
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item)
        {
            if ((rc = isx_text_append(out, item)) != 0)
                return rc;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            if ((rc = isx_text_append(out, item)) != 0)
                return rc;
        }
    }
    return rc;
}
