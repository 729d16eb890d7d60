/*
 * ui_json.c - single-pass parser of Mobilerun / DroidRun Portal UI trees into the element index.
 *
 * The document is scanned once, left to right, and elements are appended as their objects open,
 * so the array comes out in pre-order without building a DOM. Members the index keeps are copied
 * into the arena (class, package and resource id are interned); every other member is skipped by
 * a validating scanner that allocates nothing. Open node objects live on an explicit frame stack
 * bounded by the depth limit, so deep input costs heap, never C stack.
 *
 * Shapes accepted (see docs/element-index.md):
 *   - {"a11y_tree": node | [nodes], "phone_state": {...}, "device_context": {...}, "ime_tree"}
 *   - that object wrapped as {"status": "success", "result" | "data": object | "json string"}
 *   - a bare node object, or an array of nodes (old Portal, droidrun trajectories)
 * Node members: boundsInScreen{left,top,right,bottom} or "bounds" ("l, t, r, b", "l,t,r,b",
 * "[l,t][r,b]", object or array), className, packageName, resourceId, text, contentDescription,
 * hint, is* flags, children, the old "type", and the uiautomator-style spellings of these.
 *
 * The grammar is strict JSON (RFC 8259): any syntax error, truncation or trailing data is an
 * error naming the byte offset, line and column.
 */
#include "agent/ui_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define JSON_MAX_NEST     512 /* nesting limit of values the index skips */
#define JSON_MAX_WRAPPERS 3   /* {"result": {"result": ...}} levels accepted */
#define KEY_MAX           64  /* longer keys are never ones we know */

enum { STR_ESC = 1, STR_HIGH = 2 };

/* 0: ordinary string byte; 1: quote; 2: backslash; 3: control character; 4: non-ASCII. */
static const unsigned char str_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

struct frame {
    int32_t pos;         /* element of this open node object */
    int32_t last_child;  /* its last child so far, -1 if none */
    int16_t prev_key;    /* dictionary id of the last member name read, -1 at the start */
    int16_t after_value; /* a member was read: ',' or '}' comes next */
};

/*
 * Member names seen in node objects, with the name that followed each last time. Trees repeat
 * the same member order in every node, so the next name is usually predicted right and matched
 * with one memcmp instead of being scanned and classified.
 */
#define KEYDICT_MAX 96
struct keyent {
    const char *lit; /* the quoted name in the input */
    uint32_t len;    /* bytes of lit, quotes included */
    uint32_t bit;    /* flag bit for K_FLAG */
    uint8_t kind;    /* enum node_key */
    int16_t next;    /* id of the name that followed, -1 if unknown */
};

/*
 * Values recently interned for one member, keyed by their raw bytes in the input: a repeated
 * class, package or resource id is recognised before it is decoded, validated or hashed.
 * Direct-mapped; raw pointers point into the document being parsed.
 */
#define ICACHE_SLOTS 64
struct icache_slot {
    const char *raw;
    size_t raw_len;
    const char *str;
};
struct icache {
    struct icache_slot slot[ICACHE_SLOTS];
};

enum { IC_CLASS, IC_PACKAGE, IC_ID, IC_OTHER, IC_COUNT };

struct jp {
    const char *p, *end, *base;
    struct icache ic[IC_COUNT];
    tl_ui *ui;
    tl_error *err;
    tl_buf tmp;           /* decoding scratch for strings with escapes */
    struct frame *frames; /* owned: open node objects */
    size_t frames_cap;
    int32_t last_root; /* last root element appended, -1 if none */
    bool have_tree;    /* an a11y_tree (or node array) was seen */
    bool seen_full;    /* boundsInScreen seen: current Portal shape */
    bool seen_legacy;  /* "bounds" seen: older Portal shape */
    int wrappers;      /* result/data wrapper depth */
    const char *where; /* prefix for messages ("", or "in the result string: ") */
    struct keyent keys[KEYDICT_MAX];
    int nkeys;
    int16_t first_key; /* predicted first name of a node object, -1 if unknown */
};

/* ---- errors -------------------------------------------------------------------------------- */

static int jfail(struct jp *j, const char *at, const char *fmt, ...) TL_PRINTF(3, 4);
static int skip_value(struct jp *j);

static int jfail(struct jp *j, const char *at, const char *fmt, ...)
{
    if (j->err && j->err->code != TL_OK)
        return j->err->code; /* keep the first, innermost message */
    if (at > j->end)
        at = j->end;
    size_t off = (size_t)(at - j->base);
    size_t line = 1, col = 1;
    for (const char *q = j->base; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    const char *found = at >= j->end ? "end of input" : NULL;
    char near[16];
    if (!found) {
        unsigned char c = (unsigned char)*at;
        if (c >= 0x20 && c < 0x7f)
            snprintf(near, sizeof(near), "'%c'", c);
        else
            snprintf(near, sizeof(near), "byte 0x%02x", c);
        found = near;
    }
    return tl_error_set(j->err, TL_EPARSE,
                        "invalid ui-state JSON %sat byte %zu (line %zu, column %zu): %s, found %s",
                        j->where, off, line, col, reason, found);
}

static int joom(struct jp *j)
{
    if (j->err && j->err->code != TL_OK)
        return j->err->code;
    return tl_error_set(j->err, TL_ENOMEM, "out of memory while parsing the UI tree");
}

/* ---- lexical helpers ----------------------------------------------------------------------- */

static inline void ws(struct jp *j)
{
    const char *p = j->p;
    if (p < j->end && (unsigned char)*p > ' ')
        return; /* compact JSON: the common case */
    while (p < j->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    j->p = p;
}

static inline int peek(struct jp *j)
{
    return j->p < j->end ? (unsigned char)*j->p : -1;
}

/* First byte at or after p that is not an ordinary string byte (quote, backslash, control or
 * non-ASCII), or end. Eight bytes at a time where the byte order allows it. */
static inline const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        /* (x - ones) & ~x flags a zero byte exactly at the lowest one; v itself flags bytes
         * >= 0x80, and (v - 0x20..) & ~v bytes below 0x20. */
        uint64_t m = (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v) | v) & highs;
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#endif
    while (p < end && !str_class[*p])
        p++;
    return p;
}

static inline int is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Scan the string at j->p (which is on the opening quote). On success *s and *e delimit the raw
 * content, *fl tells whether it holds escapes or non-ASCII bytes, and j->p is past the closing
 * quote. Escapes are validated here so that skipped strings are checked too.
 */
