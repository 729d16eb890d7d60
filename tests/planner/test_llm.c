/*
 * test_llm.c - the LLM client: the conversation and the request body (shape, determinism, and
 * validity against OpenAI's CreateChatCompletionRequest, checked by tests/tools/openai_schema.py),
 * the 10 tool schemas and their agreement with the action parser, the reply parser on every
 * response fixture (each valid under CreateChatCompletionResponse, plus real server shapes
 * outside it), the action read from a reply, and tl_llm_complete end to end against
 * tests/fakes/fake_openai.py (tool calls, JSON content, retries, auth errors without the key,
 * timeouts, recording and replaying cassettes).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"
#include "core/http.h"
#include "planner/cassette.h"
#include "planner/llm.h"

#ifndef TL_FIXTURES
#error "TL_FIXTURES must name the fixtures directory"
#endif

extern char **environ;

/* ---- helpers ------------------------------------------------------------------------------- */

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tl_llm_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    tl_error err = {0};
    cr_assert_eq(tl_http_global_init(&err), TL_OK, "%s", err.msg);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(llm, .init = setup, .fini = teardown);

static char *slurp(const char *path, size_t *len)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err = {0};
    cr_assert_eq(tl_file_read(&b, path, (size_t)16 << 20, &err), TL_OK, "%s", err.msg);
    char *s = tl_buf_detach(&b, len);
    cr_assert_not_null(s);
    return s;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* Run argv, wait, return its exit status (-1 if it did not exit normally). `quiet`: its
 * standard error goes to /dev/null (for runs expected to fail). */
static int run(char *const argv[], bool quiet)
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s: %s", argv[0], strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Validate files against the OpenAI schemas: `kind` is "request" or "response". */
static int validate(const char *kind, char **files, size_t n, bool quiet)
{
    char tool[512], cmd[32];
    snprintf(tool, sizeof tool, "%s/tools/openai_schema.py", TL_TESTS_DIR);
    snprintf(cmd, sizeof cmd, "validate-%s", kind);
    char **argv = calloc(n + 4, sizeof(*argv));
    cr_assert_not_null(argv);
    argv[0] = (char *)TL_PYTHON;
    argv[1] = tool;
    argv[2] = cmd;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = files[i];
    int rc = run(argv, quiet);
    free(argv);
    return rc;
}

static tl_llm *new_llm(const char *base_url, const char *key)
{
    tl_llm_config cfg = {.base_url = base_url, .api_key = key, .model = "gpt-4o-mini"};
    tl_error err = {0};
    tl_llm *l = tl_llm_new(&cfg, NULL, &err);
    cr_assert_not_null(l, "%s", err.msg);
    return l;
}

#define LISTING                                                                                  \
    "Goal: turn on the dark theme\n"                                                             \
    "Screen: com.android.settings, 1080x2400\n"                                                  \
    "[1] TextView \"Settings\" (540,147)\n"                                                      \
    "[2] RecyclerView id=list scrollable (540,1252)\n"                                           \
    "[17] LinearLayout \"Display\" \"Dark theme, font size, brightness\" clickable (540,1612)\n" \
    "[18] LinearLayout \"Sound & vibration\" clickable (540,1800)"

/* Parse a reply body the test knows to be good. */
static void parse_ok(tl_llm_reply *r, const char *body)
{
    tl_error err = {0};
    cr_assert_eq(tl_llm_parse_reply(body, strlen(body), r, &err), TL_OK, "%s", err.msg);
}

/* A chat as the loop builds it: system, user listing, the reply's tool call, its result, and a
 * new observation with a screenshot. */
static void full_chat(tl_chat *c)
{
    cr_assert_eq(tl_chat_add(c, TL_ROLE_SYSTEM, "You operate an Android phone."), TL_OK);
    cr_assert_eq(tl_chat_add(c, TL_ROLE_USER, LISTING), TL_OK);
    tl_llm_reply r;
    parse_ok(&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Display "
                 "first.\",\"tool_calls\":[{\"id\":\"call_7\",\"type\":\"function\",\"function\":"
                 "{\"name\":\"tap\",\"arguments\":\"{\\\"index\\\":17}\"}}]},\"finish_reason\":"
                 "\"tool_calls\"}]}");
    cr_assert_eq(tl_chat_add_reply(c, &r), TL_OK);
    cr_assert_eq(tl_chat_add_tool_result(c, r.tool_call_id, "ok: tapped [17]"), TL_OK);
    cr_assert_eq(tl_chat_add_image(c, "[1] Switch \"Dark theme\" checked=false (540,924)\n\t\x01",
                                   "data:image/png;base64,iVBORw0KGgo="),
                 TL_OK);
    tl_llm_reply_dispose(&r);
}

/* ---- the request --------------------------------------------------------------------------- */

Test(llm, request_shape)
{
    tl_llm *l = new_llm("http://127.0.0.1:1/v1", NULL);
    tl_chat c = {0};
    full_chat(&c);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_llm_build_request(l, &c, &b), TL_OK);
    cr_expect_null(strchr(b.data, '\n'), "not compact: %s", b.data);
    cJSON *root = cJSON_Parse(b.data);
    cr_assert_not_null(root, "%s", b.data);

    /* exactly these members, in this order */
    const char *const members[] = {"model", "messages", "tools", "tool_choice"};
    size_t i = 0;
    for (const cJSON *m = root->child; m; m = m->next, i++) {
        cr_assert_lt(i, 4, "unexpected member %s", m->string);
        cr_expect_str_eq(m->string, members[i]);
    }
    cr_expect_eq(i, 4);
    cr_expect_str_eq(cJSON_GetObjectItem(root, "model")->valuestring, "gpt-4o-mini");
    cr_expect_str_eq(cJSON_GetObjectItem(root, "tool_choice")->valuestring, "auto");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "tools")), 10);

    cJSON *msgs = cJSON_GetObjectItem(root, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 5);
    const char *const roles[] = {"system", "user", "assistant", "tool", "user"};
    for (int k = 0; k < 5; k++)
        cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, k), "role")->valuestring,
                         roles[k]);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring,
                     LISTING);
    cJSON *asst = cJSON_GetArrayItem(msgs, 2);
    cr_expect_str_eq(cJSON_GetObjectItem(asst, "content")->valuestring, "Display first.");
    char *calls = cJSON_PrintUnformatted(cJSON_GetObjectItem(asst, "tool_calls"));
    cr_expect_str_eq(calls, "[{\"id\":\"call_7\",\"type\":\"function\",\"function\":{\"name\":"
                            "\"tap\",\"arguments\":\"{\\\"index\\\":17}\"}}]");
    free(calls);
    cJSON *tool = cJSON_GetArrayItem(msgs, 3);
    cr_expect_str_eq(cJSON_GetObjectItem(tool, "tool_call_id")->valuestring, "call_7");
    cr_expect_str_eq(cJSON_GetObjectItem(tool, "content")->valuestring, "ok: tapped [17]");
    cJSON *parts = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 4), "content");
    cr_assert(cJSON_IsArray(parts));
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "type")->valuestring,
                     "text");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "text")->valuestring,
                     "[1] Switch \"Dark theme\" checked=false (540,924)\n\t\x01");
    cJSON *img = cJSON_GetArrayItem(parts, 1);
    cr_expect_str_eq(cJSON_GetObjectItem(img, "type")->valuestring, "image_url");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(img, "image_url"), "url")->valuestring,
                     "data:image/png;base64,iVBORw0KGgo=");
    cJSON_Delete(root);

    /* members some servers reject are never sent */
    cr_expect_null(strstr(b.data, "parallel_tool_calls"));
    cr_expect_null(strstr(b.data, "temperature"));
    cr_expect_null(strstr(b.data, "\"strict\""));
    cr_expect_null(strstr(b.data, "\"stream\""));
    tl_buf_dispose(&b);
    tl_chat_dispose(&c);
    tl_llm_free(l);
}

