/*  =========================================================================
    fg_signers - the keys whose signatures a process takes (the DAO's, in
    locator/admin_keys)

    A list is a directory of public key files, or entries comma-separated:

        64 hex digits, or a NAME.sign file      an Ed25519 signing key
                                                (fg_signkey.h): what signs now
        40 Z85 characters, or a NAME.key file   a CurveZMQ key: signs nothing
                                                new; checks hub registry records
                                                signed before signing keys
                                                existed (fg_hub_record.h)
        *                                       anyone, unsigned too

    In a directory, files ending in _secret and files that hold no key
    are passed over, and a change to the directory is seen at the next
    lookup: a key is added or withdrawn by adding or removing its file.
    =========================================================================  */
#ifndef FG_SIGNERS_H_INCLUDED
#define FG_SIGNERS_H_INCLUDED

typedef struct _fg_signers_t fg_signers_t;

//  Checks a list. Returns 0, or -1 with the entry at fault in err.
int fg_signers_check (const char *list, char *err, size_t err_size);

//  The keys of list ("" = nobody). Entries that are no key are left out
//  (fg_signers_check says which).
fg_signers_t *fg_signers_new (const char *list);
void fg_signers_destroy (fg_signers_t **self_p);

//  True with `*` in the list.
bool fg_signers_anyone (fg_signers_t *self);

//  True when key (64 lowercase hex digits, or Z85) is listed, or for any
//  key but "" with `*`.
bool fg_signers_has (fg_signers_t *self, const char *key);

//  How many signing keys (Ed25519) and CurveZMQ keys are listed.
size_t fg_signers_sign_keys (fg_signers_t *self);
size_t fg_signers_curve_keys (fg_signers_t *self);

#endif
