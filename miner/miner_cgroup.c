/*  =========================================================================
    miner_cgroup - the control groups the miner makes for its process tasks

    DESIGN
    Which kind: the unified hierarchy (cgroup v2) when /sys/fs/cgroup holds
    cgroup.controllers with cpu, memory and pids; else the v1 controllers
    mounted under /sys/fs/cgroup/NAME (cpu, memory and pids are needed;
    cpuacct, where mounted apart from cpu, for the CPU used; freezer, where
    there is one, to stop a task that forks while it is being killed). A
    v1 controller mounted with another (cpu,cpuacct) is one directory.

    Where: under the miner's own cgroup of each hierarchy (/proc/self/
    cgroup) when that directory can be seen (a cgroup namespace, or none),
    else under the mount's root. v2 lets no cgroup that holds processes
    hand controllers to its children, so a miner whose own cgroup is not
    the root moves itself into a leaf of it ("miner") first; that is what
    systemd's Delegate= expects of a service that manages its own tree.

    Entering: the task's process writes "0" (itself) into cgroup.procs of
    each directory, through descriptors the runner thread opened before
    the clone, so the child only calls write(2).

    Killing: on v2 cgroup.kill where the kernel has it; otherwise the
    cgroup is frozen (v1 freezer, v2 cgroup.freeze) so nothing forks
    between the read of cgroup.procs and the signals, each process gets
    SIGKILL, it is thawed, and that again until cgroup.procs is empty.
    =========================================================================  */
#include "fogrid.h"
#include "miner_cgroup.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ROOT          "/sys/fs/cgroup"
#define S_MAX_CTRL      5
#define S_PERIOD_US     100000
#define S_KILL_MS       5000        //  the longest a kill may take
#define S_RMDIR_MS      2000        //  the longest a removal waits for exits

//  One hierarchy the miner uses: its directory for the miner's tasks.
typedef struct {
    char name [32];             //  "cpu", "memory", ... ("" on v2)
    char base [PATH_MAX];       //  .../fogrid/MINER-ID
} s_ctrl_t;

struct _miner_cgroup_t {
    int version;                //  2, 1, or 0 = none
    s_ctrl_t ctrl [S_MAX_CTRL]; //  v2: one
    size_t ctrl_count;
    int64_t pids_max;           //  per task, 0 = none
    char detail [PATH_MAX + 256];   //  where, or why not
};

struct _miner_cgroup_task_t {
    miner_cgroup_t *owner;      //  the miner's (outlives the task)
    char dir [S_MAX_CTRL][PATH_MAX];    //  one per hierarchy
    int procs_fd [S_MAX_CTRL];  //  cgroup.procs, open for the child
    size_t count;
    int memory;                 //  index of the memory directory (v1), else 0
    int cpuacct;                //  index of the one with cpuacct.usage (v1)
    int pids;                   //  index of the pids directory
    int freezer;                //  index of the freezer directory, -1 = none
    int64_t pids_max;
};

//  --------------------------------------------------------------------------
//  Small file helpers

static int
s_write (const char *dir, const char *file, const char *value)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    int fd = open (path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t size = (ssize_t) strlen (value);
    ssize_t wrote = write (fd, value, (size_t) size);
    int error = errno;
    close (fd);
    errno = error;
    return wrote == size? 0: -1;
}

//  Reads a small file into text; 0 or -1.
static int
s_read (const char *dir, const char *file, char *text, size_t size)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read (fd, text, size - 1);
    close (fd);
    if (got < 0)
        return -1;
    text [got] = 0;
    return 0;
}

static bool
s_exists (const char *dir, const char *file)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    return access (path, F_OK) == 0;
}

//  The number in a file holding one; 0 when it cannot be read.
static uint64_t
s_read_number (const char *dir, const char *file)
{
    char text [64];
    if (s_read (dir, file, text, sizeof text))
        return 0;
    return strtoull (text, NULL, 10);
}

