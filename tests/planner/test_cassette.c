/*
 * test_cassette.c - cassettes (SPEC §8): the JSON-lines format, recording flushed line by line,
 * in-order replay, images left out of what is hashed and stored, the messages of a miss (the
 * first differing member, and for the listing the first differing line), and malformed files.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"
#include "planner/cassette.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tl_cassette_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(cassette, .init = make_tmpdir, .fini = remove_tmpdir);

static void tmp_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tmpdir, name);
}

/* Whole file as a string; caller frees. */
static char *slurp(const char *path)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_error err = {0};
    cr_assert_eq(tl_file_read(&b, path, (size_t)16 << 20, &err), TL_OK, "%s", err.msg);
    char *s = tl_buf_detach(&b, NULL);
    cr_assert_not_null(s);
    return s;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* A request like the LLM client's: a system prompt, a listing, optionally an image. */
static char *request(const char *listing, const char *image)
{
    tl_buf b;
    tl_buf_init(&b, 0);
    tl_buf_puts(&b, "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"You "
                    "drive an Android phone.\"},{\"role\":\"user\",\"content\":");
    if (image)
        tl_buf_printf(&b,
                      "[{\"type\":\"text\",\"text\":\"%s\"},{\"type\":\"image_url\","
                      "\"image_url\":{\"url\":\"%s\"}}]",
                      listing, image);
    else
        tl_buf_printf(&b, "\"%s\"", listing);
    tl_buf_puts(&b, "}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"tap\"}}],"
                    "\"tool_choice\":\"auto\"}");
    return tl_buf_detach(&b, NULL);
}

#define LISTING_A                                                                            \
    "Goal: turn on the dark theme\\n[1] TextView \\\"Settings\\\" (540,147)\\n[5] Switch "   \
    "\\\"Dark theme\\\" checked=false clickable (540,924)\\n[6] TextView \\\"Font size\\\" " \
    "clickable (540,1100)"
#define LISTING_B                                                                           \
    "Goal: turn on the dark theme\\n[1] TextView \\\"Settings\\\" (540,147)\\n[5] Switch "  \
    "\\\"Dark theme\\\" checked=true clickable (540,924)\\n[6] TextView \\\"Font size\\\" " \
    "clickable (540,1100)"

static const char *const responses[] = {
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{"
    "\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
    "\"function\",\"function\":{\"name\":\"tap\",\"arguments\":\"{\\\"index\\\":5}\"}}]},"
    "\"finish_reason\":\"tool_calls\"}]}",
    /* pretty-printed, with a number written "1.50": stored compactly, tokens kept */
    "{\n  \"id\": \"c2\",\n  \"object\": \"chat.completion\",\n  \"choices\": [ {\"index\": 0, "
    "\"message\": {\"role\": \"assistant\", \"content\": \"a b  c\"}, \"finish_reason\": "
    "\"stop\"} ],\n  \"x_score\": 1.50\n}\n",
    "{\"id\":\"c3\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"done\"}}]}",
};

/* responses[1] as replay gives it back: compact JSON */
static const char response2_compact[] =
    "{\"id\":\"c2\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{"
    "\"role\":\"assistant\",\"content\":\"a b  c\"},\"finish_reason\":\"stop\"}],\"x_score\":1.5}";

/* Record exchanges (request i answered by responses[i]) into `path`. */
static void record(const char *path, const char *const *reqs, size_t n, const char *comment)
{
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, comment, &err), TL_OK, "%s", err.msg);
    cr_assert_not(tl_cassette_replaying(c));
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(tl_cassette_record(c, reqs[i], strlen(reqs[i]), responses[i],
                                        strlen(responses[i]), &err),
                     TL_OK, "%s", err.msg);
    tl_cassette_close(c);
}

static tl_cassette *open_replay(const char *path)
{
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_replay(&c, path, &err), TL_OK, "%s", err.msg);
    cr_assert(tl_cassette_replaying(c));
    return c;
}

/* Replay of the cassette at `path` must miss with TL_ENOTFOUND and exactly this message after
 * "cassette miss in PATH: ". */
static void expect_miss(tl_cassette *c, const char *path, const char *req, const char *want)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err = {0};
    int rc = tl_cassette_replay(c, req, strlen(req), &out, &err);
    cr_expect_eq(rc, TL_ENOTFOUND, "replay answered (rc %d) instead of missing", rc);
    char full[TL_ERROR_MSG_MAX];
    snprintf(full, sizeof full, "cassette miss in %s: %s", path, want);
    cr_expect_str_eq(err.msg, full);
    cr_expect_eq(out.len, 0);
    tl_buf_dispose(&out);
}

