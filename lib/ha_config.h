// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replication of a daemon's configuration (persistent data): the first
 * replicated class of every ha module.
 *
 * Active card: every command line an operator's configuration session
 * executes (vty or vtysh) is sent to the standby as it runs
 * (frrha.DeltaConfigCommand); the bulk copy is the running configuration
 * without the lines that belong to one card (hostname, log, debug, service,
 * password, line vty).  Standby card: each session is replayed in order on
 * a vty of its own; a bulk snapshot that differs from the standby's own
 * configuration is loaded like a configuration file.  The digest is the
 * hash of that filtered running configuration, so the digest comparison
 * says whether the two cards' configurations agree.  Configuration typed
 * on the standby is refused with a message saying so.
 */
#ifndef FRRHA_CONFIG_H
#define FRRHA_CONFIG_H

#include <stdint.h>

struct ha_repl;

#define HA_CLASS_CONFIG 1

extern void ha_config_init(struct ha_repl *repl);
extern void ha_config_fini(void);
/* configuration lines refused because this card is standby */
extern uint64_t ha_config_refused_lines(void);

#endif /* FRRHA_CONFIG_H */
