// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bgpd_ha: bgpd's frr-ha module, loaded with "bgpd -M ha".
 *
 * Its job is to replicate BGP sessions, their TCP connections and RIBs to the standby card (not built yet).
 * Today it registers bgpd with the card's hard, which thereby knows the
 * daemon runs and notices at once when it dies.
 */
#include <zebra.h>

#include "libfrr.h"
#include "module.h"

#include "ha_client.h"

static int bgp_ha_module_init(void)
{
	ha_module_attach("bgpd");
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_ha", .version = FRRHA_VERSION,
		 .description = "bgpd non-stop routing (frr-ha)", .init = bgp_ha_module_init);
