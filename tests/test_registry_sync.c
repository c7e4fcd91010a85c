/*  =========================================================================
    test_registry_sync - three real locators sharing one hub registry

    Three locator processes on loopback, security on, one key pair (as
    the docker-compose cluster has them), each naming all three in
    locator/peers (itself too: it is skipped), pulling every 200 ms. The
    DAO's changes are made with the real `fogrid admin registry`, each at
    one locator only; the registries are read from each locator's
    /v1/registry. A fourth peer of the third locator is this test: it
    serves records as a locator broken into would, a DAO change altered
    after signing, a change signed by a key that is not the DAO's, one
    signed the old way with a CurveZMQ key that is not listed either, an
    unsigned one, and a real DAO change twice. The locators list the
    DAO's signing key as its file (dao.sign, as `fogrid keygen` made it).
    =========================================================================  */
#include "test_support.h"
#include "fg_hub_record.h"

#define S_LOCATORS  3
#define S_SYNC_MS   200
#define S_BOUND_MS  3000        //  a change must reach every locator within this

typedef struct {
    int port;
    int http;
    char endpoint [64];
    char data [600];
    ts_proc_t *proc;
} s_locator_t;

//  The broken-into peer: a log of records it serves once armed
typedef struct {
    zcert_t *cert;              //  the locators' key pair: it passes for one
    int port;
    size_t count;               //  records in its log
    Fogrid__RegistrySet records [8];
    fg_hub_seal_t seals [8];
} s_fake_t;

static struct {
    char *dir;
    char locator_keys [600];
    char admin_keys [600];
    char intruder_keys [600];
    char admin_sign [700];      //  the DAO's signing public key file
    char peers [400];
    s_locator_t locators [S_LOCATORS];
    s_fake_t fake;
    zactor_t *fake_actor;
} grid;

//  --------------------------------------------------------------------------
//  The broken-into peer

static void
s_fake_actor (zsock_t *pipe, void *args)
{
    s_fake_t *fake = (s_fake_t *) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zcert_apply (fake->cert, router);
    zsock_set_curve_server (router, 1);
    fake->port = zsock_bind (router, "tcp://127.0.0.1:*");
    zsock_signal (pipe, 0);
    bool armed = false;
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, 1000);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            if (command && streq (command, "ARM"))
                armed = true;
            zstr_free (&command);
            if (term)
                break;
        }
        else
        if (which == router) {
            zframe_t *peer = NULL;
            fg_error_t error;
            uint64_t seq;
            fg_env_t *env = fg_msg_recv (router, &peer, &error, &seq);
            if (env && env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_SYNC) {
                uint64_t after = streq (env->registry_sync->log_id, "fake-log")
                               ? env->registry_sync->after: 0;
                Fogrid__RegistryLogEntry entries [8], *pointers [8];
                Fogrid__RegistryRecords records = FOGRID__REGISTRY_RECORDS__INIT;
                records.log_id = "fake-log";
                records.entries = pointers;
                for (size_t index = 0; armed && index < fake->count; index++)
                    if (index + 1 > after) {
                        fogrid__registry_log_entry__init (&entries [records.n_entries]);
                        entries [records.n_entries].seq = index + 1;
                        entries [records.n_entries].record = &fake->records [index];
                        pointers [records.n_entries] = &entries [records.n_entries];
                        records.n_entries++;
                    }
                fg_env_t reply = FOGRID__ENVELOPE__INIT;
                reply.seq = env->seq;
                reply.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_RECORDS;
                reply.registry_records = &records;
                fg_msg_send (router, peer, &reply);
            }
            fg_msg_free (&env);
            zframe_destroy (&peer);
        }
        else
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  --------------------------------------------------------------------------
//  The locators

static void
s_locator_start (int index)
{
    s_locator_t *locator = &grid.locators [index];
    char bind [64], http [64], keys [700], admin [800], peers [600];
    snprintf (bind, sizeof bind, "tcp://127.0.0.1:%d", locator->port);
    snprintf (http, sizeof http, "127.0.0.1:%d", locator->http);
    snprintf (keys, sizeof keys, "security/keys=%s", grid.locator_keys);
    snprintf (admin, sizeof admin, "locator/admin_keys=%s", grid.admin_sign);
    //  The third one has the broken-into peer too
    if (index == 2)
        snprintf (peers, sizeof peers, "locator/peers=%s,tcp://127.0.0.1:%d", grid.peers,
                  grid.fake.port);
    else
        snprintf (peers, sizeof peers, "locator/peers=%s", grid.peers);
    char name [16];
    snprintf (name, sizeof name, "locator%d", index + 1);
    locator->proc = ts_proc_start (grid.dir, name, "fogrid-locator", "--bind", bind,
                                   "--dns", "", "--http", http, "--data", locator->data,
                                   "-o", keys, "-o", admin, "-o", peers,
                                   "-o", "locator/peer_sync_ms=200", NULL);
}

