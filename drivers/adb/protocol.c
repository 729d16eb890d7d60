/*
 * protocol.c - the adb host protocol without I/O (see protocol.h): socket specs, request
 * framing, status and block replies, the device listing, the shell exit-status marker.
 *
 * A request is the service's length in 4 hex digits and the service ("000chost:version"). The
 * server answers "OKAY" or "FAIL" + 4 hex digits + a message; host queries then send one
 * length-prefixed block; device services (after host:transport:SERIAL) send raw bytes until the
 * connection closes. The parsers here work on whatever prefix of a reply has arrived, so the
 * client (client.c) can read in bounded slices and stop as soon as a reply is complete.
 */
#include "drivers/adb/protocol.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

/* ---- small helpers -------------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (4 bytes available). */
static bool hex4(const char *p, size_t *value)
{
    size_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hexval(p[i]);
        if (d < 0)
            return false;
        v = v * 16 + (size_t)d;
    }
    *value = v;
    return true;
}

static bool printable(unsigned char c)
{
    return c >= 0x20 && c < 0x7f;
}

void tl_adb_excerpt(char *out, size_t size, const char *data, size_t len)
{
    if (size == 0)
        return;
    size_t n = 0;
    bool cut = false;
    size_t i = 0;
    /* skip leading blank lines so that the excerpt shows the first words that came */
    while (i < len && (data[i] == '\n' || data[i] == '\r' || data[i] == ' '))
        i++;
    for (; i < len; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            cut = i + 1 < len;
            break;
        }
        if (n + 1 >= size) {
            cut = true;
            break;
        }
        out[n++] = printable((unsigned char)data[i]) ? data[i] : '?';
    }
    if (cut && size > 4) {
        if (n + 4 > size)
            n = size - 4;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* A copy of n bytes with control bytes replaced by '?'. Caller frees. */
static char *clean_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    d[n] = '\0';
    return d;
}

/* ---- socket specs --------------------------------------------------------------------------- */

static bool parse_port(const char *s, int *port)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

static bool valid_host(const char *s, size_t n)
{
    if (n == 0 || n >= 256)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!printable((unsigned char)s[i]) || s[i] == ' ' || s[i] == '/' || s[i] == '[' ||
            s[i] == ']')
            return false;
    return true;
}

static int spec_error(tl_error *err, const char *spec, const char *why)
{
    char shown[96];
    tl_adb_excerpt(shown, sizeof(shown), spec, strlen(spec));
    return tl_error_set(err, TL_EUSAGE, "\"%s\" is not an adb server socket: %s", shown, why);
}

static int parse_tcp(tl_adb_socket_spec *out, const char *spec, const char *rest, tl_error *err)
{
    const char *port;
    const char *host;
    size_t host_len;
    if (rest[0] == '[') {
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':')
            return spec_error(err, spec, "write an IPv6 address as tcp:[ADDRESS]:PORT");
        host = rest + 1;
        host_len = (size_t)(close - host);
        port = close + 2;
    } else {
        const char *colon = strchr(rest, ':');
        if (!colon) {
            host = "127.0.0.1";
            host_len = strlen(host);
            port = rest;
        } else {
            if (strchr(colon + 1, ':'))
                return spec_error(err, spec, "write an IPv6 address as tcp:[ADDRESS]:PORT");
            host = rest;
            host_len = (size_t)(colon - rest);
            port = colon + 1;
        }
    }
    if (!valid_host(host, host_len))
        return spec_error(err, spec, "the host is empty or holds a space or control character");
    if (!parse_port(port, &out->port))
        return spec_error(err, spec, "the port must be a number from 1 to 65535");
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    out->kind = TL_ADB_SOCK_TCP;
    return TL_OK;
}

int tl_adb_parse_socket_spec(tl_adb_socket_spec *out, const char *spec, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!spec || !spec[0])
        return tl_error_set(err, TL_EUSAGE, "the adb server socket is empty");
    snprintf(out->text, sizeof(out->text), "%s", spec);
    const char *rest;
    if (tl_str_starts(spec, "tcp:"))
        return parse_tcp(out, spec, spec + 4, err);
    tl_adb_sock_kind kind;
    if (tl_str_starts(spec, "localfilesystem:")) {
        kind = TL_ADB_SOCK_UNIX;
        rest = spec + strlen("localfilesystem:");
    } else if (tl_str_starts(spec, "local:")) {
        kind = TL_ADB_SOCK_UNIX;
        rest = spec + strlen("local:");
    } else if (tl_str_starts(spec, "localabstract:")) {
        kind = TL_ADB_SOCK_ABSTRACT;
        rest = spec + strlen("localabstract:");
    } else {
        return spec_error(err, spec,
                          "use tcp:HOST:PORT (the default is " TL_ADB_DEFAULT_SOCKET
                          "), localfilesystem:PATH or localabstract:NAME");
    }
    size_t n = strlen(rest);
    if (n == 0)
        return spec_error(err, spec, "the socket path is empty");
    if (n >= sizeof(out->path) - 1)
        return spec_error(err, spec, "the socket path is longer than 106 bytes");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)rest[i] < 0x20)
            return spec_error(err, spec, "the socket path holds a control character");
    memcpy(out->path, rest, n + 1);
    out->kind = kind;
    return TL_OK;
}

