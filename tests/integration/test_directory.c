/*
 * The directory end to end against a real isxd: create, read, list with filters and
 * pagination, update, retire, import of signed objects, and every bad input the issue names.
 * Each bad request must get a problem document naming what is wrong and leave the store as
 * it was (the object count in /metrics does not move).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "isx/jcs.h"
#include "isx/node.h"

static struct testnode node;

static const char poc_body[] =
    "{\"party\":\"CN\",\"kind\":\"technical\",\"person\":{\"zh\":\"张伟\",\"en\":\"Zhang Wei\"},"
    "\"organisation\":{\"en\":\"CNCERT (test)\"},"
    "\"channels\":[{\"type\":\"email\",\"value\":\"zw@cert.cn.example\"}],"
    "\"languages\":[\"zh\",\"ru\"],\"hours\":{\"tz\":\"Asia/Shanghai\",\"always\":true}}";

static int
setup(void **state)
{
    (void)state;
    if (node_create(&node, "CN") != 0 || node_start(&node) != 0)
        return -1;
    /* Objects above TLP:GREEN are sealed for each party named, so RU's key must be known. */
    if (peer_register_keys(&node, "RU", NULL, NULL, NULL) != 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    node_destroy(&node);
    return 0;
}

static json_t *
parse(const struct isx_http_response *r)
{
    return json_loadb(r->body.data != NULL ? r->body.data : "", r->body.len, 0, NULL);
}

/* Sends a bad request and checks status, problem type, the named field and no change. */
static void
expect_problem(const char *method, const char *path, const char *token, const char *body,
               long status, const char *code, const char *field)
{
    struct isx_http_response r;
    long before = objects_stored(&node);
    json_t *p;

    assert_int_equal(api(&node, method, path, token, body, &r), status);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    p = parse(&r);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "code")), code);
    assert_int_equal(json_integer_value(json_object_get(p, "status")), status);
    if (field != NULL)
        assert_string_equal(json_string_value(json_object_get(p, "field")), field);
    json_decref(p);
    isx_buf_free(&r.body);
    assert_int_equal(objects_stored(&node), before);
}

static void
test_health_and_metrics(void **state)
{
    struct isx_http_response r;

    (void)state;
    assert_int_equal(api(&node, "GET", "/healthz", NULL, NULL, &r), 200);
    isx_buf_free(&r.body);
    assert_true(objects_stored(&node) > 6);
}

static char *
create_poc(const char *body)
{
    struct isx_http_response r;
    json_t *o;
    char *id;

    assert_int_equal(api(&node, "POST", "/api/v1/pocs", NULL, body, &r), 201);
    o = parse(&r);
    assert_non_null(o);
    id = strdup(json_string_value(json_object_get(o, "id")));
    assert_string_equal(json_string_value(json_object_get(o, "origin")), "CN");
    assert_int_equal(json_array_size(json_object_get(o, "sig")), 1);
    json_decref(o);
    isx_buf_free(&r.body);
    return id;
}

static void
test_create_read_list(void **state)
{
    struct isx_http_response r;
    char path[256], *id;
    json_t *o;

    (void)state;
    id = create_poc(poc_body);
    snprintf(path, sizeof(path), "/api/v1/pocs/%s", id);
    assert_int_equal(api(&node, "GET", path, NULL, NULL, &r), 200);
    o = parse(&r);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(o, "body"), "person"), "zh")),
                        "张伟");
    json_decref(o);
    isx_buf_free(&r.body);

    /* Filters: Russian-speaking technical contacts of CN include the new one. */
    assert_int_equal(
        api(&node, "GET", "/api/v1/pocs?party=CN&kind=technical&language=ru", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body.data, id));
    isx_buf_free(&r.body);
    assert_int_equal(api(&node, "GET", "/api/v1/pocs?kind=diplomatic", NULL, NULL, &r), 200);
    assert_null(strstr(r.body.data, id));
    isx_buf_free(&r.body);
    assert_int_equal(api(&node, "GET", "/api/v1/pocs?q=zhang", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body.data, id));
    isx_buf_free(&r.body);
    assert_int_equal(api(&node, "GET", "/api/v1/authorities?direction=D05", NULL, NULL, &r), 200);
    o = parse(&r);
    assert_int_equal(json_array_size(json_object_get(o, "items")), 1);
    json_decref(o);
    isx_buf_free(&r.body);
    free(id);
}

