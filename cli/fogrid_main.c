#include "fogrid.h"
int main (void) { return 0; }
