/*
 * llm.c - the LLM client (see llm.h): the conversation (tl_chat), the request body, the reply
 * parser, the action read from a reply, and one completion over the HTTP layer or a cassette.
 *
 * The request is written by hand into a tl_buf in a fixed member order, so that the same chat
 * always gives the same bytes (cassettes hash them). Replies are read with cJSON, leniently:
 * every optional member of OpenAI's CreateChatCompletionResponse may be missing, content may
 * be an array of parts, and a tool call's arguments may be an object instead of a string (some
 * servers do that). The tool calls of a reply are kept in a normalised form (id, type
 * "function", name, arguments as a string) so that they can be sent back to any server.
 *
 * A tl_llm owns the configuration (the key is wiped when freed) and, once the network is
 * needed, one tl_http client; a replaying cassette never creates it.
 */
#include "planner/llm.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/http.h"
#include "core/json.h"
#include "core/str.h"
#include "core/utf8.h"

/* ---- the conversation ------------------------------------------------------------------- */

static void msg_dispose(tl_chat_msg *m)
{
    free(m->content);
    free(m->tool_calls_json);
    free(m->tool_call_id);
    free(m->image_url);
    memset(m, 0, sizeof(*m));
}

void tl_chat_dispose(tl_chat *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        msg_dispose(&c->msgs[i]);
    free(c->msgs);
    c->msgs = NULL;
    c->n = 0;
}

/* A new zeroed message at the end of the chat, or NULL when out of memory. */
static tl_chat_msg *chat_push(tl_chat *c, tl_role role)
{
    tl_chat_msg *m = realloc(c->msgs, (c->n + 1) * sizeof(*m));
    if (!m)
        return NULL;
    c->msgs = m;
    m = &c->msgs[c->n];
    memset(m, 0, sizeof(*m));
    m->role = role;
    return m;
}

/* Copy s into *dst (NULL stays NULL). @return false when out of memory. */
static bool dup_into(char **dst, const char *s)
{
    if (!s)
        return true;
    *dst = tl_strdup(s);
    return *dst != NULL;
}

/* Keep the message just pushed if every copy succeeded, else drop it. */
static int chat_commit(tl_chat *c, bool ok)
{
    if (!ok) {
        msg_dispose(&c->msgs[c->n]);
        return TL_ENOMEM;
    }
    c->n++;
    return TL_OK;
}

int tl_chat_add(tl_chat *c, tl_role role, const char *content)
{
    tl_chat_msg *m = chat_push(c, role);
    if (!m)
        return TL_ENOMEM;
    return chat_commit(c, dup_into(&m->content, content ? content : ""));
}

int tl_chat_add_image(tl_chat *c, const char *text, const char *image_url)
{
    tl_chat_msg *m = chat_push(c, TL_ROLE_USER);
    if (!m)
        return TL_ENOMEM;
    return chat_commit(c, dup_into(&m->content, text) && dup_into(&m->image_url, image_url));
}

int tl_chat_add_reply(tl_chat *c, const tl_llm_reply *r)
{
    tl_chat_msg *m = chat_push(c, TL_ROLE_ASSISTANT);
    if (!m)
        return TL_ENOMEM;
    /* Every tool call is kept: the API wants each one answered by a tool message, and the
     * caller answers them all (the first with its result, the others as ignored). An assistant
     * message needs content or tool calls: a refusal is what the model said. */
    const char *content = r->content;
    if (!content && !r->tool_calls_json)
        content = r->refusal ? r->refusal : "";
    return chat_commit(c, dup_into(&m->tool_calls_json, r->tool_calls_json) &&
                              dup_into(&m->content, content));
}

int tl_chat_add_tool_result(tl_chat *c, const char *tool_call_id, const char *content)
{
    tl_chat_msg *m = chat_push(c, TL_ROLE_TOOL);
    if (!m)
        return TL_ENOMEM;
    return chat_commit(c, dup_into(&m->tool_call_id, tool_call_id ? tool_call_id : "") &&
                              dup_into(&m->content, content ? content : ""));
}

/* ---- the request ------------------------------------------------------------------------ */

struct tl_llm {
    char *base_url;
    char *api_key; /* NULL when none; wiped when freed */
    char *model;
    char *url; /* tl_llm_chat_url(base_url) */
    long timeout_ms;
    int max_attempts;
    long deadline_ms;
    volatile sig_atomic_t *cancel;
    tl_http *http;              /* created on the first request that needs the network */
    tl_http_throttle *throttle; /* borrowed, or NULL */
    tl_cassette *cassette;
};

