//  placeholder
#include "fogrid.h"
int miner_placeholder_ (void);
int miner_placeholder_ (void) { return 0; }
