/*  =========================================================================
    fogrid - what every fogrid source file includes
    =========================================================================  */
#ifndef FOGRID_H_INCLUDED
#define FOGRID_H_INCLUDED

#include <czmq.h>
#include <jansson.h>
#include <stdint.h>
#include <stdbool.h>
#include "fogrid.pb-c.h"
#include "fg_version.h"
#include "fg_error.h"

typedef Fogrid__Envelope fg_env_t;

#include "fg_util.h"
#include "fg_msg.h"
#include "fg_config.h"
#include "fg_daemon.h"
#include "fg_datadir.h"
#include "fg_rpc.h"
#include "fg_resolver.h"
#include "fg_registrant.h"
#include "fg_curve.h"
#include "fg_security.h"
#include "fg_http.h"
#include "fg_metrics.h"
#include "fg_ratelimit.h"
#include "fg_outbox.h"

#endif
