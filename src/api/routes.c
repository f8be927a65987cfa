/*
 * The route table of the REST API: every URL, method, handler and the roles allowed. This is
 * data: adding an endpoint is one line here and a handler in its resource's file.
 */
#include <string.h>

#include "isx/api.h"
#include "isx/fed.h"
#include "isx/hash.h"
#include "isx/request.h"
#include "isx/pings.h"

static const struct isx_route routes[] = {
    /* The node and the caller. */
    {"GET", "/api/v1/node", isx__api_node_info, ISX_ROLES_NONE, "node.info"},
    {"GET", "/api/v1/whoami", isx__api_whoami, ISX_ROLES_READ, "whoami"},

    /* The agreement's vocabulary (public: it is the treaty's own text). */
    {"GET", "/api/v1/taxonomy", isx__api_vocab, ISX_ROLES_NONE, "taxonomy"},
    {"GET", "/api/v1/taxonomy/{code}", isx__api_vocab_threat, ISX_ROLES_NONE, "taxonomy.get"},
    {"GET", "/api/v1/glossary", isx__api_vocab, ISX_ROLES_NONE, "glossary"},
    {"GET", "/api/v1/directions", isx__api_vocab, ISX_ROLES_NONE, "directions"},
    {"GET", "/api/v1/reference/parties", isx__api_vocab, ISX_ROLES_NONE, "reference.parties"},
    {"GET", "/api/v1/countries", isx__api_vocab, ISX_ROLES_NONE, "countries"},
    {"GET", "/api/v1/sectors", isx__api_vocab, ISX_ROLES_NONE, "sectors"},

    /* The directory. */
    {"GET", "/api/v1/parties", isx__api_dir_list, ISX_ROLES_READ, "party.list"},
    {"POST", "/api/v1/parties", isx__api_dir_create, ISX_ROLES_ADMIN, "party.create"},
    {"GET", "/api/v1/parties/{code}", isx__api_dir_get, ISX_ROLES_READ, "party.get"},
    {"PUT", "/api/v1/parties/{code}", isx__api_dir_update, ISX_ROLES_ADMIN, "party.update"},
    {"POST", "/api/v1/parties/{code}/retire", isx__api_dir_retire, ISX_ROLES_ADMIN, "party.retire"},
    {"GET", "/api/v1/authorities", isx__api_dir_list, ISX_ROLES_READ, "authority.list"},
    {"POST", "/api/v1/authorities", isx__api_dir_create, ISX_ROLES_DIR, "authority.create"},
    {"GET", "/api/v1/authorities/{id}", isx__api_dir_get, ISX_ROLES_READ, "authority.get"},
    {"PUT", "/api/v1/authorities/{id}", isx__api_dir_update, ISX_ROLES_DIR, "authority.update"},
    {"POST", "/api/v1/authorities/{id}/retire", isx__api_dir_retire, ISX_ROLES_DIR,
     "authority.retire"},
    {"GET", "/api/v1/pocs", isx__api_dir_list, ISX_ROLES_READ, "poc.list"},
    {"POST", "/api/v1/pocs", isx__api_dir_create, ISX_ROLES_DIR, "poc.create"},
    {"GET", "/api/v1/pocs/{id}", isx__api_dir_get, ISX_ROLES_READ, "poc.get"},
    {"PUT", "/api/v1/pocs/{id}", isx__api_dir_update, ISX_ROLES_DIR, "poc.update"},
    {"POST", "/api/v1/pocs/{id}/retire", isx__api_dir_retire, ISX_ROLES_DIR, "poc.retire"},

    /* Threat reports and indicators (Art. 3.2, Annex 2). */
    {"GET", "/api/v1/reports", isx__api_report_list, ISX_ROLES_READ, "report.list"},
    {"POST", "/api/v1/reports", isx__api_report_create, ISX_ROLES_REPORT, "report.create"},
    {"GET", "/api/v1/reports/{id}", isx__api_report_get, ISX_ROLES_READ, "report.get"},
    {"PUT", "/api/v1/reports/{id}", isx__api_report_update, ISX_ROLES_REPORT, "report.update"},
    {"GET", "/api/v1/indicators/lookup", isx__api_indicator_lookup, ISX_ROLES_READ,
     "indicator.lookup"},
    {"POST", "/api/v1/indicators/lookup", isx__api_indicator_lookup_batch, ISX_ROLES_READ,
     "indicator.lookup_batch"},

    /* The transparency log (issue 4). */
    {"GET", "/api/v1/log", isx__api_log_state, ISX_ROLES_READ, "log.state"},
    {"GET", "/api/v1/log/checkpoint", isx__api_log_checkpoint, ISX_ROLES_READ, "log.checkpoint"},
    {"POST", "/api/v1/log/checkpoint", isx__api_log_checkpoint_issue, ISX_ROLES_ADMIN,
     "log.checkpoint_issue"},
    {"GET", "/api/v1/log/inclusion", isx__api_log_inclusion, ISX_ROLES_READ, "log.inclusion"},
    {"GET", "/api/v1/log/consistency", isx__api_log_consistency, ISX_ROLES_READ, "log.consistency"},
    {"GET", "/api/v1/objects/{id}/log", isx__api_object_log, ISX_ROLES_READ, "object.log"},

    /* Objects of any type. */
    {"GET", "/api/v1/objects/{id}", isx__api_object_get, ISX_ROLES_READ, "object.get"},
    {"GET", "/api/v1/objects/{id}/versions", isx__api_object_versions, ISX_ROLES_READ,
     "object.versions"},
    {"POST", "/api/v1/objects", isx__api_object_import, ISX_ROLES_ADMIN, "object.import"},
    {"POST", "/api/v1/objects/verify", isx__api_object_verify, ISX_ROLES_READ, "object.verify"},

    /* Federation: peers, releases (Art. 6.3) and witness alarms (issue 5). */
    {"GET", "/api/v1/peers", isx__api_peer_list, ISX_ROLES_READ, "peer.list"},
    {"POST", "/api/v1/peers", isx__api_peer_add, ISX_ROLES_ADMIN, "peer.add"},
    {"GET", "/api/v1/peers/{party}", isx__api_peer_get, ISX_ROLES_READ, "peer.get"},
    {"DELETE", "/api/v1/peers/{party}", isx__api_peer_remove, ISX_ROLES_ADMIN, "peer.remove"},
    {"POST", "/api/v1/releases", isx__api_release_create, ISX_ROLES_REPORT, "release.create"},
    {"GET", "/api/v1/alarms", isx__api_alarm_list, ISX_ROLES_READ, "alarm.list"},

    /* Requests and joint response (issue 6, Art. 3.2, 3.6, 3.11). */
    {"GET", "/api/v1/requests", isx__api_request_list, ISX_ROLES_READ, "request.list"},
    {"POST", "/api/v1/requests", isx__api_request_open, ISX_ROLES_REQUEST, "request.open"},
    {"GET", "/api/v1/requests/{id}", isx__api_request_get, ISX_ROLES_READ, "request.get"},
    {"POST", "/api/v1/requests/{id}/messages", isx__api_request_act, ISX_ROLES_REQUEST,
     "request.act"},
    {"POST", "/api/v1/requests/{id}/documents", isx__api_request_document, ISX_ROLES_REQUEST,
     "request.document"},

    /* Communication checks of the points-of-contact directory (issue 6). */
    {"GET", "/api/v1/pings", isx__api_ping_list, ISX_ROLES_READ, "ping.list"},
    {"POST", "/api/v1/pings", isx__api_ping_start, ISX_ROLES_DIR, "ping.start"},
    {"GET", "/api/v1/pings/history", isx__api_ping_history, ISX_ROLES_READ, "ping.history"},
    {"GET", "/api/v1/pings/unanswered", isx__api_ping_unanswered, ISX_ROLES_READ,
     "ping.unanswered"},
    {"GET", "/api/v1/pings/{id}", isx__api_ping_get, ISX_ROLES_READ, "ping.get"},
    {"POST", "/api/v1/pings/{id}/ack", isx__api_ping_ack, ISX_ROLES_DIR, "ping.ack"},
    /* A contact's one-time link: the token is the credential (include/isx/pings.h). */
    {"GET", "/api/v1/ping-links/{token}", isx__api_ping_link_get, ISX_ROLES_NONE, "ping.link"},
    {"POST", "/api/v1/ping-links/{token}", isx__api_ping_link_ack, ISX_ROLES_NONE, "ping.link_ack"},

    /* Consultations (Art. 5.2) and the agreement's calendar (Art. 5.1, 11, 12) (issue 6). */
    {"GET", "/api/v1/agreement", isx__api_agreement, ISX_ROLES_READ, "agreement.get"},
    {"GET", "/api/v1/notifications", isx__api_notification_list, ISX_ROLES_READ,
     "notification.list"},
    {"POST", "/api/v1/notifications", isx__api_notification_create, ISX_ROLES_ADMIN,
     "notification.create"},
    {"GET", "/api/v1/consultations", isx__api_consult_list, ISX_ROLES_READ, "consultation.list"},
    {"POST", "/api/v1/consultations", isx__api_consult_propose, ISX_ROLES_DIR,
     "consultation.propose"},
    {"GET", "/api/v1/consultations/{id}", isx__api_consult_get, ISX_ROLES_READ, "consultation.get"},
    {"PUT", "/api/v1/consultations/{id}", isx__api_consult_revise, ISX_ROLES_DIR,
     "consultation.revise"},
    {"POST", "/api/v1/consultations/{id}/consents", isx__api_consult_consent, ISX_ROLES_DIR,
     "consultation.consent"},
    {"POST", "/api/v1/consultations/{id}/minutes", isx__api_consult_minutes, ISX_ROLES_DIR,
     "consultation.minutes"},

    /* Between nodes: public routes, each request signed by a peer (RFC 9421). */
    {"POST", "/fed/v1/objects", isx__fed_push, ISX_ROLES_NONE, "fed.push"},
    {"GET", "/fed/v1/objects", isx__fed_pull, ISX_ROLES_NONE, "fed.pull"},
    {"GET", "/fed/v1/checkpoint", isx__fed_checkpoint, ISX_ROLES_NONE, "fed.checkpoint"},
    {"GET", "/fed/v1/consistency", isx__fed_consistency, ISX_ROLES_NONE, "fed.consistency"},
    {"POST", "/fed/v1/cosignatures", isx__fed_cosign, ISX_ROLES_NONE, "fed.cosign"},

    /* Users. */
    {"GET", "/api/v1/users", isx__api_user_list, ISX_ROLES_ADMIN, "user.list"},
    {"POST", "/api/v1/users", isx__api_user_create, ISX_ROLES_ADMIN, "user.create"},
};

