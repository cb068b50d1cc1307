// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ospfd_ha: ospfd's frr-ha module, loaded with "ospfd -M ha".
 *
 * Its job is to replicate OSPF interfaces, neighbours and the LSDB to the standby card (not built yet).
 * Today it registers ospfd with the card's hard, which thereby knows the
 * daemon runs and notices at once when it dies.
 */
#include <zebra.h>

#include "libfrr.h"
#include "module.h"

#include "ha_client.h"

static int ospf_ha_module_init(void)
{
	ha_module_attach("ospfd");
	return 0;
}

FRR_MODULE_SETUP(.name = "ospfd_ha", .version = FRRHA_VERSION,
		 .description = "ospfd non-stop routing (frr-ha)", .init = ospf_ha_module_init);