static int scan_string(struct jp *j, const char **s, const char **e, unsigned *fl)
{
    const unsigned char *p = (const unsigned char *)j->p + 1;
    const unsigned char *end = (const unsigned char *)j->end;
    unsigned f = 0;
    for (;;) {
        p = skip_plain(p, end);
        if (p >= end)
            return jfail(j, j->p, "unterminated string");
        switch (str_class[*p]) {
        case 1:
            *s = j->p + 1;
            *e = (const char *)p;
            *fl = f;
            j->p = (const char *)p + 1;
            return TL_OK;
        case 2:
            f |= STR_ESC;
            if (p + 1 >= end)
                return jfail(j, (const char *)p, "unterminated escape");
            if (p[1] == 'u') {
                if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5]))
                    return jfail(j, (const char *)p, "\\u must be followed by 4 hex digits");
                p += 6;
            } else if (strchr("\"\\/bfnrt", p[1]) && p[1]) {
                p += 2;
            } else {
                return jfail(j, (const char *)p, "invalid escape sequence");
            }
            break;
        case 3: return jfail(j, (const char *)p, "control character inside a string");
        default: f |= STR_HIGH; p++;
        }
    }
}

static unsigned hex4(const char *h)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)h[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Write cp as UTF-8 at o; NUL and code points that cannot be encoded become U+FFFD. */
static size_t put_cp(char *o, uint32_t cp)
{
    size_t n = cp ? tl_utf8_encode(cp, o) : 0;
    return n ? n : tl_utf8_encode(0xFFFD, o);
}

/*
 * Decode a scanned string into j->tmp: escapes resolved, lone surrogates, NUL and invalid UTF-8
 * replaced by U+FFFD. Every input byte yields at most three output bytes (an invalid byte
 * becomes U+FFFD; escapes shrink), so the buffer is reserved once and written directly.
 * @return TL_OK or TL_ENOMEM.
 */
static int decode_into_tmp(struct jp *j, const char *s, const char *e)
{
    tl_buf *b = &j->tmp;
    tl_buf_clear(b);
    size_t n = (size_t)(e - s);
    if (n > SIZE_MAX / 3 || tl_buf_reserve(b, n * 3) != TL_OK)
        return TL_ENOMEM;
    char *o = b->data;
    const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)e;
    while (p < end) {
        if (*p == '\\') {
            char c = (char)p[1];
            if (c == 'u') {
                uint32_t cp = hex4((const char *)p + 2);
                p += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    uint32_t lo = hex4((const char *)p + 2);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                o += put_cp(o, cp);
                continue;
            }
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            *o++ = to[strchr(from, c) - from]; /* scan_string validated the escape */
            p += 2;
        } else if (*p < 0x80) {
            const unsigned char *q = skip_plain(p, end); /* stops at '\\' or non-ASCII */
            memcpy(o, p, (size_t)(q - p));
            o += q - p;
            p = q;
        } else {
            uint32_t cp;
            size_t l = tl_utf8_decode(p, (size_t)(end - p), &cp);
            if (l) {
                memcpy(o, p, l);
                o += l;
                p += l;
            } else {
                o += put_cp(o, 0xFFFD);
                p++;
            }
        }
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return TL_OK;
}

/* Read a string value; *out and *n are borrowed (input or j->tmp) until the next string read. */
static int read_str(struct jp *j, const char **out, size_t *n)
{
    if (peek(j) != '"')
        return jfail(j, j->p, "expected a string");
    const char *s = NULL, *e = NULL;
    unsigned fl;
    int rc = scan_string(j, &s, &e, &fl);
    if (rc)
        return rc;
    if (!(fl & STR_ESC) && (!(fl & STR_HIGH) || tl_utf8_valid(s, (size_t)(e - s)))) {
        *out = s;
        *n = (size_t)(e - s);
        return TL_OK;
    }
    if (decode_into_tmp(j, s, e) != TL_OK)
        return joom(j);
    *out = j->tmp.data;
    *n = j->tmp.len;
    return TL_OK;
}

/* Read a string member into the arena (interned through `cache` when not NULL); values of
 * other types (null, numbers, ...) are validated and ignored. */
/* Slot of a raw value: its length and its first and last eight bytes, mixed. */
static inline size_t icache_hash(const char *raw, size_t n)
{
    uint64_t a = 0, z = 0;
    memcpy(&a, raw, n < 8 ? n : 8);
    memcpy(&z, raw + (n < 8 ? 0 : n - 8), n < 8 ? n : 8);
    uint64_t h = (a ^ (z * 0x9E3779B97F4A7C15ULL) ^ n) * 0xFF51AFD7ED558CCDULL;
    return (size_t)(h >> 40);
}

static int read_kept(struct jp *j, const char **dst, struct icache *cache)
{
    if (peek(j) != '"')
        return skip_value(j); /* null, or a value of another type: nothing to keep */
    if (j->end - j->p >= 2 && j->p[1] == '"') {
        j->p += 2; /* "": most text, description and hint members are empty */
        *dst = "";
        return TL_OK;
    }
    const char *v;
    if (!cache) {
        const char *s;
        size_t n;
        int rc = read_str(j, &s, &n);
        if (rc)
            return rc;
        v = ui_str(j->ui, s, n);
    } else {
        const char *raw, *raw_end;
        unsigned fl;
        int rc = scan_string(j, &raw, &raw_end, &fl);
        if (rc)
            return rc;
        size_t n = (size_t)(raw_end - raw); /* > 0: "" was handled above */
        struct icache_slot *slot = &cache->slot[icache_hash(raw, n) & (ICACHE_SLOTS - 1)];
        if (slot->raw_len == n && ui_bytes_eq(slot->raw, raw, n)) {
            *dst = slot->str;
            return TL_OK;
        }
        const char *s = raw;
        size_t sn = n;
        if ((fl & STR_ESC) || ((fl & STR_HIGH) && !tl_utf8_valid(raw, n))) {
            if (decode_into_tmp(j, raw, raw_end) != TL_OK)
                return joom(j);
            s = j->tmp.data;
            sn = j->tmp.len;
        }
        v = ui_intern(j->ui, s, sn);
        if (v) {
            slot->raw = raw;
            slot->raw_len = n;
            slot->str = v;
        }
    }
    if (!v)
        return joom(j);
    *dst = v;
    return TL_OK;
}

static int read_literal(struct jp *j, int *value)
{
    const char *p = j->p;
    size_t left = (size_t)(j->end - p);
    if (left >= 4 && ui_bytes_eq(p, "true", 4)) {
        *value = 1;
        j->p += 4;
    } else if (left >= 5 && ui_bytes_eq(p, "false", 5)) {
        *value = 0;
        j->p += 5;
    } else if (left >= 4 && ui_bytes_eq(p, "null", 4)) {
        *value = -1;
        j->p += 4;
    } else {
        return jfail(j, p, "expected true, false or null");
    }
    return TL_OK;
}

/* Scan a JSON number; *is_int tells whether it has no fraction or exponent. */
static int scan_number(struct jp *j, const char **s, const char **e, bool *is_int)
{
    const char *p = j->p, *end = j->end;
    *s = p;
    *is_int = true;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return jfail(j, p, "invalid number");
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        *is_int = false;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return jfail(j, p, "invalid number: digits must follow '.'");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *is_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return jfail(j, p, "invalid number: digits must follow the exponent");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    *e = p;
    j->p = p;
    return TL_OK;
}

/* The value of a scanned number. Numbers too long for the stack buffer are copied whole (a cut
 * copy would lose the exponent: 1000...0e-69 is 1). @return TL_OK or TL_ENOMEM. */
static int number_value(struct jp *j, const char *s, const char *e, double *out)
{
    char tmp[64];
    size_t n = (size_t)(e - s);
    char *buf = n < sizeof(tmp) ? tmp : malloc(n + 1);
    if (!buf)
        return joom(j);
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    if (buf != tmp)
        free(buf);
    return TL_OK;
}

/* Read a number as an int32 (fractions truncated, out-of-range values clamped). */
static int read_int(struct jp *j, int32_t *out)
{
    const char *s = NULL, *e = NULL;
    bool is_int = true;
    int rc = scan_number(j, &s, &e, &is_int);
    if (rc)
        return rc;
    if (!is_int) {
        double d = 0;
        rc = number_value(j, s, e, &d);
        if (rc)
            return rc;
        *out = d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN : (int32_t)d;
        return TL_OK;
    }
    const char *p = s;
    bool neg = *p == '-';
    if (neg)
        p++;
    long long v = 0;
    for (; p < e; p++)
        if (v < 10000000000LL)
            v = v * 10 + (*p - '0');
    *out = ui_clamp32(neg ? -v : v);
    return TL_OK;
}

/* read_int for the common case of a plain integer, falling back to the general path. */
static inline int read_int_fast(struct jp *j, int32_t *out)
{
    const char *p = j->p, *end = j->end;
    bool neg = p < end && *p == '-';
    if (neg)
        p++;
    const char *digits = p;
    long long v = 0;
    while (p < end && *p >= '0' && *p <= '9' && p - digits < 10)
        v = v * 10 + (*p++ - '0');
    if (p == digits || p >= end || *p == '.' || *p == 'e' || *p == 'E' ||
        (*p >= '0' && *p <= '9') || (*digits == '0' && p - digits > 1))
        return read_int(j, out);
    j->p = p;
    *out = ui_clamp32(neg ? -v : v);
    return TL_OK;
}

static int read_double(struct jp *j, double *out)
{
    const char *s = NULL, *e = NULL;
    bool is_int = true;
    int rc = scan_number(j, &s, &e, &is_int);
    if (rc)
        return rc;
    return number_value(j, s, e, out);
}

static int expect_colon(struct jp *j)
{
    ws(j);
    if (peek(j) != ':')
        return jfail(j, j->p, "expected ':' after a member name");
    j->p++;
    ws(j);
    return TL_OK;
}

/* Read a member name (j->p on its quote) and the colon after it. *k is valid until the next
 * string read; names longer than KEY_MAX are returned truncated (they match nothing). */
static int read_key(struct jp *j, const char **k, size_t *kn)
{
    if (peek(j) != '"')
        return jfail(j, j->p, "expected a member name in double quotes");
    const char *s = NULL, *e = NULL;
    unsigned fl;
    int rc = scan_string(j, &s, &e, &fl);
    if (rc)
        return rc;
    if (fl & STR_ESC) {
        if (decode_into_tmp(j, s, e) != TL_OK)
            return joom(j);
        s = j->tmp.data;
        e = s + j->tmp.len;
    }
    *k = s;
    *kn = (size_t)(e - s) > KEY_MAX ? KEY_MAX + 1 : (size_t)(e - s);
    return expect_colon(j);
}

/* Skip any value, validating it; containers are walked with a bounded local stack. */
static int skip_value(struct jp *j)
{
    char stack[JSON_MAX_NEST];
    int top = -1;
    for (;;) {
        ws(j);
        int c = peek(j);
        const char *s = NULL, *e = NULL;
        unsigned fl;
        bool is_int;
        int lit;
        int rc = TL_OK;
        switch (c) {
        case '"': rc = scan_string(j, &s, &e, &fl); break;
        case 't':
        case 'f':
        case 'n': rc = read_literal(j, &lit); break;
        case '{':
        case '[':
            if (top + 1 >= JSON_MAX_NEST)
                return jfail(j, j->p, "values nested deeper than %d levels", JSON_MAX_NEST);
            stack[++top] = (char)c;
            j->p++;
            ws(j);
            if (peek(j) == (c == '{' ? '}' : ']')) {
                j->p++;
                top--;
                break;
            }
            if (c == '{') {
                const char *k;
                size_t kn;
                rc = read_key(j, &k, &kn);
                if (rc)
                    return rc;
            }
            continue; /* read the first member's value */
        default:
            if (c == '-' || (c >= '0' && c <= '9'))
                rc = scan_number(j, &s, &e, &is_int);
            else
                return jfail(j, j->p, "expected a JSON value");
        }
        if (rc)
            return rc;
        /* A value is complete: close containers or move to the next member. */
        for (;;) {
            if (top < 0)
                return TL_OK;
            ws(j);
            c = peek(j);
            if (c == ',') {
                j->p++;
                ws(j);
                if (stack[top] == '{') {
                    const char *k;
                    size_t kn;
                    rc = read_key(j, &k, &kn);
                    if (rc)
                        return rc;
                }
                break;
            }
            if ((c == '}' && stack[top] == '{') || (c == ']' && stack[top] == '[')) {
                j->p++;
                top--;
                continue;
            }
            return jfail(j, j->p,
                         stack[top] == '{' ? "expected ',' or '}' in an object"
                                           : "expected ',' or ']' in an array");
        }
    }
}

/*
 * Iterate over the members of the object at j->p ('{'): calls `member` with each name, which
 * must consume the value. Used for the small envelope objects.
 */
typedef int (*member_fn)(struct jp *j, const char *k, size_t kn, void *payload);

static int each_member(struct jp *j, member_fn member, void *payload)
{
    ws(j);
    if (peek(j) != '{')
        return jfail(j, j->p, "expected an object");
    j->p++;
    ws(j);
    if (peek(j) == '}') {
        j->p++;
        return TL_OK;
    }
    for (;;) {
        const char *k;
        size_t kn;
        int rc = read_key(j, &k, &kn);
        if (rc)
            return rc;
        char key[KEY_MAX + 2];
        memcpy(key, k, kn);
        key[kn] = '\0';
        rc = member(j, key, kn, payload);
        if (rc)
            return rc;
        ws(j);
        int c = peek(j);
        if (c == '}') {
            j->p++;
            return TL_OK;
        }
        if (c != ',')
            return jfail(j, j->p, "expected ',' or '}' in an object");
        j->p++;
        ws(j);
    }
}

/* ---- node members -------------------------------------------------------------------------- */

enum node_key {
    K_UNKNOWN,
    K_CLASS,
    K_PACKAGE,
    K_ID,
    K_TEXT,
    K_DESC,
    K_HINT,
    K_BOUNDS_SCREEN,
    K_BOUNDS,
    K_CHILDREN,
    K_TYPE,
    K_FLAG, /* with a flag bit */
};

#define KEYIS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)

static enum node_key classify(const char *k, size_t n, uint32_t *bit)
{
    *bit = 0;
    switch (n) {
    case 4:
        if (KEYIS("text"))
            return K_TEXT;
        if (KEYIS("hint"))
            return K_HINT;
        if (KEYIS("type"))
            return K_TYPE;
        break;
    case 5:
        if (KEYIS("class"))
            return K_CLASS;
        break;
    case 6:
        if (KEYIS("bounds"))
            return K_BOUNDS;
        break;
    case 7:
        if (KEYIS("package"))
            return K_PACKAGE;
        if (KEYIS("checked"))
            return *bit = TL_EL_CHECKED, K_FLAG;
        if (KEYIS("enabled"))
            return *bit = TL_EL_ENABLED, K_FLAG;
        if (KEYIS("focused"))
            return *bit = TL_EL_FOCUSED, K_FLAG;
        if (KEYIS("visible"))
            return *bit = TL_EL_VISIBLE, K_FLAG;
        break;
    case 8:
        if (KEYIS("children"))
            return K_CHILDREN;
        if (KEYIS("selected"))
            return *bit = TL_EL_SELECTED, K_FLAG;
        if (KEYIS("password"))
            return *bit = TL_EL_PASSWORD, K_FLAG;
        if (KEYIS("editable"))
            return *bit = TL_EL_EDITABLE, K_FLAG;
        if (KEYIS("hintText"))
            return K_HINT;
        break;
    case 9:
        if (KEYIS("className"))
            return K_CLASS;
        if (KEYIS("isEnabled"))
            return *bit = TL_EL_ENABLED, K_FLAG;
        if (KEYIS("isChecked"))
            return *bit = TL_EL_CHECKED, K_FLAG;
        if (KEYIS("isFocused"))
            return *bit = TL_EL_FOCUSED, K_FLAG;
        if (KEYIS("clickable"))
            return *bit = TL_EL_CLICKABLE, K_FLAG;
        if (KEYIS("checkable"))
            return *bit = TL_EL_CHECKABLE, K_FLAG;
        if (KEYIS("focusable"))
            return *bit = TL_EL_FOCUSABLE, K_FLAG;
        break;
    case 10:
        if (KEYIS("resourceId"))
            return K_ID;
        if (KEYIS("isEditable"))
            return *bit = TL_EL_EDITABLE, K_FLAG;
        if (KEYIS("isSelected"))
            return *bit = TL_EL_SELECTED, K_FLAG;
        if (KEYIS("isPassword"))
            return *bit = TL_EL_PASSWORD, K_FLAG;
        if (KEYIS("scrollable"))
            return *bit = TL_EL_SCROLLABLE, K_FLAG;
        break;
    case 11:
        if (KEYIS("packageName"))
            return K_PACKAGE;
        if (KEYIS("isClickable"))
            return *bit = TL_EL_CLICKABLE, K_FLAG;
        if (KEYIS("isCheckable"))
            return *bit = TL_EL_CHECKABLE, K_FLAG;
        if (KEYIS("isFocusable"))
            return *bit = TL_EL_FOCUSABLE, K_FLAG;
        if (KEYIS("resource-id"))
            return K_ID;
        if (KEYIS("contentDesc"))
            return K_DESC;
        break;
    case 12:
        if (KEYIS("isScrollable"))
            return *bit = TL_EL_SCROLLABLE, K_FLAG;
        if (KEYIS("content-desc"))
            return K_DESC;
        break;
    case 13:
        if (KEYIS("longClickable"))
            return *bit = TL_EL_LONG_CLICKABLE, K_FLAG;
        break;
    case 14:
        if (KEYIS("boundsInScreen"))
            return K_BOUNDS_SCREEN;
        if (KEYIS("long-clickable"))
            return *bit = TL_EL_LONG_CLICKABLE, K_FLAG;
        break;
    case 15:
        if (KEYIS("isLongClickable"))
            return *bit = TL_EL_LONG_CLICKABLE, K_FLAG;
        if (KEYIS("isVisibleToUser"))
            return *bit = TL_EL_VISIBLE, K_FLAG;
        break;
    case 18:
        if (KEYIS("contentDescription"))
            return K_DESC;
        if (KEYIS("viewIdResourceName"))
            return K_ID;
        break;
    }
    return K_UNKNOWN;
}

/* Parse four integers out of "l, t, r, b", "l,t,r,b" or "[l,t][r,b]". */
static bool parse_bounds_text(const char *s, size_t n, tl_rect *r)
{
    long long v[4];
    int count = 0;
    size_t i = 0;
    while (i < n && count < 4) {
        char c = s[i];
        if (c == '-' || (c >= '0' && c <= '9')) {
            bool neg = c == '-';
            if (neg)
                i++;
            if (i >= n || s[i] < '0' || s[i] > '9')
                return false;
            long long x = 0;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (x < 10000000000LL)
                    x = x * 10 + (s[i] - '0');
                i++;
            }
            v[count++] = neg ? -x : x;
        } else if (c == ' ' || c == ',' || c == '[' || c == ']' || c == '\t') {
            i++;
        } else {
            return false;
        }
    }
    while (i < n && (s[i] == ' ' || s[i] == ']'))
        i++;
    if (count != 4 || i != n)
        return false;
    r->left = ui_clamp32(v[0]);
    r->top = ui_clamp32(v[1]);
    r->right = ui_clamp32(v[2]);
    r->bottom = ui_clamp32(v[3]);
    return true;
}