Test(llm, assistant_without_content_sends_null)
{
    tl_llm *l = new_llm("http://127.0.0.1:1/v1", NULL);
    tl_chat c = {0};
    tl_chat_add(&c, TL_ROLE_USER, "go");
    tl_llm_reply r;
    /* two tool calls: both kept, each answered by a tool message */
    parse_ok(&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,"
                 "\"tool_calls\":[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":"
                 "\"wait\",\"arguments\":\"{\\\"ms\\\":10}\"}},{\"id\":\"b\",\"type\":"
                 "\"function\",\"function\":{\"name\":\"wait\",\"arguments\":\"{}\"}}]}}]}");
    cr_expect_eq(r.tool_calls, 2);
    cr_assert_eq(tl_chat_add_reply(&c, &r), TL_OK);
    tl_chat_add_tool_result(&c, "a", "ok");
    tl_chat_add_tool_result(&c, "b", "ignored: one action per turn");
    tl_llm_reply_dispose(&r);
    /* a refusal is what the model said */
    parse_ok(&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,"
                 "\"refusal\":\"No.\"}}]}");
    cr_assert_eq(tl_chat_add_reply(&c, &r), TL_OK);
    tl_llm_reply_dispose(&r);
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_llm_build_request(l, &c, &b), TL_OK);
    cr_expect_not_null(
        strstr(b.data, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"a\","),
        "%s", b.data);
    cr_expect_not_null(strstr(b.data, "\"id\":\"b\""), "%s", b.data);
    cr_expect_not_null(strstr(b.data, "{\"role\":\"tool\",\"content\":\"ignored: one action per "
                                      "turn\",\"tool_call_id\":\"b\"}"),
                       "%s", b.data);
    cr_expect_not_null(strstr(b.data, "{\"role\":\"assistant\",\"content\":\"No.\"}"), "%s",
                       b.data);
    tl_buf_dispose(&b);
    tl_chat_dispose(&c);
    tl_chat_dispose(&c); /* twice is fine */
    tl_llm_free(l);
    tl_llm_free(NULL);
}

Test(llm, request_is_deterministic)
{
    tl_llm *a = new_llm("http://127.0.0.1:1/v1", "sk-one");
    tl_llm *b = new_llm("http://127.0.0.1:2/v1/", NULL);
    tl_chat c = {0};
    full_chat(&c);
    tl_buf x, y, z;
    tl_buf_init(&x, 0);
    tl_buf_init(&y, 0);
    tl_buf_init(&z, 0);
    cr_assert_eq(tl_llm_build_request(a, &c, &x), TL_OK);
    cr_assert_eq(tl_llm_build_request(a, &c, &y), TL_OK);
    cr_assert_eq(tl_llm_build_request(b, &c, &z), TL_OK);
    cr_expect_eq(x.len, y.len);
    cr_expect_eq(memcmp(x.data, y.data, x.len), 0);
    cr_expect_str_eq(x.data, z.data, "the URL or the key changed the body");
    cr_expect_null(strstr(x.data, "sk-one"), "the key is in the body");
    tl_buf_dispose(&x);
    tl_buf_dispose(&y);
    tl_buf_dispose(&z);
    tl_chat_dispose(&c);
    tl_llm_free(a);
    tl_llm_free(b);
}

/* The tools array is built once per process and shared: every thread's request carries
 * exactly what the action table formats. */
typedef struct {
    tl_llm *l;
    tl_buf out;
} build_job;

static void *build_in_thread(void *arg)
{
    build_job *j = arg;
    tl_chat c = {0};
    full_chat(&c);
    tl_buf_init(&j->out, 0);
    int rc = tl_llm_build_request(j->l, &c, &j->out);
    tl_chat_dispose(&c);
    return rc == TL_OK ? j : NULL;
}

Test(llm, request_tools_are_the_table_s_from_every_thread)
{
    tl_llm *l = new_llm("http://127.0.0.1:1/v1", NULL);
    tl_buf want;
    tl_buf_init(&want, 0);
    cr_assert_eq(tl_action_tools_json(&want), TL_OK);
    build_job jobs[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        jobs[i].l = l;
        cr_assert_eq(pthread_create(&th[i], NULL, build_in_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        void *ok = NULL;
        pthread_join(th[i], &ok);
        cr_assert_not_null(ok);
        const char *tools = strstr(jobs[i].out.data, "],\"tools\":");
        cr_assert_not_null(tools);
        tools += strlen("],\"tools\":");
        cr_expect_eq(strncmp(tools, want.data, want.len), 0);
        cr_expect_str_eq(tools + want.len, ",\"tool_choice\":\"auto\"}");
        tl_buf_dispose(&jobs[i].out);
    }
    tl_buf_dispose(&want);
    tl_llm_free(l);
}

Test(llm, requests_validate_against_the_openai_schema)
{
    tl_llm *l = new_llm("http://127.0.0.1:1/v1", NULL);
    char *files[5];
    char paths[5][512];
    size_t n = 0;
    for (int variant = 0; variant < 4; variant++) {
        tl_chat c = {0};
        switch (variant) {
        case 0: tl_chat_add(&c, TL_ROLE_USER, "hello"); break;
        case 1: full_chat(&c); break;
        case 2: {
            /* a model answering in its content, told what was wrong */
            tl_chat_add(&c, TL_ROLE_SYSTEM, "sys");
            tl_chat_add(&c, TL_ROLE_USER, LISTING);
            tl_llm_reply r;
            parse_ok(&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"I "
                         "think so.\"}}]}");
            tl_chat_add_reply(&c, &r);
            tl_chat_add(&c, TL_ROLE_USER, "error: the reply has no tool call");
            tl_llm_reply_dispose(&r);
            break;
        }
        case 3: {
            /* a reply from a server that sent arguments as an object and no id */
            tl_chat_add(&c, TL_ROLE_USER, "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80 \"q\" \\");
            tl_llm_reply r;
            parse_ok(&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"tool_calls\":[{"
                         "\"function\":{\"name\":\"tap\",\"arguments\":{\"index\":3}}}]}}]}");
            tl_chat_add_reply(&c, &r);
            tl_chat_add_tool_result(&c, r.tool_call_id, "error: [3] is not in the listing");
            tl_chat_add_image(&c, NULL, "data:image/jpeg;base64,/9j/4AAQ");
            tl_llm_reply_dispose(&r);
            break;
        }
        }
        tl_buf b;
        tl_buf_init(&b, 0);
        cr_assert_eq(tl_llm_build_request(l, &c, &b), TL_OK);
        snprintf(paths[n], sizeof paths[n], "%s/request-%d.json", tmpdir, variant);
        write_file(paths[n], b.data, b.len);
        files[n] = paths[n];
        n++;
        tl_buf_dispose(&b);
        tl_chat_dispose(&c);
    }
    cr_expect_eq(validate("request", files, n, false), 0,
                 "a request does not validate (see stderr)");

    /* the check is not vacuous: a request without messages is refused */
    snprintf(paths[n], sizeof paths[n], "%s/bad.json", tmpdir);
    write_file(paths[n], "{\"model\":\"m\",\"tool_choice\":\"auto\"}", 34);
    files[0] = paths[n];
    cr_expect_eq(validate("request", files, 1, true), 1);
    tl_llm_free(l);
}

/* ---- the tools ----------------------------------------------------------------------------- */

static cJSON *tools(void)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    cr_assert_eq(tl_action_tools_json(&b), TL_OK);
    cJSON *t = cJSON_Parse(b.data);
    cr_assert_not_null(t, "%s", b.data);
    tl_buf_dispose(&b);
    return t;
}

static cJSON *tool_params(cJSON *t, const char *name)
{
    cJSON *tool;
    cJSON_ArrayForEach(tool, t)
    {
        cJSON *fn = cJSON_GetObjectItem(tool, "function");
        if (strcmp(cJSON_GetObjectItem(fn, "name")->valuestring, name) == 0)
            return cJSON_GetObjectItem(fn, "parameters");
    }
    cr_assert_fail("no tool %s", name);
    return NULL;
}

static char *required_list(cJSON *params)
{
    cJSON *req = cJSON_GetObjectItem(params, "required");
    return req ? cJSON_PrintUnformatted(req) : strdup("none");
}

Test(llm, tools_schema)
{
    cJSON *t = tools();
    const char *const names[] = {"tap",       "long_press", "swipe",    "scroll", "type",
                                 "press_key", "start_app",  "stop_app", "wait",   "done"};
    cr_assert_eq(cJSON_GetArraySize(t), 10);
    int i = 0;
    cJSON *tool;
    cJSON_ArrayForEach(tool, t)
    {
        cr_expect_str_eq(cJSON_GetObjectItem(tool, "type")->valuestring, "function");
        cJSON *fn = cJSON_GetObjectItem(tool, "function");
        cr_expect_str_eq(cJSON_GetObjectItem(fn, "name")->valuestring, names[i]);
        cr_expect_gt(strlen(cJSON_GetObjectItem(fn, "description")->valuestring), 20);
        cJSON *params = cJSON_GetObjectItem(fn, "parameters");
        cr_expect_str_eq(cJSON_GetObjectItem(params, "type")->valuestring, "object");
        cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(params, "properties"))
        {
            cr_expect(cJSON_IsString(cJSON_GetObjectItem(p, "type")), "%s.%s", names[i], p->string);
            cr_expect(cJSON_IsString(cJSON_GetObjectItem(p, "description")), "%s.%s", names[i],
                      p->string);
        }
        i++;
    }
    const struct {
        const char *tool, *required;
    } req[] = {
        {"tap", "none"},
        {"long_press", "none"},
        {"swipe", "[\"start_x\",\"start_y\",\"end_x\",\"end_y\"]"},
        {"scroll", "[\"direction\"]"},
        {"type", "[\"text\"]"},
        {"press_key", "[\"key\"]"},
        {"start_app", "[\"package\"]"},
        {"stop_app", "[\"package\"]"},
        {"wait", "[\"ms\"]"},
        {"done", "[\"success\",\"message\"]"},
    };
    for (size_t k = 0; k < 10; k++) {
        char *r = required_list(tool_params(t, req[k].tool));
        cr_expect_str_eq(r, req[k].required, "%s", req[k].tool);
        free(r);
    }
    cJSON *props = cJSON_GetObjectItem(tool_params(t, "scroll"), "properties");
    char *e = cJSON_PrintUnformatted(
        cJSON_GetObjectItem(cJSON_GetObjectItem(props, "direction"), "enum"));
    cr_expect_str_eq(e, "[\"up\",\"down\",\"left\",\"right\"]");
    free(e);
    cr_expect_not_null(strstr(
        cJSON_GetObjectItem(cJSON_GetObjectItem(props, "direction"), "description")->valuestring,
        "down shows content further down"));
    props = cJSON_GetObjectItem(tool_params(t, "press_key"), "properties");
    e = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "key"), "enum"));
    cr_expect_str_eq(e, "[\"back\",\"home\",\"recent\",\"enter\",\"delete\",\"tab\","
                        "\"forward_delete\"]");
    free(e);
    props = cJSON_GetObjectItem(tool_params(t, "tap"), "properties");
    cJSON *index = cJSON_GetObjectItem(props, "index");
    cr_expect_str_eq(cJSON_GetObjectItem(index, "type")->valuestring, "integer");
    cr_expect_eq(cJSON_GetObjectItem(index, "minimum")->valueint, 1);
    cr_expect_not_null(strstr(cJSON_GetObjectItem(index, "description")->valuestring, "[N]"));
    cr_expect_not_null(
        strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "x"), "description")->valuestring,
               "screen pixels"));
    props = cJSON_GetObjectItem(tool_params(t, "wait"), "properties");
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "ms"), "maximum")->valueint,
                 TL_WAIT_MAX_MS);
    props = cJSON_GetObjectItem(tool_params(t, "done"), "properties");
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "output"), "type")->valuestring,
                     "object");
    cr_expect_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(props, "success"), "type")->valuestring, "boolean");
    cJSON_Delete(t);
}