//  The value of "key N" in a flat keyed file (cpu.stat, memory.events,
//  pids.events, memory.oom_control); -1 when it has none.
static int64_t
s_read_key (const char *dir, const char *file, const char *key)
{
    char text [4096];
    if (s_read (dir, file, text, sizeof text))
        return -1;
    size_t length = strlen (key);
    for (char *line = text; line && *line; ) {
        if (strncmp (line, key, length) == 0 && line [length] == ' ')
            return (int64_t) strtoll (line + length + 1, NULL, 10);
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return -1;
}

//  True when the space-separated list holds word.
static bool
s_has_word (const char *list, const char *word)
{
    size_t length = strlen (word);
    for (const char *cursor = strstr (list, word); cursor; cursor = strstr (cursor + 1, word))
        if ((cursor == list || cursor [-1] == ' ')
        &&  (cursor [length] == 0 || cursor [length] == ' ' || cursor [length] == '\n'))
            return true;
    return false;
}

//  mkdir -p of path (the parts that are missing); 0 or -1.
static int
s_mkdir_p (const char *path)
{
    char copy [PATH_MAX];
    snprintf (copy, sizeof copy, "%s", path);
    for (char *slash = copy + 1; *slash; slash++)
        if (*slash == '/') {
            *slash = 0;
            if (mkdir (copy, 0755) && errno != EEXIST)
                return -1;
            *slash = '/';
        }
    return mkdir (copy, 0755) && errno != EEXIST? -1: 0;
}

//  The miner's own cgroup in the hierarchy that holds controller name
//  (v1), or in the unified one (name NULL), from /proc/self/cgroup.
static void
s_own_path (const char *name, char *path, size_t size)
{
    snprintf (path, size, "/");
    FILE *file = fopen ("/proc/self/cgroup", "re");
    if (!file)
        return;
    char line [PATH_MAX + 128];
    while (fgets (line, sizeof line, file)) {
        line [strcspn (line, "\n")] = 0;
        char *first = strchr (line, ':');
        char *second = first? strchr (first + 1, ':'): NULL;
        if (!second)
            continue;
        *second = 0;
        const char *list = first + 1;
        bool match = false;
        if (!name)
            match = *list == 0;
        else {
            char copy [256];
            snprintf (copy, sizeof copy, "%s", list);
            char *saved = NULL;
            for (char *item = strtok_r (copy, ",", &saved); item;
                 item = strtok_r (NULL, ",", &saved))
                match |= streq (item, name);
        }
        if (match) {
            snprintf (path, size, "%s", second + 1);
            break;
        }
    }
    fclose (file);
}

//  The directory of the miner's own cgroup under mount, when it can be
//  seen there; else the mount itself.
static void
s_own_dir (const char *mount, const char *name, char *dir, size_t size)
{
    char own [PATH_MAX];
    s_own_path (name, own, sizeof own);
    snprintf (dir, size, "%s%s", mount, streq (own, "/")? "": own);
    struct stat info;
    if (stat (dir, &info) || !S_ISDIR (info.st_mode))
        snprintf (dir, size, "%s", mount);
}

//  --------------------------------------------------------------------------
//  Finding what the kernel offers

static int
s_probe_v2 (miner_cgroup_t *self, const char *miner_id)
{
    char controllers [512];
    if (s_read (S_ROOT, "cgroup.controllers", controllers, sizeof controllers))
        return -1;
    char own [PATH_MAX];
    s_own_dir (S_ROOT, NULL, own, sizeof own);
    char available [512] = "";
    if (s_read (own, "cgroup.controllers", available, sizeof available)
    ||  !s_has_word (available, "cpu") || !s_has_word (available, "memory")
    ||  !s_has_word (available, "pids")) {
        available [strcspn (available, "\n")] = 0;
        snprintf (self->detail, sizeof self->detail, "cgroup v2 at %s offers no cpu, memory "
                  "and pids controllers (only '%.100s')", own, available);
        return -1;
    }
    const char *enable = "+cpu +memory +pids";
    if (s_write (own, "cgroup.subtree_control", enable) && errno == EBUSY) {
        //  Our own cgroup holds processes: move ourselves into a leaf
        char leaf [PATH_MAX + 16];
        snprintf (leaf, sizeof leaf, "%s/miner", own);
        char pid [32];
        snprintf (pid, sizeof pid, "%d", (int) getpid ());
        if (s_mkdir_p (leaf) == 0)
            s_write (leaf, "cgroup.procs", pid);
    }
    if (s_write (own, "cgroup.subtree_control", enable)) {
        snprintf (self->detail, sizeof self->detail, "cannot hand controllers to the cgroups "
                  "under %s: %s", own, strerror (errno));
        return -1;
    }
    s_ctrl_t *ctrl = &self->ctrl [0];
    snprintf (ctrl->base, sizeof ctrl->base, "%s/fogrid", own);
    if (s_mkdir_p (ctrl->base) || s_write (ctrl->base, "cgroup.subtree_control", enable)) {
        snprintf (self->detail, sizeof self->detail, "cannot make %s: %s", ctrl->base,
                  strerror (errno));
        return -1;
    }
    snprintf (ctrl->base, sizeof ctrl->base, "%s/fogrid/%s", own, miner_id);
    if (s_mkdir_p (ctrl->base) || s_write (ctrl->base, "cgroup.subtree_control", enable)) {
        snprintf (self->detail, sizeof self->detail, "cannot make %s: %s", ctrl->base,
                  strerror (errno));
        return -1;
    }
    self->ctrl_count = 1;
    self->version = 2;
    snprintf (self->detail, sizeof self->detail, "cgroup v2 under %s", ctrl->base);
    return 0;
}

static int
s_probe_v1 (miner_cgroup_t *self, const char *miner_id)
{
    static const char *s_names [] = { "cpu", "memory", "pids", "cpuacct", "freezer" };
    char seen [S_MAX_CTRL][PATH_MAX];
    char where [PATH_MAX] = "";
    for (size_t index = 0; index < S_MAX_CTRL; index++) {
        bool needed = index < 3;
        char mount [PATH_MAX], real [PATH_MAX];
        snprintf (mount, sizeof mount, S_ROOT "/%s", s_names [index]);
        if (!realpath (mount, real) || !s_exists (real, "cgroup.procs")) {
            if (needed) {
                snprintf (self->detail, sizeof self->detail, "no cgroup v1 '%s' controller "
                          "at %s", s_names [index], mount);
                return -1;
            }
            continue;
        }
        //  cpu,cpuacct mounted together: one directory
        bool again = false;
        for (size_t other = 0; other < self->ctrl_count; other++)
            again |= streq (seen [other], real);
        if (again)
            continue;
        s_ctrl_t *ctrl = &self->ctrl [self->ctrl_count];
        char own [PATH_MAX];
        s_own_dir (real, s_names [index], own, sizeof own);
        snprintf (ctrl->name, sizeof ctrl->name, "%s", s_names [index]);
        snprintf (ctrl->base, sizeof ctrl->base, "%s/fogrid/%s", own, miner_id);
        if (s_mkdir_p (ctrl->base)) {
            if (!needed)
                continue;
            snprintf (self->detail, sizeof self->detail, "cannot make %s: %s", ctrl->base,
                      strerror (errno));
            return -1;
        }
        snprintf (seen [self->ctrl_count], PATH_MAX, "%s", real);
        self->ctrl_count++;
        size_t used = strlen (where);
        snprintf (where + used, sizeof where - used, "%s%s", used? ", ": "", s_names [index]);
    }
    self->version = 1;
    snprintf (self->detail, sizeof self->detail, "cgroup v1 (%s) under %s", where,
              self->ctrl [0].base);
    return 0;
}

void
miner_cgroup_name (const char *miner_id, const char *data_dir, char *name, size_t size)
{
    char real [PATH_MAX];
    if (!realpath (data_dir, real))
        snprintf (real, sizeof real, "%s", data_dir);
    uint32_t hash = 2166136261u;        //  FNV-1a
    for (const char *cursor = real; *cursor; cursor++)
        hash = (hash ^ (uint8_t) *cursor) * 16777619u;
    snprintf (name, size, "%.100s-%08x", miner_id, hash);
}

miner_cgroup_t *
miner_cgroup_new (const char *miner_id, int64_t pids_max)
{
    miner_cgroup_t *self = (miner_cgroup_t *) zmalloc (sizeof (miner_cgroup_t));
    self->pids_max = pids_max > 0? pids_max: 0;
    //  A name made for a path
    char id [128];
    size_t length = 0;
    for (const char *cursor = miner_id; *cursor && length < sizeof id - 1; cursor++)
        id [length++] = isalnum ((unsigned char) *cursor) || *cursor == '-' || *cursor == '_'
                      ? *cursor: '_';
    id [length] = 0;
    const char *setting = getenv ("FOGRID_CGROUPS");
    if (setting && streq (setting, "off"))
        snprintf (self->detail, sizeof self->detail, "cgroups turned off (FOGRID_CGROUPS=off)");
    else
    if (!*id)
        snprintf (self->detail, sizeof self->detail, "no miner id to name its cgroups");
    else
    if (geteuid () != 0 && access (S_ROOT, W_OK) != 0 && access (S_ROOT "/pids", W_OK) != 0
    &&  access (S_ROOT "/memory", W_OK) != 0) {
        //  A non-root miner may still have a delegated v2 subtree
        if (s_probe_v2 (self, id))
            snprintf (self->detail, sizeof self->detail, "not root and no cgroup delegated "
                      "to the miner's user");
    }
    else
    if (s_exists (S_ROOT, "cgroup.controllers"))
        s_probe_v2 (self, id);
    else {
        char v1_detail [sizeof self->detail];
        if (s_probe_v1 (self, id)) {
            snprintf (v1_detail, sizeof v1_detail, "%s", self->detail);
            snprintf (self->detail, sizeof self->detail, "%s", v1_detail);
        }
    }
    if (!self->version)
        self->ctrl_count = 0;
    return self;
}

void
miner_cgroup_destroy (miner_cgroup_t **self_p)
{
    if (*self_p) {
        miner_cgroup_t *self = *self_p;
        for (size_t index = 0; index < self->ctrl_count; index++)
            rmdir (self->ctrl [index].base);        //  only when empty
        free (self);
        *self_p = NULL;
    }
}

bool
miner_cgroup_active (miner_cgroup_t *self)
{
    return self && self->version > 0;
}

const char *
miner_cgroup_kind (miner_cgroup_t *self)
{
    return !self || !self->version? "rlimits only": self->version == 2? "cgroup v2": "cgroup v1";
}

const char *
miner_cgroup_detail (miner_cgroup_t *self)
{
    return self? self->detail: "no cgroups";
}

//  --------------------------------------------------------------------------
//  Killing and removing one cgroup (a task's, or a leftover)

//  The pids in dir/cgroup.procs, up to max; how many.
static size_t
s_procs (const char *dir, pid_t *pids, size_t max)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/cgroup.procs", dir);
    FILE *file = fopen (path, "re");
    if (!file)
        return 0;
    size_t count = 0;
    int pid;
    while (count < max && fscanf (file, "%d", &pid) == 1)
        if (pid > 0)
            pids [count++] = (pid_t) pid;
    fclose (file);
    return count;
}