static void expect_hit(tl_cassette *c, const char *req, const char *want_response)
{
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err = {0};
    cr_assert_eq(tl_cassette_replay(c, req, strlen(req), &out, &err), TL_OK, "%s", err.msg);
    cr_expect_str_eq(out.data, want_response);
    tl_buf_dispose(&out);
}

/* ---- recording and replaying --------------------------------------------------------------- */

Test(cassette, record_then_replay_in_order)
{
    char path[512];
    tmp_path(path, sizeof path, "run.cassette");
    char *r1 = request(LISTING_A, NULL), *r2 = request(LISTING_B, NULL);
    char *r3 = request("third screen", NULL);
    const char *reqs[] = {r1, r2, r3};
    record(path, reqs, 3, "recorded by test_cassette\nagainst gpt-4o");

    /* the file: two comment lines, then one JSON line per exchange with its number and hash */
    char *text = slurp(path);
    cr_expect(strncmp(text, "# recorded by test_cassette\n# against gpt-4o\n{\"n\":1,", 52) == 0,
              "%s", text);
    char sha[65];
    tl_buf stripped;
    tl_buf_init(&stripped, 0);
    tl_error err = {0};
    cr_assert_eq(tl_cassette_strip(r2, strlen(r2), &stripped, sha, &err), TL_OK);
    char want[256];
    snprintf(want, sizeof want, "{\"n\":2,\"request_sha256\":\"%s\",\"request\":{", sha);
    cr_expect_not_null(strstr(text, want), "%s", text);
    cr_expect_not_null(strstr(text, "\"x_score\":1.50}"), "response tokens not kept: %s", text);
    cr_expect_not_null(strstr(text, "\"content\":\"a b  c\""), "string changed: %s", text);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 5);
    free(text);
    tl_buf_dispose(&stripped);

    tl_cassette *c = open_replay(path);
    expect_hit(c, r1, responses[0]);
    expect_hit(c, r2, response2_compact);
    expect_hit(c, r3, responses[2]);
    expect_miss(c, path, r1, "exchange 4: the cassette has only 3 exchanges");
    tl_cassette_close(c);
    free(r1);
    free(r2);
    free(r3);
}

Test(cassette, replay_ignores_formatting_of_the_request)
{
    char path[512];
    tmp_path(path, sizeof path, "fmt.cassette");
    char *r1 = request(LISTING_A, NULL);
    const char *reqs[] = {r1};
    record(path, reqs, 1, NULL);
    /* the same request with white space: the same stripped JSON, the same hash */
    tl_buf spaced;
    tl_buf_init(&spaced, 0);
    for (const char *p = r1; *p; p++) {
        tl_buf_putc(&spaced, *p);
        if (*p == ',' && p[1] == '"' && p[-1] != '\\')
            tl_buf_puts(&spaced, "\n  ");
    }
    tl_cassette *c = open_replay(path);
    expect_hit(c, spaced.data, responses[0]);
    tl_cassette_close(c);
    tl_buf_dispose(&spaced);
    free(r1);
}

Test(cassette, record_flushes_each_exchange)
{
    char path[512];
    tmp_path(path, sizeof path, "flush.cassette");
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, NULL, &err), TL_OK, "%s", err.msg);
    char *r1 = request("one", NULL);
    cr_assert_eq(tl_cassette_record(c, r1, strlen(r1), responses[0], strlen(responses[0]), &err),
                 TL_OK);
    /* not closed yet: the line is already in the file being written */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    char *text = slurp(tmp);
    cr_expect(strncmp(text, "{\"n\":1,", 7) == 0, "%s", text);
    cr_expect_eq(text[strlen(text) - 1], '\n');
    free(text);
    /* a process that dies keeps what it recorded: the file replays as it is */
    tl_cassette *r = open_replay(tmp);
    expect_hit(r, r1, responses[0]);
    tl_cassette_close(r);
    tl_cassette_close(c);
    cr_expect_eq(access(tmp, F_OK), -1, "%s is left after closing", tmp);
    r = open_replay(path);
    expect_hit(r, r1, responses[0]);
    tl_cassette_close(r);
    free(r1);
}

