/*
 * protocol.c - the sim phone's wire formats: a layout written as the Mobilerun `ui-state` body
 * (../shared/seeds/mobilerun-api-english.txt, "Get UI State") or as a `uiautomator dump` file,
 * byte for byte the shapes real devices send. The observe path parses these texts with the same
 * parsers as for real devices, so the sim exercises them on every step.
 *
 * Nodes are in pre-order with subtree ends, so both writers walk the array once with a stack of
 * open nodes instead of recursing.
 */
#include "drivers/sim/sim_int.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"

static bool rect_visible(const tl_rect *r, int w, int h)
{
    return r->right > 0 && r->bottom > 0 && r->left < w && r->top < h && r->right > r->left &&
           r->bottom > r->top;
}

static int child_count(const struct sim_layout *l, size_t i)
{
    int n = 0;
    for (size_t c = i + 1; c < (size_t)l->nodes[i].end; c = (size_t)l->nodes[c].end)
        n++;
    return n;
}

static int put_flag(tl_buf *b, const char *key, bool v)
{
    int rc = tl_buf_printf(b, ",\"%s\":", key);
    return rc | tl_json_bool(b, v);
}

static int put_str(tl_buf *b, const char *key, const char *v)
{
    int rc = tl_buf_printf(b, ",\"%s\":", key);
    return rc | tl_json_cstr(b, v);
}

int sim_emit_ui_state(const struct sim_layout *l, const struct sim_model *m, tl_buf *out)
{
    int rc = tl_buf_puts(out, "{\"a11y_tree\":");
    int open_ends[64]; /* layouts are a few levels deep; the stack is bounded by construction */
    int top = 0;
    for (size_t i = 0; i < l->n && rc == TL_OK; i++) {
        const struct sim_node *nd = &l->nodes[i];
        while (top > 0 && open_ends[top - 1] <= (int)i) {
            rc |= tl_buf_puts(out, "]}");
            top--;
        }
        if (i > 0 && l->nodes[i - 1].end == (int)i)
            rc |= tl_buf_putc(out, ','); /* a previous sibling was just closed */
        rc |= tl_buf_puts(out, "{\"className\":");
        rc |= tl_json_cstr(out, nd->cls);
        rc |= put_str(out, "packageName", nd->pkg);
        rc |= put_str(out, "resourceId", nd->id);
        rc |= put_str(out, "text", nd->text);
        rc |= put_str(out, "contentDescription", nd->desc);
        rc |= tl_buf_printf(out,
                            ",\"boundsInScreen\":{\"left\":%d,\"top\":%d,\"right\":%d,"
                            "\"bottom\":%d}",
                            nd->bounds.left, nd->bounds.top, nd->bounds.right, nd->bounds.bottom);
        rc |= put_flag(out, "isClickable", nd->clickable);
        rc |= put_flag(out, "isLongClickable", nd->long_clickable);
        rc |= put_flag(out, "isEditable", nd->editable);
        rc |= put_flag(out, "isScrollable", nd->scrollable);
        rc |= put_flag(out, "isEnabled", nd->enabled);
        rc |= put_flag(out, "isVisibleToUser", rect_visible(&nd->bounds, m->width, m->height));
        rc |= put_flag(out, "isCheckable", nd->checkable);
        rc |= put_flag(out, "isChecked", nd->checked);
        rc |= put_flag(out, "isFocusable", nd->focusable);
        rc |= put_flag(out, "isFocused", nd->focused);
        rc |= put_flag(out, "isSelected", false);
        rc |= put_flag(out, "isPassword", nd->password);
        rc |= put_str(out, "hint", nd->hint);
        rc |= tl_buf_printf(out, ",\"childCount\":%d,\"children\":[", child_count(l, i));
        if (nd->end == (int)i + 1) {
            rc |= tl_buf_puts(out, "]}");
        } else if (top < (int)(sizeof(open_ends) / sizeof(open_ends[0]))) {
            open_ends[top++] = nd->end;
        } else {
            return TL_ENOMEM; /* deeper than any layout the sim builds */
        }
    }
    while (top > 0) {
        rc |= tl_buf_puts(out, "]}");
        top--;
    }
    if (l->n == 0)
        rc |= tl_buf_puts(out, "null");

    const struct sim_node *focused = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (l->nodes[i].focused)
            focused = &l->nodes[i];
    rc |= tl_buf_puts(out, ",\"phone_state\":{\"keyboardVisible\":");
    rc |= tl_json_bool(out, l->keyboard && focused);
    rc |= put_str(out, "packageName", l->package ? l->package : "");
    rc |= put_str(out, "currentApp", l->app_label ? l->app_label : "");
    rc |= put_str(out, "activityName", l->activity ? l->activity : "");
    rc |= put_flag(out, "isEditable", focused && focused->editable);
    rc |= tl_buf_puts(out, ",\"focusedElement\":{\"className\":");
    rc |= tl_json_cstr(out, focused ? focused->cls : "");
    rc |= put_str(out, "resourceId", focused ? focused->id : "");
    rc |= put_str(out, "text", focused ? focused->text : "");
    rc |= tl_buf_puts(out, "}}");
    rc |= tl_buf_printf(out,
                        ",\"device_context\":{\"screen_bounds\":{\"width\":%d,\"height\":%d},"
                        "\"display_metrics\":{\"density\":",
                        m->width, m->height);
    rc |= tl_json_double(out, m->density);
    rc |=
        tl_buf_printf(out, ",\"densityDpi\":%d,\"scaledDensity\":", (int)(m->density * 160 + 0.5));
    rc |= tl_json_double(out, m->density);
    rc |= tl_buf_printf(out,
                        ",\"widthPixels\":%d,\"heightPixels\":%d},\"filtering_params\":"
                        "{\"min_element_size\":5,\"overlay_offset\":0}}}",
                        m->width, m->height);
    return rc ? TL_ENOMEM : TL_OK;
}