//  Freezes (frozen = true) or thaws the cgroup; waits (briefly) until
//  it is frozen. Returns false when it has no freezer.
static bool
s_freeze (const char *freezer_dir, int version, bool frozen)
{
    if (!freezer_dir)
        return false;
    if (version == 2) {
        if (s_write (freezer_dir, "cgroup.freeze", frozen? "1": "0"))
            return false;
        for (int wait = 0; frozen && wait < 100; wait++) {
            if (s_read_key (freezer_dir, "cgroup.events", "frozen") == 1)
                break;
            zclock_sleep (5);
        }
        return true;
    }
    if (s_write (freezer_dir, "freezer.state", frozen? "FROZEN": "THAWED"))
        return false;
    for (int wait = 0; frozen && wait < 100; wait++) {
        char state [32] = "";
        s_read (freezer_dir, "freezer.state", state, sizeof state);
        if (strncmp (state, "FROZEN", 6) == 0)
            break;
        zclock_sleep (5);
    }
    return true;
}

//  Kills everything in the cgroup whose processes dir lists; freezer_dir
//  (may be NULL) freezes it between a read and the signals. Returns how
//  many processes it signalled, or -1 when some are left.
static int
s_kill_all (const char *dir, const char *freezer_dir, int version)
{
    int signalled = 0;
    if (version == 2 && s_write (dir, "cgroup.kill", "1") == 0) {
        pid_t pids [1024];
        signalled = (int) s_procs (dir, pids, 1024);
        freezer_dir = NULL;     //  the kernel did it all at once
    }
    int64_t deadline = zclock_mono () + S_KILL_MS;
    while (true) {
        pid_t pids [1024];
        size_t count = s_procs (dir, pids, 1024);
        if (count == 0)
            return signalled;
        if (zclock_mono () > deadline)
            return -1;
        if (version == 2 && signalled) {
            zclock_sleep (5);   //  cgroup.kill: only waiting for the exits
            continue;
        }
        bool frozen = s_freeze (freezer_dir, version, true);
        count = s_procs (dir, pids, 1024);
        for (size_t index = 0; index < count; index++)
            if (kill (pids [index], SIGKILL) == 0)
                signalled++;
        if (frozen)
            s_freeze (freezer_dir, version, false);
        zclock_sleep (count? 5: 0);
    }
}

