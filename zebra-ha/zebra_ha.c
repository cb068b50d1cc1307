// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zebra_ha: zebra's frr-ha module, loaded with "zebra -M ha".
 *
 * Its job is to replicate interface state and configured data, and to
 * check RIB/FIB digests (not built yet).
 * Today it registers zebra with the card's hard, which thereby knows the
 * daemon runs and notices at once when it dies.
 */
#include <zebra.h>

#include "libfrr.h"
#include "module.h"

#include "ha_client.h"

static int zebra_ha_module_init(void)
{
	ha_module_attach("zebra");
	return 0;
}

FRR_MODULE_SETUP(.name = "zebra_ha", .version = FRRHA_VERSION,
		 .description = "zebra non-stop routing (frr-ha)", .init = zebra_ha_module_init);