const struct isx_route *
isx_api_routes(size_t *count)
{
    *count = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

int
isx_api_authenticate(void *ctx, const char *token, struct isx_user *out)
{
    struct isx_node *n = ctx;
    uint8_t hash[32];

    if (isx_token_hash(token, hash) != 0)
        return ISX_EAUTH;
    return isx_store_user_by_token(n->store, hash, out) == 0 ? 0 : ISX_EAUTH;
}

void
isx_api_metrics(void *ctx, struct isx_buf *out)
{
    struct isx_node *n = ctx;
    int64_t count = 0;

    isx_store_count(n->store, &count);
    isx_buf_printf(out,
                   "# HELP isx_objects_stored Objects in the store, all versions.\n"
                   "# TYPE isx_objects_stored gauge\nisx_objects_stored %lld\n"
                   "# HELP isx_node_info The node's party and name.\n"
                   "# TYPE isx_node_info gauge\nisx_node_info{party=\"%s\",name=\"%s\"} 1\n",
                   (long long)count, n->cfg.party, n->cfg.name);
    isx_fed_metrics(n, out);
    /* Requests and joint response (issue 6). */
    isx_request_metrics(n, out);
    /* Communication checks (issue 6). */
    isx_pings_metrics(n, out);
    /* Consultations and the agreement's calendar (issue 6). */
    isx__api_consult_metrics(n, out);
}

int
isx__api_node_info(struct isx_http_req *req)
{
    struct isx_node *n = req->ctx;
    char pk[64], box[64];
    json_t *doc;
    int rc;

    isx_base64_encode(n->sign_pk, sizeof(n->sign_pk), pk);
    isx_base64_encode(n->box_pk, sizeof(n->box_pk), box);
    doc = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s}", "party", n->cfg.party, "name",
                    n->cfg.name, "version", ISX_VERSION, "key", "suite", "ed25519", "key",
                    isx_signer_key_id(n->signer), "public", pk, "box_key", box);
    rc = doc != NULL ? isx_http_reply_json(req, 200, doc) : ISX_ENOMEM;
    json_decref(doc);
    return rc;
}
