/*  =========================================================================
    cli_monitor - the command line's live views

    DESIGN
    Everything here polls the hub's ordinary requests (health, miners,
    status): no special API, so what `top` shows is what `health` and
    `miners` say. On a terminal the views redraw in place (ANSI: cursor
    home, clear to end); into a pipe they print a line per change, so
    scripts and logs stay readable. Rates are differences between two
    polls of the finished-task counts, divided by the time between them.
    =========================================================================  */
#include "fogrid.h"
#include "cli_monitor.h"
#include "cli_spec.h"
#include <unistd.h>

static uint64_t
s_counter (Fogrid__Counter **counters, size_t count, const char *name)
{
    for (size_t index = 0; index < count; index++)
        if (streq (counters [index]->name, name))
            return counters [index]->value;
    return 0;
}

static uint64_t
s_finished (Fogrid__HealthReply *health)
{
    return s_counter (health->tasks_by_state, health->n_tasks_by_state, "succeeded")
         + s_counter (health->tasks_by_state, health->n_tasks_by_state, "failed")
         + s_counter (health->tasks_by_state, health->n_tasks_by_state, "cancelled");
}

//  --------------------------------------------------------------------------
//  top

static void
s_top_draw (cli_client_t *client, Fogrid__HealthReply *health, Fogrid__MinersReply *miners,
            double rate, bool tty)
{
    if (tty)
        printf ("\033[H\033[J");
    char now [32];
    fg_time_format (fg_now_ms (), now, sizeof now);
    printf ("fogrid top  %s  hub %s at %s, up %.0fs\n", now, health->hub_id,
            cli_client_endpoint (client), health->uptime_ms / 1000.0);
    printf ("queue %u pending   finished %.1f tasks/s   tasks:", health->queue_length, rate);
    for (size_t index = 0; index < health->n_tasks_by_state; index++)
        printf (" %s=%" PRIu64, health->tasks_by_state [index]->name,
                health->tasks_by_state [index]->value);
    printf ("\nminers:");
    for (size_t index = 0; index < health->n_miners_by_state; index++)
        printf (" %s=%" PRIu64, health->miners_by_state [index]->name,
                health->miners_by_state [index]->value);
    printf ("\n\n%-16s %-14s %-12s %9s %8s %7s %6s %s\n", "MINER", "NAME", "STATE",
            "CORES", "MEM_MB", "RUNNING", "LOAD", "TASKS");
    for (size_t index = 0; index < miners->n_miners; index++) {
        Fogrid__MinerInfo *miner = miners->miners [index];
        char cores [32], tasks [80] = "";
        snprintf (cores, sizeof cores, "%u/%u", miner->load? miner->load->used_cores: 0,
                  miner->resources? miner->resources->cores: 0);
        size_t used = 0;
        for (size_t task = 0; task < miner->n_tasks && used < sizeof tasks - 20; task++)
            used += (size_t) snprintf (tasks + used, sizeof tasks - used, "%s%s",
                                       task? " ": "", miner->tasks [task]);
        if (miner->n_tasks * 15 > sizeof tasks - 20)
            snprintf (tasks + used, sizeof tasks - used, " ...");
        printf ("%-16s %-14.14s %-12s %9s %8" PRIu64 " %7u %6.2f %s\n", miner->miner_id,
                miner->name, miner->state, cores,
                miner->resources? miner->resources->mem_mb: 0,
                miner->load? miner->load->running: 0, miner->load? miner->load->load1: 0,
                tasks);
    }
    fflush (stdout);
}