/* A value the schema allows for a parameter. */
static cJSON *sample(const char *name, cJSON *schema)
{
    cJSON *en = cJSON_GetObjectItem(schema, "enum");
    const char *type = cJSON_GetObjectItem(schema, "type")->valuestring;
    if (en)
        return cJSON_Duplicate(cJSON_GetArrayItem(en, 1), 1);
    if (strcmp(type, "integer") == 0) {
        cJSON *min = cJSON_GetObjectItem(schema, "minimum");
        return cJSON_CreateNumber(min && min->valueint > 0 ? min->valueint : 100);
    }
    if (strcmp(type, "boolean") == 0)
        return cJSON_CreateTrue();
    if (strcmp(type, "object") == 0)
        return cJSON_CreateObject();
    if (strcmp(name, "package") == 0)
        return cJSON_CreateString("com.example.app");
    if (strcmp(name, "activity") == 0)
        return cJSON_CreateString(".MainActivity");
    return cJSON_CreateString("hello");
}

/* Every parameter a tool advertises is accepted by the action parser, with its required ones. */
Test(llm, tools_agree_with_the_action_parser)
{
    cJSON *t = tools();
    cJSON *tool;
    cJSON_ArrayForEach(tool, t)
    {
        cJSON *fn = cJSON_GetObjectItem(tool, "function");
        const char *name = cJSON_GetObjectItem(fn, "name")->valuestring;
        cJSON *params = cJSON_GetObjectItem(fn, "parameters");
        cJSON *props = cJSON_GetObjectItem(params, "properties");
        bool either = strcmp(name, "tap") == 0 || strcmp(name, "long_press") == 0;
        cJSON *p;
        cJSON_ArrayForEach(p, props)
        {
            cJSON *args = cJSON_CreateObject();
            cJSON *r;
            cJSON_ArrayForEach(r, cJSON_GetObjectItem(params, "required"))
            {
                cJSON_AddItemToObject(
                    args, r->valuestring,
                    sample(r->valuestring, cJSON_GetObjectItem(props, r->valuestring)));
            }
            bool point = strcmp(p->string, "x") == 0 || strcmp(p->string, "y") == 0;
            if (either && point) {
                cJSON_AddNumberToObject(args, "x", 10);
                cJSON_AddNumberToObject(args, "y", 20);
            } else {
                if (either)
                    cJSON_AddNumberToObject(args, "index", 1);
                if (!cJSON_GetObjectItem(args, p->string))
                    cJSON_AddItemToObject(args, p->string, sample(p->string, p));
            }
            char *text = cJSON_PrintUnformatted(args);
            tl_action a;
            tl_error err = {0};
            int rc = tl_action_parse_call(&a, name, text, strlen(text), &err);
            cr_expect_eq(rc, TL_OK, "%s(%s): %s", name, text, err.msg);
            tl_action_dispose(&a);
            free(text);
            cJSON_Delete(args);
        }
    }
    cJSON_Delete(t);
}

/* ---- replies ------------------------------------------------------------------------------- */

struct expect {
    const char *file;          /* under TL_FIXTURES/openai/ */
    const char *content;       /* expected content, or NULL */
    const char *refusal;       /* or NULL */
    const char *tool_name;     /* or NULL */
    const char *tool_call_id;  /* or NULL */
    size_t tool_calls;         /* count */
    const char *finish_reason; /* or NULL */
    long prompt_tokens, completion_tokens;
    const char *action;       /* tl_action_describe of the action, or NULL */
    const char *action_error; /* part of the message when there is no usable action */
};

