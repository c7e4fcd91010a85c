/*  =========================================================================
    fg_datadir - one daemon per data directory
    =========================================================================  */
#include "fogrid.h"
#include <sys/file.h>

struct _fg_datadir_t {
    int fd;                     //  DIR/lock, open and flock'ed for our life
    char *path;                 //  "DIR/lock"
};

pid_t
fg_datadir_holder (const char *dir)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", dir, FG_DATADIR_LOCK);
    FILE *file = fopen (path, "re");
    if (!file)
        return 0;
    long pid = 0;
    if (fscanf (file, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
        pid = 0;
    fclose (file);
    return (pid_t) pid;
}

fg_datadir_t *
fg_datadir_lock (const char *dir, pid_t *holder, char *err, size_t err_size)
{
    *holder = 0;
    if (!dir || !*dir) {
        snprintf (err, err_size, "no data directory");
        return NULL;
    }
    if (zsys_dir_create ("%s", dir) || !zsys_file_exists (dir)) {
        snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
        return NULL;
    }
    fg_datadir_t *self = (fg_datadir_t *) zmalloc (sizeof (fg_datadir_t));
    self->path = zsys_sprintf ("%s/%s", dir, FG_DATADIR_LOCK);
    self->fd = open (self->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (self->fd < 0) {
        snprintf (err, err_size, "cannot open %s: %s", self->path, strerror (errno));
        fg_datadir_destroy (&self);
        return NULL;
    }
    if (flock (self->fd, LOCK_EX | LOCK_NB)) {
        int error = errno;
        if (error == EWOULDBLOCK) {
            //  The holder writes its pid just after it locks: give it a
            //  moment when we came in between
            for (int tries = 0; tries < 20 && !*holder; tries++) {
                *holder = fg_datadir_holder (dir);
                if (!*holder)
                    zclock_sleep (10);
            }
            if (*holder)
                snprintf (err, err_size, "%s is locked by pid %d", self->path, (int) *holder);
            else
                snprintf (err, err_size, "%s is locked by another process", self->path);
        }
        else
            snprintf (err, err_size, "cannot lock %s: %s", self->path, strerror (error));
        fg_datadir_destroy (&self);
        return NULL;
    }
    //  Ours now: the pid for people to read (a previous holder's may be
    //  there, longer than ours)
    char text [32];
    int length = snprintf (text, sizeof text, "%d\n", (int) getpid ());
    if (ftruncate (self->fd, 0) || pwrite (self->fd, text, length, 0) != length)
        zsys_warning ("cannot write our pid in %s: %s", self->path, strerror (errno));
    return self;
}

void
fg_datadir_destroy (fg_datadir_t **self_p)
{
    if (*self_p) {
        fg_datadir_t *self = *self_p;
        if (self->fd >= 0)
            close (self->fd);   //  the last reference: the lock goes with it
        zstr_free (&self->path);
        free (self);
        *self_p = NULL;
    }
}

const char *
fg_datadir_lock_path (fg_datadir_t *self)
{
    return self->path;
}

int
fg_datadir_check (const char *dir, const char *setting, char *err, size_t err_size)
{
    if (!dir || !*dir) {
        snprintf (err, err_size, "%s is empty", setting);
        return -1;
    }
    struct stat st;
    if (stat (dir, &st) == 0) {
        if (!S_ISDIR (st.st_mode)) {
            snprintf (err, err_size, "%s: %s is not a directory", setting, dir);
            return -1;
        }
        if (access (dir, W_OK | X_OK)) {
            snprintf (err, err_size, "%s: %s is not writable: %s", setting, dir, strerror (errno));
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT) {
        snprintf (err, err_size, "%s: %s: %s", setting, dir, strerror (errno));
        return -1;
    }
    //  Missing: a start makes it (and its missing parents) in the nearest
    //  existing one, which must be a directory we can write
    char parent [PATH_MAX];
    snprintf (parent, sizeof parent, "%s", dir);
    while (true) {
        char *slash = strrchr (parent, '/');
        while (slash && slash > parent && slash [1] == 0) {     //  "a/b/"
            *slash = 0;
            slash = strrchr (parent, '/');
        }
        if (!slash)
            snprintf (parent, sizeof parent, ".");
        else
        if (slash == parent)
            parent [1] = 0;     //  "/"
        else
            *slash = 0;
        if (stat (parent, &st) == 0)
            break;
        if (errno != ENOENT || streq (parent, ".") || streq (parent, "/")) {
            snprintf (err, err_size, "%s: %s: %s", setting, parent, strerror (errno));
            return -1;
        }
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s: cannot make %s: %s is not a directory", setting, dir, parent);
        return -1;
    }
    if (access (parent, W_OK | X_OK)) {
        snprintf (err, err_size, "%s: cannot make %s: %s is not writable: %s", setting, dir,
                  parent, strerror (errno));
        return -1;
    }
    return 0;
}
