// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hard: the frr-ha redundancy daemon.  One per card; owns the card's role,
 * knows which local daemons run an ha module, and (in later stages) runs
 * the intercard control channel, bulk sync and switchovers.
 */
#include <zebra.h>

#include "frrevent.h"
#include "libfrr.h"
#include "log.h"
#include "memory.h"
#include "privs.h"
#include "monotime.h"
#include "sigevent.h"
#include "lib/version.h"

#include "ha_auth.h"
#include "hard.h"

DEFINE_MGROUP(HARD, "hard");

struct hard_global hard = {
	.listen_fd = -1,
	.role = HA_ROLE_INIT,
	.cfg = {
		.slot = HARD_DEFAULT_SLOT,
		.priority = HARD_DEFAULT_PRIORITY,
		.peer_port = HARD_DEFAULT_PEER_PORT,
		.hb_interval = HARD_DEFAULT_HB_INTERVAL,
		.hb_multiplier = HARD_DEFAULT_HB_MULTIPLIER,
		.switchover_on_daemon_failure = true,
	},
	.peer = {
		.listen_fd = -1,
		.connect_fd = -1,
	},
};

/* The bridge mastership driver opens a netlink socket in the line
 * bridges' namespace (PTRACE to open /proc/PID/ns/net of another user's
 * process, SYS_ADMIN for setns) and sets their ports (NET_ADMIN). */
static zebra_capabilities_t hard_caps[] = { ZCAP_NET_ADMIN, ZCAP_SYS_ADMIN, ZCAP_PTRACE };

struct zebra_privs_t hard_privs = {
#if defined(FRR_USER) && defined(FRR_GROUP)
	.user = FRR_USER,
	.group = FRR_GROUP,
#endif
#if defined(VTY_GROUP)
	.vty_group = VTY_GROUP,
#endif
	.caps_p = hard_caps,
	.cap_num_p = array_size(hard_caps),
	.cap_num_i = 0,
};

int64_t hard_monotime_usec(void)
{
	struct timeval tv;

	monotime(&tv);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Configuration committed through the northbound changed. */
void hard_config_changed(void)
{
	hard_mship_config_changed();
	hard_peer_config_changed();
	hard_role_config_changed();
}

static void hard_sighup(void)
{
	zlog_info("SIGHUP received, ignoring");
}

static void hard_sigint(void)
{
	zlog_notice("terminating on signal");
	hard_data_finish();
	hard_sockets_finish();
	hard_peer_finish();
	hard_registry_finish();
	frr_fini();
	exit(0);
}

static void hard_sigusr1(void)
{
	zlog_rotate();
}

static struct frr_signal_t hard_signals[] = {
	{ .signal = SIGHUP, .handler = &hard_sighup },
	{ .signal = SIGUSR1, .handler = &hard_sigusr1 },
	{ .signal = SIGINT, .handler = &hard_sigint },
	{ .signal = SIGTERM, .handler = &hard_sigint },
};

static const struct frr_yang_module_info *const hard_yang_modules[] = {
	&frr_ha_info,
};

/* clang-format off */
FRR_DAEMON_INFO(hard, HARD,
	.vty_port = HARD_VTY_PORT,
	.proghelp = "frr-ha redundancy daemon: roles, mastership and replication control of one card.",

	.signals = hard_signals,
	.n_signals = array_size(hard_signals),

	.privs = &hard_privs,

	.yang_modules = hard_yang_modules,
	.n_yang_modules = array_size(hard_yang_modules),
);
/* clang-format on */

static const struct option hard_longopts[] = { { 0 } };

int main(int argc, char **argv)
{
	frr_preinit(&hard_di, argc, argv);
	frr_opt_add("", hard_longopts, "");

	while (1) {
		int opt = frr_getopt(argc, argv, NULL);

		if (opt == EOF)
			break;
		switch (opt) {
		case 0:
			break;
		default:
			frr_help_exit(1);
		}
	}

	hard.master = frr_init();
	hard_daemons_init(&hard.daemons);
	hard_vty_init();
	hard_registry_init();
	if (!ha_auth_selftest())
		zlog_err(
			"redundancy: libcrypto HMAC-SHA3-256 self-test FAILED: intercard frames cannot be authenticated, the peer card will be refused");
	zlog_notice("redundancy: hard starting (frr-ha %s, wire version %u)", FRRHA_VERSION,
		    HA_WIRE_VERSION);
	/* the configuration is read later; the role is decided by the
	 * election or when the boot wait expires */
	hard_role_start();

	frr_config_fork();
	frr_run(hard.master);

	/* not reached */
	return 0;
}