int tl_adb_socket_from_env(tl_adb_socket_spec *out, const char *value, tl_error *err)
{
    if (!value || !value[0])
        return tl_adb_parse_socket_spec(out, TL_ADB_DEFAULT_SOCKET, err);
    int rc = tl_adb_parse_socket_spec(out, value, err);
    if (rc)
        tl_error_prefix(err, "ADB_SERVER_SOCKET: ");
    return rc;
}

/* ---- requests and replies ------------------------------------------------------------------- */

int tl_adb_frame(tl_buf *out, const char *service, tl_error *err)
{
    size_t n = service ? strlen(service) : 0;
    if (n == 0)
        return tl_error_set(err, TL_EUSAGE, "adb: empty request");
    if (n > TL_ADB_MAX_REQUEST)
        return tl_error_set(err, TL_EUSAGE,
                            "adb: the request is %zu bytes; the protocol carries at most %d", n,
                            TL_ADB_MAX_REQUEST);
    char len[5];
    snprintf(len, sizeof(len), "%04x", (unsigned)n);
    if (tl_buf_reserve(out, n + 4) != TL_OK)
        return tl_error_set(err, TL_ENOMEM, "adb: out of memory framing a request");
    tl_buf_append(out, len, 4);
    tl_buf_append(out, service, n);
    return TL_OK;
}

static int bad_reply(tl_error *err, const char *what, const char *buf, size_t len)
{
    char shown[64];
    tl_adb_excerpt(shown, sizeof(shown), buf, len);
    return tl_error_set(err, TL_EBADRESP, "adb server: %s (got \"%s\")", what, shown);
}

int tl_adb_parse_status(const char *buf, size_t len, tl_adb_status *out, tl_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t head = len < 4 ? len : 4;
    bool okay = memcmp(buf, "OKAY", head) == 0;
    bool fail = memcmp(buf, "FAIL", head) == 0;
    if (!okay && !fail)
        return bad_reply(err, "expected OKAY or FAIL", buf, len);
    if (len < 4)
        return TL_ADB_INCOMPLETE;
    if (okay) {
        out->okay = true;
        out->consumed = 4;
        return TL_OK;
    }
    for (size_t i = 4; i < len && i < 8; i++)
        if (hexval(buf[i]) < 0)
            return bad_reply(err, "FAIL without a 4-hex-digit message length", buf, len);
    if (len < 8)
        return TL_ADB_INCOMPLETE;
    size_t n = 0;
    if (!hex4(buf + 4, &n)) /* checked above; kept for the reader and the compiler */
        return bad_reply(err, "FAIL without a 4-hex-digit message length", buf, len);
    if (len - 8 < n)
        return TL_ADB_INCOMPLETE;
    out->msg = buf + 8;
    out->msg_len = n;
    out->consumed = 8 + n;
    return TL_OK;
}

int tl_adb_parse_block(const char *buf, size_t len, const char **payload, size_t *payload_len,
                       size_t *consumed, tl_error *err)
{
    *payload = NULL;
    *payload_len = 0;
    *consumed = 0;
    for (size_t i = 0; i < len && i < 4; i++)
        if (hexval(buf[i]) < 0)
            return bad_reply(err, "expected a 4-hex-digit length", buf, len);
    if (len < 4)
        return TL_ADB_INCOMPLETE;
    size_t n = 0;
    if (!hex4(buf, &n))
        return bad_reply(err, "expected a 4-hex-digit length", buf, len);
    if (len - 4 < n)
        return TL_ADB_INCOMPLETE;
    *payload = buf + 4;
    *payload_len = n;
    *consumed = 4 + n;
    return TL_OK;
}

int tl_adb_parse_version(const char *payload, size_t len, int *version, tl_error *err)
{
    size_t v = 0;
    if (len != 4 || !hex4(payload, &v))
        return bad_reply(err, "host:version answered something other than 4 hex digits", payload,
                         len);
    *version = (int)v;
    return TL_OK;
}

/* ---- host:devices-l ------------------------------------------------------------------------- */

