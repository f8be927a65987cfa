/*
 * Markings and the information-protection rules of Art. 6. Every object carries
 * {"tlp": level, "to": [party codes], "labels": [national labels]}. Who may receive an object
 * is decided from its marking before the object exists anywhere; state-secret labels are
 * refused everywhere (Art. 6.2).
 */
#ifndef ISX_MARKING_H
#define ISX_MARKING_H

#include <jansson.h>

#include "isx/auth.h"
#include "isx/error.h"

enum isx_tlp {
    ISX_TLP_CLEAR,
    ISX_TLP_GREEN,
    ISX_TLP_AMBER,
    ISX_TLP_AMBER_STRICT,
    ISX_TLP_RED,
};

int isx_tlp_parse(const char *s,
                  enum isx_tlp *out); /* "clear", "green", "amber", "amber+strict", "red" */
const char *isx_tlp_name(enum isx_tlp tlp);
/* Objects above TLP:GREEN travel sealed per recipient (ARCHITECTURE.md §4). */
int isx_tlp_needs_seal(enum isx_tlp tlp);

/*
 * Adds an operator-configured state-secret label (config [marking] secret_labels). Call at
 * start-up before serving; the list is then read-only. Returns 0 or ISX_ENOMEM/ISX_EINVAL.
 */
int isx_marking_add_secret_label(const char *label);
void isx_marking_clear_secret_labels(void);

/*
 * 1 when `label` is a state-secret classification: 绝密 / 机密 / 秘密, «особой важности» /
 * «совершенно секретно» / «секретно», their English equivalents, or a configured label.
 * Matching ignores case, surrounding space and quotes, and a trailing qualifier such as
 * "★10年" or ", экз. № 1".
 */
int isx_marking_is_secret(const char *label);

/*
 * Validates a marking: tlp known; "to" a unique list of party codes, required and non-empty
 * above GREEN; "labels" strings; no unknown fields; no state-secret label (ISX_ESECRET,
 * citing Art. 6.2). `path` names the marking in diagnostics ("marking").
 */
int isx_marking_check(const json_t *marking, const char *path, struct isx_diag *d);

/*
 * May the party `recipient` receive an object with this marking from `origin`? The origin
 * always may; CLEAR goes to anyone; GREEN to every party unless "to" narrows it; above GREEN
 * only to the parties named in "to".
 */
int isx_marking_allows_party(const json_t *marking, const char *origin, const char *recipient);

/* May a user with `role` at a node that holds the object read it? RED is kept from observers. */
int isx_marking_allows_role(const json_t *marking, enum isx_role role);

#endif