struct rect_payload {
    tl_rect *r;
    int seen;
};

static int rect_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    struct rect_payload *rp = payload;
    int32_t *dst = NULL;
    if (kn == 4 && memcmp(k, "left", 4) == 0)
        dst = &rp->r->left;
    else if (kn == 3 && memcmp(k, "top", 3) == 0)
        dst = &rp->r->top;
    else if (kn == 5 && memcmp(k, "right", 5) == 0)
        dst = &rp->r->right;
    else if (kn == 6 && memcmp(k, "bottom", 6) == 0)
        dst = &rp->r->bottom;
    if (!dst)
        return skip_value(j);
    rp->seen++;
    return read_int(j, dst);
}

/* Bounds as {left,top,right,bottom}, [l,t,r,b] or a string. */
static int read_bounds(struct jp *j, tl_rect *r)
{
    int c = peek(j);
    if (c == '{') {
        /* Fast path for the exact shape Portal writes; anything else goes the general way. */
        const char *p = j->p;
        if (j->end - p > 8 && ui_bytes_eq(p, "{\"left\":", 8)) {
            static const char *const names[3] = {",\"top\":", ",\"right\":", ",\"bottom\":"};
            static const size_t lens[3] = {7, 9, 10};
            j->p += 8;
            int32_t v[4];
            int rc = read_int_fast(j, &v[0]);
            int i = 0;
            for (; rc == TL_OK && i < 3; i++) {
                if ((size_t)(j->end - j->p) <= lens[i] || !ui_bytes_eq(j->p, names[i], lens[i]))
                    break;
                j->p += lens[i];
                rc = read_int_fast(j, &v[i + 1]);
            }
            if (rc)
                return rc;
            if (i == 3 && j->p < j->end && *j->p == '}') {
                j->p++;
                *r = (tl_rect){v[0], v[1], v[2], v[3]};
                return TL_OK;
            }
            j->p = p;
        }
        struct rect_payload rp = {r, 0};
        return each_member(j, rect_member, &rp);
    }
    if (c == '[') {
        int32_t v[4];
        j->p++;
        for (int i = 0; i < 4; i++) {
            ws(j);
            int rc = read_int(j, &v[i]);
            if (rc)
                return rc;
            ws(j);
            if (peek(j) != (i == 3 ? ']' : ','))
                return jfail(j, j->p, "bounds array must hold four numbers");
            j->p++;
        }
        *r = (tl_rect){v[0], v[1], v[2], v[3]};
        return TL_OK;
    }
    if (c == '"') {
        const char *at = j->p, *s;
        size_t n;
        int rc = read_str(j, &s, &n);
        if (rc)
            return rc;
        if (!parse_bounds_text(s, n, r))
            return jfail(j, at, "bounds must be \"left, top, right, bottom\" or \"[l,t][r,b]\"");
        return TL_OK;
    }
    if (c == 'n')
        return skip_value(j);
    return jfail(j, j->p, "expected bounds (an object, an array or a string)");
}

