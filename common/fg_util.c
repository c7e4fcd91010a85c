/*  =========================================================================
    fg_util - small helpers shared by every fogrid program
    =========================================================================  */
#include "fogrid.h"
#include <arpa/inet.h>
#include <sodium.h>

bool fg_verbose = false;

static int64_t s_clock_skew = 0;        //  fg_clock_advance: read by every thread

int64_t
fg_now_ms (void)
{
    return zclock_time () + __atomic_load_n (&s_clock_skew, __ATOMIC_RELAXED);
}

void
fg_clock_advance (int64_t ms)
{
    __atomic_add_fetch (&s_clock_skew, ms, __ATOMIC_RELAXED);
}

void
fg_id_new (const char *prefix, char *buf, size_t size)
{
    unsigned char raw [6];
    randombytes_buf (raw, sizeof raw);
    snprintf (buf, size, "%s-%02x%02x%02x%02x%02x%02x", prefix,
              raw [0], raw [1], raw [2], raw [3], raw [4], raw [5]);
}

bool
fg_name_valid (const char *name)
{
    if (!name)
        return false;
    size_t len = strlen (name);
    if (len == 0 || len > 63 || name [0] == '-' || name [len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

bool
fg_text_valid (const char *s, size_t max)
{
    if (!s)
        return false;
    size_t i;
    for (i = 0; s [i]; i++) {
        if (i >= max || (unsigned char) s [i] < 0x20 || (unsigned char) s [i] > 0x7e)
            return false;
    }
    return true;
}

size_t
fg_utf8_length (const unsigned char *text, size_t left)
{
    unsigned char lead = text [0];
    size_t length = lead < 0x80? 1: (lead & 0xe0) == 0xc0? 2: (lead & 0xf0) == 0xe0? 3
                  : (lead & 0xf8) == 0xf0? 4: 0;
    if (length == 0 || length > left)
        return 0;
    uint32_t point = length == 1? lead: lead & (0x7f >> length);
    for (size_t index = 1; index < length; index++) {
        if ((text [index] & 0xc0) != 0x80)
            return 0;
        point = (point << 6) | (text [index] & 0x3f);
    }
    static const uint32_t s_least [5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (point < s_least [length] || (point >= 0xd800 && point <= 0xdfff) || point > 0x10ffff)
        return 0;
    return length;
}

bool
fg_utf8_valid (const char *text)
{
    size_t left = strlen (text);
    while (left) {
        size_t length = fg_utf8_length ((const unsigned char *) text, left);
        if (length == 0)
            return false;
        text += length;
        left -= length;
    }
    return true;
}

int
fg_path_normal (const char *path, size_t max, char *buf, size_t size)
{
    if (!path || !*path || !fg_text_valid (path, max) || size == 0)
        return -1;
    size_t len = 0;
    const char *part = path;
    while (*part) {
        size_t part_len = strcspn (part, "/");
        bool skip = part_len == 0 || (part_len == 1 && part [0] == '.');
        if (part_len == 2 && part [0] == '.' && part [1] == '.')
            return -1;
        if (!skip) {
            if (len + (len? 1: 0) + part_len + 1 > size)
                return -1;
            if (len)
                buf [len++] = '/';
            memcpy (buf + len, part, part_len);
            len += part_len;
        }
        part += part_len;
        if (*part == '/')
            part++;
    }
    buf [len] = 0;
    return len? 0: -1;
}

bool
fg_path_relative_valid (const char *path, size_t max)
{
    char normal [4096];
    return path && strlen (path) < sizeof normal
        && fg_path_normal (path, max, normal, sizeof normal) == 0 && streq (normal, path);
}

int
fg_endpoint_parse (const char *endpoint, char *transport, size_t tsize,
                   char *host, size_t hsize, uint16_t *port)
{
    if (!endpoint)
        return -1;
    const char *sep = strstr (endpoint, "://");
    if (!sep || (size_t) (sep - endpoint) >= tsize || sep == endpoint)
        return -1;
    memcpy (transport, endpoint, sep - endpoint);
    transport [sep - endpoint] = 0;
    const char *h = sep + 3;
    const char *colon = strrchr (h, ':');
    if (!colon || colon == h || (size_t) (colon - h) >= hsize)
        return -1;
    memcpy (host, h, colon - h);
    host [colon - h] = 0;
    char *end = NULL;
    long p = strtol (colon + 1, &end, 10);
    if (!end || *end || end == colon + 1 || p <= 0 || p > 65535)
        return -1;
    *port = (uint16_t) p;
    return 0;
}

int
fg_address_parse (const char *address, char *host, size_t hsize, uint16_t *port)
{
    const char *colon = address? strrchr (address, ':'): NULL;
    if (!colon || colon == address || (size_t) (colon - address) >= hsize)
        return -1;
    memcpy (host, address, colon - address);
    host [colon - address] = 0;
    if (streq (host, "*"))
        snprintf (host, hsize, "0.0.0.0");
    struct in_addr ignored;
    if (inet_pton (AF_INET, host, &ignored) != 1)
        return -1;
    if (streq (colon + 1, "*")) {
        *port = 0;
        return 0;
    }
    char *end = NULL;
    long value = strtol (colon + 1, &end, 10);
    if (!end || *end || end == colon + 1 || value < 0 || value > 65535)
        return -1;
    *port = (uint16_t) value;
    return 0;
}

void
fg_time_format (int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    localtime_r (&secs, &tm);
    snprintf (buf, size, "%02d:%02d:%02d.%03d",
              tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (ms % 1000));
}

zlist_t *
fg_split_list (const char *list)
{
    zlist_t *items = zlist_new ();
    zlist_autofree (items);
    if (!list)
        return items;
    char *copy = strdup (list);
    char *save = NULL;
    for (char *tok = strtok_r (copy, ", ", &save); tok; tok = strtok_r (NULL, ", ", &save))
        if (*tok)
            zlist_append (items, tok);
    free (copy);
    return items;
}
