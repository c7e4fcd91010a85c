/*  =========================================================================
    miner_outputs - the files a task leaves, gathered for its result

    Both runtimes copy the paths a task names (TaskSpec.outputs) into the
    same bounded list of OutputFile entries: the docker runtime from the
    engine's tar archive of each path, the process runtime from the
    task's work directory. One output at a time:

        miner_outputs_t *outputs = miner_outputs_new (1024 * 1024);
        miner_outputs_begin (outputs, "out/dir");
        miner_outputs_dir (outputs, "out/dir", 0755);
        miner_outputs_file (outputs, "out/dir/a.txt", 0644, size);
        miner_outputs_feed (outputs, data, size);       //  in pieces
        miner_outputs_end (outputs);
        miner_outputs_begin (outputs, "out/missing");
        miner_outputs_refuse (outputs, "out/missing", "no such file or directory");
        miner_outputs_end (outputs);
        miner_outputs_fill (outputs, &result);

    The bound counts contents, paths and a little per entry together, so
    a result never grows past it, whatever the task left (a huge file,
    a million empty ones). Past it a file is cut (truncated, with a note
    in its error), later entries are left out, and the output they
    belonged to says so (a note on its own entry, or an entry of its
    own). Paths must be in their plain relative form
    (fg_path_relative_valid), but a refused one's, which only names what
    was asked; the same path twice (outputs that overlap) is kept once.
    =========================================================================  */
#ifndef MINER_OUTPUTS_H_INCLUDED
#define MINER_OUTPUTS_H_INCLUDED

#define MINER_OUTPUTS_MAX_ENTRIES   1000    //  entries of files and directories kept
#define MINER_OUTPUTS_MAX_PATH      1024    //  bytes of a path (also TaskSpec.outputs)
#define MINER_OUTPUTS_MAX_SPECS     32      //  paths a task may name

typedef struct _miner_outputs_t miner_outputs_t;

miner_outputs_t *miner_outputs_new (size_t max_bytes);
void miner_outputs_destroy (miner_outputs_t **self_p);

//  Starts and ends the entries of one output (path: its plain form).
void miner_outputs_begin (miner_outputs_t *self, const char *path);
void miner_outputs_end (miner_outputs_t *self);

//  True once it takes nothing more: something was cut or left out, and
//  the file being fed (if any) has all it may keep. A reader may stop
//  here; if the output had more, it says so with miner_outputs_left_out.
bool miner_outputs_full (miner_outputs_t *self);

//  Counts entries of the current output left out unread: its end notes it.
void miner_outputs_left_out (miner_outputs_t *self);

//  A note on the current output, e.g. why it could not be read to its
//  end: on its own entry (unless that says something already), else on
//  a new entry with its path (printf-style).
void miner_outputs_note (miner_outputs_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  An entry that is not copied, and why (printf-style).
void miner_outputs_refuse (miner_outputs_t *self, const char *path, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  A directory.
void miner_outputs_dir (miner_outputs_t *self, const char *path, uint32_t mode);

//  A file of size bytes; its content comes through miner_outputs_feed
//  until the next entry. Bytes past size are ignored.
void miner_outputs_file (miner_outputs_t *self, const char *path, uint32_t mode, uint64_t size);
void miner_outputs_feed (miner_outputs_t *self, const byte *data, size_t size);

//  Takes an entry of a tar archive of the current output, as the Docker
//  engine makes one (miner_tar reads it): its name is the output's base
//  name, then its path inside it, so it goes at the output's path and
//  what follows the name's first part. A file's content then comes
//  through miner_outputs_feed; links and special files are refused, an
//  entry whose name is not plain is left out.
void miner_outputs_tar_entry (miner_outputs_t *self, char type, const char *name,
                              uint32_t mode, uint64_t size, const char *link);

//  Points result's files at the entries (they stay self's: keep it until
//  the result is sent).
void miner_outputs_fill (miner_outputs_t *self, Fogrid__TaskResult *result);

//  Entries so far.
size_t miner_outputs_count (miner_outputs_t *self);

#endif
