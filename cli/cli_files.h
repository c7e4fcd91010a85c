/*  =========================================================================
    cli_files - writes the files a task left into a buyer's directory

    `fogrid result --files DIR TASK` hands the result's files (its
    miner copied what `submit --output` named) to cli_files_write, which
    puts each under DIR at its path and never anywhere else: a path that
    is not plain and relative is refused, no symbolic link (one already in
    DIR, say) is ever followed, and an existing file is only replaced when
    the caller says so.

        int failed = cli_files_write ("results", reply->files, reply->n_files, false, stderr);
    =========================================================================  */
#ifndef CLI_FILES_H_INCLUDED
#define CLI_FILES_H_INCLUDED

//  Writes files under dir (made, with its parents, when missing).
//  Directories are made 0755, files get their mode's permission bits
//  (never set-id). An entry with an error is reported on report and,
//  when it is a cut file, written as far as it goes. overwrite: replace
//  existing files (never a symbolic link or anything but a file).
//  Returns the number of entries that could not be written (an entry
//  missing on the miner's side is reported, not counted), or -1 when
//  dir itself cannot be used.
int cli_files_write (const char *dir, Fogrid__OutputFile **files, size_t count, bool overwrite,
                     FILE *report);

#endif
