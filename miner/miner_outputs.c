/*  =========================================================================
    miner_outputs - the files a task leaves, gathered for its result

    DESIGN
    Entries are Fogrid__OutputFile messages owned here, so filling a
    result is pointing at them. The bound is charged as entries come: a
    path and S_ENTRY_COST for each entry (the encoding's tags and lengths,
    generously), then each byte of content kept. A file whose content does
    not fit keeps what does (truncated); once anything was cut or left out
    the collection is full and takes no more entries but the notes, one
    per output at most (MINER_OUTPUTS_MAX_SPECS), and the cut file's
    reason, which are not charged: a result's room for the rest of its
    fields covers them (32 notes of at most ~1.2 KB). A refused entry's
    reason is charged with it.
    =========================================================================  */
#include "fogrid.h"
#include "miner_outputs.h"
#include <stdarg.h>

#define S_ENTRY_COST    48          //  bytes charged per entry besides its path

struct _miner_outputs_t {
    size_t max;                 //  the bound, in bytes
    size_t used;                //  charged so far
    zlistx_t *entries;          //  Fogrid__OutputFile, in order
    zhashx_t *paths;            //  paths kept, to keep each once
    Fogrid__OutputFile **array; //  for fill
    Fogrid__OutputFile *file;   //  the file being fed, NULL = none (or skipped)
    size_t file_room;           //  bytes of content it may keep
    bool full;                  //  something was cut or left out
    char *output;               //  the output being read, NULL between them
    size_t left_out;            //  entries of it left out
};

static void
s_entry_free (void **item)
{
    if (*item) {
        Fogrid__OutputFile *entry = (Fogrid__OutputFile *) *item;
        free (entry->path);
        free (entry->content.data);
        free (entry->error);
        free (entry);
        *item = NULL;
    }
}

miner_outputs_t *
miner_outputs_new (size_t max_bytes)
{
    miner_outputs_t *self = (miner_outputs_t *) zmalloc (sizeof (miner_outputs_t));
    self->max = max_bytes;
    self->entries = zlistx_new ();
    zlistx_set_destructor (self->entries, s_entry_free);
    self->paths = zhashx_new ();
    return self;
}

void
miner_outputs_destroy (miner_outputs_t **self_p)
{
    if (*self_p) {
        miner_outputs_t *self = *self_p;
        zlistx_destroy (&self->entries);
        zhashx_destroy (&self->paths);
        free (self->array);
        free (self->output);
        free (self);
        *self_p = NULL;
    }
}

static Fogrid__OutputFile *
s_entry_new (miner_outputs_t *self, const char *path)
{
    Fogrid__OutputFile *entry = (Fogrid__OutputFile *) zmalloc (sizeof (Fogrid__OutputFile));
    fogrid__output_file__init (entry);
    entry->path = strdup (path);
    entry->error = strdup ("");
    zlistx_add_end (self->entries, entry);
    zhashx_insert (self->paths, path, entry);
    return entry;
}

static void
s_set_error (Fogrid__OutputFile *entry, const char *format, va_list args)
{
    free (entry->error);
    entry->error = zsys_vprintf (format, args);
}

static void
s_error (Fogrid__OutputFile *entry, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    s_set_error (entry, format, args);
    va_end (args);
}

//  Charges an entry (and extra bytes of it, an error's text); false when
//  it is not kept (full, a path seen before, no room left).
static bool
s_admit (miner_outputs_t *self, const char *path, size_t extra)
{
    self->file = NULL;
    if (zhashx_lookup (self->paths, path))
        return false;           //  outputs that overlap: kept once
    size_t cost = strlen (path) + S_ENTRY_COST + extra;
    if (self->full || zlistx_size (self->entries) >= MINER_OUTPUTS_MAX_ENTRIES
    ||  self->used + cost > self->max) {
        self->full = true;
        self->left_out++;
        return false;
    }
    self->used += cost;
    return true;
}

void
miner_outputs_begin (miner_outputs_t *self, const char *path)
{
    free (self->output);
    self->output = strdup (path);
    self->left_out = 0;
    self->file = NULL;
}

void
miner_outputs_note (miner_outputs_t *self, const char *format, ...)
{
    if (!self->output)
        return;
    Fogrid__OutputFile *note = (Fogrid__OutputFile *) zhashx_lookup (self->paths, self->output);
    if (note && *note->error)
        return;                 //  it says what became of it already (cut, refused)
    if (!note)
        note = s_entry_new (self, self->output);
    va_list args;
    va_start (args, format);
    s_set_error (note, format, args);
    va_end (args);
}

