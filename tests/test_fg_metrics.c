/*  =========================================================================
    test_fg_metrics - the Prometheus text format: family headers, samples,
    escapes in help text and label values, and pages of any size
    =========================================================================  */
#include "test_support.h"

static void
test_escapes (void)
{
    fg_metrics_t *metrics = fg_metrics_new ();
    fg_metrics_family (metrics, "fogrid_test_total", "counter",
                       "a \"quoted\" word, a back\\slash\nand a new line");
    fg_metrics_sample2 (metrics, "path", "C:\\x \"y\"\nz", "plain", "ok", 3);
    fg_metrics_sample (metrics, NULL, NULL, 9007199254740992.0);
    const char *expected =
        "# HELP fogrid_test_total a \"quoted\" word, a back\\\\slash\\nand a new line\n"
        "# TYPE fogrid_test_total counter\n"
        "fogrid_test_total{path=\"C:\\\\x \\\"y\\\"\\nz\",plain=\"ok\"} 3\n"
        "fogrid_test_total 9007199254740992\n";
    CU_ASSERT_STRING_EQUAL (fg_metrics_text (metrics), expected);
    CU_ASSERT_EQUAL (fg_metrics_size (metrics), strlen (expected));
    fg_metrics_destroy (&metrics);
}

//  A page far past the first buffer, of text that ends on each escape
static void
test_large_page (void)
{
    fg_metrics_t *metrics = fg_metrics_new ();
    char help [3000];
    memset (help, 'h', sizeof help - 2);
    help [sizeof help - 2] = '\\';
    help [sizeof help - 1] = 0;
    for (int index = 0; index < 100; index++) {
        char name [64];
        snprintf (name, sizeof name, "fogrid_test_%d", index);
        fg_metrics_family (metrics, name, "gauge", help);
        fg_metrics_sample (metrics, "n", "\"", index);
    }
    const char *text = fg_metrics_text (metrics);
    CU_ASSERT_EQUAL (strlen (text), fg_metrics_size (metrics));
    CU_ASSERT (fg_metrics_size (metrics) > 100 * sizeof help);
    CU_ASSERT_PTR_NOT_NULL (strstr (text, "hhh\\\\\n# TYPE fogrid_test_99 gauge\n"
                                          "fogrid_test_99{n=\"\\\"\"} 99\n"));
    fg_metrics_destroy (&metrics);
}

void
test_fg_metrics_add (void)
{
    ts_add_suite ("fg_metrics",
        "help text and label values escaped", test_escapes,
        "a page larger than the first buffer", test_large_page,
        NULL);
}
