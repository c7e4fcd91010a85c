//  placeholder
#include "fogrid.h"
int cli_placeholder_ (void);
int cli_placeholder_ (void) { return 0; }