/* The old Portal "type": the first category the node fell into. */
static void apply_type(tl_element *e, const char *s, size_t n)
{
    static const struct {
        const char *name;
        uint32_t flags;
    } types[] = {
        {"clickable", TL_EL_CLICKABLE},
        {"checkable", TL_EL_CHECKABLE | TL_EL_CLICKABLE},
        {"input", TL_EL_EDITABLE | TL_EL_CLICKABLE},
        {"scrollable", TL_EL_SCROLLABLE},
        {"focusable", TL_EL_FOCUSABLE},
        {"text", 0},
        {"view", 0},
        {"other", 0},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strlen(types[i].name) == n && memcmp(types[i].name, s, n) == 0) {
            e->flags = (e->flags & ~TL_EL_FLAGS_UNKNOWN) | types[i].flags;
            return;
        }
    }
}

static inline void apply_flag(tl_element *e, uint32_t bit, bool on)
{
    e->flags = on ? e->flags | bit : e->flags & ~bit;
    if (bit != TL_EL_VISIBLE)
        e->flags &= ~TL_EL_FLAGS_UNKNOWN; /* the node carries state flags */
}

/* Read one member of node `pos` (not "children"). */
static int node_member(struct jp *j, int32_t pos, enum node_key key, uint32_t bit)
{
    tl_element *e = &j->ui->el[pos];
    int rc, v;
    switch (key) {
    case K_CLASS: return read_kept(j, &e->cls, &j->ic[IC_CLASS]);
    case K_PACKAGE: return read_kept(j, &e->pkg, &j->ic[IC_PACKAGE]);
    case K_ID: return read_kept(j, &e->id, &j->ic[IC_ID]);
    case K_TEXT: return read_kept(j, &e->text, NULL);
    case K_DESC: return read_kept(j, &e->desc, NULL);
    case K_HINT: return read_kept(j, &e->hint, NULL);
    case K_BOUNDS_SCREEN: j->seen_full = true; return read_bounds(j, &e->bounds);
    case K_BOUNDS: j->seen_legacy = true; return read_bounds(j, &e->bounds);
    case K_TYPE: {
        if (peek(j) != '"')
            return skip_value(j);
        const char *s;
        size_t n;
        rc = read_str(j, &s, &n);
        if (rc == TL_OK)
            apply_type(e, s, n);
        return rc;
    }
    case K_FLAG:
        if (peek(j) != 't' && peek(j) != 'f' && peek(j) != 'n')
            return skip_value(j);
        rc = read_literal(j, &v);
        if (rc == TL_OK && v >= 0)
            apply_flag(e, bit, v == 1);
        return rc;
    default: return skip_value(j);
    }
}

