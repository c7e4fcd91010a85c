/*  =========================================================================
    miner_workdir - the work directory of a process task: made for it,
    its outputs copied out of it, removed after it

    DESIGN
    The directory's name comes from the task id (from the network), so
    only safe characters of it reach the file system. Outputs are copied
    relative to open directories with O_NOFOLLOW (below), and removal
    never follows a link nor crosses a mount, whatever the task left.
    =========================================================================  */
#include "fogrid.h"
#include "miner_outputs.h"
#include "miner_workdir.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_DEPTH        32       //  directory levels copied out

//  A copy of outputs under way
typedef struct {
    miner_outputs_t *files;     //  what was copied
    bool own_only;              //  only the task user's own files
    uid_t uid;                  //  that user
} s_copy_t;

//  Makes the task's work directory: ROOT/ID-ATTEMPT-XXXXXX. The id comes
//  from the network, so only safe characters of it reach the file system.
int
miner_workdir_make (const char *root, const char *task_id, uint32_t attempt, bool chown_to,
                    uid_t uid, gid_t gid, char *path, size_t path_size, char *err,
                    size_t err_size)
{
    *path = 0;
    if (!root || !*root)
        root = "/tmp";
    //  Absolute, so HOME and TMPDIR still hold after the task changes dir;
    //  the root is made only when missing (it is there for every task but
    //  the first)
    char absolute [PATH_MAX] = "";
    if (!realpath (root, absolute) && errno == ENOENT && zsys_dir_create ("%s", root)) {
        snprintf (err, err_size, "cannot create %s: %s", root, strerror (errno));
        return -1;
    }
    if (!*absolute && !realpath (root, absolute)) {
        snprintf (err, err_size, "cannot resolve %s: %s", root, strerror (errno));
        return -1;
    }
    char safe [65];
    size_t len = 0;
    for (const char *c = task_id; *c && len < sizeof safe - 1; c++)
        safe [len++] = (isalnum ((unsigned char) *c) || *c == '-' || *c == '_')? *c: '_';
    safe [len] = 0;
    snprintf (path, path_size, "%s/%s-%u-XXXXXX",
              absolute, len? safe: "task", attempt);
    if (!mkdtemp (path)) {
        snprintf (err, err_size, "cannot create a work directory in %s: %s",
                  root, strerror (errno));
        *path = 0;
        return -1;
    }
    //  The task's own user must own its work directory (the directories
    //  above it need not be open to it: the child enters it while root)
    if (chown_to && chown (path, uid, gid)) {
        snprintf (err, err_size, "cannot give %s to uid %d: %s",
                  path, (int) uid, strerror (errno));
        return -1;
    }
    return 0;
}

//  Builds argv, the environment and the limits. Returns 0, or -1 with

//  --------------------------------------------------------------------------
//  Output files, from the work directory: never out of it. Every step is
//  taken relative to an open directory with O_NOFOLLOW, so a symbolic
//  link (or one put in place of a directory after it was looked at) is
//  never followed: it is reported, not copied. A task that runs as its
//  own user may only hand back what it owns (a hard link to another
//  user's file is refused), since the miner reads with its own rights.

static void s_copy_entry (s_copy_t *copy, int dir_fd, const char *name, const char *path, int depth);

