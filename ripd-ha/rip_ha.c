// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ripd_ha: ripd's frr-ha module, loaded with "ripd -M ha".
 *
 * Its job is to replicate RIP routes and their timers to the standby card (not built yet).
 * Today it registers ripd with the card's hard, which thereby knows the
 * daemon runs and notices at once when it dies.
 */
#include <zebra.h>

#include "libfrr.h"
#include "module.h"

#include "ha_client.h"

static int rip_ha_module_init(void)
{
	ha_module_attach("ripd");
	return 0;
}

FRR_MODULE_SETUP(.name = "ripd_ha", .version = FRRHA_VERSION,
		 .description = "ripd non-stop routing (frr-ha)", .init = rip_ha_module_init);