void
miner_outputs_left_out (miner_outputs_t *self)
{
    self->left_out++;
}

void
miner_outputs_end (miner_outputs_t *self)
{
    if (self->left_out && self->output) {
        if (zhashx_lookup (self->paths, self->output))
            miner_outputs_note (self, "the rest of it left out: over the miner's bound of %zu "
                                "bytes for output files", self->max);
        else
            miner_outputs_note (self, "left out: over the miner's bound of %zu bytes for "
                                "output files", self->max);
    }
    zstr_free (&self->output);
    self->file = NULL;
}

bool
miner_outputs_full (miner_outputs_t *self)
{
    return self->full && (!self->file || self->file->content.len >= self->file_room);
}

void
miner_outputs_refuse (miner_outputs_t *self, const char *path, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *error = zsys_vprintf (format, args);
    va_end (args);
    //  Its reason is charged too: a thousand links must not outgrow the bound
    if (s_admit (self, path, strlen (error))) {
        Fogrid__OutputFile *entry = s_entry_new (self, path);
        free (entry->error);
        entry->error = error;
    }
    else
        zstr_free (&error);
}

void
miner_outputs_dir (miner_outputs_t *self, const char *path, uint32_t mode)
{
    if (!s_admit (self, path, 0))
        return;
    Fogrid__OutputFile *entry = s_entry_new (self, path);
    entry->dir = true;
    entry->mode = mode & 0777;
}

void
miner_outputs_file (miner_outputs_t *self, const char *path, uint32_t mode, uint64_t size)
{
    if (!s_admit (self, path, 0))
        return;
    Fogrid__OutputFile *entry = s_entry_new (self, path);
    entry->mode = mode & 0777;
    entry->size = size;
    size_t room = self->max - self->used;
    if (size > room) {
        entry->truncated = true;
        self->full = true;
        s_error (entry, "cut at %zu of %" PRIu64 " bytes: over the miner's bound of %zu bytes "
                 "for output files", room, size, self->max);
    }
    //  Charged now for all it may take: its content then only fills it
    self->file_room = size < room? (size_t) size: room;
    self->used += self->file_room;
    entry->content.data = self->file_room? (byte *) malloc (self->file_room): NULL;
    self->file = entry;
}

void
miner_outputs_feed (miner_outputs_t *self, const byte *data, size_t size)
{
    Fogrid__OutputFile *entry = self->file;
    if (!entry)
        return;
    size_t take = self->file_room - entry->content.len;
    if (take > size)
        take = size;
    if (take) {
        memcpy (entry->content.data + entry->content.len, data, take);
        entry->content.len += take;
    }
}

void
miner_outputs_tar_entry (miner_outputs_t *self, char type, const char *name, uint32_t mode,
                         uint64_t size, const char *link)
{
    if (!self->output)
        return;
    self->file = NULL;
    char plain [MINER_OUTPUTS_MAX_PATH * 2 + 2], path [MINER_OUTPUTS_MAX_PATH * 2 + 2];
    if (fg_path_normal (name, sizeof plain - 1, plain, sizeof plain)) {
        zsys_warning ("output %s: the archive holds an entry named '%.100s': left out",
                      self->output, fg_text_valid (name, 100)? name: "?");
        return;
    }
    const char *rest = strchr (plain, '/');
    snprintf (path, sizeof path, "%s%s", self->output, rest? rest: "");
    if (strlen (path) > MINER_OUTPUTS_MAX_PATH)
        self->left_out++;
    else
    if (type == '0' || type == '7')
        miner_outputs_file (self, path, mode, size);
    else
    if (type == '5')
        miner_outputs_dir (self, path, mode);
    else
    if (type == '2' || type == '1')
        miner_outputs_refuse (self, path, "a %s link (to %.200s): not copied",
                              type == '2'? "symbolic": "hard", link);
    else
        miner_outputs_refuse (self, path, "not a regular file or directory: not copied");
}

void
miner_outputs_fill (miner_outputs_t *self, Fogrid__TaskResult *result)
{
    free (self->array);
    size_t count = zlistx_size (self->entries);
    self->array = (Fogrid__OutputFile **) zmalloc (sizeof (Fogrid__OutputFile *) * (count + 1));
    size_t index = 0;
    for (Fogrid__OutputFile *entry = (Fogrid__OutputFile *) zlistx_first (self->entries); entry;
         entry = (Fogrid__OutputFile *) zlistx_next (self->entries))
        self->array [index++] = entry;
    result->files = self->array;
    result->n_files = count;
}

size_t
miner_outputs_count (miner_outputs_t *self)
{
    return zlistx_size (self->entries);
}