static int
s_compare_names (const void *item1, const void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

static void
s_copy_file (s_copy_t *copy, int dir_fd, const char *name, const char *path)
{
    int fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat info;
    //  Looked at again once open: what is read is what was checked
    if (fd < 0 || fstat (fd, &info) || !S_ISREG (info.st_mode)
    ||  (copy->own_only && info.st_uid != copy->uid)) {
        miner_outputs_refuse (copy->files, path, "cannot read it: %s",
                              fd < 0? strerror (errno): "it changed while it was copied");
        if (fd >= 0)
            close (fd);
        return;
    }
    miner_outputs_file (copy->files, path, info.st_mode, (uint64_t) info.st_size);
    byte chunk [65536];
    uint64_t left = (uint64_t) info.st_size;    //  never more than it had
    while (left && !miner_outputs_full (copy->files)) {
        ssize_t got = read (fd, chunk, left < sizeof chunk? (size_t) left: sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        miner_outputs_feed (copy->files, chunk, (size_t) got);
        left -= (uint64_t) got;
    }
    close (fd);
}

static void
s_copy_dir (s_copy_t *copy, int dir_fd, const char *name, const char *path, int depth,
            const struct stat *info)
{
    if (depth >= S_MAX_DEPTH) {
        miner_outputs_refuse (copy->files, path, "deeper than %d levels: not copied", S_MAX_DEPTH);
        return;
    }
    int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = fd >= 0? fdopendir (fd): NULL;
    if (!dir) {
        miner_outputs_refuse (copy->files, path, "cannot read it: %s", strerror (errno));
        if (fd >= 0)
            close (fd);
        return;
    }
    miner_outputs_dir (copy->files, path, info->st_mode);
    //  In name order, so the same tree gives the same entries (and cut)
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (names, s_compare_names);
    struct dirent *entry;
    while ((entry = readdir (dir)) && zlistx_size (names) <= MINER_OUTPUTS_MAX_ENTRIES)
        if (!streq (entry->d_name, ".") && !streq (entry->d_name, ".."))
            zlistx_add_end (names, strdup (entry->d_name));
    if (entry)
        miner_outputs_left_out (copy->files);    //  more than could ever be kept
    zlistx_sort (names);
    for (char *child = (char *) zlistx_first (names); child; child = (char *) zlistx_next (names)) {
        if (miner_outputs_full (copy->files)) {
            miner_outputs_left_out (copy->files);
            break;
        }
        char *child_path = zsys_sprintf ("%s/%s", path, child);
        if (strlen (child_path) > MINER_OUTPUTS_MAX_PATH || !fg_text_valid (child, 255))
            miner_outputs_left_out (copy->files);
        else
            s_copy_entry (copy, dirfd (dir), child, child_path, depth + 1);
        zstr_free (&child_path);
    }
    zlistx_destroy (&names);
    closedir (dir);
}

static void
s_copy_entry (s_copy_t *copy, int dir_fd, const char *name, const char *path, int depth)
{
    struct stat info;
    if (fstatat (dir_fd, name, &info, AT_SYMLINK_NOFOLLOW)) {
        if (errno == ENOENT)
            miner_outputs_refuse (copy->files, path, "no such file or directory in the task's "
                                  "work directory");
        else
            miner_outputs_refuse (copy->files, path, "cannot read it: %s", strerror (errno));
        return;
    }
    if (copy->own_only && info.st_uid != copy->uid) {
        miner_outputs_refuse (copy->files, path, "not the task's own file (uid %d): not copied",
                              (int) info.st_uid);
        return;
    }
    if (S_ISLNK (info.st_mode)) {
        char target [256];
        ssize_t len = readlinkat (dir_fd, name, target, sizeof target - 1);
        target [len > 0? len: 0] = 0;
        miner_outputs_refuse (copy->files, path, "a symbolic link (to %s): not followed",
                              fg_text_valid (target, 255)? target: "?");
    }
    else
    if (S_ISREG (info.st_mode))
        s_copy_file (copy, dir_fd, name, path);
    else
    if (S_ISDIR (info.st_mode))
        s_copy_dir (copy, dir_fd, name, path, depth, &info);
    else
        miner_outputs_refuse (copy->files, path, "not a regular file or directory: not copied");
}

miner_outputs_t *
miner_workdir_copy (const char *workdir, char **outputs, size_t max_bytes, bool own_only,
                    uid_t uid)
{
    s_copy_t context = { miner_outputs_new (max_bytes), own_only, uid };
    s_copy_t *copy = &context;
    int root = open (workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    for (char **output = outputs; *output; output++) {
        const char *shown = fg_text_valid (*output, MINER_OUTPUTS_MAX_PATH)? *output: "?";
        char dest [MINER_OUTPUTS_MAX_PATH + 1];
        if (**output == '/') {
            miner_outputs_refuse (copy->files, shown, "an absolute path: the process runtime "
                                  "copies paths in the task's work directory only");
            continue;
        }
        if (fg_path_normal (*output, MINER_OUTPUTS_MAX_PATH, dest, sizeof dest)) {
            miner_outputs_refuse (copy->files, shown, "not a path to copy: 1..%d printable "
                                  "bytes, no '..' part", MINER_OUTPUTS_MAX_PATH);
            continue;
        }
        miner_outputs_begin (copy->files, dest);
        //  Down to its directory, one part at a time
        int dir_fd = root >= 0? dup (root): -1;
        char *parts = strdup (dest);
        char *base = strrchr (parts, '/');
        if (base)
            *base++ = 0;
        else
            base = parts;
        for (char *part = base == parts? NULL: parts; part && dir_fd >= 0; ) {
            char *slash = strchr (part, '/');
            if (slash)
                *slash = 0;
            int next = openat (dir_fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int error = errno;
            close (dir_fd);
            dir_fd = next;
            if (next < 0)
                miner_outputs_refuse (copy->files, dest, "%s", error == ENOENT
                    ? "no such file or directory in the task's work directory"
                    : error == ELOOP || error == ENOTDIR? "a symbolic link or a file on its way: "
                      "not followed": strerror (error));
            part = slash? slash + 1: NULL;
        }
        if (dir_fd >= 0) {
            s_copy_entry (copy, dir_fd, base, dest, 0);
            close (dir_fd);
        }
        else
        if (root < 0)
            miner_outputs_refuse (copy->files, dest, "the work directory is gone");
        free (parts);
        miner_outputs_end (copy->files);
    }
    if (root >= 0)
        close (root);
    return copy->files;
}

//  Removes the work directory, whatever the task did to it.

static int
s_unlock_entry (const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    (void) info;
    (void) ftw;
    if (type == FTW_D || type == FTW_DNR)
        chmod (path, 0700);     //  so its entries can be removed
    return 0;
}

static int
s_remove_entry (const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    (void) info;
    (void) type;
    (void) ftw;
    remove (path);
    return 0;
}

void
miner_workdir_remove (const char *workdir)
{
    if (!*workdir)
        return;
    if (rmdir (workdir) == 0)
        return;                 //  empty, as most are: no walk
    nftw (workdir, s_unlock_entry, 32, FTW_PHYS | FTW_MOUNT);
    nftw (workdir, s_remove_entry, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
    struct stat info;
    if (stat (workdir, &info) == 0)
        zsys_warning ("cannot remove the work directory %s", workdir);
}

//  For miner_workdir_clean: everything but the root itself.
static int
s_remove_below (const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    if (ftw->level > 0)
        s_remove_entry (path, info, type, ftw);
    return 0;
}


void
miner_workdir_clean (const char *root)
{
    if (!root || !*root)
        return;
    nftw (root, s_unlock_entry, 32, FTW_PHYS | FTW_MOUNT);
    nftw (root, s_remove_below, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH);
}
