/*
 * Time in isx is UTC milliseconds since the epoch, written as RFC 3339 with exactly three
 * fractional digits and a "Z" ("2026-11-21T10:00:00.000Z"), the STIX form.
 */
#ifndef ISX_TIMEUTIL_H
#define ISX_TIMEUTIL_H

#include <stdint.h>

#define ISX_TIME_LEN 24 /* 2026-11-21T10:00:00.000Z */

int64_t isx_time_now_ms(void);
/* out has room for ISX_TIME_LEN + 1. */
void isx_time_format(int64_t ms, char out[ISX_TIME_LEN + 1]);
/*
 * Parses RFC 3339 UTC ("Z" only) with 0 to 9 fractional digits; the calendar date must
 * exist. Returns 0 or ISX_EINVAL.
 */
int isx_time_parse(const char *s, int64_t *ms);
/* Days since 1970-01-01 of a proleptic Gregorian date (for the agreement's calendar). */
int64_t isx_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse: the proleptic Gregorian date of a day number. */
void isx_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