static int
s_grid_up (void)
{
    memset (&grid, 0, sizeof grid);
    grid.dir = ts_tmpdir_new ("registry-sync");
    snprintf (grid.locator_keys, sizeof grid.locator_keys, "%s/locator.key", grid.dir);
    snprintf (grid.admin_keys, sizeof grid.admin_keys, "%s/dao.key", grid.dir);
    snprintf (grid.intruder_keys, sizeof grid.intruder_keys, "%s/intruder.key", grid.dir);
    if (ts_run (NULL, "for k in %s %s %s; do %s keygen $k >/dev/null 2>&1 || exit 1; done",
                grid.locator_keys, grid.admin_keys, grid.intruder_keys, ts_bin ("fogrid")) != 0)
        return -1;
    fg_signkey_path (grid.admin_keys, grid.admin_sign, sizeof grid.admin_sign);
    grid.fake.cert = zcert_load (grid.locator_keys);
    if (!grid.fake.cert)
        return -1;
    grid.fake_actor = zactor_new (s_fake_actor, &grid.fake);
    for (int index = 0; index < S_LOCATORS; index++) {
        s_locator_t *locator = &grid.locators [index];
        locator->port = ts_free_port ();
        locator->http = ts_free_port ();
        snprintf (locator->endpoint, sizeof locator->endpoint, "tcp://127.0.0.1:%d", locator->port);
        snprintf (locator->data, sizeof locator->data, "%s/locator%d", grid.dir, index + 1);
        size_t length = strlen (grid.peers);
        snprintf (grid.peers + length, sizeof grid.peers - length, "%s%s", length? ",": "",
                  locator->endpoint);
    }
    for (int index = 0; index < S_LOCATORS; index++)
        s_locator_start (index);
    return 0;
}

static int
s_grid_down (void)
{
    for (int index = 0; index < S_LOCATORS; index++)
        ts_proc_kill (&grid.locators [index].proc);
    zactor_destroy (&grid.fake_actor);
    zcert_destroy (&grid.fake.cert);
    ts_tmpdir_remove (&grid.dir);
    return 0;
}

//  `fogrid admin registry ...` at one locator, as the DAO (or keys).
static int
s_admin (int index, const char *keys, const char *args)
{
    char *output = NULL;
    int rc = ts_run (&output, "%s -l %s -K %s -k %s admin registry %s", ts_bin ("fogrid"),
                     grid.locators [index].endpoint, grid.locator_keys, keys, args);
    if (rc)
        fprintf (stderr, "\nfogrid admin registry %s: %s\n", args, output);
    free (output);
    return rc;
}

//  A locator's /v1/registry, or NULL when it does not answer.
static json_t *
s_registry (int index)
{
    char *output = NULL;
    json_t *root = NULL;
    if (ts_run (&output, "curl -sf http://127.0.0.1:%d/v1/registry",
                grid.locators [index].http) == 0)
        root = json_loads (output, 0, NULL);
    free (output);
    return root;
}

//  The hub's status at a locator ("" when absent or unreachable), into status.
static void
s_status (int index, const char *hub_id, char *status, size_t size)
{
    status [0] = 0;
    json_t *root = s_registry (index);
    size_t at;
    json_t *hub;
    json_array_foreach (json_object_get (root, "hubs"), at, hub)
        if (streq (json_string_value (json_object_get (hub, "hub_id")), hub_id))
            snprintf (status, size, "%s", json_string_value (json_object_get (hub, "status")));
    json_decref (root);
}

//  The whole registry at a locator as text (its hubs), to compare.
static char *
s_registry_text (int index)
{
    json_t *root = s_registry (index);
    char *text = root? json_dumps (json_object_get (root, "hubs"), JSON_SORT_KEYS): NULL;
    json_decref (root);
    return text? text: strdup ("(no answer)");
}

