/*  =========================================================================
    cli_files - writes the files a task left into a buyer's directory

    DESIGN
    The paths come from a miner (through the hub), so each is checked
    before anything is made: plain and relative (fg_path_relative_valid:
    no leading '/', no '..', '.' or empty part). Then every step is taken
    from an open descriptor of DIR, one part at a time, with O_NOFOLLOW:
    a symbolic link met on the way (put in DIR earlier, by anyone) is an
    error, never a door out of DIR. Files are created with O_EXCL unless
    overwriting is asked for, and then only a regular file is replaced
    (O_NOFOLLOW refuses a link, O_NONBLOCK keeps a FIFO from blocking,
    fstat refuses the rest).
    =========================================================================  */
#include "fogrid.h"
#include "cli_files.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_PATH      2048

//  Opens the directory path (relative to root), making what is missing;
//  parts counts how many parts of path to walk (SIZE_MAX: all of them;
//  else the rest is a file's name). Returns a descriptor, or -1 with why.
static int
s_open_dir (int root, const char *path, size_t parts, char *why, size_t size)
{
    int fd = dup (root);
    if (fd < 0) {
        snprintf (why, size, "%s", strerror (errno));
        return -1;
    }
    char *copy = strdup (path);
    char *part = copy;
    for (size_t index = 0; index < parts && *part && fd >= 0; index++) {
        char *slash = strchr (part, '/');
        if (slash)
            *slash = 0;
        int next = openat (fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat (fd, part, 0755) && errno != EEXIST)
                snprintf (why, size, "cannot make %s: %s", part, strerror (errno));
            else
                next = openat (fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0 && !*why)
            snprintf (why, size, "%s: %s", part, errno == ELOOP || errno == ENOTDIR
                      ? "a symbolic link or a file is in the way: not followed": strerror (errno));
        close (fd);
        fd = next;
        part = slash? slash + 1: part + strlen (part);
    }
    free (copy);
    return fd;
}

static int
s_write_file (int root, const Fogrid__OutputFile *file, bool overwrite, char *why, size_t size)
{
    size_t parts = 0;
    for (const char *c = file->path; *c; c++)
        parts += *c == '/';
    int dir = s_open_dir (root, file->path, parts, why, size);
    if (dir < 0)
        return -1;
    const char *base = strrchr (file->path, '/');
    base = base? base + 1: file->path;
    mode_t mode = file->mode & 0777? file->mode & 0777: 0644;
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (overwrite? 0: O_EXCL);
    int fd = openat (dir, base, flags, mode);
    int error = errno;
    close (dir);
    if (fd < 0) {
        snprintf (why, size, "%s", error == EEXIST? "it exists (--force replaces it)"
                  : error == ELOOP? "a symbolic link is there: not replaced"
                  //  a FIFO without a reader, a device, a directory
                  : error == ENXIO || error == EISDIR || error == ENODEV
                  ? "something other than a file is there: not replaced": strerror (error));
        return -1;
    }
    struct stat info;
    if (fstat (fd, &info) || !S_ISREG (info.st_mode)) {
        snprintf (why, size, "something other than a file is there: not replaced");
        close (fd);
        return -1;
    }
    int rc = overwrite? ftruncate (fd, 0): 0;
    size_t done = 0;
    while (rc == 0 && done < file->content.len) {
        ssize_t wrote = write (fd, file->content.data + done, file->content.len - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0)
            rc = -1;
        else
            done += (size_t) wrote;
    }
    if (close (fd) || rc)
        snprintf (why, size, "cannot write it: %s", strerror (errno));
    return rc;
}

int
cli_files_write (const char *dir, Fogrid__OutputFile **files, size_t count, bool overwrite,
                 FILE *report)
{
    if (zsys_dir_create ("%s", dir)) {
        fprintf (report, "fogrid: cannot make %s: %s\n", dir, strerror (errno));
        return -1;
    }
    int root = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        fprintf (report, "fogrid: cannot open %s: %s\n", dir, strerror (errno));
        return -1;
    }
    int failed = 0;
    for (size_t index = 0; index < count; index++) {
        const Fogrid__OutputFile *file = files [index];
        const char *shown = fg_text_valid (file->path, S_MAX_PATH)? file->path: "?";
        char why [600] = "";
        if (!fg_path_relative_valid (file->path, S_MAX_PATH)) {
            fprintf (report, "  refused  %s: not a plain relative path: not written\n", shown);
            failed++;
            continue;
        }
        if (file->dir) {
            int fd = s_open_dir (root, file->path, SIZE_MAX, why, sizeof why);
            if (fd < 0) {
                fprintf (report, "  FAILED   %s/: %s\n", shown, why);
                failed++;
            }
            else {
                close (fd);
                fprintf (report, "  dir      %s/%s%s\n", shown, *file->error? ": ": "",
                         file->error);
            }
            continue;
        }
        if (*file->error && !file->truncated) {
            fprintf (report, "  missing  %s: %s\n", shown, file->error);
            continue;
        }
        if (s_write_file (root, file, overwrite, why, sizeof why)) {
            fprintf (report, "  FAILED   %s: %s\n", shown, why);
            failed++;
        }
        else
        if (file->truncated)
            fprintf (report, "  cut      %s: %s\n", shown, file->error);
        else
            fprintf (report, "  wrote    %s (%zu bytes)\n", shown, file->content.len);
    }
    close (root);
    return failed;
}