/* --record FILE used to truncate FILE when it opened: a run that then failed before (or without)
 * recording anything destroyed the cassette that was there. */
Test(cassette, recording_replaces_the_file_only_when_closed)
{
    char path[512], tmp[600];
    tmp_path(path, sizeof path, "keep.cassette");
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    char *r1 = request("old run", NULL), *r2 = request("new run", NULL);
    const char *old[] = {r1};
    record(path, old, 1, "the old run");
    char *before = slurp(path);

    /* a recording that records nothing leaves the old cassette as it was, and no file behind */
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, "a run that failed at once", &err), TL_OK);
    cr_expect_eq(tl_cassette_finish(c, &err), TL_OK, "%s", err.msg);
    char *after = slurp(path);
    cr_expect_str_eq(after, before);
    free(after);
    cr_expect_eq(access(tmp, F_OK), -1);

    /* while recording, the old cassette is whole; closed, the new run replaces it */
    cr_assert_eq(tl_cassette_open_record(&c, path, "the new run", &err), TL_OK);
    cr_assert_eq(tl_cassette_record(c, r2, strlen(r2), responses[1], strlen(responses[1]), &err),
                 TL_OK, "%s", err.msg);
    after = slurp(path);
    cr_expect_str_eq(after, before, "the old cassette changed while recording");
    free(after);
    cr_expect_eq(tl_cassette_finish(c, &err), TL_OK, "%s", err.msg);
    cr_expect_eq(access(tmp, F_OK), -1);
    after = slurp(path);
    static const char head[] = "# the new run\n{\"n\":1,";
    cr_expect(strncmp(after, head, sizeof head - 1) == 0, "%s", after);
    free(after);
    c = open_replay(path);
    expect_hit(c, r2, response2_compact);
    expect_miss(c, path, r1, "exchange 2: the cassette has only 1 exchange");
    tl_cassette_close(c);
    free(before);
    free(r1);
    free(r2);
}

Test(cassette, a_failed_rename_names_both_files)
{
    char path[512], tmp[600], inside[600];
    tmp_path(path, sizeof path, "busy.cassette");
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    /* a directory that is not empty cannot be renamed over */
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(inside, sizeof inside, "%s/x", path);
    write_file(inside, "x");
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, NULL, &err), TL_OK, "%s", err.msg);
    const char *req = "{\"model\":\"m\",\"messages\":[]}";
    cr_assert_eq(tl_cassette_record(c, req, strlen(req), "{}", 2, &err), TL_OK, "%s", err.msg);
    cr_expect_eq(tl_cassette_finish(c, &err), TL_EIO);
    cr_expect(strstr(err.msg, path) && strstr(err.msg, tmp) && strstr(err.msg, "rename"), "%s",
              err.msg);
    /* the recording is kept where it was written */
    tl_cassette *r = open_replay(tmp);
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_expect_eq(tl_cassette_replay(r, req, strlen(req), &out, &err), TL_OK, "%s", err.msg);
    tl_buf_dispose(&out);
    tl_cassette_close(r);
}

Test(cassette, record_refuses_what_is_not_json)
{
    char path[512];
    tmp_path(path, sizeof path, "bad.cassette");
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, NULL, &err), TL_OK);
    const char *req = "{\"model\":\"m\",\"messages\":[]}";
    cr_expect_eq(tl_cassette_record(c, req, strlen(req), "<html>502</html>", 16, &err), TL_EPARSE);
    cr_expect_not_null(strstr(err.msg, "not a JSON object"), "%s", err.msg);
    cr_expect_eq(tl_cassette_record(c, req, strlen(req), "{} trailing", 11, &err), TL_EPARSE);
    cr_expect_eq(tl_cassette_record(c, "{not json", 9, "{}", 2, &err), TL_EPARSE);
    /* white space after the object is fine */
    cr_expect_eq(tl_cassette_record(c, req, strlen(req), "{}\r\n", 4, &err), TL_OK, "%s", err.msg);
    tl_cassette_close(c);
    char *text = slurp(path);
    cr_expect(strstr(text, "\"response\":{}}\n") != NULL, "%s", text);
    free(text);
}

/* Found by fuzz_cassette: requests of the form the fast path accepts without parsing (no white
 * space, cJSON's escapes) were recorded although they are not one JSON object, into lines that
 * no replay could read. */
