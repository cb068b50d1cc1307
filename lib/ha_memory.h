// SPDX-License-Identifier: GPL-2.0-or-later
/* frr-ha memory types. */
#ifndef FRRHA_MEMORY_H
#define FRRHA_MEMORY_H

#include "memory.h"

DECLARE_MGROUP(FRRHA);
DECLARE_MTYPE(HA_CONN);
DECLARE_MTYPE(HA_CONN_BUF);
DECLARE_MTYPE(HA_CLIENT);

#endif /* FRRHA_MEMORY_H */