/* A tool_calls array, re-printed compactly (it came from a reply, or from a caller). */
static int put_tool_calls(tl_buf *out, const char *json)
{
    cJSON *v = cJSON_Parse(json);
    if (!cJSON_IsArray(v)) {
        cJSON_Delete(v);
        return TL_EPARSE;
    }
    char *text = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    if (!text)
        return TL_ENOMEM;
    int rc = tl_buf_puts(out, text);
    free(text);
    return rc;
}

static int put_message(tl_buf *out, const tl_chat_msg *m)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool"};
    if ((unsigned)m->role > TL_ROLE_TOOL)
        return TL_EPARSE;
    int rc = tl_buf_printf(out, "{\"role\":\"%s\",\"content\":", roles[m->role]);
    if (m->role == TL_ROLE_USER && m->image_url) {
        rc |= tl_buf_putc(out, '[');
        if (m->content) {
            rc |= tl_buf_puts(out, "{\"type\":\"text\",\"text\":");
            rc |= tl_json_cstr(out, m->content);
            rc |= tl_buf_puts(out, "},");
        }
        rc |= tl_buf_puts(out, "{\"type\":\"image_url\",\"image_url\":{\"url\":");
        rc |= tl_json_cstr(out, m->image_url);
        rc |= tl_buf_puts(out, "}}]");
    } else if (m->role == TL_ROLE_ASSISTANT && !m->content && m->tool_calls_json) {
        rc |= tl_buf_puts(out, "null");
    } else {
        rc |= tl_json_cstr(out, m->content ? m->content : "");
    }
    if (rc)
        return TL_ENOMEM;
    if (m->role == TL_ROLE_ASSISTANT && m->tool_calls_json) {
        rc = tl_buf_puts(out, ",\"tool_calls\":");
        if (rc)
            return TL_ENOMEM;
        rc = put_tool_calls(out, m->tool_calls_json);
        if (rc)
            return rc;
    }
    if (m->role == TL_ROLE_TOOL) {
        rc |= tl_buf_puts(out, ",\"tool_call_id\":");
        rc |= tl_json_cstr(out, m->tool_call_id ? m->tool_call_id : "");
    }
    rc |= tl_buf_putc(out, '}');
    return rc ? TL_ENOMEM : TL_OK;
}

/* The tools array is the same for every request of the process (it comes from the action
 * table): built once, then copied, instead of formatted anew for each of a batch's thousands
 * of requests. The process owns it (never freed: it lives as long as the table). */
static pthread_once_t tools_once = PTHREAD_ONCE_INIT;
static tl_buf tools_cache;
static bool tools_cached;

static void tools_build(void)
{
    tl_buf_init(&tools_cache, 0);
    tools_cached = tl_action_tools_json(&tools_cache) == TL_OK;
    if (!tools_cached)
        tl_buf_dispose(&tools_cache); /* each request then formats its own */
}

int tl_llm_build_request(const tl_llm *l, const tl_chat *chat, tl_buf *out)
{
    int rc = tl_buf_puts(out, "{\"model\":");
    rc |= tl_json_cstr(out, l->model ? l->model : "");
    rc |= tl_buf_puts(out, ",\"messages\":[");
    if (rc)
        return TL_ENOMEM;
    for (size_t i = 0; i < chat->n; i++) {
        if (i && tl_buf_putc(out, ','))
            return TL_ENOMEM;
        rc = put_message(out, &chat->msgs[i]);
        if (rc)
            return rc;
    }
    rc = tl_buf_puts(out, "],\"tools\":");
    pthread_once(&tools_once, tools_build);
    rc |= tools_cached ? tl_buf_append(out, tools_cache.data, tools_cache.len)
                       : tl_action_tools_json(out);
    rc |= tl_buf_puts(out, ",\"tool_choice\":\"auto\"}");
    return rc ? TL_ENOMEM : TL_OK;
}

/* ---- replies ---------------------------------------------------------------------------- */

void tl_llm_reply_dispose(tl_llm_reply *r)
{
    if (!r)
        return;
    free(r->content);
    free(r->refusal);
    free(r->tool_name);
    free(r->tool_args);
    free(r->tool_call_id);
    free(r->tool_calls_json);
    free(r->finish_reason);
    memset(r, 0, sizeof(*r));
}