static void
test_pagination(void **state)
{
    struct isx_http_response r;
    char path[256];
    const char *next;
    json_t *page, *seen = json_object();
    size_t pages = 0;

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/parties?limit=2");
    for (;;) {
        assert_int_equal(api(&node, "GET", path, NULL, NULL, &r), 200);
        page = parse(&r);
        isx_buf_free(&r.body);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(page, "items"), i, it)
        {
            const char *pid = json_string_value(json_object_get(it, "id"));
            assert_null(json_object_get(seen, pid)); /* no entry twice */
            json_object_set_new(seen, pid, json_true());
        }
        pages++;
        next = json_string_value(json_object_get(page, "next"));
        if (next == NULL) {
            json_decref(page);
            break;
        }
        snprintf(path, sizeof(path), "/api/v1/parties?limit=2&cursor=%s", next);
        json_decref(page);
    }
    assert_int_equal(json_object_size(seen), 6); /* the six founding parties */
    assert_int_equal(pages, 3);
    json_decref(seen);
}

static void
test_update_and_retire(void **state)
{
    struct isx_http_response r;
    char path[256], hdr[128];
    char *id = create_poc(poc_body);
    json_t *o;

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/pocs/%s", id);
    char *changed = strdup(poc_body);
    char *at = strstr(changed, "zw@cert");
    memcpy(at, "zz", 2);
    assert_int_equal(api(&node, "PUT", path, NULL, changed, &r), 200);
    isx_buf_free(&r.body);
    snprintf(path, sizeof(path), "/api/v1/objects/%s/versions", id);
    assert_int_equal(api(&node, "GET", path, NULL, NULL, &r), 200);
    o = parse(&r);
    assert_int_equal(json_array_size(json_object_get(o, "versions")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(o, "versions"), 1), "actor")),
                        "admin");
    json_decref(o);
    isx_buf_free(&r.body);

    snprintf(path, sizeof(path), "/api/v1/pocs/%s/retire", id);
    assert_int_equal(api(&node, "POST", path, NULL, NULL, &r), 200);
    isx_buf_free(&r.body);
    /* Retired: gone from the default list, kept with include_retired, frozen. */
    assert_int_equal(api(&node, "GET", "/api/v1/pocs?q=zz@cert", NULL, NULL, &r), 200);
    assert_null(strstr(r.body.data, id));
    isx_buf_free(&r.body);
    assert_int_equal(
        api(&node, "GET", "/api/v1/pocs?q=zz@cert&include_retired=true", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body.data, id));
    isx_buf_free(&r.body);
    snprintf(path, sizeof(path), "/api/v1/pocs/%s", id);
    expect_problem("PUT", path, NULL, poc_body, 409, "RETIRED", "id");
    (void)hdr;
    free(changed);
    free(id);
}