//  rmdir, waiting briefly for the exits the kernel still has to finish.
static int
s_rmdir (const char *dir)
{
    int64_t deadline = zclock_mono () + S_RMDIR_MS;
    while (rmdir (dir)) {
        if (errno == ENOENT)
            return 0;
        if (errno != EBUSY || zclock_mono () > deadline)
            return -1;
        zclock_sleep (10);
    }
    return 0;
}

int
miner_cgroup_sweep (miner_cgroup_t *self, const char *tag)
{
    if (!miner_cgroup_active (self))
        return 0;
    int total = 0;
    //  The freezer's directories, by name, when there is one (v1)
    const char *freezer_base = NULL;
    for (size_t index = 0; index < self->ctrl_count; index++)
        if (streq (self->ctrl [index].name, "freezer"))
            freezer_base = self->ctrl [index].base;
    for (size_t index = 0; index < self->ctrl_count; index++) {
        DIR *base = opendir (self->ctrl [index].base);
        if (!base)
            continue;
        struct dirent *entry;
        while ((entry = readdir (base))) {
            if (entry->d_name [0] == '.' || entry->d_type != DT_DIR)
                continue;
            char dir [PATH_MAX + 256], freezer [PATH_MAX + 256];
            snprintf (dir, sizeof dir, "%s/%s", self->ctrl [index].base, entry->d_name);
            snprintf (freezer, sizeof freezer, "%s/%s", freezer_base? freezer_base: "",
                      entry->d_name);
            int killed = s_kill_all (dir, freezer_base && s_exists (freezer, "freezer.state")
                                          ? freezer: self->version == 2? dir: NULL,
                                     self->version);
            if (killed > 0) {
                zsys_notice ("%s: killed %d process%s left in cgroup %s by the miner's "
                             "previous run", tag, killed, killed == 1? "": "es", dir);
                total += killed;
            }
            if (killed < 0)
                zsys_warning ("%s: cgroup %s keeps processes after SIGKILL", tag, dir);
            if (s_rmdir (dir))
                zsys_warning ("%s: cannot remove cgroup %s: %s", tag, dir, strerror (errno));
        }
        closedir (base);
    }
    return total;
}

