/*
 * Threat reports (Art. 3.2, Annex 2): the body of a "report" object and the rules it obeys.
 * See docs/reports-api-contract.md for the shape. This module does no I/O.
 */
#ifndef ISX_REPORT_H
#define ISX_REPORT_H

#include <jansson.h>

#include "isx/error.h"

/* The allowed severities and statuses (NULL-terminated). */
extern const char *const isx_report_severities[];
extern const char *const isx_report_statuses[];

/* Most indicators one report may carry. */
#define ISX_REPORT_MAX_INDICATORS 10000

/*
 * Checks a report body submitted to this node and normalises it in place: every indicator
 * gets its canonical type and value (and "display" when the Unicode form differs), and
 * duplicates are merged. The first problem found is reported with its field path.
 */
int isx_report_prepare(json_t *body, struct isx_diag *d);

/*
 * Checks a body that was normalised elsewhere (an imported or stored report): the same
 * rules, and every indicator must already be in its canonical form.
 */
int isx_report_check(const json_t *body, const char *path, struct isx_diag *d);

/* The report's time for range filters: last_seen, else first_seen, else NULL. */
const char *isx_report_time(const json_t *body);

#endif