void tl_adb_devices_dispose(tl_adb_devices *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        tl_adb_device *d = &l->items[i];
        free(d->serial);
        free(d->state);
        free(d->product);
        free(d->model);
        free(d->device);
        free(d->usb);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* The keys adb writes after the state; the first token starting with one ends the state. */
static const char *const known_keys[] = {
    "usb:", "product:", "model:", "device:", "transport_id:", NULL};

static bool starts_with_n(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

static bool is_key_token(const char *tok, size_t n)
{
    for (size_t i = 0; known_keys[i]; i++)
        if (starts_with_n(tok, n, known_keys[i]))
            return true;
    return false;
}

static long parse_id(const char *s, size_t n)
{
    if (n == 0 || n > 18)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parse one non-blank line into d (zeroed). */
static int parse_device_line(tl_adb_device *d, const char *line, size_t n, size_t lineno,
                             tl_error *err)
{
    static const char no_serial[] = "(no serial number)";
    size_t i = 0;
    while (i < n && is_space(line[i]))
        i++;
    size_t s0 = i;
    if (starts_with_n(line + i, n - i, no_serial))
        i += sizeof(no_serial) - 1;
    else
        while (i < n && !is_space(line[i]))
            i++;
    size_t s1 = i;
    while (i < n && is_space(line[i]))
        i++;
    /* the state: every token up to the first key:value one */
    size_t st0 = i, st1 = i;
    while (i < n) {
        size_t t0 = i;
        while (i < n && !is_space(line[i]))
            i++;
        if (is_key_token(line + t0, i - t0)) {
            i = t0;
            break;
        }
        st1 = i;
        while (i < n && is_space(line[i]))
            i++;
    }
    if (st1 == st0) {
        char shown[80];
        tl_adb_excerpt(shown, sizeof(shown), line, n);
        return tl_error_set(err, TL_EBADRESP,
                            "adb server: device list line %zu has no state: \"%s\"", lineno, shown);
    }
    d->transport_id = -1;
    d->serial = clean_dup(line + s0, s1 - s0);
    d->state = clean_dup(line + st0, st1 - st0);
    const char *fields[4] = {"", "", "", ""}; /* usb product model device */
    size_t lens[4] = {0, 0, 0, 0};
    static const char *const keys[4] = {"usb:", "product:", "model:", "device:"};
    while (i < n) {
        while (i < n && is_space(line[i]))
            i++;
        size_t t0 = i;
        while (i < n && !is_space(line[i]))
            i++;
        const char *tok = line + t0;
        size_t tn = i - t0;
        if (starts_with_n(tok, tn, "transport_id:")) {
            d->transport_id = parse_id(tok + 13, tn - 13);
            continue;
        }
        for (int k = 0; k < 4; k++)
            if (starts_with_n(tok, tn, keys[k])) {
                /* the devpath keeps its "usb:" prefix, as adb prints and matches it */
                size_t skip = k == 0 ? 0 : strlen(keys[k]);
                fields[k] = tok + skip;
                lens[k] = tn - skip;
                break;
            }
    }
    d->usb = clean_dup(fields[0], lens[0]);
    d->product = clean_dup(fields[1], lens[1]);
    d->model = clean_dup(fields[2], lens[2]);
    d->device = clean_dup(fields[3], lens[3]);
    if (!d->serial || !d->state || !d->usb || !d->product || !d->model || !d->device)
        return tl_error_set(err, TL_ENOMEM, "adb: out of memory reading the device list");
    return TL_OK;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

int tl_adb_parse_devices(tl_adb_devices *out, const char *text, size_t len, tl_error *err)
{
    size_t pos = 0, lineno = 0;
    int rc = TL_OK;
    while (pos < len && rc == TL_OK) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (blank(line, n) || starts_with_n(line, n, "List of devices attached"))
            continue;
        if (out->n >= TL_ADB_MAX_DEVICES) {
            rc = tl_error_set(err, TL_EBADRESP, "adb server: more than %d devices listed",
                              TL_ADB_MAX_DEVICES);
            break;
        }
        tl_adb_device *p = realloc(out->items, (out->n + 1) * sizeof(*p));
        if (!p) {
            rc = tl_error_set(err, TL_ENOMEM, "adb: out of memory reading the device list");
            break;
        }
        out->items = p;
        memset(&p[out->n], 0, sizeof(*p));
        out->n++; /* counted first, so that dispose frees what a failed line allocated */
        rc = parse_device_line(&p[out->n - 1], line, n, lineno, err);
    }
    if (rc != TL_OK)
        tl_adb_devices_dispose(out);
    return rc;
}

const tl_adb_device *tl_adb_devices_find(const tl_adb_devices *l, const char *target,
                                         bool *ambiguous)
{
    if (ambiguous)
        *ambiguous = false;
    if (!target || !target[0])
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].serial, target) == 0)
            return &l->items[i];
    const tl_adb_device *found = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const tl_adb_device *d = &l->items[i];
        bool match =
            (tl_str_starts(target, "product:") && d->product[0] &&
             strcmp(d->product, target + 8) == 0) ||
            (tl_str_starts(target, "model:") && d->model[0] && strcmp(d->model, target + 6) == 0) ||
            (tl_str_starts(target, "device:") && d->device[0] &&
             strcmp(d->device, target + 7) == 0) ||
            (d->usb[0] && strcmp(d->usb, target) == 0);
        if (!match)
            continue;
        if (found) {
            if (ambiguous)
                *ambiguous = true;
            return NULL;
        }
        found = d;
    }
    return found;
}

