/*
 * The agreement's vocabulary over REST: threat types and features (Annex 2), terms (Annex 1),
 * cooperation directions (Art. 3), parties, countries and sectors. Public and read-only.
 */
#include <string.h>

#include "isx/api.h"
#include "isx/taxonomy.h"

static const struct {
    const char *suffix;
    enum isx_vocab which;
} vocab_paths[] = {
    {"/taxonomy", ISX_VOCAB_THREATS},      {"/glossary", ISX_VOCAB_GLOSSARY},
    {"/directions", ISX_VOCAB_DIRECTIONS}, {"/reference/parties", ISX_VOCAB_PARTIES},
    {"/countries", ISX_VOCAB_COUNTRIES},   {"/sectors", ISX_VOCAB_SECTORS},
};

int
isx__api_vocab(struct isx_http_req *req)
{
    size_t plen = strlen(req->path);

    for (size_t i = 0; i < sizeof(vocab_paths) / sizeof(vocab_paths[0]); i++) {
        size_t n = strlen(vocab_paths[i].suffix);
        if (plen >= n && strcmp(req->path + plen - n, vocab_paths[i].suffix) == 0)
            return isx_http_reply_json(req, 200, isx_vocab_get(vocab_paths[i].which));
    }
    return isx_diag_set(&req->diag, ISX_ENOTFOUND, NULL, NULL, NULL);
}

int
isx__api_vocab_threat(struct isx_http_req *req)
{
    const char *code = req->params[0];
    const json_t *e = isx_taxonomy_threat(code);

    if (e == NULL)
        e = isx_taxonomy_feature(code, NULL);
    if (e == NULL)
        return isx_diag_set(&req->diag, ISX_ENOTFOUND, "code", "taxonomy.unknown", code);
    return isx_http_reply_json(req, 200, e);
}