Test(cassette, record_refuses_requests_that_only_look_canonical)
{
    char path[512];
    tmp_path(path, sizeof path, "look.cassette");
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, NULL, &err), TL_OK);
    static const char *const bad[] = {
        "{\"model\":\"m\",\"messages\":[}", "{\"a\":1}x", "{\"a\"}", "[1]", "\"text\"", "7", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(tl_cassette_record(c, bad[i], strlen(bad[i]), "{}", 2, &err), TL_EPARSE, "%s",
                     bad[i]);
        cr_expect_not_null(strstr(err.msg, "request to record is not a JSON object"), "%s",
                           err.msg);
    }
    const char *req = "{\"model\":\"m\",\"messages\":[]}";
    cr_expect_eq(tl_cassette_record(c, req, strlen(req), "{}", 2, &err), TL_OK, "%s", err.msg);
    tl_cassette_close(c);
    c = open_replay(path);
    tl_buf resp;
    tl_buf_init(&resp, 0);
    cr_expect_eq(tl_cassette_replay(c, req, strlen(req), &resp, &err), TL_OK, "%s", err.msg);
    tl_buf_dispose(&resp);
    tl_cassette_close(c);
}

/* Found by fuzz_cassette: cJSON takes a control byte between tokens for white space, but the
 * fast path hashed the text as it was, so the line recorded did not load again ("request_sha256
 * is not the SHA-256 of the request"). */
Test(cassette, control_bytes_between_tokens_hash_like_the_reader)
{
    char path[512];
    tmp_path(path, sizeof path, "ctl.cassette");
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, NULL, &err), TL_OK);
    const char req[] = "{\"model\"\x19:\"m\",\x01\"messages\":[\x7f]}";
    const char ok[] = "{\"model\"\x19:\"m\",\x01\"messages\":[]}";
    cr_expect_eq(tl_cassette_record(c, req, strlen(req), "{}", 2, &err), TL_EPARSE);
    cr_expect_eq(tl_cassette_record(c, ok, strlen(ok), "{}", 2, &err), TL_OK, "%s", err.msg);
    tl_cassette_close(c);
    c = open_replay(path);
    tl_buf resp;
    tl_buf_init(&resp, 0);
    const char compact[] = "{\"model\":\"m\",\"messages\":[]}";
    cr_expect_eq(tl_cassette_replay(c, compact, strlen(compact), &resp, &err), TL_OK, "%s",
                 err.msg);
    tl_buf_dispose(&resp);
    tl_cassette_close(c);
}

Test(cassette, open_errors_name_the_path)
{
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_expect_eq(tl_cassette_open_record(&c, "/nonexistent-dir/x.cassette", NULL, &err), TL_EIO);
    cr_expect_not_null(strstr(err.msg, "/nonexistent-dir/x.cassette"), "%s", err.msg);
    cr_expect_null(c);
    cr_expect_eq(tl_cassette_open_replay(&c, "/nonexistent-dir/y.cassette", &err), TL_EIO);
    cr_expect_not_null(strstr(err.msg, "/nonexistent-dir/y.cassette"), "%s", err.msg);
    cr_expect_null(c);
    tl_cassette_close(NULL);
}

/* ---- images -------------------------------------------------------------------------------- */