static const struct expect expects[] = {
    {"responses/minimal.json", "{\"action\":\"wait\",\"ms\":500}", NULL, NULL, NULL, 0, "stop", 0,
     0, "wait 500ms", NULL},
    {"responses/maximal.json", "Display settings are behind [12]; opening them.", NULL, "tap",
     "call_Xp2qVb9sL3kR7mN1", 1, "tool_calls", 1117, 46, "tap [12]", NULL},
    {"responses/several-choices.json", NULL, NULL, "scroll", "call_a", 1, "tool_calls", 2048, 60,
     "scroll down", NULL},
    {"responses/tool-call-arguments.json", NULL, NULL, "type", "call_Q7aW", 1, "tool_calls", 900,
     31, "type \"demo@example.com\" into [4] (clear first)", NULL},
    {"responses/two-tool-calls.json", NULL, NULL, "tap", "call_one", 2, "tool_calls", 1500, 40,
     "tap [5]", NULL},
    {"responses/done-output.json", "The battery level is shown as 87%.", NULL, "done", "call_d", 1,
     "tool_calls", 1800, 45, "done success \"read the battery level\"", NULL},
    {"responses/content-json.json", "{\"action\": \"type\", \"text\": \"hello\", \"index\": 4}",
     NULL, NULL, NULL, 0, "stop", 700, 18, "type \"hello\" into [4]", NULL},
    {"responses/content-fenced-json.json", NULL, NULL, NULL, NULL, 0, "stop", 1300, 52, "tap [17]",
     NULL},
    {"responses/content-fenced-plain.json", NULL, NULL, NULL, NULL, 0, "stop", 0, 0, "scroll down",
     NULL},
    {"responses/content-prose.json", NULL, NULL, NULL, NULL, 0, "stop", 0, 0, "scroll down [2]",
     NULL},
    {"responses/content-two-objects.json", NULL, NULL, NULL, NULL, 0, "stop", 0, 0, NULL,
     "the reply holds 2 JSON objects: answer with exactly one action"},
    {"responses/content-no-action.json", "I am not sure what to do next on this screen.", NULL,
     NULL, NULL, 0, "stop", 0, 0, NULL, "the reply has no tool call and no JSON action"},
    {"responses/refusal.json", NULL, "I'm sorry, I can't help with that request.", NULL, NULL, 0,
     "stop", 600, 12, NULL, "(the reply is a refusal: \"I'm sorry"},
    {"responses/finish-length.json", NULL, NULL, NULL, NULL, 0, "length", 1200, 64, NULL,
     "cut off at the token limit"},
    {"responses/vllm-tool-call.json", NULL, NULL, "scroll", "chatcmpl-tool-6b1f0a9e2c3d4e5f", 1,
     "tool_calls", 1456, 23, "scroll down [2]", NULL},
    {"responses/llamacpp-tool-call.json", NULL, NULL, "start_app",
     "9nRXDt6dOpL0Yh3zNPe4GbA2Xw5JqKcU", 1, "tool_calls", 1322, 19,
     "start_app com.android.settings", NULL},
    {"responses/llamacpp-content.json", NULL, NULL, NULL, NULL, 0, "stop", 980, 17,
     "press_key back", NULL},
    {"responses/ollama-tool-call.json", "", NULL, "wait", "call_hk81qg8b", 1, "tool_calls", 1402,
     22, "wait 1500ms", NULL},
    {"responses/openrouter-tool-call.json", "", NULL, "long_press", "call_7d0a5b", 1, "tool_calls",
     1611, 30, "long_press (540,960) 1200ms", NULL},
    /* real shapes outside the schema */
    {"responses-lenient/llamacpp-real.json", NULL, NULL, NULL, NULL, 0, "stop", 1000, 20,
     "tap [17]", NULL},
    {"responses-lenient/ollama-real.json", "", NULL, "tap", "call_wteop8bt", 1, "tool_calls", 1390,
     21, "tap [8]", NULL},
    {"responses-lenient/vllm-real.json", NULL, NULL, "swipe", "chatcmpl-tool-1c2d3e", 1,
     "tool_calls", 1500, 30, "swipe (540,1800)->(540,600) 300ms", NULL},
    {"responses-lenient/arguments-object.json", NULL, NULL, "stop_app", "call_obj", 1, "tool_calls",
     0, 0, "stop_app com.example.app", NULL},
    {"responses-lenient/content-parts.json", "Next: {\"action\":\"wait\",\"ms\":2000}", NULL, NULL,
     NULL, 0, "stop", 0, 0, "wait 2000ms", NULL},
    {"responses-lenient/tool-call-no-id.json", NULL, NULL, "tap", "call_1", 1, "tool_calls", 0, 0,
     "tap [2]", NULL},
};

#define N_EXPECTS (sizeof(expects) / sizeof(expects[0]))

static void check_reply(const struct expect *x)
{
    char path[512];
    snprintf(path, sizeof path, "%s/openai/%s", TL_FIXTURES, x->file);
    size_t len;
    char *body = slurp(path, &len);
    tl_llm_reply r;
    tl_error err = {0};
    cr_assert_eq(tl_llm_parse_reply(body, len, &r, &err), TL_OK, "%s: %s", x->file, err.msg);
    if (x->content)
        cr_expect_str_eq(r.content ? r.content : "(null)", x->content, "%s", x->file);
    if (x->refusal)
        cr_expect_str_eq(r.refusal ? r.refusal : "(null)", x->refusal, "%s", x->file);
    else
        cr_expect_null(r.refusal, "%s", x->file);
    if (x->tool_name) {
        cr_expect_str_eq(r.tool_name ? r.tool_name : "(null)", x->tool_name, "%s", x->file);
        cr_expect_str_eq(r.tool_call_id ? r.tool_call_id : "(null)", x->tool_call_id, "%s",
                         x->file);
        cr_assert_not_null(r.tool_args, "%s", x->file);
        cJSON *args = cJSON_Parse(r.tool_args);
        cr_expect(cJSON_IsObject(args), "%s: arguments %s", x->file, r.tool_args);
        cJSON_Delete(args);
        cJSON *calls = cJSON_Parse(r.tool_calls_json);
        cr_expect_eq((size_t)cJSON_GetArraySize(calls), x->tool_calls, "%s", x->file);
        cJSON *first = cJSON_GetArrayItem(calls, 0);
        cr_expect_str_eq(cJSON_GetObjectItem(first, "type")->valuestring, "function");
        cr_expect(cJSON_IsString(
                      cJSON_GetObjectItem(cJSON_GetObjectItem(first, "function"), "arguments")),
                  "%s: arguments not a string in %s", x->file, r.tool_calls_json);
        cJSON_Delete(calls);
    } else {
        cr_expect_null(r.tool_name, "%s", x->file);
        cr_expect_null(r.tool_calls_json, "%s", x->file);
    }
    cr_expect_eq(r.tool_calls, x->tool_calls, "%s", x->file);
    if (x->finish_reason)
        cr_expect_str_eq(r.finish_reason ? r.finish_reason : "(null)", x->finish_reason, "%s",
                         x->file);
    cr_expect_eq(r.prompt_tokens, x->prompt_tokens, "%s", x->file);
    cr_expect_eq(r.completion_tokens, x->completion_tokens, "%s", x->file);
    cr_expect_not(r.replayed);

    tl_action a;
    int rc = tl_llm_reply_action(&r, &a, &err);
    if (x->action) {
        cr_expect_eq(rc, TL_OK, "%s: %s", x->file, err.msg);
        tl_buf d;
        tl_buf_init(&d, 0);
        tl_action_describe(&a, &d);
        cr_expect_str_eq(d.data ? d.data : "", x->action, "%s", x->file);
        tl_buf_dispose(&d);
    } else {
        cr_expect_eq(rc, TL_EPARSE, "%s: an action was found", x->file);
        cr_expect_not_null(strstr(err.msg, x->action_error), "%s: %s", x->file, err.msg);
    }
    tl_action_dispose(&a);
    tl_llm_reply_dispose(&r);
    free(body);
}

Test(llm, parses_every_response_fixture)
{
    for (size_t i = 0; i < N_EXPECTS; i++)
        check_reply(&expects[i]);

    /* every fixture has its expectations above */
    const char *const dirs[] = {"responses", "responses-lenient"};
    for (int d = 0; d < 2; d++) {
        char path[512];
        snprintf(path, sizeof path, "%s/openai/%s", TL_FIXTURES, dirs[d]);
        DIR *dir = opendir(path);
        cr_assert_not_null(dir, "%s", path);
        struct dirent *e;
        while ((e = readdir(dir))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
                continue;
            char rel[300];
            snprintf(rel, sizeof rel, "%s/%s", dirs[d], e->d_name);
            bool found = false;
            for (size_t i = 0; i < N_EXPECTS; i++)
                found = found || strcmp(expects[i].file, rel) == 0;
            cr_expect(found, "fixture %s has no expectations in test_llm.c", rel);
        }
        closedir(dir);
    }
}

