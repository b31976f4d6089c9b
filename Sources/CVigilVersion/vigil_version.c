#include "vigil_version.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "unknown"
#endif

const char *vigil_version(void) { return VIGIL_VERSION; }
