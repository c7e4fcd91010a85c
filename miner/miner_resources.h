/*  =========================================================================
    miner_resources - what this machine offers to the grid

    Cores, memory and disk as detected on the host (the disk is the free
    space of the miner's data directory, where tasks run), each replaced by
    its setting when that is not 0, plus the labels, the price and the
    runtimes, ready to go into a MinerHello.
    =========================================================================  */
#ifndef MINER_RESOURCES_H_INCLUDED
#define MINER_RESOURCES_H_INCLUDED

typedef struct _miner_resources_t miner_resources_t;

//  Detects and applies miner/cores, miner/mem_mb, miner/disk_mb,
//  miner/labels and miner/price. data_dir must exist. The runtimes are
//  "process" until miner_resources_set_runtimes says otherwise (the agent
//  knows which work only once it has asked the Docker engine).
//  Returns NULL with the reason in err (e.g. bad labels).
miner_resources_t *miner_resources_new (fg_config_t *config, const char *data_dir,
                                        char *err, size_t err_size);
void miner_resources_destroy (miner_resources_t **self_p);

//  Sets the runtimes offered: a comma-separated list ("docker,process").
void miner_resources_set_runtimes (miner_resources_t *self, const char *runtimes);

//  The resources as a message, owned by self (valid until destroy).
Fogrid__Resources *miner_resources_msg (miner_resources_t *self);

//  Most a weight of miner_resources_split may be.
#define MINER_RESOURCES_MAX_WEIGHT  1000

//  Divides the offer among count hubs served at once, by weight (NULL =
//  equal shares; each 1..MINER_RESOURCES_MAX_WEIGHT): cores, memory, disk
//  and GPUs each in proportion, rounded so that the parts add up to the
//  whole (what rounding leaves goes to the largest remainders, the earlier
//  hub on a tie), so a GPU is never split. parts [i] is a copy of the
//  message with its own numbers; its labels, runtimes and the rest stay
//  self's (valid until destroy, never to be freed through parts).
//  Returns 0, or -1 with the reason in err when a hub would get no core.
int miner_resources_split (miner_resources_t *self, const uint32_t *weights, size_t count,
                           Fogrid__Resources *parts, char *err, size_t err_size);

//  Checks a label list "key=value,key=value": keys of [A-Za-z0-9._/-]
//  (1..63), printable values without ',' or spaces (0..255), no key twice.
//  "" is an empty list. Returns 0, or -1 with the reason in err.
int miner_resources_check_labels (const char *labels, char *err, size_t err_size);

//  GPUs that nvidia-smi lists, 0 when it is absent or fails.
uint32_t miner_resources_count_gpus (void);

#endif