Test(llm, done_output_is_kept)
{
    char path[512];
    snprintf(path, sizeof path, "%s/openai/responses/done-output.json", TL_FIXTURES);
    char *body = slurp(path, NULL);
    tl_llm_reply r;
    parse_ok(&r, body);
    tl_action a;
    tl_error err = {0};
    cr_assert_eq(tl_llm_reply_action(&r, &a, &err), TL_OK, "%s", err.msg);
    cr_expect(a.success);
    cr_expect_str_eq(a.output, "{\"battery\":87,\"charging\":false}");
    tl_action_dispose(&a);
    tl_llm_reply_dispose(&r);
    free(body);
}

/* Every file of responses/ validates against CreateChatCompletionResponse; every file of
 * responses-lenient/ does not (the parser reads them anyway). */
Test(llm, response_fixtures_validate_against_the_openai_schema)
{
    char paths[N_EXPECTS][512];
    char *valid[N_EXPECTS];
    size_t nv = 0;
    for (size_t i = 0; i < N_EXPECTS; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/openai/%s", TL_FIXTURES, expects[i].file);
        if (strncmp(expects[i].file, "responses/", 10) == 0)
            valid[nv++] = paths[i];
    }
    cr_expect_gt(nv, 15);
    cr_expect_eq(validate("response", valid, nv, false), 0, "a response fixture does not validate");
    for (size_t i = 0; i < N_EXPECTS; i++) {
        if (strncmp(expects[i].file, "responses-lenient/", 18) != 0)
            continue;
        char *one[] = {paths[i]};
        cr_expect_eq(validate("response", one, 1, true), 1, "%s validates: move it to responses/",
                     expects[i].file);
    }
}

static void parse_err(const char *body, int want_rc, const char *want)
{
    tl_llm_reply r;
    tl_error err = {0};
    int rc = tl_llm_parse_reply(body, body ? strlen(body) : 0, &r, &err);
    cr_expect_eq(rc, want_rc, "%s: rc %d", body ? body : "NULL", rc);
    cr_expect_not_null(strstr(err.msg, want), "%s\n  message: %s\n  wanted: %s",
                       body ? body : "NULL", err.msg, want);
    cr_expect_null(r.content);
    cr_expect_null(r.tool_name);
}

Test(llm, bad_replies)
{
    parse_err("<html><body>502 Bad Gateway</body></html>", TL_EBADRESP,
              "the LLM's reply is not JSON: \"<html><body>502 Bad Gateway</body></html>\"");
    parse_err("", TL_EBADRESP, "not JSON");
    parse_err(NULL, TL_EBADRESP, "not JSON");
    parse_err("[1,2]", TL_EBADRESP, "not a JSON object");
    parse_err("{\"id\":\"x\",\"object\":\"chat.completion\"}", TL_EBADRESP,
              "has no \"choices\" array");
    parse_err("{\"choices\":{}}", TL_EBADRESP, "has no \"choices\" array");
    parse_err("{\"choices\":[]}", TL_EBADRESP, "has an empty \"choices\" array");
    parse_err("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}", TL_EBADRESP,
              "has no choices[0].message");
    parse_err("{\"choices\":[{\"message\":\"hi\"}]}", TL_EBADRESP, "has no choices[0].message");
    parse_err("{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens\","
              "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":"
              "\"context_length_exceeded\"}}",
              TL_EBADRESP,
              "the LLM answered with an error (context_length_exceeded): This model's maximum "
              "context length is 8192 tokens");
    parse_err("{\"error\":{\"message\":\"model not found\",\"type\":\"NotFoundError\"}}",
              TL_EBADRESP, "(NotFoundError): model not found");
    parse_err("{\"error\":\"upstream timed out\"}", TL_EBADRESP, "error: upstream timed out");
    /* an "error": null next to choices is no error */
    tl_llm_reply r;
    parse_ok(&r, "{\"error\":null,\"choices\":[{\"message\":{\"content\":\"x\"}}]}");
    cr_expect_str_eq(r.content, "x");
    tl_llm_reply_dispose(&r);
    tl_llm_reply_dispose(&r);
    tl_llm_reply_dispose(NULL);
}

/* The action in a reply whose content is `content` (no tool call). */
static int content_action(const char *content, tl_action *a, tl_error *err)
{
    tl_llm_reply r = {0};
    r.content = (char *)content;
    return tl_llm_reply_action(&r, a, err);
}

static void content_ok(const char *content, const char *want)
{
    tl_action a;
    tl_error err = {0};
    cr_assert_eq(content_action(content, &a, &err), TL_OK, "%s: %s", content, err.msg);
    tl_buf d;
    tl_buf_init(&d, 0);
    tl_action_describe(&a, &d);
    cr_expect_str_eq(d.data, want, "%s", content);
    tl_buf_dispose(&d);
    tl_action_dispose(&a);
}

static void content_err(const char *content, const char *want)
{
    tl_action a;
    tl_error err = {0};
    cr_expect_eq(content_action(content, &a, &err), TL_EPARSE, "%s: accepted", content);
    cr_expect_not_null(strstr(err.msg, want), "%s\n  message: %s\n  wanted: %s", content, err.msg,
                       want);
    cr_expect_null(a.text);
    tl_action_dispose(&a);
}

Test(llm, action_from_content)
{
    content_ok("{\"action\":\"tap\",\"index\":12}", "tap [12]");
    content_ok("  \n{\"action\":\"tap\",\"index\":12}\n\n", "tap [12]");
    content_ok("```json\n{\"action\":\"press_key\",\"key\":\"home\"}\n```", "press_key home");
    content_ok("```JSON\n{\"action\":\"press_key\",\"key\":\"home\"}\n```", "press_key home");
    content_ok("Sure:\n```\n{\"action\":\"wait\",\"ms\":1000}\n```\nThen I look again.",
               "wait 1000ms");
    content_ok("```json {\"action\":\"wait\",\"ms\":1}```", "wait 1ms");
    /* braces inside strings and nested objects */
    content_ok("I type it: {\"action\":\"type\",\"text\":\"a}b{c\",\"index\":3} now",
               "type \"a}b{c\" into [3]");
    content_ok("Finished. {\"action\":\"done\",\"success\":true,\"message\":\"ok\",\"output\":"
               "{\"items\":[{\"n\":1}]}}",
               "done success \"ok\"");
    /* a brace that does not start an object is not counted */
    content_ok("Use set {a, b}. {\"action\":\"scroll\",\"direction\":\"up\"}", "scroll up");
    /* inside a fence, only the fence counts */
    content_ok("Options: {\"action\":\"tap\",\"index\":1} or\n```json\n{\"action\":\"tap\","
               "\"index\":2}\n```",
               "tap [2]");

    content_err("", "the reply has no tool call and no JSON action: call one of the tools");
    content_err("I will tap Display.", "the reply has no tool call and no JSON action");
    content_err("```json\nnot json\n```", "the ``` block holds no JSON object");
    content_err("{\"action\":\"tap\",\"index\":1} {\"action\":\"tap\",\"index\":2}",
                "the reply holds 2 JSON objects: answer with exactly one action");
    content_err("{\"index\":3}", "no \"action\"");
    content_err("{\"action\":\"click\",\"index\":3}", "unknown action \"click\"");
    content_err("{\"action\":\"tap\"}", "tap needs index");
    content_err("{\"action\":\"scroll\",\"direction\":\"sideways\"}", "direction must be");

    /* a tool call wins over the content */
    tl_llm_reply r = {0};
    r.content = (char *)"{\"action\":\"wait\",\"ms\":5}";
    r.tool_name = (char *)"tap";
    r.tool_args = (char *)"{\"index\":4}";
    tl_action a;
    tl_error err = {0};
    cr_assert_eq(tl_llm_reply_action(&r, &a, &err), TL_OK, "%s", err.msg);
    cr_expect_eq(a.type, TL_ACT_TAP);
    tl_action_dispose(&a);
    /* tool call errors come from the action parser */
    r.tool_name = (char *)"click";
    cr_expect_eq(tl_llm_reply_action(&r, &a, &err), TL_EPARSE);
    cr_expect_not_null(strstr(err.msg, "unknown action \"click\""), "%s", err.msg);
    r.tool_name = (char *)"tap";
    r.tool_args = (char *)"{\"index\":";
    cr_expect_eq(tl_llm_reply_action(&r, &a, &err), TL_EPARSE);
    cr_expect_not_null(strstr(err.msg, "not valid JSON"), "%s", err.msg);
    r.tool_args = NULL;
    cr_expect_eq(tl_llm_reply_action(&r, &a, &err), TL_EPARSE);
    cr_expect_not_null(strstr(err.msg, "tap needs index"), "%s", err.msg);
    tl_action_dispose(&a);
}