typedef struct {
    const char *hub_id;
    const char *status;
    int locators [S_LOCATORS];  //  which to look at: 1
} s_wait_t;

static bool
s_everywhere_cond (void *arg)
{
    s_wait_t *wait = (s_wait_t *) arg;
    for (int index = 0; index < S_LOCATORS; index++) {
        char status [32];
        if (!wait->locators [index])
            continue;
        s_status (index, wait->hub_id, status, sizeof status);
        if (!streq (status, wait->status))
            return false;
    }
    return true;
}

//  Waits until every locator in mask shows hub_id with status; returns
//  how long it took (ms), or -1 past S_BOUND_MS.
static int64_t
s_reaches (const char *hub_id, const char *status, int a, int b, int c)
{
    s_wait_t wait = { hub_id, status, { a, b, c } };
    int64_t start = zclock_mono ();
    if (!ts_wait_for (s_everywhere_cond, &wait, S_BOUND_MS)) {
        for (int index = 0; index < S_LOCATORS; index++) {
            char *text = s_registry_text (index);
            fprintf (stderr, "\nlocator%d: %s\n", index + 1, text);
            free (text);
        }
        return -1;
    }
    return zclock_mono () - start;
}

//  A sample of a locator's /metrics ("name{labels}"), -1 when missing.
static double
s_metric (int index, const char *sample)
{
    char *output = NULL;
    double value = -1;
    if (ts_run (&output, "curl -sf http://127.0.0.1:%d/metrics", grid.locators [index].http) == 0) {
        char *line = output;
        while (line && *line) {
            char *end = strchr (line, '\n');
            if (end)
                *end = 0;
            size_t length = strlen (sample);
            if (strncmp (line, sample, length) == 0 && line [length] == ' ')
                value = atof (line + length + 1);
            line = end? end + 1: NULL;
        }
    }
    free (output);
    return value;
}