static void
test_bad_inputs(void **state)
{
    char big[1100000];

    (void)state;
    expect_problem("POST", "/api/v1/pocs", NULL, "{\"party\": \"CN\",", 400, "PARSE", NULL);
    expect_problem("POST", "/api/v1/pocs", NULL, "{\"party\":\"CN\",\"party\":\"CN\"}", 400,
                   "PARSE", NULL);
    expect_problem("POST", "/api/v1/pocs", NULL,
                   "{\"party\":\"CN\",\"kind\":\"technical\",\"nickname\":\"x\"}", 422,
                   "UNKNOWN_FIELD", "nickname");
    expect_problem("POST", "/api/v1/pocs", NULL,
                   "{\"party\":\"CN\",\"kind\":\"technical\",\"person\":{\"en\":\"A\"},"
                   "\"organisation\":{\"en\":\"B\"},\"channels\":[{\"type\":\"email\","
                   "\"value\":\"a@b.example\"}],\"languages\":\"zh\"}",
                   422, "TYPE", "languages");
    expect_problem("POST", "/api/v1/pocs", NULL,
                   "{\"party\":\"XX\",\"kind\":\"technical\",\"person\":{\"en\":\"A\"},"
                   "\"organisation\":{\"en\":\"B\"},\"channels\":[{\"type\":\"email\","
                   "\"value\":\"a@b.example\"}],\"languages\":[\"zh\"]}",
                   422, "FIELD", "party");
    expect_problem("POST", "/api/v1/pocs", NULL,
                   "{\"party\":\"CN\",\"kind\":\"technical\",\"person\":{\"en\":\"A\"},"
                   "\"organisation\":{\"en\":\"B\"},\"channels\":[{\"type\":\"email\","
                   "\"value\":\"a@b.example\"}],\"languages\":[\"zh\",\"xq\"]}",
                   422, "FIELD", "languages[1]");
    expect_problem("POST", "/api/v1/pocs", NULL,
                   "{\"party\":\"CN\",\"kind\":\"technical\",\"person\":{\"en\":\"A\"},"
                   "\"organisation\":{\"en\":\"B\"},\"channels\":[{\"type\":\"email\","
                   "\"value\":\"not-an-address\"}],\"languages\":[\"zh\"]}",
                   422, "FIELD", "channels[0].value");
    expect_problem("POST", "/api/v1/authorities", NULL,
                   "{\"party\":\"CN\",\"name\":{\"en\":\"A\"},\"directions\":[\"D02\",\"D99\"]}",
                   422, "FIELD", "directions[1]");
    expect_problem("POST", "/api/v1/authorities", NULL,
                   "{\"party\":\"CN\",\"name\":{\"fr\":\"A\"},\"directions\":[\"D02\"]}", 422,
                   "FIELD", "name.fr");
    /* Another party's contact: only that party's node nominates it. */
    expect_problem("POST", "/api/v1/pocs", NULL,
                   "{\"party\":\"RU\",\"kind\":\"technical\",\"person\":{\"en\":\"A\"},"
                   "\"organisation\":{\"en\":\"B\"},\"channels\":[{\"type\":\"email\","
                   "\"value\":\"a@b.example\"}],\"languages\":[\"ru\"]}",
                   422, "FIELD", "party");
    /* State secrets are refused at the door (Art. 6.2), in Chinese and in Russian. */
    expect_problem("POST", "/api/v1/authorities", NULL,
                   "{\"party\":\"CN\",\"name\":{\"en\":\"A\"},\"directions\":[\"D02\"],"
                   "\"marking\":{\"tlp\":\"amber\",\"to\":[\"RU\"],\"labels\":[\"机密★10年\"]}}",
                   422, "SECRET", "marking.labels[0]");
    expect_problem("POST", "/api/v1/authorities", NULL,
                   "{\"party\":\"CN\",\"name\":{\"en\":\"A\"},\"directions\":[\"D02\"],"
                   "\"marking\":{\"tlp\":\"green\",\"labels\":[\"«Совершенно секретно»\"]}}",
                   422, "SECRET", "marking.labels[0]");
    expect_problem("POST", "/api/v1/authorities", NULL,
                   "{\"party\":\"CN\",\"name\":{\"en\":\"A\"},\"directions\":[\"D02\"],"
                   "\"marking\":{\"tlp\":\"amber\"}}",
                   422, "MISSING", "marking.to");
    /* Oversize body. */
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    expect_problem("POST", "/api/v1/pocs", NULL, big, 413, "TOOBIG", NULL);
    /* Tokens. */
    expect_problem("GET", "/api/v1/pocs", "isx_notatoken", NULL, 401, "AUTH", NULL);
    expect_problem("GET", "/api/v1/pocs", "isx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
                   401, "AUTH", NULL);
    /* Query parameters. */
    expect_problem("GET", "/api/v1/pocs?party=ZZZZ", NULL, NULL, 400, "INVAL", "party");
    expect_problem("GET", "/api/v1/pocs?limit=0", NULL, NULL, 400, "INVAL", "limit");
    expect_problem("GET", "/api/v1/authorities?direction=D17", NULL, NULL, 400, "INVAL",
                   "direction");
    expect_problem("GET", "/api/v1/pocs/poc--00000000-0000-4000-8000-000000000000", NULL, NULL, 404,
                   "NOTFOUND", "id");
}

static void
test_roles(void **state)
{
    struct isx_http_response r;
    char token[ISX_TOKEN_LEN + 1];
    json_t *u;

    (void)state;
    assert_int_equal(
        api(&node, "POST", "/api/v1/users", NULL, "{\"name\":\"olga\",\"role\":\"observer\"}", &r),
        201);
    u = parse(&r);
    snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(u, "token")));
    json_decref(u);
    isx_buf_free(&r.body);
    assert_int_equal(api(&node, "GET", "/api/v1/pocs", token, NULL, &r), 200);
    isx_buf_free(&r.body);
    expect_problem("POST", "/api/v1/pocs", token, poc_body, 403, "FORBIDDEN", NULL);
    expect_problem("POST", "/api/v1/users", NULL, "{\"name\":\"olga\",\"role\":\"observer\"}", 409,
                   "EXISTS", "name");
    expect_problem("POST", "/api/v1/users", NULL, "{\"name\":\"Bad Name\",\"role\":\"observer\"}",
                   422, "FIELD", "name");
    expect_problem("POST", "/api/v1/users", NULL, "{\"name\":\"x\",\"role\":\"king\"}", 422,
                   "FIELD", "role");
}