/* ---- the node engine ----------------------------------------------------------------------- */

/* Read a node member name and its colon, predicting it from the previous name (*prev). */
static int read_node_key(struct jp *j, int16_t *prev, enum node_key *kind, uint32_t *bit)
{
    int16_t cand = *prev >= 0 ? j->keys[*prev].next : j->first_key;
    if (cand >= 0) {
        const struct keyent *k = &j->keys[cand];
        if ((size_t)(j->end - j->p) > k->len && ui_bytes_eq(j->p, k->lit, k->len)) {
            j->p += k->len;
            *kind = (enum node_key)k->kind;
            *bit = k->bit;
            *prev = cand;
            if (*j->p == ':') {
                j->p++;
                ws(j);
                return TL_OK;
            }
            return expect_colon(j);
        }
    }
    if (peek(j) != '"')
        return jfail(j, j->p, "expected a member name in double quotes");
    const char *start = j->p, *s, *e;
    unsigned fl;
    int rc = scan_string(j, &s, &e, &fl);
    if (rc)
        return rc;
    int16_t id = -1;
    if (fl & STR_ESC) {
        if (decode_into_tmp(j, s, e) != TL_OK)
            return joom(j);
        size_t n = j->tmp.len > KEY_MAX ? KEY_MAX + 1 : j->tmp.len;
        *kind = classify(j->tmp.data, n, bit);
    } else {
        size_t n = (size_t)(e - s) > KEY_MAX ? KEY_MAX + 1 : (size_t)(e - s);
        *kind = classify(s, n, bit);
        uint32_t len = (uint32_t)(j->p - start);
        for (int i = 0; i < j->nkeys; i++) {
            if (j->keys[i].len == len && ui_bytes_eq(j->keys[i].lit, start, len)) {
                id = (int16_t)i;
                break;
            }
        }
        if (id < 0 && j->nkeys < KEYDICT_MAX && len <= KEY_MAX + 2) {
            id = (int16_t)j->nkeys++;
            j->keys[id] = (struct keyent){start, len, *bit, (uint8_t)*kind, -1};
        }
    }
    if (id >= 0) {
        if (*prev >= 0)
            j->keys[*prev].next = id;
        else
            j->first_key = id;
    }
    *prev = id;
    return expect_colon(j);
}