/* ---- end to end against the fake server ---------------------------------------------------- */

typedef struct fake {
    pid_t pid;
    char url[128];
    char log[512];
} fake;

/* Start tests/fakes/fake_openai.py with `script` (JSON text) and extra arguments (NULL-ended). */
static void fake_start(fake *f, const char *script, const char *const *extra)
{
    static int count;
    count++;
    char script_path[512], port_path[512], fake_py[512], schema[512];
    snprintf(script_path, sizeof script_path, "%s/script-%d.json", tmpdir, count);
    snprintf(port_path, sizeof port_path, "%s/port-%d", tmpdir, count);
    snprintf(f->log, sizeof f->log, "%s/fake-%d.log", tmpdir, count);
    snprintf(fake_py, sizeof fake_py, "%s/fakes/fake_openai.py", TL_TESTS_DIR);
    snprintf(schema, sizeof schema, "%s/openai/chat-completions-schemas.json", TL_FIXTURES);
    write_file(script_path, script, strlen(script));
    const char *argv[32] = {TL_PYTHON,     fake_py,   "--script",       script_path,
                            "--port-file", port_path, "--log",          f->log,
                            "--schema",    schema,    "--idle-timeout", "30"};
    size_t n = 12;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int rc = posix_spawn(&f->pid, TL_PYTHON, NULL, NULL, (char *const *)argv, environ);
    cr_assert_eq(rc, 0, "cannot start the fake server: %s", strerror(rc));
    for (int i = 0; i < 500; i++) {
        FILE *p = fopen(port_path, "r");
        int port = 0;
        if (p) {
            if (fscanf(p, "%d", &port) != 1)
                port = 0;
            fclose(p);
        }
        if (port > 0) {
            snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/v1", port);
            return;
        }
        int st;
        cr_assert_eq(waitpid(f->pid, &st, WNOHANG), 0, "the fake server exited");
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    cr_assert_fail("the fake server did not write its port");
}

static void fake_stop(fake *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}

/* Lines of the fake server's log, parsed. Caller deletes. */
static cJSON *fake_log(const fake *f)
{
    char *text = slurp(f->log, NULL);
    cJSON *arr = cJSON_CreateArray();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *v = cJSON_Parse(line);
        cr_assert_not_null(v, "bad log line %s", line);
        cJSON_AddItemToArray(arr, v);
    }
    free(text);
    return arr;
}

static void listing_chat(tl_chat *c, const char *listing)
{
    cr_assert_eq(tl_chat_add(c, TL_ROLE_SYSTEM, "You operate an Android phone."), TL_OK);
    cr_assert_eq(tl_chat_add(c, TL_ROLE_USER, listing), TL_OK);
}

static void describe(const tl_llm_reply *r, char *out, size_t size)
{
    tl_action a;
    tl_error err = {0};
    int rc = tl_llm_reply_action(r, &a, &err);
    tl_buf d;
    tl_buf_init(&d, 0);
    if (rc == TL_OK)
        tl_action_describe(&a, &d);
    const char *s = rc == TL_OK ? d.data : err.msg;
    size_t n = strlen(s) < size ? strlen(s) : size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    tl_buf_dispose(&d);
    tl_action_dispose(&a);
}

Test(llm, complete_tool_call_and_json_content)
{
    fake f;
    fake_start(&f,
               "{\"replies\":[{\"tool\":\"tap\",\"tap_text\":\"Display\",\"content\":\"Display "
               "holds the theme.\"},{\"content\":\"```json\\n{\\\"action\\\":\\\"scroll\\\","
               "\\\"direction\\\":\\\"down\\\"}\\n```\"}]}",
               NULL);
    char base[160];
    snprintf(base, sizeof base, "%s//", f.url); /* trailing slashes are trimmed */
    tl_llm *l = new_llm(base, "sk-visible-to-the-fake");
    tl_chat c = {0};
    listing_chat(&c, LISTING);
    tl_llm_reply r;
    tl_error err = {0};
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    char d[256];
    describe(&r, d, sizeof d);
    cr_expect_str_eq(d, "tap [17]");
    cr_expect_str_eq(r.content, "Display holds the theme.");
    cr_expect_str_eq(r.tool_call_id, "call_1");
    cr_expect_gt(r.prompt_tokens, 100);
    cr_expect_eq(r.completion_tokens, 20);
    cr_expect_geq(r.latency_ms, 0);
    cr_expect_not(r.replayed);
    cr_assert_eq(tl_chat_add_reply(&c, &r), TL_OK);
    cr_assert_eq(tl_chat_add_tool_result(&c, r.tool_call_id, "ok"), TL_OK);
    tl_llm_reply_dispose(&r);

    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    describe(&r, d, sizeof d);
    cr_expect_str_eq(d, "scroll down");
    cr_expect_null(r.tool_name);
    tl_llm_reply_dispose(&r);

    /* what the server saw: valid requests, the headers, the key only as a header */
    cJSON *log = fake_log(&f);
    cr_assert_eq(cJSON_GetArraySize(log), 2);
    cJSON *e;
    cJSON_ArrayForEach(e, log)
    {
        cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(e, "invalid")), "invalid request");
        cJSON *h = cJSON_GetObjectItem(e, "headers");
        cr_expect_str_eq(cJSON_GetObjectItem(h, "Content-Type")->valuestring, "application/json");
        cr_expect_str_eq(cJSON_GetObjectItem(h, "Accept")->valuestring, "application/json");
        cr_expect_not_null(cJSON_GetObjectItem(h, "Authorization"));
    }
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, "sk-visible-to-the-fake"));
    free(text);
    cJSON_Delete(log);
    fake_stop(&f);
    tl_chat_dispose(&c);
    tl_llm_free(l);
}

Test(llm, complete_without_key_sends_no_authorization)
{
    fake f;
    fake_start(&f, "{\"replies\":[{\"tool\":\"wait\",\"args\":{\"ms\":100}}]}", NULL);
    tl_llm *l = new_llm(f.url, "");
    tl_chat c = {0};
    listing_chat(&c, "hello");
    tl_llm_reply r;
    tl_error err = {0};
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    cr_expect_str_eq(r.tool_name, "wait");
    tl_llm_reply_dispose(&r);
    cJSON *log = fake_log(&f);
    cr_expect_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "headers"),
                                       "Authorization"));
    cJSON_Delete(log);
    fake_stop(&f);
    tl_chat_dispose(&c);
    tl_llm_free(l);
}

Test(llm, complete_survives_429_and_500)
{
    fake f;
    fake_start(&f,
               "{\"replies\":[{\"status\":429,\"retry_after\":1},{\"tool\":\"wait\",\"args\":"
               "{\"ms\":100}},{\"status\":500},{\"tool\":\"press_key\",\"args\":{\"key\":"
               "\"back\"}}]}",
               NULL);
    tl_llm *l = new_llm(f.url, NULL);
    tl_chat c = {0};
    listing_chat(&c, "hello");
    tl_llm_reply r;
    tl_error err = {0};
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    cr_expect_str_eq(r.tool_name, "wait");
    cr_expect_geq(r.latency_ms, 900, "Retry-After: 1 was not waited for (%ld ms)", r.latency_ms);
    tl_llm_reply_dispose(&r);
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    cr_expect_str_eq(r.tool_name, "press_key");
    tl_llm_reply_dispose(&r);
    cJSON *log = fake_log(&f);
    cr_expect_eq(cJSON_GetArraySize(log), 4);
    cJSON_Delete(log);
    fake_stop(&f);
    tl_chat_dispose(&c);
    tl_llm_free(l);
}

