/*
 * Languages and the message catalogue (data/messages.json). Chinese and Russian are the
 * agreement's working languages (Art. 10); English is the third. Every label, message and
 * help text is looked up here by key, so no user-facing string is spelled in one language
 * in the code.
 */
#ifndef ISX_I18N_H
#define ISX_I18N_H

#include "isx/buf.h"

enum isx_lang { ISX_LANG_ZH, ISX_LANG_RU, ISX_LANG_EN, ISX_LANG_COUNT };

/* Accepts "zh", "ru", "en" and locale forms such as "zh-CN" or "ru_RU.UTF-8". */
int isx_lang_parse(const char *s, enum isx_lang *out);
/* From LC_ALL, LC_MESSAGES, LANG (first set wins); English when none names zh or ru. */
enum isx_lang isx_lang_from_env(void);
/* Picks the first of zh/ru/en named in an Accept-Language header; English otherwise. */
enum isx_lang isx_lang_from_accept(const char *header);
const char *isx_lang_code(enum isx_lang lang);

/*
 * The catalogue text for `key` in `lang`; falls back to English, then to the key itself, so
 * the result is never NULL. Loading happens once, on first use, and is thread-safe.
 */
const char *isx_msg(enum isx_lang lang, const char *key);
/* Like isx_msg, then replaces each "{}" in the text with `arg` (when arg is non-NULL). */
int isx_msg_format(enum isx_lang lang, const char *key, const char *arg, struct isx_buf *out);
/*
 * Lower-cases, in place, the scripts of the working languages that have case: ASCII and
 * Cyrillic (Chinese has none). Used wherever text is matched without regard to case.
 */
void isx_text_fold(char *s);

/*
 * Appends the searchable text of a JSON value to `out`: a string, or every string inside an
 * object or array (a langmap's texts, a list of channels), each followed by a newline. Keys
 * are not text, so a search for "en" does not match every English title.
 */
struct json_t;
int isx_text_append(struct isx_buf *out, const struct json_t *v);

/* The translated title of an error code ("error.NOTFOUND"), falling back to isx_strerror. */
const char *isx_err_title(enum isx_lang lang, int err);

#endif
