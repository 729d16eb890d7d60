/*
 * llm.h - the LLM client: one OpenAI-compatible `POST {base}/chat/completions` per call, over
 * the shared HTTP layer (core/http.h), offering the 10 tools of SPEC §3, and reading the action
 * from the reply's tool call or, for models without tool calling, from one JSON object in the
 * content (bare or in a ```json fence).
 *
 * Works unchanged against OpenAI, vLLM, llama.cpp's server, Ollama's /v1 and OpenRouter: the
 * request uses only members every one of them accepts, and the reply parser accepts every
 * response valid under OpenAI's CreateChatCompletionResponse, with or without its optional
 * members (refusal, annotations, audio, logprobs, several choices).
 *
 * A tl_llm is used by one thread at a time. The API key goes only into the Authorization
 * header: never into messages, logs, cassettes or trajectories.
 */
#ifndef TL_LLM_H
#define TL_LLM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/http.h"
#include "core/status.h"
#include "planner/action.h"
#include "planner/cassette.h"

/* ---- the conversation ------------------------------------------------------------------- */

typedef enum tl_role { TL_ROLE_SYSTEM, TL_ROLE_USER, TL_ROLE_ASSISTANT, TL_ROLE_TOOL } tl_role;

/** One message. All strings owned by the chat. */
typedef struct tl_chat_msg {
    tl_role role;
    char *content;         /**< text; NULL for an assistant message that only called tools */
    char *tool_calls_json; /**< assistant: the reply's "tool_calls" array, as received */
    char *tool_call_id;    /**< tool: the call this message answers */
    char *image_url;       /**< user: an image as a data: URL (vision), or NULL */
} tl_chat_msg;

/** A conversation; zero-initialise, release with tl_chat_dispose(). */
typedef struct tl_chat {
    tl_chat_msg *msgs; /**< owned */
    size_t n;
} tl_chat;

void tl_chat_dispose(tl_chat *c);

/** Append a system or user message (content copied). @return TL_OK or TL_ENOMEM. */
int tl_chat_add(tl_chat *c, tl_role role, const char *content);

/** Append a user message carrying text and an image data URL (copied). */
int tl_chat_add_image(tl_chat *c, const char *text, const char *image_url);

struct tl_llm_reply;

/** Append the assistant message of a reply as received (content and tool calls). */
int tl_chat_add_reply(tl_chat *c, const struct tl_llm_reply *r);

/** Append a tool message answering call `tool_call_id` (e.g. an error observation). */
int tl_chat_add_tool_result(tl_chat *c, const char *tool_call_id, const char *content);

/* ---- replies ---------------------------------------------------------------------------- */

/** A parsed reply (the first choice). Strings owned; release with tl_llm_reply_dispose(). */
typedef struct tl_llm_reply {
    char *content;         /**< the assistant's text (often its reasoning), or NULL */
    char *refusal;         /**< the model's refusal, or NULL */
    size_t tool_calls;     /**< how many tool calls the reply made */
    char *tool_name;       /**< the first tool call's function name, or NULL */
    char *tool_args;       /**< its arguments (a JSON text), or NULL */
    char *tool_call_id;    /**< its id, or NULL */
    char *tool_calls_json; /**< the whole "tool_calls" array as compact JSON, or NULL */
    char *finish_reason;   /**< or NULL */
    long prompt_tokens, completion_tokens; /**< from "usage"; 0 when absent */
    long latency_ms;                       /**< time the call took (0 when replayed) */
    bool replayed;                         /**< answered from a cassette */
} tl_llm_reply;

void tl_llm_reply_dispose(tl_llm_reply *r);

/**
 * Parse a chat.completion response body.
 * @return TL_OK; TL_EBADRESP when it is not JSON, has no choices, or its first choice has no
 *         message (the message names what is missing); TL_ENOMEM.
 */
int tl_llm_parse_reply(const char *body, size_t len, tl_llm_reply *out, tl_error *err);

/**
 * The action a reply asks for: its first tool call (a second one is ignored), else one JSON
 * object in the content, bare, in a ```json (or ```) fence, or the only {...} object in prose.
 * @return TL_OK; TL_EPARSE with a message fit to send back to the model ("the reply has no tool
 *         call and no JSON action", "unknown action \"click\"", argument errors).
 */
int tl_llm_reply_action(const tl_llm_reply *r, tl_action *out, tl_error *err);

/* ---- the client ------------------------------------------------------------------------- */

typedef struct tl_llm_config {
    const char *base_url;       /**< e.g. "http://127.0.0.1:8080/v1"; "/chat/completions" is added
                                     to its path (tl_llm_chat_url) */
    const char *api_key;        /**< bearer key, or NULL/"" for no Authorization header */
    const char *model;          /**< model name sent in the request */
    long timeout_ms;            /**< one attempt; 0: 120 s */
    int max_attempts;           /**< 0: the HTTP layer's default */
    long deadline_ms;           /**< if > 0, bound on one call, retries included */
    tl_http_throttle *throttle; /**< borrowed, shared by the clients of a batch: caps their
                                     concurrent requests (--llm-parallel) and pauses them all
                                     when the endpoint answers 429; NULL for none */
} tl_llm_config;

typedef struct tl_llm tl_llm;

/**
 * Append to `out` the chat-completions URL of an OpenAI-compatible base URL: "/chat/completions"
 * added to the base's path, after its trailing slashes are dropped and before its query or
 * fragment, which are kept ("https://h/openai/deployments/x/?api-version=1" gives
 * "https://h/openai/deployments/x/chat/completions?api-version=1"). `base_url` is borrowed; NULL
 * reads as "". The URL is not checked (the HTTP layer does that on the first request).
 * @return TL_OK or TL_ENOMEM (out may then hold part of the URL).
 */
int tl_llm_chat_url(const char *base_url, tl_buf *out);

/** A client (the config is copied). Caller frees with tl_llm_free(). NULL when out of memory. */
tl_llm *tl_llm_new(const tl_llm_config *cfg, volatile sig_atomic_t *cancel, tl_error *err);

void tl_llm_free(tl_llm *l);

/** Answer from / record into a cassette (borrowed; NULL for none). */
void tl_llm_set_cassette(tl_llm *l, tl_cassette *c);

/** Change the per-call deadline (the loop shrinks it as the run's time budget runs out). */
void tl_llm_set_deadline(tl_llm *l, long deadline_ms);

/**
 * Append the request body for `chat` (model, messages, the 10 tools, tool_choice "auto"):
 * compact JSON that validates against CreateChatCompletionRequest.
 */
int tl_llm_build_request(const tl_llm *l, const tl_chat *chat, tl_buf *out);

/**
 * One completion: build the request; answer it from the cassette when replaying, else send it
 * and check the status; parse the reply; record the exchange when recording.
 * @return TL_OK; TL_EAUTH ("... check OPENAI_API_KEY"), TL_ENET, TL_ETIMEOUT, TL_EBADRESP,
 *         TL_ENOTFOUND (a cassette miss: "cassette miss in FILE: exchange N: " and what
 *         differed), TL_ECANCELED.
 */
int tl_llm_complete(tl_llm *l, const tl_chat *chat, tl_llm_reply *out, tl_error *err);

/** Append the "tools" array: the 10 actions of SPEC §3 with JSON-Schema parameters. */
int tl_action_tools_json(tl_buf *out);

#endif
