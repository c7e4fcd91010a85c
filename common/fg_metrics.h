/*  =========================================================================
    fg_metrics - writes the Prometheus text format

    A daemon's /metrics handler builds the page from its live state on each
    scrape: a family header (HELP, TYPE) then its samples. Names are
    fogrid_SUBSYSTEM_WHAT[_total|_seconds]; label values are escaped here.
    =========================================================================  */
#ifndef FG_METRICS_H_INCLUDED
#define FG_METRICS_H_INCLUDED

typedef struct _fg_metrics_t fg_metrics_t;

fg_metrics_t *fg_metrics_new (void);
void fg_metrics_destroy (fg_metrics_t **self_p);

//  Starts a family; type is "counter", "gauge" or "histogram".
void fg_metrics_family (fg_metrics_t *self, const char *name, const char *type,
                        const char *help);

//  One sample of the current family. label (may be NULL) and value name
//  one label: fg_metrics_sample (m, "state", "connected", 3).
void fg_metrics_sample (fg_metrics_t *self, const char *label, const char *label_value,
                        double value);

//  A whole histogram family: cumulative counts per upper bound (seconds),
//  plus sum and count.
void fg_metrics_histogram (fg_metrics_t *self, const char *name, const char *help,
                           const double *bounds, const uint64_t *counts, size_t n_bounds,
                           double sum, uint64_t count);

//  A sample with two labels.
void fg_metrics_sample2 (fg_metrics_t *self, const char *label1, const char *value1,
                         const char *label2, const char *value2, double value);

//  A family `name` (a counter) of the messages refused before handling
//  (fg_msg_refused), by reason; the caller may add samples of its own.
void fg_metrics_refused (fg_metrics_t *self, const char *name, const char *help);

//  A family `name` (a counter) of the connections refused by the server
//  sockets of roles (fg_security_refused_for), by reason; labelled
//  `label`=ROLE too when label is not NULL.
void fg_metrics_connections_refused (fg_metrics_t *self, const char *name, const char *help,
                                     const char *label, const char *const *roles, size_t count);

//  ... adding what more (arg, role, reason) counts for each: a server that
//  watches a socket's handshakes itself (one monitor per socket).
typedef uint64_t (fg_metrics_refused_fn) (void *arg, const char *role, fg_refused_t reason);
void fg_metrics_connections_refused_plus (fg_metrics_t *self, const char *name, const char *help,
                                          const char *label, const char *const *roles,
                                          size_t count, fg_metrics_refused_fn *more, void *arg);

//  The page so far (owned by self).
const char *fg_metrics_text (fg_metrics_t *self);
size_t fg_metrics_size (fg_metrics_t *self);

//  A latency histogram to fill as events happen: fixed bounds from 1 ms
//  to 60 s.
#define FG_LATENCY_BUCKETS 12
typedef struct {
    uint64_t counts [FG_LATENCY_BUCKETS];   //  not cumulative
    double sum;
    uint64_t count;
} fg_latency_t;

void fg_latency_add (fg_latency_t *self, double seconds);
void fg_metrics_latency (fg_metrics_t *self, const char *name, const char *help,
                         const fg_latency_t *latency);

#endif