/* The start of a body for messages: at most 80 characters, JSON-escaped. */
static void excerpt(const char *body, size_t len, char *out, size_t size)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    size_t n = tl_utf8_prefix(body, len, 80);
    if (tl_json_str(&b, body, n) == TL_OK && b.data)
        snprintf(out, size, "%s%s", b.data, n < len ? "..." : "");
    else
        snprintf(out, size, "\"\"");
    tl_buf_dispose(&b);
}

/* A message's content: a string, null, or an array of content parts whose text parts are
 * concatenated. @return false when out of memory. */
static bool take_content(const cJSON *v, char **out)
{
    if (cJSON_IsString(v))
        return (*out = tl_strdup(v->valuestring)) != NULL;
    if (!cJSON_IsArray(v))
        return true;
    tl_buf b;
    tl_buf_init(&b, 0);
    bool any = false;
    int rc = TL_OK;
    for (const cJSON *p = v->child; p; p = p->next) {
        const cJSON *text = cJSON_IsString(p) ? p : cJSON_GetObjectItemCaseSensitive(p, "text");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "text") != 0 &&
            strcmp(type->valuestring, "output_text") != 0)
            continue;
        if (cJSON_IsString(text)) {
            rc |= tl_buf_puts(&b, text->valuestring);
            any = true;
        }
    }
    if (rc) {
        tl_buf_dispose(&b);
        return false;
    }
    if (!any) {
        tl_buf_dispose(&b);
        return true;
    }
    *out = tl_buf_detach(&b, NULL);
    return *out != NULL;
}

/* A tool call's arguments as JSON text: a string as is, an object (or anything else but null)
 * re-serialised; NULL in *out when absent. @return false when out of memory. */
static bool take_arguments(const cJSON *v, char **out)
{
    if (!v || cJSON_IsNull(v))
        return true;
    if (cJSON_IsString(v))
        return (*out = tl_strdup(v->valuestring)) != NULL;
    return (*out = cJSON_PrintUnformatted(v)) != NULL;
}

/*
 * Normalise the tool calls of a message into a fresh array: {"id","type":"function",
 * "function":{"name","arguments"}} with arguments a string, and an id made up ("call_N") when
 * the server sent none. Fills the first function call's members of `r`.
 * @return TL_OK or TL_ENOMEM.
 */
static int take_tool_calls(const cJSON *calls, tl_llm_reply *r)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return TL_ENOMEM;
    int rc = TL_OK;
    size_t i = 0;
    for (const cJSON *c = calls->child; c; c = c->next, i++) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        if (!cJSON_IsObject(fn) || !cJSON_IsString(name))
            continue; /* a custom tool call or garbage: not one of ours */
        char *args = NULL;
        if (!take_arguments(cJSON_GetObjectItemCaseSensitive(fn, "arguments"), &args)) {
            rc = TL_ENOMEM;
            break;
        }
        char made_id[32];
        snprintf(made_id, sizeof(made_id), "call_%zu", i + 1);
        const char *idv = cJSON_IsString(id) && id->valuestring[0] ? id->valuestring : made_id;
        cJSON *o = cJSON_CreateObject();
        cJSON *f = cJSON_CreateObject();
        bool ok = o && f && cJSON_AddStringToObject(o, "id", idv) &&
                  cJSON_AddStringToObject(o, "type", "function") &&
                  cJSON_AddStringToObject(f, "name", name->valuestring) &&
                  cJSON_AddStringToObject(f, "arguments", args ? args : "{}");
        if (ok && cJSON_AddItemToObject(o, "function", f))
            f = NULL;
        else
            ok = false;
        if (ok && cJSON_AddItemToArray(arr, o))
            o = NULL;
        else
            ok = false;
        cJSON_Delete(f);
        cJSON_Delete(o);
        if (ok && !r->tool_name) {
            r->tool_name = tl_strdup(name->valuestring);
            r->tool_call_id = tl_strdup(idv);
            r->tool_args = args;
            args = NULL;
            ok = r->tool_name && r->tool_call_id;
        }
        free(args);
        if (!ok) {
            rc = TL_ENOMEM;
            break;
        }
        r->tool_calls++;
    }
    if (rc == TL_OK && r->tool_calls) {
        r->tool_calls_json = cJSON_PrintUnformatted(arr);
        if (!r->tool_calls_json)
            rc = TL_ENOMEM;
    }
    cJSON_Delete(arr);
    return rc;
}

