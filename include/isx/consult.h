/*
 * Consultations (Art. 5.2 of the 2009 SCO agreement): regular consultations, held by
 * agreement of the parties usually every half year at the SCO Secretariat or on the territory
 * of a party that invites, and extraordinary consultations that any party may propose with
 * dates, venue and agenda. docs/consultations.md gives each rule with the article it comes
 * from. This module does no I/O: the state of every consultation is a pure fold of the
 * `consultation` and `consent` objects a node holds.
 *
 * A `consultation` object's body (the proposer is the object's origin):
 *
 *   {"kind": "regular" | "extraordinary",
 *    "round": 1,                                   a revision of the terms is the next round
 *    "slot": "2026-09-15",                         regular only: the date in the rhythm
 *    "dates": {"from": "2026-09-15", "until": "2026-09-16"},   required when extraordinary
 *    "venue": {"party": "CN" | "SCO", "place": {"zh": "北京"}},
 *    "agenda": [{"text": {"ru": "..."}, "refs": ["report--…", "request--…"]}],
 *    "note": {"en": "..."},
 *    "minutes": {"text": {...}, "consents": ["<hash of each consent that decided it>"]}}
 *
 * A `consent` object's body (the party deciding is the object's origin):
 *
 *   {"consultation": "consultation--…", "round": 1, "decision": "consent" | "object",
 *    "reason": {"ru": "..."}}                      required for an objection
 *
 * Days are as in include/isx/agreement.h: days since 1970-01-01, written "YYYY-MM-DD".
 */
#ifndef ISX_CONSULT_H
#define ISX_CONSULT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "isx/agreement.h"
#include "isx/error.h"

#define ISX_CONSULT_MONTHS     6  /* Art. 5.2: "通常每半年" — usually every half year */
#define ISX_CONSULT_AGENDA_MAX 32 /* items on one agenda */
#define ISX_CONSULT_REFS_MAX   32 /* reports and requests one item refers to */

extern const char *const isx_consult_kinds[];     /* "regular", "extraordinary"; NULL-ended */
extern const char *const isx_consult_decisions[]; /* "consent", "object" */
/*
 * The states of a consultation: "proposed" (waiting for consents), "objected" (a party
 * objected in this round; the proposer may revise, which starts a new round), "decided"
 * (every party whose consent it needs consented in this round), "held" (decided, and the
 * proposer recorded the minutes).
 */
extern const char *const isx_consult_states[];

/* Checks a consultation body: its shape and the rules between its fields. */
int isx_consult_check(const json_t *body, const char *path, struct isx_diag *d);
/* Checks a consent body; an objection without a reason is ISX_EMISSING on "reason". */
int isx_consult_consent_check(const json_t *body, const char *path, struct isx_diag *d);

/* `day` moved by `months` calendar months; a day past the end of the month becomes its last
 * day (31 August + 6 months = 28 or 29 February). */
int64_t isx_consult_add_months(int64_t day, int months);
/* Slot k of the half-yearly rhythm that starts on `first` (always counted from `first`, so a
 * month end does not drift). */
int64_t isx_consult_slot(int64_t first, int64_t k);
/* The k for which `day` is a slot; ISX_ENOTFOUND when it is not one. */
int isx_consult_slot_index(int64_t first, int64_t day, int64_t *k);
/*
 * The first regular consultation: `configured` ([consultations] first) when set, else half a
 * year after the agreement entered into force, else ISX_AGREEMENT_NO_DATE (no rhythm yet).
 */
int64_t isx_consult_first(int64_t configured, const struct isx_agreement_calendar *c);

/* What the fold needs besides the objects. */
struct isx_consult_ctx {
    /* The node's calendar, or NULL while it does not decide who is a party (no notification,
     * or not yet enough to bring the agreement into force): then the parties a consultation
     * needs are those its marking names (see isx_consult_required). */
    const struct isx_agreement_calendar *calendar;
    int64_t first;   /* the first regular consultation, or ISX_AGREEMENT_NO_DATE */
    int64_t today;   /* for the schedule of upcoming regular consultations */
    size_t upcoming; /* how many slots the schedule lists from today */
};

