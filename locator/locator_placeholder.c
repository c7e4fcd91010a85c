//  placeholder
#include "fogrid.h"
int locator_placeholder_ (void);
int locator_placeholder_ (void) { return 0; }