static void
test_signed_objects(void **state)
{
    struct isx_http_response r;
    char path[256];
    char *id = create_poc(poc_body);
    json_t *env;
    char *text;

    (void)state;
    snprintf(path, sizeof(path), "/api/v1/objects/%s", id);
    assert_int_equal(api(&node, "GET", path, NULL, NULL, &r), 200);
    env = parse(&r);
    isx_buf_free(&r.body);
    text = json_dumps(env, JSON_COMPACT);
    assert_int_equal(api(&node, "POST", "/api/v1/objects/verify", NULL, text, &r), 200);
    isx_buf_free(&r.body);
    /* Re-importing the same object is idempotent. */
    long before = objects_stored(&node);
    assert_int_equal(api(&node, "POST", "/api/v1/objects", NULL, text, &r), 200);
    isx_buf_free(&r.body);
    assert_int_equal(objects_stored(&node), before);
    free(text);

    /* An altered body no longer matches its signature. */
    json_object_set_new(json_object_get(json_object_get(env, "body"), "person"), "en",
                        json_string("Mallory"));
    text = json_dumps(env, JSON_COMPACT);
    expect_problem("POST", "/api/v1/objects/verify", NULL, text, 422, "SIG", "sig[0]");
    expect_problem("POST", "/api/v1/objects", NULL, text, 422, "SIG", "sig[0]");
    free(text);

    /* A signature by a key nobody published is refused as unknown. */
    json_object_set_new(json_array_get(json_object_get(env, "sig"), 0), "key",
                        json_string("0badc0de"));
    text = json_dumps(env, JSON_COMPACT);
    expect_problem("POST", "/api/v1/objects", NULL, text, 422, "KEY", "sig[0]");
    free(text);

    /* An unsigned envelope. */
    json_object_del(env, "sig");
    text = json_dumps(env, JSON_COMPACT);
    expect_problem("POST", "/api/v1/objects", NULL, text, 422, "FIELD", "sig");
    free(text);
    json_decref(env);
    free(id);
}

/* Markings hold on every read path, and an update never silently lowers one. */
static void
test_marking_on_reads(void **state)
{
    struct isx_http_response r;
    char token[ISX_TOKEN_LEN + 1], path[256];
    json_t *o;

    (void)state;
    assert_int_equal(api(&node, "POST", "/api/v1/authorities", NULL,
                         "{\"party\":\"CN\",\"name\":{\"en\":\"Red desk\"},"
                         "\"directions\":[\"D02\"],\"marking\":{\"tlp\":\"red\",\"to\":[\"RU\"]}}",
                         &r),
                     201);
    o = parse(&r);
    snprintf(path, sizeof(path), "/api/v1/authorities/%s",
             json_string_value(json_object_get(o, "id")));
    json_decref(o);
    isx_buf_free(&r.body);
    /* An update without a marking keeps TLP:RED. */
    assert_int_equal(api(&node, "PUT", path, NULL,
                         "{\"party\":\"CN\",\"name\":{\"en\":\"Red desk 2\"},"
                         "\"directions\":[\"D02\"]}",
                         &r),
                     200);
    o = parse(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "marking"), "tlp")),
                        "red");
    json_decref(o);
    isx_buf_free(&r.body);
    assert_int_equal(
        api(&node, "POST", "/api/v1/users", NULL, "{\"name\":\"obs\",\"role\":\"observer\"}", &r),
        201);
    o = parse(&r);
    snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(o, "token")));
    json_decref(o);
    isx_buf_free(&r.body);
    /* The observer sees it neither alone nor in a list; an analyst-level admin does. */
    assert_int_equal(api(&node, "GET", path, token, NULL, &r), 404);
    isx_buf_free(&r.body);
    assert_int_equal(api(&node, "GET", "/api/v1/authorities?limit=500", token, NULL, &r), 200);
    assert_null(strstr(r.body.data, "Red desk"));
    isx_buf_free(&r.body);
    assert_int_equal(api(&node, "GET", "/api/v1/authorities?limit=500", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body.data, "Red desk 2"));
    isx_buf_free(&r.body);
    expect_problem("GET", "/api/v1/pocs?kind=everyone", NULL, NULL, 400, "INVAL", "kind");
    expect_problem("GET", "/api/v1/authorities?category=spies", NULL, NULL, 400, "INVAL",
                   "category");
    expect_problem("POST", "/api/v1/parties", NULL, "{\"code\":\"BY\",\"status\":\"retired\"}", 422,
                   "FIELD", "status");
}