//  --------------------------------------------------------------------------
//  One task's cgroup

//  The limits of one directory, by what it controls; 0 or -1.
static int
s_set_limits (miner_cgroup_task_t *self, size_t index, uint32_t cores, uint64_t mem_mb)
{
    const char *dir = self->dir [index];
    char value [64];
    uint64_t mem_bytes = mem_mb * 1024 * 1024;
    if (self->owner->version == 2) {
        if (cores) {
            snprintf (value, sizeof value, "%" PRIu64 " %d", (uint64_t) cores * S_PERIOD_US,
                      S_PERIOD_US);
            if (s_write (dir, "cpu.max", value))
                return -1;
        }
        if (mem_mb) {
            snprintf (value, sizeof value, "%" PRIu64, mem_bytes);
            if (s_write (dir, "memory.max", value))
                return -1;
            s_write (dir, "memory.swap.max", "0");      //  where there is swap
        }
        snprintf (value, sizeof value, "%" PRId64, self->pids_max);
        return s_write (dir, "pids.max", self->pids_max? value: "max");
    }
    const char *name = self->owner->ctrl [index].name;
    if (streq (name, "cpu") && cores) {
        snprintf (value, sizeof value, "%d", S_PERIOD_US);
        s_write (dir, "cpu.cfs_period_us", value);
        snprintf (value, sizeof value, "%" PRIu64, (uint64_t) cores * S_PERIOD_US);
        if (s_write (dir, "cpu.cfs_quota_us", value))
            return -1;
    }
    if (streq (name, "memory") && mem_mb) {
        snprintf (value, sizeof value, "%" PRIu64, mem_bytes);
        if (s_write (dir, "memory.limit_in_bytes", value))
            return -1;
        //  No way around the limit through swap, where swap is counted
        if (s_exists (dir, "memory.memsw.limit_in_bytes"))
            s_write (dir, "memory.memsw.limit_in_bytes", value);
    }
    if (streq (name, "pids")) {
        snprintf (value, sizeof value, "%" PRId64, self->pids_max);
        if (s_write (dir, "pids.max", self->pids_max? value: "max"))
            return -1;
    }
    return 0;
}

