/*  =========================================================================
    miner_docker_runner - runs one task with the `docker` runtime

    A batch task in a container of its own: the image (pulled if missing),
    the task's argv and env, its limits (cores, memory without swap,
    pids), no capabilities, no new privileges, no network; stdout and
    stderr kept up to the miner's bound, stdout hashed whole; killed on
    timeout or KILL, and removed whatever happens. Its actor is started by
    miner_runner_new (see the runtime contract in miner_runtime.h), so the
    agent drives it like any other task:

        miner_runner_limits_t limits = { .docker_socket = "/var/run/docker.sock",
                                         .miner_id = "m-1" };
        spec.image = "fogrid/busybox";      //  runtime "" or "docker"
        miner_runner_t *runner = miner_runner_new ("t-1", 1, &spec, &limits);

    Every container carries the labels org.fogrid.miner=MINER_ID and
    org.fogrid.task=TASK_ID/ATTEMPT, so a miner finds its own again after a
    restart (miner_docker_runner_clean) and never touches anyone else's.
    =========================================================================  */
#ifndef MINER_DOCKER_RUNNER_H_INCLUDED
#define MINER_DOCKER_RUNNER_H_INCLUDED

//  The actor; args is a miner_runtime_args_t (miner_runtime.h).
void miner_docker_runner_actor (zsock_t *pipe, void *args);

//  Removes every container labelled with this miner's id (left by a
//  previous run: their tasks died with it). Returns how many, or -1 with
//  the reason in err.
int miner_docker_runner_clean (const char *socket_path, const char *miner_id, int timeout_ms,
                               char *err, size_t err_size);

#endif