#define SECRET_KEY "sk-taploop-SECRET-7f3a9c1e5b"

Test(llm, auth_and_server_errors_never_show_the_key)
{
    const char *const require[] = {"--require-key", "sk-the-right-key", NULL};
    fake f;
    fake_start(&f, "{\"replies\":[]}", require);
    tl_llm *l = new_llm(f.url, SECRET_KEY);
    tl_chat c = {0};
    listing_chat(&c, "hello");
    tl_llm_reply r;
    tl_error err = {0};
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_EAUTH, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "check OPENAI_API_KEY"), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "LLM"), "%s", err.msg);
    cr_expect_null(strstr(err.msg, SECRET_KEY), "%s", err.msg);
    cr_expect_null(strstr(err.msg, "SECRET"), "%s", err.msg);
    cJSON *log = fake_log(&f);
    char *text = cJSON_PrintUnformatted(log);
    cr_expect_null(strstr(text, "SECRET"), "the key reached the server's log: %s", text);
    free(text);
    cJSON_Delete(log);
    fake_stop(&f);
    tl_llm_free(l);

    fake_start(&f, "{\"replies\":[{\"status\":500},{\"status\":500},{\"status\":500}]}", NULL);
    tl_llm_config cfg = {.base_url = f.url, .api_key = SECRET_KEY, .model = "m", .max_attempts = 2};
    l = tl_llm_new(&cfg, NULL, &err);
    cr_assert_not_null(l);
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_ENET, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "500"), "%s", err.msg);
    cr_expect_null(strstr(err.msg, "SECRET"), "%s", err.msg);
    cr_expect_null(strstr(err.msg, "OPENAI_API_KEY"), "%s", err.msg);
    fake_stop(&f);
    tl_llm_free(l);

    /* a body that is not a chat completion */
    fake_start(&f, "{\"replies\":[{\"raw\":{\"object\":\"list\",\"data\":[]}}]}", NULL);
    l = new_llm(f.url, SECRET_KEY);
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_EBADRESP, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "\"choices\""), "%s", err.msg);
    fake_stop(&f);
    tl_llm_free(l);
    tl_chat_dispose(&c);
}

Test(llm, timeout_and_unreachable)
{
    fake f;
    fake_start(&f, "{\"replies\":[{\"tool\":\"wait\",\"args\":{\"ms\":1},\"delay_ms\":3000}]}",
               NULL);
    tl_llm_config cfg = {.base_url = f.url, .model = "m", .timeout_ms = 300, .max_attempts = 1};
    tl_error err = {0};
    tl_llm *l = tl_llm_new(&cfg, NULL, &err);
    tl_chat c = {0};
    listing_chat(&c, "hello");
    tl_llm_reply r;
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_ETIMEOUT, "%s", err.msg);
    fake_stop(&f);
    tl_llm_free(l);

    /* the port the server listened on is closed now */
    cfg.timeout_ms = 0;
    l = tl_llm_new(&cfg, NULL, &err);
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_ENET, "%s", err.msg);
    char want[200];
    snprintf(want, sizeof want, "LLM: POST %s/chat/completions", f.url);
    cr_expect_not_null(strstr(err.msg, want), "%s", err.msg);
    tl_llm_free(l);
    tl_chat_dispose(&c);
}

/* An Azure-style base URL carries its API version in the query: the path goes before it. */
Test(llm, chat_url_goes_before_the_query)
{
    static const char *const cases[][2] = {
        {"http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/chat/completions"},
        {"http://h/v1/", "http://h/v1/chat/completions"},
        {"http://h/v1//", "http://h/v1/chat/completions"},
        {"https://h/openai/deployments/x?api-version=2024-06-01",
         "https://h/openai/deployments/x/chat/completions?api-version=2024-06-01"},
        {"https://h/openai/deployments/x/?api-version=2024-06-01",
         "https://h/openai/deployments/x/chat/completions?api-version=2024-06-01"},
        {"http://h/v1?a=1&b=/x/#f", "http://h/v1/chat/completions?a=1&b=/x/#f"},
        {"http://h/v1/#f", "http://h/v1/chat/completions#f"},
        {"http://h/v1#f?a=1", "http://h/v1/chat/completions#f?a=1"},
        {"http://h?x=1", "http://h/chat/completions?x=1"},
        {"", "/chat/completions"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tl_buf out;
        tl_buf_init(&out, 0);
        cr_assert_eq(tl_llm_chat_url(cases[i][0], &out), TL_OK);
        cr_expect_str_eq(out.data, cases[i][1], "base %s", cases[i][0]);
        tl_buf_dispose(&out);
    }
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_assert_eq(tl_llm_chat_url(NULL, &out), TL_OK);
    cr_expect_str_eq(out.data, "/chat/completions");
    tl_buf_dispose(&out);

    /* against a server: the request goes to the path with the query; messages leave it out */
    fake f;
    fake_start(&f, "{\"replies\":[{\"tool\":\"wait\",\"args\":{\"ms\":1}}]}", NULL);
    char base[256];
    snprintf(base, sizeof base, "%s/?api-version=2024-06-01", f.url);
    tl_llm_config cfg = {.base_url = base, .model = "m", .max_attempts = 1};
    tl_error err = {0};
    tl_llm *l = tl_llm_new(&cfg, NULL, &err);
    cr_assert_not_null(l);
    tl_chat c = {0};
    listing_chat(&c, "hello");
    tl_llm_reply r;
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    tl_llm_reply_dispose(&r);
    fake_stop(&f);
    cJSON *log = fake_log(&f);
    const cJSON *path = cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "path");
    cr_expect(cJSON_IsString(path) &&
                  strcmp(path->valuestring, "/v1/chat/completions?api-version=2024-06-01") == 0,
              "path %s", cJSON_IsString(path) ? path->valuestring : "(none)");
    cJSON_Delete(log);
    /* the port is closed now */
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_ENET, "%s", err.msg);
    char want[200];
    snprintf(want, sizeof want, "LLM: POST %s/chat/completions: ", f.url);
    cr_expect_not_null(strstr(err.msg, want), "%s", err.msg);
    cr_expect_null(strstr(err.msg, "api-version"), "%s", err.msg);
    tl_llm_free(l);
    tl_chat_dispose(&c);
}

