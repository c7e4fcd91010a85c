/*  =========================================================================
    test_fg_signed - what the signed documents share: the tagged JSON,
    its fields, hex, and an Ed25519 signature over a canonical text
    =========================================================================  */
#include "test_support.h"
#include "fg_signed.h"
#include <sodium.h>

static void
test_fields (void)
{
    char err [256];
    CU_ASSERT_PTR_NULL (fg_signed_load ("[]", "receipt", "fogrid-receipt/1", err, sizeof err));
    CU_ASSERT (strncmp (err, "not a JSON object", 17) == 0);
    CU_ASSERT_PTR_NULL (fg_signed_load ("{\"verdict\": \"fogrid-verdict/1\"}", "receipt",
                                        "fogrid-receipt/1", err, sizeof err));
    CU_ASSERT_STRING_EQUAL (err, "not a fogrid receipt (want \"receipt\": \"fogrid-receipt/1\")");
    //  A key given twice is refused, not read as either
    CU_ASSERT_PTR_NULL (fg_signed_load ("{\"receipt\": \"fogrid-receipt/1\", \"a\": 1, \"a\": 2}",
                                        "receipt", "fogrid-receipt/1", err, sizeof err));

    json_t *root = fg_signed_load ("{\"receipt\": \"fogrid-receipt/1\", \"id\": \"t-1\","
                                   " \"n\": 5, \"bad\": \"a\\nb\", \"empty\": \"\"}",
                                   "receipt", "fogrid-receipt/1", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (root);
    char field [4];
    CU_ASSERT_EQUAL (fg_signed_get_text (root, "id", field, sizeof field, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL (field, "t-1");
    CU_ASSERT_EQUAL (fg_signed_get_text (root, "empty", field, sizeof field, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL (field, "");
    //  Too long for its field, not printable, missing, not a string
    CU_ASSERT_EQUAL (fg_signed_get_text (root, "receipt", field, sizeof field,
                                         err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL (err, "\"receipt\" is missing or not a string of at most 3 printable "
                                 "characters");
    CU_ASSERT_EQUAL (fg_signed_get_text (root, "bad", field, sizeof field, err, sizeof err), -1);
    CU_ASSERT_EQUAL (fg_signed_get_text (root, "none", field, sizeof field, err, sizeof err), -1);
    CU_ASSERT_EQUAL (fg_signed_get_text (root, "n", field, sizeof field, err, sizeof err), -1);
    int64_t value = 0;
    CU_ASSERT_EQUAL (fg_signed_get_int (root, "n", 1, &value, err, sizeof err), 0);
    CU_ASSERT_EQUAL (value, 5);
    CU_ASSERT_EQUAL (fg_signed_get_int (root, "n", 6, &value, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL (err, "\"n\" is missing or not an integer of at least 6");
    CU_ASSERT_EQUAL (fg_signed_get_int (root, "id", 0, &value, err, sizeof err), -1);
    json_decref (root);

    CU_ASSERT_TRUE (fg_signed_hex_valid ("00aFf9", 6));
    CU_ASSERT_FALSE (fg_signed_hex_valid ("00aFf9", 4));
    CU_ASSERT_FALSE (fg_signed_hex_valid ("00aFg9", 6));
}

static void
test_verify (void)
{
    CU_ASSERT_FATAL (sodium_init () >= 0);
    unsigned char pk [crypto_sign_PUBLICKEYBYTES], sk [crypto_sign_SECRETKEYBYTES];
    unsigned char sig [crypto_sign_BYTES];
    crypto_sign_keypair (pk, sk);
    const char *text = "fogrid-test/1\n3:abc\n";
    crypto_sign_detached (sig, NULL, (const unsigned char *) text, strlen (text), sk);
    char key_hex [65], sig_hex [129], err [256];
    sodium_bin2hex (key_hex, sizeof key_hex, pk, sizeof pk);
    sodium_bin2hex (sig_hex, sizeof sig_hex, sig, sizeof sig);
    CU_ASSERT_EQUAL (fg_signed_verify ("receipt", "key", text, key_hex, sig_hex,
                                       err, sizeof err), 0);
    //  One byte of the text changed
    CU_ASSERT_EQUAL (fg_signed_verify ("receipt", "key", "fogrid-test/1\n3:abd\n", key_hex,
                                       sig_hex, err, sizeof err), -1);
    CU_ASSERT (strncmp (err, "bad signature: the receipt was changed", 38) == 0);
    //  No text (it could not be made) fails too
    CU_ASSERT_EQUAL (fg_signed_verify ("receipt", "key", NULL, key_hex, sig_hex,
                                       err, sizeof err), -1);
    //  Hex of the wrong length, or not hex
    CU_ASSERT_EQUAL (fg_signed_verify ("statement", "ledger key", text, "abcd", sig_hex,
                                       err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL (err, "the statement's ledger key or signature is not hex of the "
                                 "right length");
    char longer [131];
    snprintf (longer, sizeof longer, "%s00", sig_hex);
    CU_ASSERT_EQUAL (fg_signed_verify ("verdict", "key", text, key_hex, longer,
                                       err, sizeof err), -1);
    sig_hex [5] = 'x';
    CU_ASSERT_EQUAL (fg_signed_verify ("verdict", "key", text, key_hex, sig_hex,
                                       err, sizeof err), -1);
}

void
test_fg_signed_add (void)
{
    ts_add_suite ("fg_signed",
        "the tagged JSON, its text and integer fields, hex", test_fields,
        "a signature over a canonical text, and what breaks it", test_verify,
        NULL);
}