static int push_node(struct jp *j, size_t *top, int32_t parent, int32_t prev, uint32_t depth)
{
    if (depth >= j->ui->max_depth)
        return jfail(j, j->p, "elements nested deeper than %u levels (the limit)",
                     j->ui->max_depth);
    if (*top + 1 >= j->frames_cap) {
        size_t cap = j->frames_cap ? j->frames_cap * 2 : 64;
        struct frame *f = realloc(j->frames, cap * sizeof(*f));
        if (!f)
            return joom(j);
        j->frames = f;
        j->frames_cap = cap;
    }
    int32_t pos = ui_add(j->ui, parent, prev, depth, j->err);
    if (pos < 0) {
        if (j->err->code == TL_ENOMEM)
            return TL_ENOMEM;
        char why[TL_ERROR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", j->err->msg);
        tl_error_clear(j->err);
        return jfail(j, j->p, "%s", why);
    }
    j->ui->el[pos].flags |= TL_EL_FLAGS_UNKNOWN;
    j->p++; /* the '{' */
    struct frame *f = &j->frames[++*top];
    f->pos = pos;
    f->last_child = -1;
    f->prev_key = -1;
    f->after_value = 0;
    return TL_OK;
}

/*
 * Parse node objects and their whole subtrees. j->p is on '[' (an array of nodes) or '{' (one
 * node); they become children of `parent` (-1: roots) at `depth`, after sibling *prev, which is
 * updated to the last node parsed.
 */
static int parse_nodes(struct jp *j, int32_t parent, int32_t *prev, uint32_t depth)
{
    bool array = peek(j) == '[';
    size_t top = (size_t)-1; /* frames[0..top] are open; top+1 == 0 means none */
    int rc;
    if (array) {
        j->p++;
        ws(j);
        if (peek(j) == ']') {
            j->p++;
            return TL_OK;
        }
        if (peek(j) != '{')
            return jfail(j, j->p, "expected a node object");
    }
    rc = push_node(j, &top, parent, *prev, depth);
    if (rc)
        return rc;
    while (top != (size_t)-1) {
        struct frame *f = &j->frames[top];
        ws(j);
        int c = peek(j);
        if (c == '}') {
            j->p++;
            int32_t done = f->pos;
            ui_close(j->ui, done);
            top--;
            ws(j);
            c = peek(j);
            if (top == (size_t)-1) {
                *prev = done;
                if (!array)
                    return TL_OK;
                if (c == ']') {
                    j->p++;
                    return TL_OK;
                }
                if (c != ',')
                    return jfail(j, j->p, "expected ',' or ']' after a node");
                j->p++;
                ws(j);
                if (peek(j) != '{')
                    return jfail(j, j->p, "expected a node object");
                rc = push_node(j, &top, parent, done, depth);
                if (rc)
                    return rc;
                continue;
            }
            struct frame *g = &j->frames[top];
            if (c == ']') {
                j->p++;
                g->after_value = 1;
                continue;
            }
            if (c != ',')
                return jfail(j, j->p, "expected ',' or ']' after a child node");
            j->p++;
            ws(j);
            if (peek(j) != '{')
                return jfail(j, j->p, "expected a child node object");
            int32_t child_parent = g->pos;
            rc = push_node(j, &top, child_parent, done, j->ui->el[child_parent].depth + 1);
            if (rc)
                return rc;
            j->frames[top - 1].last_child = j->frames[top].pos;
            continue;
        }
        if (f->after_value) {
            if (c != ',')
                return jfail(j, j->p, "expected ',' or '}' in a node object");
            j->p++;
            ws(j);
        }
        uint32_t bit = 0;
        enum node_key key = K_UNKNOWN;
        rc = read_node_key(j, &f->prev_key, &key, &bit);
        if (rc)
            return rc;
        f->after_value = 1;
        if (key == K_FLAG || key == K_UNKNOWN) {
            /* Most members are booleans or numbers: handle the plain forms inline. */
            const char *p = j->p;
            if (j->end - p >= 6 && p[0] == 't' && ui_bytes_eq(p, "true", 4)) {
                j->p += 4;
                if (key == K_FLAG)
                    apply_flag(&j->ui->el[f->pos], bit, true);
                continue;
            }
            if (j->end - p >= 6 && p[0] == 'f' && ui_bytes_eq(p + 1, "alse", 4)) {
                j->p += 5;
                if (key == K_FLAG)
                    apply_flag(&j->ui->el[f->pos], bit, false);
                continue;
            }
            if (key == K_UNKNOWN && p < j->end && *p >= '1' && *p <= '9') {
                while (p < j->end && *p >= '0' && *p <= '9')
                    p++;
                if (p < j->end && *p != '.' && *p != 'e' && *p != 'E') {
                    j->p = p;
                    continue;
                }
            }
        }
        if (key != K_CHILDREN) {
            rc = node_member(j, f->pos, key, bit);
            if (rc)
                return rc;
            continue;
        }
        c = peek(j);
        if (c == 'n') {
            rc = skip_value(j);
            if (rc)
                return rc;
            continue;
        }
        if (c != '[')
            return jfail(j, j->p, "\"children\" must be an array of node objects");
        j->p++;
        ws(j);
        if (peek(j) == ']') {
            j->p++;
            continue;
        }
        if (peek(j) != '{')
            return jfail(j, j->p, "expected a child node object");
        int32_t me = f->pos;
        rc = push_node(j, &top, me, f->last_child, j->ui->el[me].depth + 1);
        if (rc)
            return rc;
        j->frames[top - 1].last_child = j->frames[top].pos;
    }
    return TL_OK;
}

/* ---- envelope ------------------------------------------------------------------------------ */

static int read_bool_member(struct jp *j, bool *dst);

static int phone_focused_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    (void)kn;
    tl_ui *ui = payload;
    if (strcmp(k, "text") == 0)
        return read_kept(j, &ui->info.focused_text, NULL);
    if (strcmp(k, "className") == 0)
        return read_kept(j, &ui->focused_class, &j->ic[IC_OTHER]);
    if (strcmp(k, "resourceId") == 0)
        return read_kept(j, &ui->focused_id, &j->ic[IC_OTHER]);
    if (strcmp(k, "isPassword") == 0 || strcmp(k, "password") == 0)
        return read_bool_member(j, &ui->focused_password);
    return skip_value(j);
}

