/*  =========================================================================
    fg_log - the daemons' log lines, for a terminal, a file or journald
    =========================================================================  */
#include "fogrid.h"
#include "fg_log.h"

//  What the stream keeps between writes: the unfinished line
typedef struct {
    char line [4096];           //  bytes of a line not yet ended
    size_t length;              //  how many
    bool journal;               //  stderr is the journal
} s_stream_t;

static FILE *s_file = NULL;     //  the stream czmq writes to
static s_stream_t s_stream;

bool
fg_log_to_journal (void)
{
    const char *value = getenv ("JOURNAL_STREAM");
    unsigned long long device, inode;
    if (!value || sscanf (value, "%llu:%llu", &device, &inode) != 2)
        return false;
    struct stat st;
    if (fstat (STDERR_FILENO, &st))
        return false;
    return (unsigned long long) st.st_dev == device && (unsigned long long) st.st_ino == inode;
}

int
fg_log_priority (char level)
{
    switch (level) {
        case 'E': return 3;     //  SD_ERR
        case 'W': return 4;     //  SD_WARNING
        case 'N': return 5;     //  SD_NOTICE
        case 'D': return 7;     //  SD_DEBUG
        default:  return 6;     //  SD_INFO
    }
}

//  True when text starts with czmq's "yy-mm-dd HH:MM:SS "
static bool
s_is_czmq_date (const char *text)
{
    const char *shape = "dd-dd-dd dd:dd:dd ";
    for (; *shape; shape++, text++) {
        if (*shape == 'd'? !isdigit ((unsigned char) *text): *text != *shape)
            return false;
    }
    return true;
}

size_t
fg_log_format (char *out, size_t size, const char *line, bool journal,
               const struct timespec *now)
{
    //  "L: (ident) date text" or "L: date text"; anything else is text
    char level = 'I';
    const char *ident = NULL;
    size_t ident_length = 0;
    const char *text = line;
    if (line [0] && line [1] == ':' && line [2] == ' ') {
        const char *at = line + 3;
        if (*at == '(') {
            const char *close = strstr (at, ") ");
            if (close) {
                ident = at + 1;
                ident_length = close - ident;
                at = close + 2;
            }
        }
        if (s_is_czmq_date (at)) {
            level = line [0];
            text = at + 18;
        }
        else
            ident = NULL;
    }
    int length;
    if (journal)
        length = snprintf (out, size, "<%d>%s\n", fg_log_priority (level), text);
    else {
        struct tm tm;
        gmtime_r (&now->tv_sec, &tm);
        char stamp [32];
        strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        if (ident)
            length = snprintf (out, size, "%s.%03dZ %c: (%.*s) %s\n", stamp,
                               (int) (now->tv_nsec / 1000000), level,
                               (int) ident_length, ident, text);
        else
            length = snprintf (out, size, "%s.%03dZ %c: %s\n", stamp,
                               (int) (now->tv_nsec / 1000000), level, text);
    }
    if (length < 0)
        length = 0;
    if ((size_t) length >= size) {      //  cut: still one line
        length = size - 1;
        if (length > 0)
            out [length - 1] = '\n';
    }
    return (size_t) length;
}

static void
s_emit (s_stream_t *self)
{
    self->line [self->length] = 0;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    char out [sizeof self->line + 64];
    size_t length = fg_log_format (out, sizeof out, self->line, self->journal, &now);
    const char *at = out;
    while (length > 0) {
        ssize_t done = write (STDERR_FILENO, at, length);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            break;              //  nowhere to say so
        at += done;
        length -= (size_t) done;
    }
    self->length = 0;
}

//  stdio calls this with the stream locked: one writer at a time
static ssize_t
s_write (void *cookie, const char *bytes, size_t size)
{
    s_stream_t *self = (s_stream_t *) cookie;
    for (size_t index = 0; index < size; index++) {
        if (bytes [index] == '\n')
            s_emit (self);
        else {
            if (self->length == sizeof self->line - 1)
                s_emit (self);
            self->line [self->length++] = bytes [index];
        }
    }
    return (ssize_t) size;
}

void
fg_log_start (void)
{
    if (s_file)
        return;
    s_stream.journal = fg_log_to_journal ();
    cookie_io_functions_t functions = { .write = s_write };
    s_file = fopencookie (&s_stream, "w", functions);
    if (!s_file)
        return;                 //  czmq keeps writing its own lines
    setvbuf (s_file, NULL, _IOLBF, 0);
    zsys_set_logstream (s_file);
}