static long number_or_zero(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15 ? (long)v->valuedouble
                                                                             : 0;
}

/* {"error":{"message":...,"type":...,"code":...}} (or "error":"text") as a message. */
static int error_body(const cJSON *e, tl_error *err)
{
    const cJSON *msg = cJSON_IsString(e) ? e : cJSON_GetObjectItemCaseSensitive(e, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
    const char *what = cJSON_IsString(code)   ? code->valuestring
                       : cJSON_IsString(type) ? type->valuestring
                                              : NULL;
    return tl_error_set(err, TL_EBADRESP, "the LLM answered with an error%s%s%s: %.300s",
                        what ? " (" : "", what ? what : "", what ? ")" : "",
                        cJSON_IsString(msg) ? msg->valuestring : "(no message)");
}

static int parse_reply(const cJSON *root, tl_llm_reply *out, tl_error *err)
{
    if (!cJSON_IsObject(root))
        return tl_error_set(err, TL_EBADRESP, "the LLM's reply is not a JSON object");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e && !cJSON_IsNull(e))
        return error_body(e, err);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (!cJSON_IsArray(choices))
        return tl_error_set(err, TL_EBADRESP, "the LLM's reply has no \"choices\" array");
    const cJSON *choice = choices->child;
    if (!choice)
        return tl_error_set(err, TL_EBADRESP, "the LLM's reply has an empty \"choices\" array");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
    if (!cJSON_IsObject(msg))
        return tl_error_set(err, TL_EBADRESP, "the LLM's reply has no choices[0].message");

    const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
    const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    bool ok = take_content(cJSON_GetObjectItemCaseSensitive(msg, "content"), &out->content) &&
              (!cJSON_IsString(refusal) || dup_into(&out->refusal, refusal->valuestring)) &&
              (!cJSON_IsString(finish) || dup_into(&out->finish_reason, finish->valuestring));
    if (ok && cJSON_IsArray(calls) && take_tool_calls(calls, out) != TL_OK)
        ok = false;
    if (!ok)
        return tl_error_set(err, TL_ENOMEM, "out of memory reading the LLM's reply");
    out->prompt_tokens = number_or_zero(usage, "prompt_tokens");
    out->completion_tokens = number_or_zero(usage, "completion_tokens");
    return TL_OK;
}

int tl_llm_parse_reply(const char *body, size_t len, tl_llm_reply *out, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    /* JSON is UTF-8 (RFC 8259); bytes that are not would reach the trajectory and go back to
     * the model in the next request, which a strict server then rejects */
    if (body && !tl_utf8_valid(body, len)) {
        size_t at = 0;
        while (at < len) {
            uint32_t cp;
            size_t k = tl_utf8_decode((const unsigned char *)body + at, len - at, &cp);
            if (k == 0)
                break;
            at += k;
        }
        return tl_error_set(err, TL_EBADRESP, "the LLM's reply is invalid UTF-8 (at byte %zu)", at);
    }
    cJSON *root = body ? cJSON_ParseWithLength(body, len) : NULL;
    if (!root) {
        char ex[128];
        excerpt(body ? body : "", body ? len : 0, ex, sizeof(ex));
        return tl_error_set(err, TL_EBADRESP, "the LLM's reply is not JSON: %s", ex);
    }
    int rc = parse_reply(root, out, err);
    cJSON_Delete(root);
    if (rc)
        tl_llm_reply_dispose(out);
    return rc;
}

/* ---- the action in a reply -------------------------------------------------------------- */

/* Where a balanced {...} starting at s[0] == '{' ends (the index after its '}'), skipping
 * braces inside JSON strings; 0 when it never closes. */
static size_t balanced_end(const char *s, size_t n)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{') {
            depth++;
        } else if (c == '}' && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

static bool is_json_object(const char *s, size_t n)
{
    cJSON *v = cJSON_ParseWithLength(s, n);
    bool ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok;
}

/*
 * Find the JSON objects at the top level of text s (n bytes): the first one in *at and *len, and
 * how many there are. A '{' that does not start a valid object is skipped.
 */
static int find_objects(const char *s, size_t n, size_t *at, size_t *len)
{
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '{')
            continue;
        size_t end = balanced_end(s + i, n - i);
        if (end && is_json_object(s + i, end)) {
            if (!found++) {
                *at = i;
                *len = end;
            }
            i += end - 1;
        }
    }
    return found;
}