/* A node does not speak for another party, even with a valid signature of its own. */
static void
test_import_speaks_only_for_origin(void **state)
{
    struct isx_sign_key *k = NULL;
    struct isx_signer *signer = NULL;
    struct isx_object *o = NULL;
    char keypath[320];
    char *text;

    (void)state;
    snprintf(keypath, sizeof(keypath), "%s/node/keys/sign.key", node.dir);
    assert_int_equal(isx_sign_key_load(keypath, &k), 0);
    assert_int_equal(isx_signer_local(k, "isx-cn", &signer), 0);
    assert_int_equal(isx_object_new("poc", NULL, "CN", json_pack("{s:s}", "tlp", "green"),
                                    json_loads("{\"party\":\"RU\",\"kind\":\"technical\","
                                               "\"person\":{\"en\":\"A\"},\"organisation\":"
                                               "{\"en\":\"B\"},\"channels\":[{\"type\":"
                                               "\"email\",\"value\":\"a@b.example\"}],"
                                               "\"languages\":[\"ru\"]}",
                                               0, NULL),
                                    NULL, &o),
                     0);
    assert_int_equal(isx_object_sign(o, signer), 0);
    text = json_dumps(o->env, JSON_COMPACT);
    expect_problem("POST", "/api/v1/objects", NULL, text, 403, "FORBIDDEN", "origin");
    free(text);
    isx_object_free(o);
    isx_signer_free(signer);
}

/* Projections rebuilt from the objects alone answer exactly as before. */
static void
test_reindex_same_answers(void **state)
{
    struct isx_http_response r;
    struct isx_node *n = NULL;
    struct isx_diag d = {0};
    char dir[300], *before, *after;
    size_t count = 0;

    (void)state;
    assert_int_equal(
        api(&node, "GET", "/api/v1/pocs?include_retired=true&limit=500", NULL, NULL, &r), 200);
    before = isx_buf_steal(&r.body, NULL);
    assert_int_equal(node_stop(&node), 0); /* SIGTERM: a clean stop */
    snprintf(dir, sizeof(dir), "%s/node", node.dir);
    assert_int_equal(isx_node_open(dir, 0, &n, &d), 0);
    assert_int_equal(isx_store_reindex(n->store, &count), 0);
    assert_true(count > 10);
    isx_node_free(n);
    assert_int_equal(node_start(&node), 0);
    assert_int_equal(
        api(&node, "GET", "/api/v1/pocs?include_retired=true&limit=500", NULL, NULL, &r), 200);
    after = isx_buf_steal(&r.body, NULL);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void
test_key_permissions_and_check(void **state)
{
    struct isx_buf out = ISX_BUF_INIT, err = ISX_BUF_INIT;
    char dir[300], key[320];

    (void)state;
    snprintf(dir, sizeof(dir), "%s/node", node.dir);
    snprintf(key, sizeof(key), "%s/keys/sign.key", dir);
    assert_int_equal(run_prog(ISX_BIN_DIR "/isxd", &out, &err, "-n", "-d", dir, NULL), 0);
    assert_int_equal(chmod(key, 0644), 0);
    isx_buf_reset(&err);
    assert_int_not_equal(run_prog(ISX_BIN_DIR "/isxd", &out, &err, "-n", "-d", dir, NULL), 0);
    assert_non_null(strstr(err.data, "sign.key"));
    assert_int_equal(chmod(key, 0600), 0);
    isx_buf_free(&out);
    isx_buf_free(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_and_metrics),
        cmocka_unit_test(test_create_read_list),
        cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_update_and_retire),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_signed_objects),
        cmocka_unit_test(test_marking_on_reads),
        cmocka_unit_test(test_import_speaks_only_for_origin),
        cmocka_unit_test(test_reindex_same_answers),
        cmocka_unit_test(test_key_permissions_and_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