/* An attribute value as KXmlSerializer writes it (with &quot; for the delimiter). */
static int xml_attr(tl_buf *b, const char *name, const char *v)
{
    int rc = tl_buf_printf(b, " %s=\"", name);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '&': rc |= tl_buf_puts(b, "&amp;"); break;
        case '<': rc |= tl_buf_puts(b, "&lt;"); break;
        case '>': rc |= tl_buf_puts(b, "&gt;"); break;
        case '"': rc |= tl_buf_puts(b, "&quot;"); break;
        default:
            if (*p < 0x20)
                rc |= tl_buf_printf(b, "&#%u;", *p);
            else
                rc |= tl_buf_putc(b, (char)*p);
        }
    }
    return rc | tl_buf_putc(b, '"');
}

static int xml_bool(tl_buf *b, const char *name, bool v)
{
    return tl_buf_printf(b, " %s=\"%s\"", name, v ? "true" : "false");
}

int sim_emit_uiautomator(const struct sim_layout *l, tl_buf *out)
{
    int rc = tl_buf_puts(out, "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
                              "<hierarchy rotation=\"0\">");
    int open_ends[64];
    int top = 0;
    int index_in_parent[65] = {0}; /* one more than open_ends: a child's slot */
    for (size_t i = 0; i < l->n; i++) {
        const struct sim_node *nd = &l->nodes[i];
        while (top > 0 && open_ends[top - 1] <= (int)i) {
            rc |= tl_buf_puts(out, "</node>");
            top--;
        }
        if (top >= (int)(sizeof(open_ends) / sizeof(open_ends[0])))
            return TL_ENOMEM;
        int idx = index_in_parent[top]++;
        index_in_parent[top + 1] = 0;
        /* uiautomator reports bounds clipped to the display */
        tl_rect r = nd->bounds;
        const tl_rect *root = &l->nodes[0].bounds;
        if (r.left < root->left)
            r.left = root->left;
        if (r.top < root->top)
            r.top = root->top;
        if (r.right > root->right)
            r.right = root->right;
        if (r.bottom > root->bottom)
            r.bottom = root->bottom;
        if (r.right < r.left)
            r.right = r.left;
        if (r.bottom < r.top)
            r.bottom = r.top;
        rc |= tl_buf_printf(out, "<node index=\"%d\"", idx);
        rc |= xml_attr(out, "text", nd->text);
        rc |= xml_attr(out, "resource-id", nd->id);
        rc |= xml_attr(out, "class", nd->cls);
        rc |= xml_attr(out, "package", nd->pkg);
        rc |= xml_attr(out, "content-desc", nd->desc);
        rc |= xml_bool(out, "checkable", nd->checkable);
        rc |= xml_bool(out, "checked", nd->checked);
        rc |= xml_bool(out, "clickable", nd->clickable);
        rc |= xml_bool(out, "enabled", nd->enabled);
        rc |= xml_bool(out, "focusable", nd->focusable);
        rc |= xml_bool(out, "focused", nd->focused);
        rc |= xml_bool(out, "scrollable", nd->scrollable);
        rc |= xml_bool(out, "long-clickable", nd->long_clickable);
        rc |= xml_bool(out, "password", nd->password);
        rc |= xml_bool(out, "selected", false);
        if (nd->hint[0])
            rc |= xml_attr(out, "hint", nd->hint);
        rc |= tl_buf_printf(out, " bounds=\"[%d,%d][%d,%d]\"", r.left, r.top, r.right, r.bottom);
        if (nd->end == (int)i + 1) {
            rc |= tl_buf_puts(out, " />");
        } else {
            rc |= tl_buf_putc(out, '>');
            open_ends[top++] = nd->end;
        }
    }
    while (top > 0) {
        rc |= tl_buf_puts(out, "</node>");
        top--;
    }
    rc |= tl_buf_puts(out, "</hierarchy>");
    return rc ? TL_ENOMEM : TL_OK;
}