static int read_bool_member(struct jp *j, bool *dst)
{
    int c = peek(j);
    if (c != 't' && c != 'f' && c != 'n')
        return skip_value(j);
    int v = -1;
    int rc = read_literal(j, &v);
    if (rc == TL_OK && v >= 0)
        *dst = v == 1;
    return rc;
}

static int phone_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    (void)kn;
    tl_ui *ui = payload;
    if (strcmp(k, "currentApp") == 0)
        return read_kept(j, &ui->info.app, NULL);
    if (strcmp(k, "packageName") == 0)
        return read_kept(j, &ui->info.package, &j->ic[IC_OTHER]);
    if (strcmp(k, "activityName") == 0 || strcmp(k, "activity") == 0)
        return read_kept(j, &ui->info.activity, NULL);
    if (strcmp(k, "keyboardVisible") == 0)
        return read_bool_member(j, &ui->info.keyboard_visible);
    if (strcmp(k, "isEditable") == 0)
        return read_bool_member(j, &ui->info.editable_focused);
    if (strcmp(k, "focusedElement") == 0 && peek(j) == '{')
        return each_member(j, phone_focused_member, ui);
    return skip_value(j);
}

static int size_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    (void)kn;
    int32_t *wh = payload;
    if (strcmp(k, "width") == 0)
        return read_int(j, &wh[0]);
    if (strcmp(k, "height") == 0)
        return read_int(j, &wh[1]);
    return skip_value(j);
}

struct metrics {
    int32_t w, h;
    double density;
};

static int metrics_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    (void)kn;
    struct metrics *m = payload;
    if (strcmp(k, "widthPixels") == 0)
        return read_int(j, &m->w);
    if (strcmp(k, "heightPixels") == 0)
        return read_int(j, &m->h);
    if (strcmp(k, "density") == 0 && peek(j) != 'n')
        return read_double(j, &m->density);
    return skip_value(j);
}

static int filtering_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    (void)kn;
    tl_ui *ui = payload;
    if (strcmp(k, "overlay_offset") == 0 && peek(j) != 'n')
        return read_int(j, &ui->info.overlay_offset);
    return skip_value(j);
}

static int context_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    (void)kn;
    tl_ui *ui = payload;
    if (strcmp(k, "screen_bounds") == 0 && peek(j) == '{') {
        int32_t wh[2] = {0, 0};
        int rc = each_member(j, size_member, wh);
        if (rc == TL_OK && wh[0] > 0 && wh[1] > 0) {
            ui->info.screen_w = wh[0];
            ui->info.screen_h = wh[1];
            ui->have_screen_bounds = true;
        }
        return rc;
    }
    if (strcmp(k, "display_metrics") == 0 && peek(j) == '{') {
        struct metrics m = {0, 0, 0};
        int rc = each_member(j, metrics_member, &m);
        if (rc == TL_OK) {
            if (m.density > 0 && m.density < 100)
                ui->info.density = m.density;
            if (!ui->have_screen_bounds && m.w > 0 && m.h > 0) {
                ui->info.screen_w = m.w;
                ui->info.screen_h = m.h;
            }
        }
        return rc;
    }
    if (strcmp(k, "filtering_params") == 0 && peek(j) == '{')
        return each_member(j, filtering_member, ui);
    if (strcmp(k, "rotation") == 0 && peek(j) != 'n') {
        int32_t r;
        int rc = read_int(j, &r);
        if (rc == TL_OK)
            ui->info.rotation = ((r % 4) + 4) % 4;
        return rc;
    }
    return skip_value(j);
}

/* The keyboard tree: only its bounds matter (they hide what lies under the keyboard). */
static int ime_member(struct jp *j, const char *k, size_t kn, void *payload)
{
    tl_ui *ui = payload;
    uint32_t bit;
    enum node_key key = classify(k, kn, &bit);
    if (key == K_BOUNDS_SCREEN || key == K_BOUNDS)
        return read_bounds(j, &ui->info.keyboard);
    return skip_value(j);
}

static int parse_document(struct jp *j);

/* "result"/"data" holding the state as a JSON-encoded string: parse that text too. */
static int parse_embedded(struct jp *j)
{
    const char *s = NULL;
    size_t n = 0;
    int rc = read_str(j, &s, &n);
    if (rc)
        return rc;
    char *copy = malloc(n + 1);
    if (!copy)
        return joom(j);
    memcpy(copy, s, n);
    copy[n] = '\0';
    struct jp sub = *j;
    sub.p = sub.base = copy;
    sub.end = copy + n;
    sub.where = "inside the JSON-encoded result string ";
    sub.wrappers = j->wrappers; /* the caller counted this level already */
    tl_buf_init(&sub.tmp, 0);
    rc = parse_document(&sub);
    if (rc == TL_OK && sub.p != sub.end) /* strict inside the string too: no trailing data */
        rc = jfail(&sub, sub.p, "unexpected data after the end of the JSON document");
    tl_buf_wipe(&sub.tmp); /* decoded strings may include a password */
    j->frames = sub.frames;
    j->frames_cap = sub.frames_cap;
    j->last_root = sub.last_root;
    j->have_tree = sub.have_tree;
    j->seen_full |= sub.seen_full;
    j->seen_legacy |= sub.seen_legacy;
    memset(copy, 0, n);
    free(copy);
    return rc;
}

enum top_kind { TOP_UNDECIDED, TOP_ENVELOPE, TOP_NODE };

