// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * For the unit tests that need real sockets: a private network namespace
 * with its loopback up (needs root).
 */
#ifndef FRRHA_NETNS_HELPER_H
#define FRRHA_NETNS_HELPER_H

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* 0, or -1 after saying why on stderr. */
static inline int test_netns_enter(const char *test)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ret = -1;

	if (unshare(CLONE_NEWNET) == 0) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		ioctl(fd, SIOCGIFFLAGS, &ifr);
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
		close(fd);
	}
	if (ret < 0)
		fprintf(stderr, "%s: cannot make a network namespace (%s): run as root\n", test,
			strerror(errno));
	return ret;
}

#endif /* FRRHA_NETNS_HELPER_H */
