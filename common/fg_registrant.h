/*  =========================================================================
    fg_registrant - keeps an owner's registrations alive at every locator

    Locator state is soft: a registration lives only while its owner
    heartbeats it. The registrant is an actor that does this for a hub or a
    miner: it registers at every listed locator, heartbeats each one at a
    third of the TTL, and registers again when a locator answers that it
    does not know the owner (it restarted) or could not be reached. On
    destroy it withdraws everything, so names disappear at once when their
    owner stops cleanly, and after the TTL when it dies.
    =========================================================================  */
#ifndef FG_REGISTRANT_H_INCLUDED
#define FG_REGISTRANT_H_INCLUDED

typedef struct _fg_registrant_t fg_registrant_t;

//  locators: comma-separated endpoints; ttl_ms: lifetime of each refresh.
fg_registrant_t *fg_registrant_new (const char *locators, const char *owner, uint32_t ttl_ms);
void fg_registrant_destroy (fg_registrant_t **self_p);

//  Replaces the owner's registrations with regs (owner and ttl are filled
//  in here) and announces them at once.
void fg_registrant_set (fg_registrant_t *self, Fogrid__Registration **regs, size_t count);

//  Reports the owner's load (0..100) with the next heartbeats.
void fg_registrant_load (fg_registrant_t *self, uint32_t load);

//  How many locators have acknowledged the current registrations.
size_t fg_registrant_acked (fg_registrant_t *self);

#endif