static bool envelope_key(const char *k)
{
    static const char *const keys[] = {"a11y_tree", "phone_state", "device_context", "ime_tree",
                                       "result",    "data",        "status",         "error",
                                       "message",   "$schema"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    return false;
}

/*
 * The top-level object: an envelope (members a11y_tree, phone_state, ...) or a bare node. Node
 * members create the root element lazily, so member order does not matter.
 */
static int parse_top_object(struct jp *j)
{
    j->p++;
    ws(j);
    int32_t root = -1;
    char status[16] = "";
    const char *error_text = NULL;
    size_t error_len = 0;
    if (peek(j) == '}') {
        j->p++;
        return jfail(j, j->p - 1, "empty object: no accessibility tree");
    }
    for (;;) {
        const char *k;
        size_t kn;
        int rc = read_key(j, &k, &kn);
        if (rc)
            return rc;
        char key[KEY_MAX + 2];
        memcpy(key, k, kn);
        key[kn] = '\0';
        int c = peek(j);
        if (envelope_key(key)) {
            if (strcmp(key, "a11y_tree") == 0) {
                if (root >= 0)
                    return jfail(j, j->p, "the document mixes node members with an a11y_tree");
                if (c == 'n') {
                    rc = skip_value(j);
                } else if (c == '{' || c == '[') {
                    rc = parse_nodes(j, -1, &j->last_root, 0);
                } else {
                    rc = jfail(j, j->p, "a11y_tree must be a node object or an array of nodes");
                }
                j->have_tree = true;
            } else if (strcmp(key, "phone_state") == 0 && c == '{') {
                rc = each_member(j, phone_member, j->ui);
            } else if (strcmp(key, "device_context") == 0 && c == '{') {
                rc = each_member(j, context_member, j->ui);
            } else if (strcmp(key, "ime_tree") == 0 && c == '{') {
                rc = each_member(j, ime_member, j->ui);
            } else if ((strcmp(key, "result") == 0 || strcmp(key, "data") == 0) &&
                       (c == '{' || c == '"' || c == '[')) {
                if (j->wrappers >= JSON_MAX_WRAPPERS)
                    return jfail(j, j->p, "result wrappers nested deeper than %d levels",
                                 JSON_MAX_WRAPPERS);
                const char *at = j->p;
                j->wrappers++;
                rc = c == '"' ? parse_embedded(j) : parse_document(j);
                j->wrappers--;
                /* A wrapped tree after node members: the same mix as the other order. */
                if (rc == TL_OK && root >= 0 && j->have_tree)
                    return jfail(j, at, "the document mixes node members with an a11y_tree");
            } else if (strcmp(key, "status") == 0 && c == '"') {
                const char *s;
                size_t n;
                rc = read_str(j, &s, &n);
                if (rc == TL_OK) {
                    if (n >= sizeof(status))
                        n = sizeof(status) - 1;
                    memcpy(status, s, n);
                    status[n] = '\0';
                }
            } else if ((strcmp(key, "error") == 0 || strcmp(key, "message") == 0) && c == '"') {
                rc = read_kept(j, &error_text, NULL);
                error_len = error_text ? strlen(error_text) : 0;
            } else {
                rc = skip_value(j);
            }
        } else {
            uint32_t bit;
            enum node_key nk = classify(key, kn, &bit);
            if (nk == K_UNKNOWN && root < 0) {
                rc = skip_value(j); /* decides nothing: unknown members are ignored anyway */
            } else {
                if (root < 0) {
                    if (j->have_tree)
                        return jfail(j, j->p, "the document mixes node members with an a11y_tree");
                    root = ui_add(j->ui, -1, j->last_root, 0, j->err);
                    if (root < 0)
                        return joom(j);
                    j->ui->el[root].flags |= TL_EL_FLAGS_UNKNOWN;
                }
                if (nk == K_CHILDREN) {
                    if (c == 'n') {
                        rc = skip_value(j);
                    } else if (c != '[') {
                        rc = jfail(j, j->p, "\"children\" must be an array of node objects");
                    } else {
                        int32_t prev = -1;
                        /* children may come before other members: link after existing ones */
                        for (int32_t ch = j->ui->el[root].first_child; ch >= 0;
                             ch = j->ui->el[ch].next_sibling)
                            prev = ch;
                        rc = parse_nodes(j, root, &prev, 1);
                    }
                } else {
                    rc = node_member(j, root, nk, bit);
                }
            }
        }
        if (rc)
            return rc;
        ws(j);
        c = peek(j);
        if (c == '}') {
            j->p++;
            break;
        }
        if (c != ',')
            return jfail(j, j->p, "expected ',' or '}' in an object");
        j->p++;
        ws(j);
    }
    if (root >= 0) {
        ui_close(j->ui, root);
        j->last_root = root;
        j->have_tree = true;
    }
    if (strcmp(status, "error") == 0 || (!j->have_tree && error_text)) {
        return tl_error_set(
            j->err, TL_EPARSE, "the device reported an error instead of a UI tree: %.*s",
            (int)(error_len > 300 ? 300 : error_len), error_text ? error_text : "(no message)");
    }
    return TL_OK;
}

static int parse_document(struct jp *j)
{
    ws(j);
    int c = peek(j);
    int rc;
    if (c == '[') {
        rc = parse_nodes(j, -1, &j->last_root, 0);
        j->have_tree = true;
    } else if (c == '{') {
        rc = parse_top_object(j);
    } else {
        return jfail(j, j->p, "expected '{' or '['");
    }
    if (rc)
        return rc;
    ws(j);
    return TL_OK;
}

int tl_ui_parse_json(tl_ui *ui, const char *data, size_t len, const tl_ui_options *opts,
                     tl_error *err)
{
    tl_error local;
    if (!err)
        err = &local;
    tl_error_clear(err);
    if (ui_begin(ui, opts, TL_UI_FORMAT_PORTAL, len) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "out of memory for a %zu-byte tree", len);
    struct jp j;
    memset(&j, 0, sizeof(j));
    j.p = j.base = data;
    j.end = data + len;
    j.ui = ui;
    j.err = err;
    j.last_root = -1;
    j.first_key = -1;
    j.where = "";
    tl_buf_init(&j.tmp, 0);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        j.p += 3;
    int rc = parse_document(&j);
    if (rc == TL_OK) {
        ws(&j);
        if (j.p != j.end)
            rc = jfail(&j, j.p, "unexpected data after the end of the JSON document");
    }
    if (rc == TL_OK && !j.have_tree)
        rc = tl_error_set(err, TL_EPARSE,
                          "no accessibility tree in the JSON document (expected an a11y_tree "
                          "member, a node object or an array of nodes)");
    tl_buf_wipe(&j.tmp); /* decoded strings may include a password */
    free(j.frames);
    if (rc == TL_OK) {
        ui->info.format =
            j.seen_full || !j.seen_legacy ? TL_UI_FORMAT_PORTAL : TL_UI_FORMAT_PORTAL_LEGACY;
        rc = ui_finish(ui, opts, err);
    }
    if (rc != TL_OK)
        ui_fail(ui);
    return rc;
}
