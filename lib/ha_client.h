// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Module side of the local control channel: every *-ha module connects to
 * its card's hard, registers its daemon, and learns the card's role.  The
 * connection is kept up for the daemon's lifetime (reconnecting if hard
 * restarts); its loss is how hard notices the daemon died.
 */
#ifndef FRRHA_CLIENT_H
#define FRRHA_CLIENT_H

#include <stdbool.h>

#include "ha_wire.h"

struct event_loop;
struct vty;

/* Path of hard's local socket for this card (pathspace-aware). */
extern void ha_local_socket_path(char *buf, size_t len);

/* Start connecting/registering; daemon is the registering daemon's name. */
extern void ha_client_start(struct event_loop *loop, const char *daemon);
extern void ha_client_stop(void);

extern bool ha_client_registered(void);
extern enum ha_role ha_client_role(void);
/* The module's replication engine (ha_repl.h), for its classes. */
struct ha_repl;
extern struct ha_repl *ha_module_repl(void);
/* A replicated class of the module (ha_repl.h), from its init or
 * frr_late_init: registered with the engine as soon as it exists. */
struct ha_repl_class;
extern void ha_module_register_class(const struct ha_repl_class *cls);
/*
 * Hand hard a duplicate of a session's connected TCP socket (hold), or ask
 * it to drop the one it holds under that name (fd < 0).  While hard holds
 * it, the daemon's death does not close the connection.  False if hard is
 * not connected (the daemon's own socket is then the only one).
 */
extern bool ha_client_session_socket(const char *name, int fd);
/* The session's connection, frozen, now lives on the peer card: hard
 * closes its copy (silently) once this card is off the line; the daemon
 * may close its own at once. */
extern bool ha_client_session_handed_over(const char *name);
/*
 * Called on the standby card with the exact state of a connection the
 * active card's hard froze when this daemon died there (lib/ha_tcp.c's
 * encoding, unchecked: the callee decodes it), before this card becomes
 * active.  One callback per module.
 */
typedef void (*ha_session_state_cb)(const char *name, const uint8_t *state, size_t len);
extern void ha_module_on_session_state(ha_session_state_cb cb);


/*
 * For a module's init function: start the client once the daemon has read
 * its startup configuration (frr_config_post) and stop it at exit.
 */
extern void ha_module_attach(const char *daemon);
#endif /* FRRHA_CLIENT_H */