Test(cassette, images_are_left_out_of_the_hash_and_the_file)
{
    char *a = request("screen", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB");
    char *b = request("screen", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAAC");
    char *other = request("another screen", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA");
    char sa[65], sb[65], so[65];
    tl_buf stripped;
    tl_buf_init(&stripped, 0);
    tl_error err = {0};
    cr_assert_eq(tl_cassette_strip(a, strlen(a), &stripped, sa, &err), TL_OK, "%s", err.msg);
    cr_expect_not_null(strstr(stripped.data, "\"image_url\":{\"url\":\"<image>\"}"), "%s",
                       stripped.data);
    cr_expect_null(strstr(stripped.data, "base64"));
    cr_assert_eq(tl_cassette_strip(b, strlen(b), NULL, sb, &err), TL_OK);
    cr_assert_eq(tl_cassette_strip(other, strlen(other), NULL, so, &err), TL_OK);
    cr_expect_str_eq(sa, sb);
    cr_expect_str_neq(sa, so);
    cr_expect_eq(strlen(sa), 64);

    /* an "image_url" given as a plain string is stripped too */
    const char *plain =
        "{\"messages\":[{\"content\":[{\"image_url\":\"data:image/png;base64,AA\"}]}]}";
    tl_buf_clear(&stripped);
    cr_assert_eq(tl_cassette_strip(plain, strlen(plain), &stripped, sa, &err), TL_OK);
    cr_expect_str_eq(stripped.data, "{\"messages\":[{\"content\":[{\"image_url\":\"<image>\"}]}]}");
    cr_expect_eq(tl_cassette_strip("[1,", 3, &stripped, sa, &err), TL_EPARSE);

    /* recorded with one screenshot, replayed with another */
    char path[512];
    tmp_path(path, sizeof path, "img.cassette");
    const char *reqs[] = {a};
    record(path, reqs, 1, NULL);
    char *text = slurp(path);
    cr_expect_null(strstr(text, "base64"), "image data stored: %s", text);
    free(text);
    tl_cassette *c = open_replay(path);
    expect_hit(c, b, responses[0]);
    tl_cassette_close(c);
    tl_buf_dispose(&stripped);
    free(a);
    free(b);
    free(other);
}

/* ---- misses -------------------------------------------------------------------------------- */

Test(cassette, miss_names_the_first_differing_line_of_the_listing)
{
    char path[512];
    tmp_path(path, sizeof path, "miss.cassette");
    char *r1 = request("first screen", NULL), *r2 = request(LISTING_A, NULL);
    const char *reqs[] = {r1, r2};
    record(path, reqs, 2, NULL);
    tl_cassette *c = open_replay(path);
    expect_hit(c, r1, responses[0]);
    char *changed = request(LISTING_B, NULL);
    expect_miss(c, path, changed,
                "exchange 2: messages[1].content differs at line 3: recorded \"[5] Switch "
                "\\\"Dark theme\\\" checked=false clickable (540,924)\", now \"[5] Switch "
                "\\\"Dark theme\\\" checked=true clickable (540,924)\"");
    /* a miss does not consume the exchange */
    expect_hit(c, r2, response2_compact);
    tl_cassette_close(c);
    free(r1);
    free(r2);
    free(changed);
}

Test(cassette, miss_messages_for_each_kind_of_difference)
{
    char path[512];
    tmp_path(path, sizeof path, "kinds.cassette");
    const char *rec = "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":"
                      "\"user\",\"content\":\"hello\"}],\"tool_choice\":\"auto\"}";
    const char *reqs[] = {rec};
    record(path, reqs, 1, NULL);
    tl_cassette *c = open_replay(path);
    expect_miss(c, path,
                "{\"model\":\"qwen\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\"}],\"tool_choice\":\"auto\"}",
                "exchange 1: model differs: recorded \"gpt-4o\", now \"qwen\"");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":2,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\"}],\"tool_choice\":\"auto\"}",
                "exchange 1: n differs: recorded 1, now 2");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":false,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\"}],\"tool_choice\":\"auto\"}",
                "exchange 1: flag differs: recorded true, now false");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\"},{\"role\":\"user\",\"content\":\"again\"}],"
                "\"tool_choice\":\"auto\"}",
                "exchange 1: messages has 2 items, recorded 1");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\"}]}",
                "exchange 1: tool_choice is missing (recorded \"auto\")");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\"}],\"tool_choice\":\"auto\",\"temperature\":0}",
                "exchange 1: temperature is new (now 0)");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]}],\"tool_choice\":\"auto\"}",
                "exchange 1: messages[0].content differs: recorded a string, now an array");
    expect_miss(c, path,
                "{\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,\"messages\":[{\"role\":\"user\","
                "\"content\":\"hello\\nworld\"}],\"tool_choice\":\"auto\"}",
                "exchange 1: messages[0].content differs at line 2: recorded (no such line), "
                "now \"world\"");
    expect_miss(c, path,
                "{\"tool_choice\":\"auto\",\"model\":\"gpt-4o\",\"n\":1,\"flag\":true,"
                "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}",
                "exchange 1: the request differs from the recorded one (members in another "
                "order)");
    expect_hit(c, rec, responses[0]);
    tl_cassette_close(c);
}