miner_cgroup_task_t *
miner_cgroup_task_new (miner_cgroup_t *owner, const char *name, uint32_t cores,
                       uint64_t mem_mb, char *err, size_t err_size)
{
    if (!miner_cgroup_active (owner)) {
        snprintf (err, err_size, "no cgroups here");
        return NULL;
    }
    char clean [128];
    size_t length = 0;
    for (const char *cursor = name; *cursor && length < sizeof clean - 1; cursor++)
        clean [length++] = isalnum ((unsigned char) *cursor) || strchr ("._-", *cursor)
                         ? *cursor: '_';
    clean [length] = 0;
    if (!length || clean [0] == '.')
        clean [0] = '_';

    miner_cgroup_task_t *self = (miner_cgroup_task_t *) zmalloc (sizeof (miner_cgroup_task_t));
    self->owner = owner;
    self->pids_max = owner->pids_max;
    self->freezer = -1;
    for (size_t index = 0; index < S_MAX_CTRL; index++)
        self->procs_fd [index] = -1;
    //  Two task ids may read the same once cleaned: the second gets a
    //  suffix, never the first one's cgroup (a previous life's cgroups
    //  are gone since the sweep at start)
    char unique [160];
    snprintf (unique, sizeof unique, "%s", clean);
    for (int suffix = 2; suffix < 100; suffix++) {
        char path [PATH_MAX + 200];
        snprintf (path, sizeof path, "%s/%s", owner->ctrl [0].base, unique);
        int rc = mkdir (path, 0755);
        if (rc && errno == ENOENT) {
            //  The miner's directory went (removed from outside): again
            for (size_t index = 0; index < owner->ctrl_count; index++)
                if (s_mkdir_p (owner->ctrl [index].base) == 0 && owner->version == 2)
                    s_write (owner->ctrl [index].base, "cgroup.subtree_control",
                             "+cpu +memory +pids");
            rc = mkdir (path, 0755);
        }
        if (rc == 0 || errno != EEXIST)
            break;
        snprintf (unique, sizeof unique, "%s.%d", clean, suffix);
    }
    for (size_t index = 0; index < owner->ctrl_count; index++) {
        snprintf (self->dir [index], PATH_MAX, "%s/%s", owner->ctrl [index].base, unique);
        self->count = index + 1;
        const char *what = owner->ctrl [index].name;
        if (streq (what, "memory"))
            self->memory = (int) index;
        if (streq (what, "pids"))
            self->pids = (int) index;
        if (streq (what, "freezer") || owner->version == 2)
            self->freezer = (int) index;
    }
    for (size_t index = 0; index < self->count; index++) {
        if (index > 0)
            mkdir (self->dir [index], 0755);        //  there already: a leftover, empty
        else
        if (access (self->dir [index], F_OK)) {
            snprintf (err, err_size, "cannot make cgroup %s: %s", self->dir [index],
                      strerror (errno));
            goto failed;
        }
        if (s_exists (self->dir [index], "cpuacct.usage"))
            self->cpuacct = (int) index;
        char path [PATH_MAX + 32];
        snprintf (path, sizeof path, "%s/cgroup.procs", self->dir [index]);
        self->procs_fd [index] = open (path, O_WRONLY | O_CLOEXEC);
        if (self->procs_fd [index] < 0) {
            snprintf (err, err_size, "cannot make cgroup %s: %s", self->dir [index],
                      strerror (errno));
            goto failed;
        }
        if (s_set_limits (self, index, cores, mem_mb)) {
            snprintf (err, err_size, "cannot set the limits of cgroup %s: %s",
                      self->dir [index], strerror (errno));
            goto failed;
        }
    }
    return self;

failed:
    miner_cgroup_task_destroy (&self);
    return NULL;
}