//  True when the locators answer: the one at *arg, or all (arg NULL).
static bool
s_up_cond (void *arg)
{
    for (int index = 0; index < S_LOCATORS; index++) {
        if (arg && *(int *) arg != index)
            continue;
        json_t *root = s_registry (index);
        bool up = root != NULL;
        json_decref (root);
        if (!up)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  The tests

static void
test_spread (void)
{
    CU_ASSERT_FATAL (ts_wait_for (s_up_cond, NULL, 10000));
    //  Added at the first: the others have it within the bound
    CU_ASSERT_EQUAL_FATAL (s_admin (0, grid.admin_keys, "add h-a --stake 10"), 0);
    int64_t took = s_reaches ("h-a", "registered", 1, 1, 1);
    CU_ASSERT (took >= 0);
    printf ("\n    a change at one locator reached the other two in %" PRId64 " ms "
            "(peer_sync_ms %d)\n", took, S_SYNC_MS);
    //  Suspected at the second: the first and the third follow
    CU_ASSERT_EQUAL (s_admin (1, grid.admin_keys, "suspect h-a --reason 'late payouts'"), 0);
    took = s_reaches ("h-a", "suspected", 1, 1, 1);
    CU_ASSERT (took >= 0);
    printf ("    and back the other way in %" PRId64 " ms\n", took);
    //  Not the DAO: refused where it is made, nothing spreads
    CU_ASSERT_NOT_EQUAL (s_admin (0, grid.intruder_keys, "clear h-a"), 0);
    zclock_sleep (3 * S_SYNC_MS);
    CU_ASSERT (s_reaches ("h-a", "suspected", 1, 1, 1) >= 0);
    //  Every registry the same, to the byte; each locator skipped itself
    char *one = s_registry_text (0), *two = s_registry_text (1), *three = s_registry_text (2);
    CU_ASSERT_STRING_EQUAL (one, two);
    CU_ASSERT_STRING_EQUAL (one, three);
    free (one);
    free (two);
    free (three);
    char sample [200];
    snprintf (sample, sizeof sample, "fogrid_locator_registry_peer_up{peer=\"%s\"}",
              grid.locators [1].endpoint);
    CU_ASSERT_EQUAL (s_metric (0, sample), 1);
    snprintf (sample, sizeof sample, "fogrid_locator_registry_peer_up{peer=\"%s\"}",
              grid.locators [0].endpoint);
    CU_ASSERT_EQUAL (s_metric (0, sample), -1);     //  itself: not a peer
    CU_ASSERT (s_metric (1, "fogrid_locator_registry_taken_total{source=\"peer\"}") >= 1);
}

static void
test_catch_up (void)
{
    //  The third is down while the first blacklists h-a and the second
    //  adds h-b; started again, it has both within the bound
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.locators [2].proc, 3000), 0);
    CU_ASSERT_EQUAL (s_admin (0, grid.admin_keys, "blacklist h-a --reason 'paid itself'"), 0);
    CU_ASSERT_EQUAL (s_admin (1, grid.admin_keys, "add h-b --stake 20"), 0);
    CU_ASSERT (s_reaches ("h-a", "blacklisted", 1, 1, 0) >= 0);
    s_locator_start (2);
    int64_t took = s_reaches ("h-b", "registered", 0, 0, 1);
    CU_ASSERT (took >= 0);
    CU_ASSERT (s_reaches ("h-a", "blacklisted", 0, 0, 1) >= 0);
    printf ("\n    a locator that was down had caught up %" PRId64 " ms after its start\n", took);

    //  A partition: the first alone suspects h-b; then the second alone,
    //  not knowing it, clears h-b (later). Together again, every locator
    //  holds the later change, the same one
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.locators [1].proc, 3000), 0);
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.locators [2].proc, 3000), 0);
    CU_ASSERT_EQUAL (s_admin (0, grid.admin_keys, "suspect h-b --reason 'one side'"), 0);
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.locators [0].proc, 3000), 0);
    s_locator_start (1);
    int second = 1;
    CU_ASSERT_FATAL (ts_wait_for (s_up_cond, &second, 10000));
    CU_ASSERT_EQUAL (s_admin (1, grid.admin_keys, "clear h-b --reason 'other side'"), 0);
    char status [32];
    s_status (1, "h-b", status, sizeof status);
    CU_ASSERT_STRING_EQUAL (status, "registered");
    s_locator_start (0);
    s_locator_start (2);
    CU_ASSERT_FATAL (ts_wait_for (s_up_cond, NULL, 10000));
    CU_ASSERT (s_reaches ("h-b", "registered", 1, 1, 1) >= 0);
    zclock_sleep (3 * S_SYNC_MS);
    char *one = s_registry_text (0), *two = s_registry_text (1), *three = s_registry_text (2);
    CU_ASSERT_STRING_EQUAL (one, two);
    CU_ASSERT_STRING_EQUAL (one, three);
    CU_ASSERT_PTR_NOT_NULL (strstr (one, "other side"));
    free (one);
    free (two);
    free (three);
}

//  A record in the broken-into peer's log.
static Fogrid__RegistrySet *
s_fake_record (fg_signkey_t *signer, const char *hub_id, const char *status, const char *reason,
               uint64_t at_ms)
{
    s_fake_t *fake = &grid.fake;
    Fogrid__RegistrySet *record = &fake->records [fake->count];
    fogrid__registry_set__init (record);
    record->hub_id = (char *) hub_id;
    record->status = (char *) status;
    record->reason = (char *) reason;
    record->stake = -1;
    record->at_ms = at_ms;
    if (signer)
        fg_hub_record_sign (record, signer, &fake->seals [fake->count]);
    fake->count++;
    return record;
}

