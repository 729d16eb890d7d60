/*
 * fuzz_llm_reply.c - fuzz what comes back from the model: tl_llm_parse_reply on a
 * chat.completion body, then tl_llm_reply_action (tool call or JSON in the content) and the
 * action's serializers, checking that an accepted action survives a round trip through
 * tl_action_to_json and tl_action_parse_json unchanged. The whole input is also given to
 * tl_action_parse_json directly (the form cassettes and trajectories store).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "fuzz.h"
#include "planner/action.h"
#include "planner/llm.h"

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_llm_reply: %s: %s\n", what, detail);
    abort();
}

/* Serialize, parse back, serialize again: both texts must be equal. */
static void round_trip(const tl_action *a)
{
    tl_buf j1, j2, d;
    tl_buf_init(&j1, 0);
    tl_buf_init(&j2, 0);
    tl_buf_init(&d, 0);
    tl_error err;
    if (tl_action_check(a, &err) != TL_OK)
        fail("a parsed action fails tl_action_check", err.msg);
    if (tl_action_to_json(a, &j1) != TL_OK || tl_action_describe(a, &d) != TL_OK)
        fail("serializing an action", "out of memory");
    tl_action b;
    tl_action_init(&b);
    if (tl_action_parse_json(&b, j1.data, j1.len, &err) != TL_OK)
        fail("the serialized action does not parse back", err.msg);
    if (tl_action_to_json(&b, &j2) != TL_OK)
        fail("serializing an action", "out of memory");
    if (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len) != 0)
        fail("round trip changed the action", j1.data);
    tl_action_dispose(&b);
    tl_buf_dispose(&j1);
    tl_buf_dispose(&j2);
    tl_buf_dispose(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tl_error err;
    tl_llm_reply r = {0};
    if (tl_llm_parse_reply((const char *)data, size, &r, &err) == TL_OK) {
        tl_action a;
        tl_action_init(&a);
        if (tl_llm_reply_action(&r, &a, &err) == TL_OK)
            round_trip(&a);
        tl_action_dispose(&a);
        tl_chat chat = {0};
        tl_chat_add_reply(&chat, &r);
        if (r.tool_call_id)
            tl_chat_add_tool_result(&chat, r.tool_call_id, "refused");
        tl_chat_dispose(&chat);
    }
    tl_llm_reply_dispose(&r);

    tl_action a;
    tl_action_init(&a);
    if (tl_action_parse_json(&a, (const char *)data, size, &err) == TL_OK)
        round_trip(&a);
    tl_action_dispose(&a);
    return 0;
}