int
miner_cgroup_task_enter (const miner_cgroup_task_t *self)
{
    for (size_t index = 0; index < self->count; index++)
        if (write (self->procs_fd [index], "0", 1) != 1)
            return -1;
    return 0;
}

int
miner_cgroup_task_usage (miner_cgroup_task_t *self, uint64_t *cpu_ms, uint64_t *mem_bytes,
                         uint64_t *mem_peak)
{
    if (!self)
        return -1;
    if (self->owner->version == 2) {
        const char *dir = self->dir [0];
        int64_t usec = s_read_key (dir, "cpu.stat", "usage_usec");
        if (usec < 0)
            return -1;
        *cpu_ms = (uint64_t) usec / 1000;
        *mem_bytes = s_read_number (dir, "memory.current");
        *mem_peak = s_read_number (dir, "memory.peak");
        return 0;
    }
    char text [64];
    if (s_read (self->dir [self->cpuacct], "cpuacct.usage", text, sizeof text))
        return -1;
    *cpu_ms = strtoull (text, NULL, 10) / 1000000;
    *mem_bytes = s_read_number (self->dir [self->memory], "memory.usage_in_bytes");
    *mem_peak = s_read_number (self->dir [self->memory], "memory.max_usage_in_bytes");
    return 0;
}

uint64_t
miner_cgroup_task_oom_kills (miner_cgroup_task_t *self)
{
    if (!self)
        return 0;
    if (self->owner->version == 2) {
        int64_t kills = s_read_key (self->dir [0], "memory.events", "oom_kill");
        return kills > 0? (uint64_t) kills: 0;
    }
    const char *dir = self->dir [self->memory];
    int64_t kills = s_read_key (dir, "memory.oom_control", "oom_kill");
    if (kills >= 0)
        return (uint64_t) kills;
    //  An older kernel counts no kills: the limit reached at all
    return s_read_number (dir, "memory.failcnt") > 0? 1: 0;
}

uint64_t
miner_cgroup_task_pids_refused (miner_cgroup_task_t *self)
{
    if (!self)
        return 0;
    int64_t refused = s_read_key (self->dir [self->pids], "pids.events", "max");
    return refused > 0? (uint64_t) refused: 0;
}

int64_t
miner_cgroup_task_pids_max (miner_cgroup_task_t *self)
{
    return self? self->pids_max: 0;
}

int
miner_cgroup_task_procs (miner_cgroup_task_t *self)
{
    if (!self || !self->count)
        return -1;
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/cgroup.procs", self->dir [self->pids]);
    if (access (path, R_OK))
        return -1;
    pid_t pids [4096];
    return (int) s_procs (self->dir [self->pids], pids, 4096);
}

int
miner_cgroup_task_kill (miner_cgroup_task_t *self)
{
    if (!self || !self->count)
        return 0;
    return s_kill_all (self->dir [self->pids], self->freezer >= 0? self->dir [self->freezer]
                                                                  : NULL, self->owner->version);
}

void
miner_cgroup_task_destroy (miner_cgroup_task_t **self_p)
{
    if (*self_p) {
        miner_cgroup_task_t *self = *self_p;
        if (miner_cgroup_task_kill (self) < 0)
            zsys_warning ("cgroup %s keeps processes after SIGKILL", self->dir [self->pids]);
        for (size_t index = 0; index < self->count; index++) {
            if (self->procs_fd [index] >= 0)
                close (self->procs_fd [index]);
            if (s_rmdir (self->dir [index]) && errno != ENOENT)
                zsys_warning ("cannot remove cgroup %s: %s", self->dir [index],
                              strerror (errno));
        }
        free (self);
        *self_p = NULL;
    }
}
