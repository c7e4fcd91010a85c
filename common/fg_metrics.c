/*  =========================================================================
    fg_metrics - writes the Prometheus text format

    DESIGN
    The exposition format (version 0.0.4): "# HELP name text", "# TYPE name
    type", then "name{label="value"} number" lines. Label values escape
    backslash, double quote and newline; HELP text escapes backslash and
    newline. Numbers are written with %.17g so counters of any size stay
    exact up to 2^53.
    =========================================================================  */
#include "fogrid.h"

struct _fg_metrics_t {
    char *text;
    size_t size;
    size_t capacity;
    char family [128];
};

fg_metrics_t *
fg_metrics_new (void)
{
    fg_metrics_t *self = (fg_metrics_t *) zmalloc (sizeof (fg_metrics_t));
    self->capacity = 4096;
    self->text = (char *) zmalloc (self->capacity);
    return self;
}

void
fg_metrics_destroy (fg_metrics_t **self_p)
{
    fg_metrics_t *self = *self_p;
    if (self) {
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

//  Room for length more bytes and the terminating null
static void
s_reserve (fg_metrics_t *self, size_t length)
{
    while (self->size + length + 1 > self->capacity) {
        self->capacity *= 2;
        self->text = (char *) realloc (self->text, self->capacity);
    }
}

static void
s_append (fg_metrics_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int length = vsnprintf (NULL, 0, format, args);
    va_end (args);
    if (length < 0)
        return;
    s_reserve (self, (size_t) length);
    va_start (args, format);
    vsnprintf (self->text + self->size, self->capacity - self->size, format, args);
    va_end (args);
    self->size += (size_t) length;
}

static void
s_append_bytes (fg_metrics_t *self, const char *bytes, size_t length)
{
    s_reserve (self, length);
    memcpy (self->text + self->size, bytes, length);
    self->size += length;
    self->text [self->size] = 0;
}

//  Appends text escaped; quotes too when in_label. Runs that need no
//  escape go in one copy: a page is mostly help text, and /metrics is
//  asked for every few seconds.
static void
s_escaped (fg_metrics_t *self, const char *text, bool in_label)
{
    const char *special = in_label? "\\\n\"": "\\\n";
    while (*text) {
        size_t plain = strcspn (text, special);
        s_append_bytes (self, text, plain);
        text += plain;
        if (*text == '\\')
            s_append_bytes (self, "\\\\", 2);
        else
        if (*text == '\n')
            s_append_bytes (self, "\\n", 2);
        else
        if (*text == '"')
            s_append_bytes (self, "\\\"", 2);
        if (*text)
            text++;
    }
}

void
fg_metrics_family (fg_metrics_t *self, const char *name, const char *type, const char *help)
{
    snprintf (self->family, sizeof self->family, "%s", name);
    s_append (self, "# HELP %s ", name);
    s_escaped (self, help, false);
    s_append (self, "\n# TYPE %s %s\n", name, type);
}

static void
s_number (fg_metrics_t *self, double value)
{
    if (value == (double) (int64_t) value && value < 9007199254740992.0
    &&  value > -9007199254740992.0)
        s_append (self, "%" PRId64 "\n", (int64_t) value);
    else
        s_append (self, "%.17g\n", value);
}

void
fg_metrics_sample (fg_metrics_t *self, const char *label, const char *label_value,
                   double value)
{
    s_append (self, "%s", self->family);
    if (label) {
        s_append (self, "{%s=\"", label);
        s_escaped (self, label_value? label_value: "", true);
        s_append (self, "\"}");
    }
    s_append (self, " ");
    s_number (self, value);
}

void
fg_metrics_sample2 (fg_metrics_t *self, const char *label1, const char *value1,
                    const char *label2, const char *value2, double value)
{
    s_append (self, "%s{%s=\"", self->family, label1);
    s_escaped (self, value1? value1: "", true);
    s_append (self, "\",%s=\"", label2);
    s_escaped (self, value2? value2: "", true);
    s_append (self, "\"} ");
    s_number (self, value);
}

void
fg_metrics_histogram (fg_metrics_t *self, const char *name, const char *help,
                      const double *bounds, const uint64_t *counts, size_t n_bounds,
                      double sum, uint64_t count)
{
    fg_metrics_family (self, name, "histogram", help);
    for (size_t index = 0; index < n_bounds; index++) {
        s_append (self, "%s_bucket{le=\"%g\"} ", name, bounds [index]);
        s_number (self, (double) counts [index]);
    }
    s_append (self, "%s_bucket{le=\"+Inf\"} ", name);
    s_number (self, (double) count);
    s_append (self, "%s_sum ", name);
    s_number (self, sum);
    s_append (self, "%s_count ", name);
    s_number (self, (double) count);
}

void
fg_metrics_refused (fg_metrics_t *self, const char *name, const char *help)
{
    static const fg_error_t reasons [] = { FG_E_MALFORMED, FG_E_VERSION, FG_E_TOO_BIG };
    fg_metrics_family (self, name, "counter", help);
    for (size_t index = 0; index < sizeof reasons / sizeof reasons [0]; index++)
        fg_metrics_sample (self, "reason", fg_error_name (reasons [index]),
                           (double) fg_msg_refused (reasons [index]));
}

void
fg_metrics_connections_refused (fg_metrics_t *self, const char *name, const char *help,
                                const char *label, const char *const *roles, size_t count)
{
    fg_metrics_connections_refused_plus (self, name, help, label, roles, count, NULL, NULL);
}

void
fg_metrics_connections_refused_plus (fg_metrics_t *self, const char *name, const char *help,
                                     const char *label, const char *const *roles, size_t count,
                                     fg_metrics_refused_fn *more, void *arg)
{
    fg_metrics_family (self, name, "counter", help);
    for (size_t index = 0; index < count; index++)
        for (int reason = 0; reason < FG_REFUSED_REASONS; reason++) {
            uint64_t refused = fg_security_refused_for (roles [index], (fg_refused_t) reason);
            if (more)
                refused += more (arg, roles [index], (fg_refused_t) reason);
            double value = (double) refused;
            if (label)
                fg_metrics_sample2 (self, label, roles [index], "reason",
                                    fg_refused_name ((fg_refused_t) reason), value);
            else
                fg_metrics_sample (self, "reason", fg_refused_name ((fg_refused_t) reason), value);
        }
}

const char *
fg_metrics_text (fg_metrics_t *self)
{
    return self->text;
}

size_t
fg_metrics_size (fg_metrics_t *self)
{
    return self->size;
}

static const double s_latency_bounds [FG_LATENCY_BUCKETS] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300
};

void
fg_latency_add (fg_latency_t *self, double seconds)
{
    for (size_t index = 0; index < FG_LATENCY_BUCKETS; index++)
        if (seconds <= s_latency_bounds [index]) {
            self->counts [index]++;
            break;
        }
    self->sum += seconds;
    self->count++;
}

void
fg_metrics_latency (fg_metrics_t *self, const char *name, const char *help,
                    const fg_latency_t *latency)
{
    uint64_t cumulative [FG_LATENCY_BUCKETS], total = 0;
    for (size_t index = 0; index < FG_LATENCY_BUCKETS; index++) {
        total += latency->counts [index];
        cumulative [index] = total;
    }
    fg_metrics_histogram (self, name, help, s_latency_bounds, cumulative, FG_LATENCY_BUCKETS,
                          latency->sum, latency->count);
}
