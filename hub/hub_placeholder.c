//  placeholder
#include "fogrid.h"
int hub_placeholder_ (void);
int hub_placeholder_ (void) { return 0; }