static void
test_forged (void)
{
    char dao_path [700], intruder_path [700], err [800];
    fg_signkey_path (grid.admin_keys, dao_path, sizeof dao_path);
    fg_signkey_path (grid.intruder_keys, intruder_path, sizeof intruder_path);
    fg_signkey_t *dao = fg_signkey_load (dao_path, false, err, sizeof err);
    fg_signkey_t *intruder = fg_signkey_load (intruder_path, false, err, sizeof err);
    CU_ASSERT_FATAL (dao && intruder);
    uint64_t later = (uint64_t) fg_now_ms () + 3600000;   //  would win, if taken
    //  The DAO's suspicion of h-a, altered into clearing it
    Fogrid__RegistrySet *record = s_fake_record (dao, "h-a", "suspected", "x", later);
    record->status = "registered";
    record->reason = "";
    //  Signed, but not by the DAO; not signed at all
    s_fake_record (intruder, "h-a", "registered", "", later);
    s_fake_record (NULL, "h-a", "registered", "", later);
    //  Signed with a CurveZMQ key the old way (XEdDSA): a key not listed
    record = s_fake_record (NULL, "h-legacy", "registered", "", 1700000000000ULL);
    record->stake = 500;
    record->signer = "D8rs:?w=pjJ$IKC?Mte/PM@LU:a?9.:vtJMUz5!>";
    record->sign_key = "6e815df0558ff8ecd98c2a25f92d019b16a9e08b99d46b51fd650328a9fc381b";
    record->signature = "d8002e57f3404061c24fe0ba992a21d4aa886b8cc5405da96bd702aca3c788e4"
                        "85982d6c68011395862080a6b4026043c92a34f065c6ad41dc0dd9e7ae8c7f07";
    CU_ASSERT_EQUAL (fg_hub_record_verify (record, err, sizeof err), 0);
    //  A real change of the DAO, twice: whoever brings it, it counts, once
    s_fake_record (dao, "h-c", "registered", "", (uint64_t) fg_now_ms ());
    grid.fake.records [grid.fake.count] = grid.fake.records [grid.fake.count - 1];
    grid.fake.count++;
    double records_before = -1;
    json_t *root = s_registry (2);
    records_before = (double) json_integer_value (json_object_get (root, "records"));
    json_decref (root);
    zstr_send (grid.fake_actor, "ARM");

    CU_ASSERT (s_reaches ("h-c", "registered", 1, 1, 1) >= 0);
    char fake_peer [200];
    snprintf (fake_peer, sizeof fake_peer,
              "fogrid_locator_registry_peer_refused_total{peer=\"tcp://127.0.0.1:%d\"}",
              grid.fake.port);
    CU_ASSERT_EQUAL (s_metric (2, fake_peer), 4);
    CU_ASSERT_EQUAL (s_metric (2, "fogrid_locator_registry_refused_total{reason=\"signature\"}"), 2);
    CU_ASSERT_EQUAL (s_metric (2, "fogrid_locator_registry_refused_total{reason=\"not_admin\"}"), 2);
    CU_ASSERT (s_metric (2, "fogrid_locator_registry_duplicates_total") >= 1);
    root = s_registry (2);
    CU_ASSERT_EQUAL ((double) json_integer_value (json_object_get (root, "records")),
                     records_before + 1);
    json_decref (root);
    //  h-a stays blacklisted everywhere; the registries are the same
    zclock_sleep (3 * S_SYNC_MS);
    CU_ASSERT (s_reaches ("h-a", "blacklisted", 1, 1, 1) >= 0);
    char *one = s_registry_text (0), *three = s_registry_text (2);
    CU_ASSERT_STRING_EQUAL (one, three);
    free (one);
    free (three);

    //  Restarted, it goes on from where it was in each peer's log: the
    //  forged records are not asked for (nor refused) again
    CU_ASSERT_EQUAL (ts_proc_stop (&grid.locators [2].proc, 3000), 0);
    s_locator_start (2);
    CU_ASSERT_FATAL (ts_wait_for (s_up_cond, NULL, 10000));
    zclock_sleep (5 * S_SYNC_MS);
    snprintf (fake_peer, sizeof fake_peer,
              "fogrid_locator_registry_peer_up{peer=\"tcp://127.0.0.1:%d\"}", grid.fake.port);
    CU_ASSERT_EQUAL (s_metric (2, fake_peer), 1);
    CU_ASSERT_EQUAL (s_metric (2, "fogrid_locator_registry_refused_total{reason=\"signature\"}"), 0);
    CU_ASSERT_EQUAL (s_metric (2, "fogrid_locator_registry_taken_total{source=\"peer\"}"), 0);
    //  Every locator stops on SIGTERM by itself, with status 0
    for (int index = 0; index < S_LOCATORS; index++)
        CU_ASSERT_EQUAL (ts_proc_stop (&grid.locators [index].proc, 3000), 0);
    fg_signkey_destroy (&dao);
    fg_signkey_destroy (&intruder);
}

void
test_registry_sync_add (void)
{
    CU_pSuite suite = CU_add_suite ("registry_sync (three real locators)", s_grid_up, s_grid_down);
    CU_add_test (suite, "a change made at one locator reaches the others within the bound",
                 test_spread);
    CU_add_test (suite, "a locator that was down catches up; a partition's two changes settle "
                 "the same everywhere", test_catch_up);
    CU_add_test (suite, "records a broken-into peer forges are refused and counted; one given "
                 "twice is taken once", test_forged);
}