Test(llm, record_then_replay_without_the_server)
{
    char cassette[512];
    snprintf(cassette, sizeof cassette, "%s/run.cassette", tmpdir);
    fake f;
    fake_start(
        &f,
        "{\"replies\":[{\"tool\":\"tap\",\"tap_text\":\"Display\"},{\"content\":"
        "\"{\\\"action\\\":\\\"done\\\",\\\"success\\\":true,\\\"message\\\":\\\"ok\\\"}\"}]}",
        NULL);
    tl_cassette *cas = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&cas, cassette, "test_llm", &err), TL_OK, "%s", err.msg);
    tl_llm *l = new_llm(f.url, SECRET_KEY);
    tl_llm_set_cassette(l, cas);
    tl_llm_set_deadline(l, 20000);
    tl_chat c = {0};
    cr_assert_eq(tl_chat_add(&c, TL_ROLE_SYSTEM, "You operate an Android phone."), TL_OK);
    cr_assert_eq(tl_chat_add_image(&c, LISTING, "data:image/png;base64,AAAA"), TL_OK);
    tl_llm_reply r;
    char first[128], second[128];
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    describe(&r, first, sizeof first);
    tl_chat_add_reply(&c, &r);
    tl_chat_add_tool_result(&c, r.tool_call_id, "ok");
    tl_llm_reply_dispose(&r);
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    describe(&r, second, sizeof second);
    tl_llm_reply_dispose(&r);
    tl_cassette_close(cas);
    tl_llm_free(l);
    fake_stop(&f);
    tl_chat_dispose(&c);
    cr_expect_str_eq(first, "tap [17]");
    cr_expect_str_eq(second, "done success \"ok\"");

    /* the cassette holds no key and no image, and its responses are chat completions */
    char *text = slurp(cassette, NULL);
    cr_expect_null(strstr(text, "SECRET"));
    cr_expect_null(strstr(text, "base64,AAAA"));
    cr_expect_eq(strncmp(text, "# test_llm\n", 11), 0);
    char responses[2][512];
    char *files[2];
    int k = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        cJSON *ex = cJSON_Parse(line);
        cr_assert_not_null(ex);
        cr_assert_lt(k, 2);
        char *resp = cJSON_PrintUnformatted(cJSON_GetObjectItem(ex, "response"));
        snprintf(responses[k], sizeof responses[k], "%s/response-%d.json", tmpdir, k);
        write_file(responses[k], resp, strlen(resp));
        files[k] = responses[k];
        k++;
        free(resp);
        cJSON_Delete(ex);
    }
    free(text);
    cr_expect_eq(k, 2);
    cr_expect_eq(validate("response", files, 2, false), 0,
                 "the fake server's replies do not validate");

    /* replay: the server is gone, the same chat gets the same answers, a different image too */
    cr_assert_eq(tl_cassette_open_replay(&cas, cassette, &err), TL_OK, "%s", err.msg);
    l = new_llm(f.url, SECRET_KEY);
    tl_llm_set_cassette(l, cas);
    tl_chat c2 = {0};
    tl_chat_add(&c2, TL_ROLE_SYSTEM, "You operate an Android phone.");
    tl_chat_add_image(&c2, LISTING, "data:image/png;base64,BBBBBBBB");
    cr_assert_eq(tl_llm_complete(l, &c2, &r, &err), TL_OK, "%s", err.msg);
    cr_expect(r.replayed);
    cr_expect_eq(r.latency_ms, 0);
    describe(&r, first, sizeof first);
    cr_expect_str_eq(first, "tap [17]");
    tl_chat_add_reply(&c2, &r);
    tl_chat_add_tool_result(&c2, r.tool_call_id, "ok");
    tl_llm_reply_dispose(&r);
    cr_assert_eq(tl_llm_complete(l, &c2, &r, &err), TL_OK, "%s", err.msg);
    describe(&r, second, sizeof second);
    cr_expect_str_eq(second, "done success \"ok\"");
    tl_llm_reply_dispose(&r);
    /* one request more than recorded */
    cr_expect_eq(tl_llm_complete(l, &c2, &r, &err), TL_ENOTFOUND);
    char want[1024];
    snprintf(want, sizeof want,
             "cassette miss in %s: exchange 3: the cassette has only 2 exchanges", cassette);
    cr_expect_str_eq(err.msg, want);
    tl_cassette_close(cas);
    tl_llm_free(l);
    tl_chat_dispose(&c2);
}

Test(llm, replay_miss_names_what_changed)
{
    char cassette[512];
    snprintf(cassette, sizeof cassette, "%s/miss.cassette", tmpdir);
    fake f;
    fake_start(&f, "{\"replies\":[{\"tool\":\"tap\",\"tap_text\":\"Display\"}]}", NULL);
    tl_cassette *cas = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&cas, cassette, NULL, &err), TL_OK);
    tl_llm *l = new_llm(f.url, NULL);
    tl_llm_set_cassette(l, cas);
    tl_chat c = {0};
    listing_chat(&c, LISTING);
    tl_llm_reply r;
    cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%s", err.msg);
    tl_llm_reply_dispose(&r);
    tl_cassette_close(cas);
    tl_llm_free(l);
    fake_stop(&f);
    tl_chat_dispose(&c);

    cr_assert_eq(tl_cassette_open_replay(&cas, cassette, &err), TL_OK, "%s", err.msg);
    l = new_llm(f.url, NULL);
    tl_llm_set_cassette(l, cas);
    /* the app renamed an entry */
    listing_chat(&c, "Goal: turn on the dark theme\n"
                     "Screen: com.android.settings, 1080x2400\n"
                     "[1] TextView \"Settings\" (540,147)\n"
                     "[2] RecyclerView id=list scrollable (540,1252)\n"
                     "[17] LinearLayout \"Display & touch\" \"Dark theme, font size, "
                     "brightness\" clickable (540,1612)\n"
                     "[18] LinearLayout \"Sound & vibration\" clickable (540,1800)");
    cr_expect_eq(tl_llm_complete(l, &c, &r, &err), TL_ENOTFOUND);
    char want[1024];
    snprintf(want, sizeof want,
             "cassette miss in %s: exchange 1: messages[1].content differs at line 5: recorded "
             "\"[17] LinearLayout \\\"Display\\\" \\\"Dark theme, font size, brightness\\\" "
             "clickable (540,1612)\", now \"[17] LinearLayout \\\"Display & touch\\\" "
             "\\\"Dark theme, font size, brightness\\\" clickable (540,1612)\"",
             cassette);
    cr_expect_str_eq(err.msg, want);
    tl_cassette_close(cas);
    tl_llm_free(l);
    tl_chat_dispose(&c);
}

Test(llm, fake_server_script_features)
{
    /* until_listed repeats an entry until the label shows, tap_text finds the index, and a
     * missing element or an exhausted script ends with done(false) */
    fake f;
    fake_start(&f,
               "{\"replies\":[{\"tool\":\"scroll\",\"args\":{\"direction\":\"down\"},"
               "\"until_listed\":\"Display\"},{\"tool\":\"type\",\"tap_text\":\"Display\","
               "\"args\":{\"text\":\"hi\"}},{\"tool\":\"tap\",\"tap_text\":\"Nowhere\"}]}",
               NULL);
    tl_llm *l = new_llm(f.url, NULL);
    const char *const screens[] = {
        "[1] TextView \"Network\" (1,2)\n[2] RecyclerView id=list scrollable (3,4)",
        "[1] TextView \"Network\" (1,2)\n[2] RecyclerView id=list scrollable (3,4)",
        LISTING,
        LISTING,
        LISTING,
    };
    const char *const want[] = {
        "scroll down",
        "scroll down",
        "type \"hi\" into [17]",
        "done failure \"fake server: no element \\\"Nowhere\\\" in the listing\"",
        "done failure \"fake server: script exhausted\"",
    };
    for (int i = 0; i < 5; i++) {
        tl_chat c = {0};
        listing_chat(&c, screens[i]);
        tl_llm_reply r;
        tl_error err = {0};
        cr_assert_eq(tl_llm_complete(l, &c, &r, &err), TL_OK, "%d: %s", i, err.msg);
        char d[256];
        describe(&r, d, sizeof d);
        cr_expect_str_eq(d, want[i], "reply %d", i);
        tl_llm_reply_dispose(&r);
        tl_chat_dispose(&c);
    }
    fake_stop(&f);
    tl_llm_free(l);
}

/* A reply whose bytes are not UTF-8 is refused whole, naming where: its strings would otherwise
 * reach the trajectory and go back to the model in the next request (found by e2e_faults). */
Test(llm, reply_with_invalid_utf8_is_refused)
{
    static const char body[] =
        "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
        "\"message\":{\"role\":\"assistant\",\"content\":\"caf\xc3\xff\"}}]}";
    tl_llm_reply r;
    tl_error err = {0};
    cr_assert_eq(tl_llm_parse_reply(body, sizeof(body) - 1, &r, &err), TL_EBADRESP);
    cr_assert(strstr(err.msg, "invalid UTF-8 (at byte 90)"), "%s", err.msg);
    cr_assert_null(r.content);
    /* the same reply in valid UTF-8 parses */
    static const char good[] =
        "{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
        "\"message\":{\"role\":\"assistant\",\"content\":\"caf\xc3\xa9\"}}]}";
    parse_ok(&r, good);
    cr_assert_str_eq(r.content, "caf\xc3\xa9");
    tl_llm_reply_dispose(&r);
}
