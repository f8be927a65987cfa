/*
 * The REST API under /api/v1/: the route table and the hooks isxd gives the HTTP server.
 * Handlers live one resource per file in src/api/; the table in src/api/routes.c is the one
 * place that says which URL reaches which handler with which roles.
 */
#ifndef ISX_API_H
#define ISX_API_H

#include <stddef.h>

#include "isx/http.h"
#include "isx/node.h"

/* The route table; req->ctx of every handler is the struct isx_node. */
const struct isx_route *isx_api_routes(size_t *count);

/* isx_http_auth_fn over the node's users. */
int isx_api_authenticate(void *ctx, const char *token, struct isx_user *out);

/* isx_http_metrics_fn: the node's own figures for /metrics. */
void isx_api_metrics(void *ctx, struct isx_buf *out);

/* Shared by the handlers (src/api/objects.c). */
/* Sets ISX-Log-Index and ISX-Log-Checkpoint: where the object sits in the transparency log. */
void isx__api_log_headers(struct isx_http_req *req, const struct isx_object *o);
/* May the caller read `o`? Its marking allows the role, and it is not sealed to others. */
int isx__api_readable(struct isx_http_req *req, const struct isx_object *o);
/* What the API shows of an object (new reference): the envelope, and for a sealed object
 * this node opened, the opened body beside "sealed". */
json_t *isx__api_object_view(const struct isx_object *o);
/* Answers with the view, its hash in ISX-Object-Hash and its log position. */
int isx__api_reply_object(struct isx_http_req *req, int status, const struct isx_object *o);
/* ISX_ECONFLICT (diag set) when an If-Match header names another version than `version`. */
int isx__api_if_match(struct isx_http_req *req, const char *version);

/* Handlers, by resource (src/api/<resource>.c). */
int isx__api_node_info(struct isx_http_req *req);
int isx__api_whoami(struct isx_http_req *req);
int isx__api_vocab(struct isx_http_req *req);
int isx__api_vocab_threat(struct isx_http_req *req);
int isx__api_dir_list(struct isx_http_req *req);
int isx__api_dir_create(struct isx_http_req *req);
int isx__api_dir_get(struct isx_http_req *req);
int isx__api_dir_update(struct isx_http_req *req);
int isx__api_dir_retire(struct isx_http_req *req);
int isx__api_object_get(struct isx_http_req *req);
int isx__api_object_versions(struct isx_http_req *req);
int isx__api_object_import(struct isx_http_req *req);
int isx__api_object_verify(struct isx_http_req *req);
int isx__api_user_list(struct isx_http_req *req);
int isx__api_report_create(struct isx_http_req *req);
int isx__api_report_list(struct isx_http_req *req);
int isx__api_report_get(struct isx_http_req *req);
int isx__api_report_update(struct isx_http_req *req);
int isx__api_indicator_lookup(struct isx_http_req *req);
int isx__api_log_state(struct isx_http_req *req);
int isx__api_log_checkpoint(struct isx_http_req *req);
int isx__api_log_checkpoint_issue(struct isx_http_req *req);
int isx__api_log_inclusion(struct isx_http_req *req);
int isx__api_log_consistency(struct isx_http_req *req);
int isx__api_object_log(struct isx_http_req *req);
int isx__api_indicator_lookup_batch(struct isx_http_req *req);
int isx__api_user_create(struct isx_http_req *req);
int isx__api_peer_list(struct isx_http_req *req);
int isx__api_peer_add(struct isx_http_req *req);
int isx__api_peer_get(struct isx_http_req *req);
int isx__api_peer_remove(struct isx_http_req *req);
int isx__api_release_create(struct isx_http_req *req);
int isx__api_alarm_list(struct isx_http_req *req);

/* Requests and joint response (src/api/requests.c). */
/* Who opens and answers requests: liaison officers, analysts for technical ones, admins. */
#define ISX_ROLES_REQUEST (ISX_ROLE_ANALYST | ISX_ROLE_LIAISON | ISX_ROLE_ADMIN)
int isx__api_request_list(struct isx_http_req *req);
int isx__api_request_open(struct isx_http_req *req);
int isx__api_request_get(struct isx_http_req *req);
int isx__api_request_act(struct isx_http_req *req);
int isx__api_request_document(struct isx_http_req *req);

/* Communication checks (src/api/pings.c). */
int isx__api_ping_list(struct isx_http_req *req);
int isx__api_ping_start(struct isx_http_req *req);
int isx__api_ping_history(struct isx_http_req *req);
int isx__api_ping_unanswered(struct isx_http_req *req);
int isx__api_ping_get(struct isx_http_req *req);
int isx__api_ping_ack(struct isx_http_req *req);
int isx__api_ping_link_get(struct isx_http_req *req);
int isx__api_ping_link_ack(struct isx_http_req *req);
/* A contact's page with its "last_ping" flag (for src/api/directory.c). */
int isx__api_ping_reply_poc(struct isx_http_req *req, const struct isx_object *o);

/* Consultations and the agreement's calendar (src/api/consultations.c, agreement.c). */
int isx__api_agreement(struct isx_http_req *req);
int isx__api_notification_list(struct isx_http_req *req);
int isx__api_notification_create(struct isx_http_req *req);
int isx__api_consult_list(struct isx_http_req *req);
int isx__api_consult_propose(struct isx_http_req *req);
int isx__api_consult_get(struct isx_http_req *req);
int isx__api_consult_revise(struct isx_http_req *req);
int isx__api_consult_consent(struct isx_http_req *req);
int isx__api_consult_minutes(struct isx_http_req *req);
/* Appends the consultations' and the calendar's figures to /metrics. */
void isx__api_consult_metrics(struct isx_node *n, struct isx_buf *out);

#endif