int
cli_monitor_top (cli_client_t *client, int interval_ms, int rounds)
{
    bool tty = isatty (STDOUT_FILENO);
    uint64_t last_finished = 0;
    int64_t last_ms = 0;
    for (int round = 0; (rounds == 0 || round < rounds) && !zsys_interrupted; round++) {
        fg_env_t *health_env = NULL, *miners_env = NULL;
        Fogrid__HealthReply *health = cli_client_health (client, &health_env);
        Fogrid__MinersReply *miners = health? cli_client_miners (client, &miners_env): NULL;
        if (!health || !miners) {
            cli_error ("top", cli_client_error_text (client));
            fg_msg_free (&health_env);
            return 1;
        }
        int64_t now = fg_now_ms ();
        uint64_t finished = s_finished (health);
        double rate = last_ms && now > last_ms && finished >= last_finished
                    ? (double) (finished - last_finished) * 1000.0 / (double) (now - last_ms): 0;
        last_finished = finished;
        last_ms = now;
        s_top_draw (client, health, miners, rate, tty);
        fg_msg_free (&health_env);
        fg_msg_free (&miners_env);
        if (rounds == 0 || round + 1 < rounds)
            zclock_sleep (interval_ms);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  wait for several tasks

int
cli_monitor_wait (cli_client_t *client, char **task_ids, int count)
{
    bool tty = isatty (STDERR_FILENO);
    char **states = (char **) zmalloc (sizeof (char *) * (size_t) count);
    int rc = 0, done = 0;
    char last_line [256] = "";
    int64_t delay = 100;
    while (done < count && !zsys_interrupted) {
        int succeeded = 0, failed = 0, running = 0, waiting = 0;
        done = 0;
        for (int index = 0; index < count; index++) {
            if (!states [index] || !cli_task_state_final (states [index])) {
                fg_env_t *reply = NULL;
                Fogrid__TaskInfo *info = cli_client_status (client, task_ids [index], &reply);
                if (!info) {
                    if (tty)
                        fprintf (stderr, "\n");
                    cli_error (task_ids [index], cli_client_error_text (client));
                    fg_msg_free (&reply);
                    rc = 1;
                    goto finished;
                }
                if (!states [index] || !streq (states [index], info->state)) {
                    free (states [index]);
                    states [index] = strdup (info->state);
                    if (cli_task_state_final (info->state) && !tty)
                        printf ("%s %s, exit code %d\n", task_ids [index], info->state,
                                info->exit_code);
                }
                fg_msg_free (&reply);
            }
            const char *state = states [index];
            if (streq (state, "succeeded"))
                succeeded++;
            else
            if (cli_task_state_final (state))
                failed++;
            else
            if (streq (state, "running") || streq (state, "assigned"))
                running++;
            else
                waiting++;
        }
        done = succeeded + failed;
        char line [256];
        snprintf (line, sizeof line, "%d/%d done (%d succeeded, %d failed), %d running, "
                  "%d pending", done, count, succeeded, failed, running, waiting);
        if (!streq (line, last_line)) {
            if (tty)
                fprintf (stderr, "\r\033[K%s", line);
            else
                fprintf (stderr, "%s\n", line);
            snprintf (last_line, sizeof last_line, "%s", line);
        }
        if (done < count) {
            zclock_sleep ((int) delay);
            if (delay < 1000)
                delay += 100;       //  quick for short tasks, gentle for long ones
        }
        if (done == count && failed)
            rc = 1;
    }
    if (tty)
        fprintf (stderr, "\n");
finished:
    for (int index = 0; index < count; index++)
        free (states [index]);
    free (states);
    return zsys_interrupted? 1: rc;
}

//  --------------------------------------------------------------------------
//  every hub

int
cli_monitor_hubs (const char *locators, int timeout_ms)
{
    fg_resolver_t *resolver = fg_resolver_new (locators, timeout_ms);
    fg_resolution_t *hubs = NULL;
    fg_error_t rc = cli_client_resolve_hub (resolver, "round-robin", &hubs);
    if (rc) {
        fprintf (stderr, "fogrid: health --all: %s\n",
                 rc == FG_E_NOT_FOUND? "no hub is registered": fg_resolver_error_text (resolver));
        fg_resolver_destroy (&resolver);
        return 1;
    }
    int status = 0;
    printf ("%-16s %-26s %-8s %7s %9s %9s %9s %9s\n", "HUB", "ENDPOINT", "STATE", "QUEUE",
            "MINERS", "RUNNING", "SUCCEEDED", "FAILED");
    for (size_t index = 0; index < hubs->n_endpoints; index++) {
        fg_endpoint_t *hub = &hubs->endpoints [index];
        char err [300];
        cli_client_t *client = cli_client_new (NULL, hub->uri, hub->public_key, timeout_ms,
                                               err, sizeof err);
        fg_env_t *reply = NULL;
        Fogrid__HealthReply *health = client? cli_client_health (client, &reply): NULL;
        if (health) {
            uint64_t connected = s_counter (health->miners_by_state, health->n_miners_by_state,
                                            "connected");
            uint64_t all = 0;
            for (size_t state = 0; state < health->n_miners_by_state; state++)
                all += health->miners_by_state [state]->value;
            char miners [32];
            snprintf (miners, sizeof miners, "%" PRIu64 "/%" PRIu64, connected, all);
            printf ("%-16s %-26s %-8s %7u %9s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
                    health->hub_id, hub->uri, "up", health->queue_length, miners,
                    s_counter (health->tasks_by_state, health->n_tasks_by_state, "running"),
                    s_counter (health->tasks_by_state, health->n_tasks_by_state, "succeeded"),
                    s_counter (health->tasks_by_state, health->n_tasks_by_state, "failed"));
        }
        else {
            printf ("%-16s %-26s %-8s %s\n", hub->owner, hub->uri, "DOWN",
                    client? cli_client_error_text (client): err);
            status = 1;
        }
        fg_msg_free (&reply);
        cli_client_destroy (&client);
    }
    fg_resolution_destroy (&hubs);
    fg_resolver_destroy (&resolver);
    return status;
}