/* The inside of the first ``` fence of s, if any: the fence's info word (json, JSON, ...) is
 * skipped; an unclosed fence runs to the end. */
static bool fenced(const char *s, size_t n, size_t *at, size_t *len)
{
    const char *open = strstr(s, "```");
    if (!open || (size_t)(open - s) >= n)
        return false;
    size_t i = (size_t)(open - s) + 3;
    while (i < n && s[i] != '\n' && s[i] != '{')
        i++;
    const char *close = strstr(s + i, "```");
    size_t end = close ? (size_t)(close - s) : n;
    *at = i;
    *len = end - i;
    return true;
}

static const char *const no_action =
    "the reply has no tool call and no JSON action: call one of the tools (tap, long_press, "
    "swipe, scroll, type, press_key, start_app, stop_app, wait, done)";

int tl_llm_reply_action(const tl_llm_reply *r, tl_action *out, tl_error *err)
{
    tl_action_init(out);
    if (r->tool_name) {
        const char *args = r->tool_args;
        return tl_action_parse_call(out, r->tool_name, args, args ? strlen(args) : 0, err);
    }
    const char *text = r->content;
    if (!text || !*text) {
        if (r->refusal)
            return tl_error_set(err, TL_EPARSE, "%s (the reply is a refusal: \"%.200s\")",
                                no_action, r->refusal);
        if (r->finish_reason && strcmp(r->finish_reason, "length") == 0)
            return tl_error_set(err, TL_EPARSE, "%s (the reply was cut off at the token limit)",
                                no_action);
        return tl_error_set(err, TL_EPARSE, "%s", no_action);
    }
    size_t n = strlen(text), at = 0, len = n;
    size_t fat = 0, flen = 0;
    bool fence = fenced(text, n, &fat, &flen);
    const char *scope = fence ? text + fat : text;
    size_t scope_n = fence ? flen : n;
    int found = find_objects(scope, scope_n, &at, &len);
    if (found == 0) {
        const char *cut = r->finish_reason && strcmp(r->finish_reason, "length") == 0
                              ? " (the reply was cut off at the token limit)"
                              : "";
        return tl_error_set(err, TL_EPARSE, "%s%s%s", no_action,
                            fence ? " (the ``` block holds no JSON object)" : "", cut);
    }
    if (found > 1)
        return tl_error_set(err, TL_EPARSE,
                            "the reply holds %d JSON objects: answer with exactly one action, "
                            "e.g. {\"action\":\"tap\",\"index\":3}, or call a tool",
                            found);
    return tl_action_parse_json(out, scope + at, len, err);
}

/* ---- the client ------------------------------------------------------------------------- */

int tl_llm_chat_url(const char *base_url, tl_buf *out)
{
    static const char path[] = "/chat/completions";
    const char *base = base_url ? base_url : "";
    size_t end = strcspn(base, "?#"); /* the path ends where the query or fragment starts */
    size_t blen = end;
    while (blen && base[blen - 1] == '/')
        blen--;
    int rc = tl_buf_append(out, base, blen);
    rc |= tl_buf_append(out, path, sizeof(path) - 1);
    rc |= tl_buf_puts(out, base + end);
    return rc ? TL_ENOMEM : TL_OK;
}

tl_llm *tl_llm_new(const tl_llm_config *cfg, volatile sig_atomic_t *cancel, tl_error *err)
{
    tl_llm *l = calloc(1, sizeof(*l));
    if (!l) {
        tl_error_set(err, TL_ENOMEM, "out of memory");
        return NULL;
    }
    const char *base = cfg->base_url ? cfg->base_url : "";
    tl_buf url;
    tl_buf_init(&url, 0);
    bool ok = tl_llm_chat_url(base, &url) == TL_OK && (l->url = tl_buf_detach(&url, NULL)) &&
              dup_into(&l->base_url, base) && dup_into(&l->model, cfg->model) &&
              (!cfg->api_key || !cfg->api_key[0] || dup_into(&l->api_key, cfg->api_key));
    tl_buf_dispose(&url);
    if (!ok) {
        tl_llm_free(l);
        tl_error_set(err, TL_ENOMEM, "out of memory");
        return NULL;
    }
    l->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 120000;
    l->max_attempts = cfg->max_attempts;
    l->deadline_ms = cfg->deadline_ms;
    l->throttle = cfg->throttle;
    l->cancel = cancel;
    return l;
}

