/*  =========================================================================
    miner_resources - what this machine offers to the grid
    =========================================================================  */
#include "fogrid.h"
#include "miner_resources.h"
#include <ctype.h>
#include <errno.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct _miner_resources_t {
    Fogrid__Resources msg;      //  what goes into MinerHello
    Fogrid__Label *labels;      //  msg.labels points into this
    Fogrid__Label **label_ptrs; //  msg.labels
    zlist_t *strings;           //  every string msg refers to (autofree)
    char *runtimes [4];         //  msg.runtimes: "process", "docker"
};

//  Keeps a copy of s for the lifetime of self and returns it.
static char *
s_keep (miner_resources_t *self, const char *s)
{
    zlist_append (self->strings, (void *) s);      //  autofree: copies it
    return (char *) zlist_last (self->strings);
}

static bool
s_label_key_valid (const char *key, size_t len)
{
    if (len == 0 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key [i];
        if (!(isalnum ((unsigned char) c) || c == '.' || c == '_' || c == '/' || c == '-'))
            return false;
    }
    return true;
}

int
miner_resources_check_labels (const char *labels, char *err, size_t err_size)
{
    zlist_t *items = fg_split_list (labels);
    zhashx_t *seen = zhashx_new ();
    int rc = 0;
    for (char *item = (char *) zlist_first (items); item; item = (char *) zlist_next (items)) {
        char *equals = strchr (item, '=');
        if (!equals) {
            snprintf (err, err_size, "miner/labels: '%s' is not key=value", item);
            rc = -1;
            break;
        }
        *equals = 0;
        const char *value = equals + 1;
        if (!s_label_key_valid (item, strlen (item))) {
            snprintf (err, err_size, "miner/labels: key '%s' must be 1..63 of A-Z a-z 0-9 . _ / -",
                      item);
            rc = -1;
            break;
        }
        if (!fg_text_valid (value, 255)) {
            snprintf (err, err_size, "miner/labels: the value of '%s' must be printable, "
                      "at most 255 characters", item);
            rc = -1;
            break;
        }
        if (zhashx_lookup (seen, item)) {
            snprintf (err, err_size, "miner/labels: key '%s' is given twice", item);
            rc = -1;
            break;
        }
        zhashx_insert (seen, item, (void *) 1);
    }
    zhashx_destroy (&seen);
    zlist_destroy (&items);
    return rc;
}

//  nvidia-smi -L prints one line per GPU ("GPU 0: ... (UUID: ...)"). No
//  nvidia-smi, or one that fails or hangs (a broken driver), means none:
//  a miner must start on any machine.
uint32_t
miner_resources_count_gpus (void)
{
    FILE *list = popen ("timeout 10 nvidia-smi -L 2>/dev/null", "r");
    if (!list)
        return 0;
    uint32_t count = 0;
    char line [512];
    while (fgets (line, sizeof line, list))
        count += strncmp (line, "GPU ", 4) == 0;
    if (pclose (list) != 0)
        count = 0;
    return count;
}

miner_resources_t *
miner_resources_new (fg_config_t *config, const char *data_dir, char *err, size_t err_size)
{
    const char *labels = fg_config_str (config, "miner/labels");
    if (miner_resources_check_labels (labels, err, err_size))
        return NULL;

    miner_resources_t *self = (miner_resources_t *) zmalloc (sizeof (miner_resources_t));
    self->strings = zlist_new ();
    zlist_autofree (self->strings);
    fogrid__resources__init (&self->msg);

    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    long pages = sysconf (_SC_PHYS_PAGES), page_size = sysconf (_SC_PAGESIZE);
    struct statvfs disk;
    uint64_t disk_mb = 0;
    if (statvfs (data_dir, &disk) == 0)
        disk_mb = (uint64_t) disk.f_bavail * disk.f_frsize / (1024 * 1024);
    else
        zsys_warning ("miner: cannot measure the free space of %s: %s", data_dir, strerror (errno));

    self->msg.cores = cores > 0? (uint32_t) cores: 1;
    self->msg.mem_mb = pages > 0 && page_size > 0
                     ? (uint64_t) pages * (uint64_t) page_size / (1024 * 1024): 0;
    self->msg.disk_mb = disk_mb;
    if (fg_config_int (config, "miner/cores") > 0)
        self->msg.cores = (uint32_t) fg_config_int (config, "miner/cores");
    if (fg_config_int (config, "miner/mem_mb") > 0)
        self->msg.mem_mb = (uint64_t) fg_config_int (config, "miner/mem_mb");
    if (fg_config_int (config, "miner/disk_mb") > 0)
        self->msg.disk_mb = (uint64_t) fg_config_int (config, "miner/disk_mb");
    int64_t gpus = fg_config_int (config, "miner/gpus");
    self->msg.gpus = (uint32_t) (gpus >= 0? gpus: miner_resources_count_gpus ());
    self->msg.price = (uint64_t) fg_config_int (config, "miner/price");
    self->msg.service_price = (uint64_t) fg_config_int (config, "miner/service_price");
    self->msg.constraint = s_keep (self, fg_config_str (config, "miner/accept"));
    self->msg.runtimes = self->runtimes;
    miner_resources_set_runtimes (self, "process");

    zlist_t *items = fg_split_list (labels);
    size_t count = zlist_size (items);
    self->labels = (Fogrid__Label *) zmalloc (sizeof (Fogrid__Label) * (count + 1));
    self->label_ptrs = (Fogrid__Label **) zmalloc (sizeof (Fogrid__Label *) * (count + 1));
    size_t index = 0;
    for (char *item = (char *) zlist_first (items); item; item = (char *) zlist_next (items)) {
        char *equals = strchr (item, '=');
        *equals = 0;
        fogrid__label__init (&self->labels [index]);
        self->labels [index].key = s_keep (self, item);
        self->labels [index].value = s_keep (self, equals + 1);
        self->label_ptrs [index] = &self->labels [index];
        index++;
    }
    zlist_destroy (&items);
    self->msg.n_labels = count;
    self->msg.labels = self->label_ptrs;
    return self;
}

