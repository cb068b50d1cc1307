// SPDX-License-Identifier: GPL-2.0-or-later
/* frr-ha memory types. */
#include <zebra.h>

#include "ha_memory.h"

DEFINE_MGROUP(FRRHA, "frr-ha");
DEFINE_MTYPE(FRRHA, HA_CONN, "HA framed connection");
DEFINE_MTYPE(FRRHA, HA_CONN_BUF, "HA connection buffer");
DEFINE_MTYPE(FRRHA, HA_CLIENT, "HA module client");
DEFINE_MTYPE(FRRHA, HA_REPL, "HA replication engine");
DEFINE_MTYPE(FRRHA, HA_DELTA, "HA replicated delta");
DEFINE_MTYPE(FRRHA, HA_GATE, "HA gated callback");
