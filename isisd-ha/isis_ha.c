// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * isisd_ha: isisd's frr-ha module, loaded with "isisd -M ha".
 *
 * Its job is to replicate IS-IS circuits, adjacencies and the LSPDB to the standby card (not built yet).
 * Today it registers isisd with the card's hard, which thereby knows the
 * daemon runs and notices at once when it dies.
 */
#include <zebra.h>

#include "libfrr.h"
#include "module.h"

#include "ha_client.h"

static int isis_ha_module_init(void)
{
	ha_module_attach("isisd");
	return 0;
}

FRR_MODULE_SETUP(.name = "isisd_ha", .version = FRRHA_VERSION,
		 .description = "isisd non-stop routing (frr-ha)", .init = isis_ha_module_init);