/*
 * The parties whose consent the consultation `env` (an envelope with a clear "body") needs, as
 * a new array of codes: with a calendar, every state bound by the agreement on the
 * consultation's first day; without one, the parties its marking's "to" names (all six
 * founding parties when it names none). The proposer (its proposal is its consent) and the
 * depositary (not a party; it is consulted, and may be named to receive the proposal) are
 * never among them.
 */
int isx_consult_required(const json_t *env, const struct isx_agreement_calendar *c, json_t **out);

/*
 * Folds the current versions of the consultation and consent objects (JSON arrays of
 * envelopes as isx_store_type_list returns them; items without a clear body are left out)
 * into the state:
 *
 *   {"items": [consultation...], "schedule": [slot...], "ignored": [{"id","key"}...],
 *    "first": "YYYY-MM-DD" | null}
 *
 * Each consultation: id, version, proposer, kind, round, slot, dates, venue, agenda, note,
 * minutes, marking, "day" (its first day), "state", "parties_from" ("calendar", "marking" or
 * "founding"), "required", "consented", "objected" [{"party","reason"}], "missing",
 * "decided_at" (the version of the consent that decided it), and "consents": every consent
 * to it, oldest first, with "counted" or the catalogue key of why it does not count
 * ("consult.own_proposal", "consult.not_party", "consult.decided", "consult.twice",
 * "consult.superseded" for an earlier round, "consult.future_round" for a round not held
 * here yet). A consent to a consultation this node does not hold is in "ignored".
 *
 * The schedule lists `upcoming` slots from today: {"slot", "index", "venue": {"party",
 * "place"}, "consultation", "state", "proposer"}; a slot without a live invitation is at the
 * SCO Secretariat ("SCO"). An objected invitation does not hold its slot; when two live
 * invitations for one slot crossed in the network, the decided one (else the smaller id)
 * holds it and the other is listed in "conflicts".
 */
int isx_consult_fold(const json_t *consultations, const json_t *consents,
                     const struct isx_consult_ctx *ctx, json_t **out, struct isx_diag *d);

/* The consultation `id` in a folded state, or NULL. */
const json_t *isx_consult_find(const json_t *state, const char *id);

/*
 * Admission flags. Without ISX_CONSULT_STRICT only the rules that no later object can make
 * right are applied (what a node receiving objects from its peers in any order can judge);
 * with it, also those a local user's action must meet now (the consultation must be held
 * here, the dates must not be past, the slot must be one of this node's rhythm, ...).
 */
#define ISX_CONSULT_STRICT 0x1u

/*
 * May the consent `env` (an envelope-shaped object with "origin" and a checked "body") be
 * recorded, given the folded `state`? 0, or: ISX_EFORBIDDEN when its origin is not a party
 * whose consent the consultation needs; ISX_ECONFLICT when its origin is the proposer, when
 * the consultation is already decided, or when its origin already decided in this round; and
 * under ISX_CONSULT_STRICT ISX_ENOTFOUND for an unknown consultation and ISX_ECONFLICT for a
 * round that is not the current one. `d` names the field and the reason.
 */
int isx_consult_admit_consent(const json_t *state, const json_t *env, unsigned flags,
                              struct isx_diag *d);

/*
 * May the consultation version `env` (with "id", "origin", "marking" and a checked "body")
 * be recorded? A new consultation starts at round 1 from a party (or, for a regular one at
 * the Secretariat, from the depositary); a later version comes from the proposer, keeps the
 * kind, and either keeps the round and the terms (adding the note or the minutes) or, before
 * the consultation is decided, revises the terms as the next round. A regular consultation
 * is hosted by its proposer or at the Secretariat. Under ISX_CONSULT_STRICT, also: the first
 * day is not past; the minutes come once, after the decision, carrying the hashes of the
 * consents that decided it; a regular slot is one of the rhythm's, free, and not next to a
 * slot another party hosts (the venue alternates with the Secretariat); some party's consent
 * is needed; and with a calendar the marking names every party whose consent is needed.
 */
int isx_consult_admit_proposal(const json_t *state, const json_t *env,
                               const struct isx_consult_ctx *ctx, unsigned flags,
                               struct isx_diag *d);

#endif