bool tl_adb_state_ready(const char *state)
{
    return state && strcmp(state, "device") == 0;
}

const char *tl_adb_state_advice(const char *state)
{
    if (!state)
        return "check `adb devices -l`";
    if (strcmp(state, "device") == 0)
        return "the device is ready";
    if (strcmp(state, "unauthorized") == 0)
        return "unlock the phone and accept the \"Allow USB debugging?\" prompt (the RSA key "
               "fingerprint), then try again";
    if (strcmp(state, "authorizing") == 0)
        return "the phone is being authorized: accept the prompt on the phone and try again in a "
               "few seconds";
    if (strcmp(state, "connecting") == 0)
        return "adb is still connecting to the phone: try again in a few seconds, or pass --wait";
    if (strcmp(state, "offline") == 0)
        return "the phone does not answer adb: unplug and replug the cable, or run `adb "
               "reconnect`";
    if (strncmp(state, "no permissions", 14) == 0)
        return "the adb server may not open the USB device: add a udev rule for the phone "
               "(https://developer.android.com/studio/run/device) and replug it";
    if (strcmp(state, "bootloader") == 0 || strcmp(state, "recovery") == 0 ||
        strcmp(state, "rescue") == 0 || strcmp(state, "sideload") == 0 ||
        strcmp(state, "fastbootd") == 0)
        return "the phone is not running Android: reboot it normally";
    return "check the phone and `adb devices -l`";
}

/* ---- the shell exit-status marker ----------------------------------------------------------- */

int tl_adb_shell_service(tl_buf *out, const char *cmdline, tl_error *err)
{
    if (!cmdline || !cmdline[0])
        return tl_error_set(err, TL_EUSAGE, "adb: empty shell command");
    if (strpbrk(cmdline, "\n\r"))
        return tl_error_set(err, TL_EUSAGE, "adb: a shell command line must be one line");
    size_t before = out->len;
    int rc = tl_buf_puts(out, "shell:");
    if (rc == TL_OK)
        rc = tl_buf_puts(out, cmdline);
    if (rc == TL_OK)
        rc = tl_buf_puts(out, "; echo " TL_ADB_EXIT_MARKER "$?");
    if (rc != TL_OK) {
        out->len = before;
        if (out->data)
            out->data[before] = '\0';
        return tl_error_set(err, TL_ENOMEM, "adb: out of memory building a shell command");
    }
    return TL_OK;
}

/* The last occurrence of needle in the n bytes at hay, or NULL. */
static const char *last_occurrence(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (n < k)
        return NULL;
    for (size_t i = n - k + 1; i-- > 0;)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
            return hay + i;
    return NULL;
}

int tl_adb_split_exit(const char *out, size_t len, size_t *body_len, int *status, tl_error *err)
{
    *body_len = len;
    *status = -1;
    /* the marker and the status come last: look only at the tail */
    size_t tail = len < 32 ? len : 32;
    const char *m = last_occurrence(out + len - tail, tail, TL_ADB_EXIT_MARKER);
    if (m) {
        const char *p = m + strlen(TL_ADB_EXIT_MARKER);
        const char *end = out + len;
        int v = 0, digits = 0;
        while (p < end && *p >= '0' && *p <= '9' && digits < 4) {
            v = v * 10 + (*p - '0');
            p++;
            digits++;
        }
        if (p < end && *p == '\r')
            p++;
        if (digits > 0 && v <= 255 && p + 1 == end && *p == '\n') {
            *body_len = (size_t)(m - out);
            *status = v;
            return TL_OK;
        }
    }
    return tl_error_set(err, TL_EBADRESP,
                        "the shell output ended before the command's exit status (%zu bytes "
                        "came; the connection closed early)",
                        len);
}

bool tl_adb_png_complete(const char *data, size_t len)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    return len >= sizeof(sig) + sizeof(iend) && memcmp(data, sig, sizeof(sig)) == 0 &&
           memcmp(data + len - sizeof(iend), iend, sizeof(iend)) == 0;
}