Test(cassette, miss_cuts_long_lines)
{
    char path[512];
    tmp_path(path, sizeof path, "long.cassette");
    char longa[600], longb[600];
    memset(longa, 'a', 500);
    longa[500] = '\0';
    memcpy(longb, longa, 501);
    longb[499] = 'b';
    char *r1 = request(longa, NULL), *r2 = request(longb, NULL);
    const char *reqs[] = {r1};
    record(path, reqs, 1, NULL);
    tl_cassette *c = open_replay(path);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err = {0};
    cr_expect_eq(tl_cassette_replay(c, r2, strlen(r2), &out, &err), TL_ENOTFOUND);
    cr_expect(strlen(err.msg) < 420 + strlen(path), "%zu: %s", strlen(err.msg), err.msg);
    /* both sides shown around the difference, near the end of the strings */
    cr_expect_not_null(
        strstr(err.msg, ": exchange 1: messages[1].content differs: recorded ...\"aaa"), "%s",
        err.msg);
    cr_expect_not_null(strstr(err.msg, "aaab\""), "%s", err.msg);
    tl_buf_dispose(&out);
    tl_cassette_close(c);
    free(r1);
    free(r2);
}

/* A miss says it is a cassette miss and which file; a long path keeps its end (the file's name)
 * so that what differed still fits in the message. */
Test(cassette, miss_message_names_the_cassette)
{
    char dir[512], path[768];
    char name[241];
    memset(name, 'd', 240);
    name[240] = '\0';
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/case-07.cassette", dir);
    const char *rec = "{\"model\":\"gpt-4o\",\"messages\":[]}";
    const char *reqs[] = {rec};
    record(path, reqs, 1, NULL);
    tl_cassette *c = open_replay(path);
    tl_buf out;
    tl_buf_init(&out, 0);
    tl_error err = {0};
    const char *now = "{\"model\":\"qwen\",\"messages\":[]}";
    cr_expect_eq(tl_cassette_replay(c, now, strlen(now), &out, &err), TL_ENOTFOUND);
    char want[512];
    snprintf(want, sizeof want,
             "%s/case-07.cassette: exchange 1: model differs: recorded "
             "\"gpt-4o\", now \"qwen\"",
             name + 240 - 183);
    cr_expect_eq(strncmp(err.msg, "cassette miss in ...", 20), 0, "%s", err.msg);
    cr_expect_str_eq(err.msg + 20, want);
    tl_buf_dispose(&out);
    tl_cassette_close(c);
}

/* ---- malformed files ----------------------------------------------------------------------- */

static void expect_malformed(const char *content, const char *want)
{
    char path[512];
    tmp_path(path, sizeof path, "malformed.cassette");
    write_file(path, content);
    tl_cassette *c = NULL;
    tl_error err = {0};
    int rc = tl_cassette_open_replay(&c, path, &err);
    cr_expect_eq(rc, TL_EPARSE, "accepted: %s", content);
    cr_expect_null(c);
    cr_expect_not_null(strstr(err.msg, want), "message: %s\nwanted: %s", err.msg, want);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
    tl_cassette_close(c);
}

Test(cassette, malformed_lines_are_named)
{
    /* a valid cassette of one exchange, to build broken ones from */
    char path[512];
    tmp_path(path, sizeof path, "good.cassette");
    const char *req = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    const char *reqs[] = {req};
    record(path, reqs, 1, "a comment");
    char *good = slurp(path);
    const char *line = strchr(good, '{');

    char buf[4096];
    snprintf(buf, sizeof buf, "# comment\n\n%s{\"n\":2,\"request\":\n", line);
    expect_malformed(buf, "line 4: not JSON (exchange 2)");
    snprintf(buf, sizeof buf, "%s[1,2]\n", line);
    expect_malformed(buf, "line 2: not a JSON object");
    expect_malformed("{\"n\":1,\"request_sha256\":\"00\",\"response\":{}}\n",
                     "line 1: no \"request\" object");
    expect_malformed("{\"n\":1,\"request\":{},\"request_sha256\":\"00\"}\n",
                     "line 1: no \"response\" object");
    expect_malformed("{\"n\":1,\"request\":{},\"request_sha256\":\"00\",\"response\":{}}\n",
                     "line 1: no \"request_sha256\"");
    expect_malformed("# only a comment\n{\"n\":\"one\",\"request\":{},\"request_sha256\":"
                     "\"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\","
                     "\"response\":{}}\n",
                     "line 2: its \"n\" is not an exchange number");
    /* a request edited by hand no longer matches its hash */
    char *edited = strdup(good);
    char *x = strstr(edited, "\"content\":\"x\"");
    cr_assert_not_null(x);
    x[11] = 'y';
    expect_malformed(edited, "line 2: request_sha256 is not the SHA-256 of the request");
    free(edited);

    /* comments, blank lines and CRLF line ends are fine */
    snprintf(buf, sizeof buf, "# c1\r\n\r\n   \n%s", line);
    char *crlf = buf + strlen(buf) - 1;
    cr_assert_eq(*crlf, '\n');
    strcpy(crlf, "\r\n# trailing comment\n");
    tmp_path(path, sizeof path, "ok.cassette");
    write_file(path, buf);
    tl_cassette *c = open_replay(path);
    expect_hit(c, req, responses[0]);
    tl_cassette_close(c);

    /* an empty cassette replays nothing */
    write_file(path, "# nothing recorded\n");
    c = open_replay(path);
    expect_miss(c, path, req, "exchange 1: the cassette has only 0 exchanges");
    tl_cassette_close(c);
    free(good);
}