void
miner_resources_destroy (miner_resources_t **self_p)
{
    if (*self_p) {
        miner_resources_t *self = *self_p;
        free (self->labels);
        free (self->label_ptrs);
        zlist_destroy (&self->strings);
        free (self);
        *self_p = NULL;
    }
}

void
miner_resources_set_runtimes (miner_resources_t *self, const char *runtimes)
{
    zlist_t *names = fg_split_list (runtimes);
    size_t count = 0;
    for (char *name = (char *) zlist_first (names); name && count < 4;
         name = (char *) zlist_next (names))
        self->runtimes [count++] = s_keep (self, name);
    zlist_destroy (&names);
    self->msg.n_runtimes = count;
}

Fogrid__Resources *
miner_resources_msg (miner_resources_t *self)
{
    return &self->msg;
}

//  Divides total among count parts by weight, the parts adding up to the
//  whole: each gets the floor of its proportional part, then what is left
//  goes one by one to the largest remainders (the earlier part on a tie).
static void
s_divide (uint64_t total, const uint32_t *weights, size_t count, uint64_t *parts)
{
    uint64_t sum = 0, given = 0;
    for (size_t index = 0; index < count; index++)
        sum += weights [index];
    uint64_t *remainders = (uint64_t *) zmalloc (sizeof (uint64_t) * count);
    for (size_t index = 0; index < count; index++) {
        //  total * weight stays far below 2^64: totals are at most 2^40
        //  (MB), weights at most MINER_RESOURCES_MAX_WEIGHT
        parts [index] = total * weights [index] / sum;
        remainders [index] = total * weights [index] % sum;
        given += parts [index];
    }
    while (given < total) {
        size_t best = 0;
        for (size_t index = 1; index < count; index++)
            if (remainders [index] > remainders [best])
                best = index;
        parts [best]++;
        remainders [best] = 0;
        given++;
    }
    free (remainders);
}

int
miner_resources_split (miner_resources_t *self, const uint32_t *weights, size_t count,
                       Fogrid__Resources *parts, char *err, size_t err_size)
{
    assert (count > 0);
    uint32_t *equal = (uint32_t *) zmalloc (sizeof (uint32_t) * count);
    for (size_t index = 0; index < count; index++)
        equal [index] = weights? weights [index]: 1;
    uint64_t *cores = (uint64_t *) zmalloc (sizeof (uint64_t) * count);
    uint64_t *mem = (uint64_t *) zmalloc (sizeof (uint64_t) * count);
    uint64_t *disk = (uint64_t *) zmalloc (sizeof (uint64_t) * count);
    uint64_t *gpus = (uint64_t *) zmalloc (sizeof (uint64_t) * count);
    s_divide (self->msg.cores, equal, count, cores);
    s_divide (self->msg.mem_mb, equal, count, mem);
    s_divide (self->msg.disk_mb, equal, count, disk);
    s_divide (self->msg.gpus, equal, count, gpus);
    int rc = 0;
    for (size_t index = 0; index < count; index++) {
        parts [index] = self->msg;
        parts [index].cores = (uint32_t) cores [index];
        parts [index].mem_mb = mem [index];
        parts [index].disk_mb = disk [index];
        parts [index].gpus = (uint32_t) gpus [index];
        if (cores [index] == 0 && rc == 0) {
            snprintf (err, err_size, "the %u cores offered cannot be divided among %zu hubs%s: "
                      "hub %zu would get none (offer more cores, serve fewer hubs, or change "
                      "miner/hub_shares)", self->msg.cores, count,
                      weights? " by miner/hub_shares": "", index + 1);
            rc = -1;
        }
    }
    free (equal);
    free (cores);
    free (mem);
    free (disk);
    free (gpus);
    return rc;
}
