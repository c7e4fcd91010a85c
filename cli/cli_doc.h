/*  =========================================================================
    cli_doc - the hub's signed documents on the command line: a receipt
    or a verdict fetched into a file, and read back for an offline check

    `fogrid receipt` and `fogrid verdict` take the same arguments and
    save the same way; `fogrid verify-receipt` and `fogrid verify-verdict`
    take the same arguments and read the same way (FILE, or - for stdin,
    up to a size the document's kind allows). What each document holds,
    and how it is checked, is its own (fg_receipt.h, fg_verdict.h).

        const char *task, *file;
        if (!cli_doc_fetch_args (argc, argv, &task, &file))    //  [-o FILE] TASK
            ...usage...
        char *json = cli_doc_read (file, 65536);               //  NULL: said why
    =========================================================================  */
#ifndef CLI_DOC_H_INCLUDED
#define CLI_DOC_H_INCLUDED

//  `CMD [-o|--output FILE] TASK`: true when argv [1..] are that (file
//  NULL when not given).
bool cli_doc_fetch_args (int argc, char **argv, const char **task_p, const char **file_p);

//  `CMD --hub-key KEY FILE` (FILE may be -): true when argv [1..] are
//  that.
bool cli_doc_verify_args (int argc, char **argv, const char **file_p, const char **hub_key_p);

//  Writes text and a newline into file, or on stdout when file is NULL.
//  Returns 0, or 1 when file cannot be written (said on stderr).
int cli_doc_write (const char *text, const char *file);

//  Reads file (- for stdin), at most about max bytes, as a string to
//  free. NULL when it cannot be read ("fogrid: FILE: cannot read it").
char *cli_doc_read (const char *file, size_t max);

#endif
