/*
 * The table of body checks by object type. Adding a type's rules is adding a row; each row's
 * function lives with its type's module.
 */
#include <string.h>

#include "isx/agreement.h"
#include "isx/bodies.h"
#include "isx/consult.h"
#include "isx/directory.h"
#include "isx/document.h"
#include "isx/ping.h"
#include "isx/release.h"
#include "isx/report.h"
#include "isx/request.h"

static int
check_party(const json_t *b, const char *path, struct isx_diag *d)
{
    return isx_directory_check("party", b, path, d);
}

static int
check_authority(const json_t *b, const char *path, struct isx_diag *d)
{
    return isx_directory_check("authority", b, path, d);
}

static int
check_poc(const json_t *b, const char *path, struct isx_diag *d)
{
    return isx_directory_check("poc", b, path, d);
}

static const struct {
    const char *type;
    int (*check)(const json_t *body, const char *path, struct isx_diag *d);
} checks[] = {
    /* The directory (issue 2). */
    {"party", check_party},
    {"authority", check_authority},
    {"poc", check_poc},

    /* Threat reports (issue 3); a report from elsewhere must already be canonical. */
    {"report", isx_report_check},

    /* Federation (issue 5). */
    {"release", isx_release_check},

    /* Requests and joint response (issue 6). */
    {"request", isx_request_check},
    {"message", isx_request_message_check},
    {"document", isx_document_check},

    /* Communication checks (issue 6). */
    {"ping", isx_ping_check},
    {"ack", isx_ack_check},

    /* Consultations and the agreement's calendar (issue 6). */
    {"notification", isx_agreement_check},
    {"consultation", isx_consult_check},
    {"consent", isx_consult_consent_check},
};

int
isx_body_check(const char *type, const json_t *body, const char *path, struct isx_diag *d)
{
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (strcmp(checks[i].type, type) == 0)
            return checks[i].check(body, path, d);
    }
    return 0;
}