Test(cassette, wrong_direction_is_refused)
{
    char path[512];
    tmp_path(path, sizeof path, "dir.cassette");
    tl_cassette *c = NULL;
    tl_error err = {0};
    cr_assert_eq(tl_cassette_open_record(&c, path, NULL, &err), TL_OK);
    tl_buf out;
    tl_buf_init(&out, 0);
    cr_expect_eq(tl_cassette_replay(c, "{}", 2, &out, &err), TL_EUSAGE);
    cr_expect_eq(tl_cassette_record(c, "{}", 2, "{}", 2, &err), TL_OK, "%s", err.msg);
    tl_cassette_close(c);
    c = open_replay(path);
    cr_expect_eq(tl_cassette_record(c, "{}", 2, "{}", 2, &err), TL_EUSAGE);
    tl_cassette_close(c);
    tl_buf_dispose(&out);
}

/* ---- the fast path for requests taploop builds --------------------------------------------- */

#include "planner/llm.h"

/*
 * Recording and replaying hash a request taploop built without re-printing it when it is
 * already in canonical form. The hash must be the one the full parse-strip-print gives
 * (tl_cassette_strip), or cassettes recorded before would stop matching: check it on requests
 * full of what JSON escapes and cJSON prints in its own ways.
 */
Test(cassette, fast_path_hashes_like_the_full_strip)
{
    static const char *texts[] = {
        "plain",
        "controls \x01\x02\x1f, tab\t, newline\n, return\r, \b\f, quote \", backslash \\, slash /",
        "unicode é ß 中文 😀, line separator \xe2\x80\xa8, DEL \x7f",
        "numbers 0 -1 1e5 3.25 in text; [12] Switch \"Dark theme\" checked=false (540,924)",
    };
    tl_llm_config cfg = {.base_url = "http://127.0.0.1:9/v1", .model = "m"};
    tl_error err;
    tl_llm *l = tl_llm_new(&cfg, NULL, &err);
    cr_assert_not_null(l);
    char path[512];
    tmp_path(path, sizeof path, "fast.cassette");
    tl_cassette *c = NULL;
    cr_assert_eq(tl_cassette_open_record(&c, path, "fast path", &err), TL_OK, "%s", err.msg);
    char want[4][65];
    for (int i = 0; i < 4; i++) {
        tl_chat chat = {0};
        cr_assert_eq(tl_chat_add(&chat, TL_ROLE_SYSTEM, "system"), TL_OK);
        cr_assert_eq(tl_chat_add(&chat, TL_ROLE_USER, texts[i]), TL_OK);
        tl_buf req;
        tl_buf_init(&req, 0);
        cr_assert_eq(tl_llm_build_request(l, &chat, &req), TL_OK);
        cr_assert_eq(tl_cassette_strip(req.data, req.len, NULL, want[i], &err), TL_OK);
        const char *resp = "{\"choices\":[]}";
        cr_assert_eq(tl_cassette_record(c, req.data, req.len, resp, strlen(resp), &err), TL_OK,
                     "%s", err.msg);
        tl_buf_dispose(&req);
        tl_chat_dispose(&chat);
    }
    tl_cassette_close(c);
    char *file = slurp(path);
    const char *p = file;
    for (int i = 0; i < 4; i++) {
        p = strstr(p, "\"request_sha256\":\"");
        cr_assert_not_null(p, "exchange %d missing", i + 1);
        p += 18;
        cr_assert_eq(strncmp(p, want[i], 64), 0, "exchange %d: %.64s, full strip %s", i + 1, p,
                     want[i]);
    }
    free(file);
    tl_llm_free(l);
}