void tl_llm_free(tl_llm *l)
{
    if (!l)
        return;
    tl_http_free(l->http);
    tl_str_wipe_free(l->api_key);
    free(l->base_url);
    free(l->model);
    free(l->url);
    free(l);
}

void tl_llm_set_cassette(tl_llm *l, tl_cassette *c)
{
    l->cassette = c;
}

void tl_llm_set_deadline(tl_llm *l, long deadline_ms)
{
    l->deadline_ms = deadline_ms;
}

/* Send the request; the response body is left in resp. */
static int send_request(tl_llm *l, const tl_buf *body, tl_http_response *resp, tl_error *err)
{
    if (!l->http) {
        l->http = tl_http_new(l->cancel, err);
        if (!l->http)
            return err && err->code ? err->code : TL_ENOMEM;
    }
    tl_buf auth;
    tl_buf_init(&auth, 0);
    const char *headers[4] = {"Content-Type: application/json", "Accept: application/json", NULL,
                              NULL};
    if (l->api_key) {
        if (tl_buf_printf(&auth, "Authorization: Bearer %s", l->api_key)) {
            tl_buf_wipe(&auth);
            return tl_error_set(err, TL_ENOMEM, "out of memory");
        }
        headers[2] = auth.data;
    }
    tl_http_request req = {
        .method = "POST",
        .url = l->url,
        .endpoint = "LLM",
        .headers = headers,
        .body = body->data,
        .body_len = body->len,
        .timeout_ms = l->timeout_ms,
        .max_attempts = l->max_attempts,
        .deadline_ms = l->deadline_ms,
        .throttle = l->throttle,
        .idempotent = true, /* a chat completion changes nothing: a reset one is asked again */
    };
    int rc = tl_http_send(l->http, &req, resp, err);
    if (rc == TL_OK) {
        /* the message already names the endpoint and the redacted URL */
        const char *hint = NULL;
        if (resp->status == 401 || resp->status == 403)
            hint = "check OPENAI_API_KEY";
        else if (resp->status == 404)
            hint = "check the LLM base URL (OpenAI-compatible servers answer at "
                   "BASE/chat/completions, BASE usually ending in /v1) and the model name";
        rc = tl_http_check(&req, resp, hint, err);
    }
    tl_buf_wipe(&auth);
    return rc;
}

int tl_llm_complete(tl_llm *l, const tl_chat *chat, tl_llm_reply *out, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (l->cancel && *l->cancel)
        return tl_error_set(err, TL_ECANCELED, "LLM: interrupted");
    tl_buf req;
    tl_buf_init(&req, 0);
    int rc = tl_llm_build_request(l, chat, &req);
    if (rc) {
        tl_buf_dispose(&req);
        return tl_error_set(err, rc,
                            rc == TL_ENOMEM ? "out of memory building the LLM request"
                                            : "an assistant message has tool calls "
                                              "that are not a JSON array");
    }
    if (l->cassette && tl_cassette_replaying(l->cassette)) {
        tl_buf body;
        tl_buf_init(&body, 0);
        rc = tl_cassette_replay(l->cassette, req.data, req.len, &body, err);
        if (rc == TL_OK) {
            rc = tl_llm_parse_reply(body.data, body.len, out, err);
            if (rc)
                tl_error_prefix(err, "cassette: ");
            out->replayed = rc == TL_OK;
        }
        tl_buf_dispose(&body);
        tl_buf_dispose(&req);
        return rc;
    }
    tl_http_response resp;
    tl_http_response_init(&resp);
    long long t0 = tl_now_ms();
    rc = send_request(l, &req, &resp, err);
    long latency = tl_now_ms() - t0;
    if (rc == TL_OK) {
        rc = tl_llm_parse_reply(resp.body.data, resp.body.len, out, err);
        if (rc) { /* name the endpoint, as the HTTP layer's messages do */
            char url[320];
            tl_http_redact_url(l->url, url, sizeof(url));
            tl_error_prefix(err, "LLM: POST %s: ", url);
        }
    }
    if (rc == TL_OK) {
        out->latency_ms = latency;
        if (l->cassette) {
            rc = tl_cassette_record(l->cassette, req.data, req.len, resp.body.data, resp.body.len,
                                    err);
            if (rc)
                tl_llm_reply_dispose(out);
        }
    }
    tl_http_response_dispose(&resp);
    tl_buf_dispose(&req);
    return rc;
}
