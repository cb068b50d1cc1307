#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and install libyang and FRR from Debian's source packages, with the
# frr-ha patch series applied, and cache the result outside the work tree.
#
#   tools/frr-build.sh            build if needed, then install into /
#   tools/frr-build.sh --print-builddir   print the FRR build tree in use
#
# The cache key is the two source versions, the configure options,
# BUILD_RECIPE (bump it when the build steps below change what gets built)
# and the contents of patches/frr/.  With an unchanged key a second run
# only checks the installed stamp (seconds).  A changed patch series rebuilds
# FRR (ccache keeps that short).
#
# Environment: FRRHA_CACHE (default /var/cache/frr-ha), FRRHA_JOBS.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${FRRHA_CACHE:-/var/cache/frr-ha}
JOBS=${FRRHA_JOBS:-$(nproc)}
LIBYANG_VERSION=3.12.2-1
FRR_VERSION=10.3-3+deb13u1
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
STAMP=/var/lib/frr-ha/frr-installed
BUILD_RECIPE=2

# Debian packages needed to build libyang, FRR and frr-ha, and to run the
# tests and the demo.  (Not apt-get build-dep: FRR's source wants trixie's
# libyang-dev, which is built here instead.)
BUILD_DEPS=(
	dpkg-dev ccache cmake pkgconf make gcc autoconf automake libtool
	bison flex gawk chrpath install-info texinfo
	libc-ares-dev libcap-dev libelf-dev libjson-c-dev libpam0g-dev
	libpcre2-dev libprotobuf-c-dev protobuf-c-compiler libpython3-dev
	python3-dev libreadline-dev libunwind-dev libxxhash-dev
	libcmocka-dev libssl-dev libnftables-dev
)
RUN_DEPS=(
	iproute2 iptables tcpdump procps psmisc bridge-utils
	python3-pytest python3-scapy python3-lxml python3-yaml
	python3-pexpect python3-pytest-xdist
	sudo nftables bird2 gobgpd gdb iputils-ping
)

FRR_CONFIGURE=(
	--prefix=/usr --sysconfdir=/etc --localstatedir=/var
	--sbindir=/usr/lib/frr
	--libdir=/usr/lib/$MULTIARCH/frr
	--with-moduledir=/usr/lib/$MULTIARCH/frr/modules
	--enable-user=frr --enable-group=frr --enable-vty-group=frrvty
	--enable-configfile-mask=0640 --enable-logfile-mask=0640
	--enable-multipath=64
	--disable-doc --disable-ldpd --disable-nhrpd --disable-eigrpd
	--disable-babeld --disable-fabricd --disable-vrrpd --disable-pathd
	--disable-bgp-vnc --enable-sharpd --enable-fpm
	# topotests' environment check wants these present
	--enable-ospf6d --enable-ripngd --enable-pimd --enable-pim6d --enable-pbrd
)

log() { printf '[frr-build] %s\n' "$*" >&2; }

ensure_sources_list() {
	local f=/etc/apt/sources.list.d/frr-ha-src.sources
	if [ ! -f "$f" ]; then
		log "adding deb-src entries for trixie and bookworm ($f)"
		cat >"$f" <<-'EOF'
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: trixie trixie-updates bookworm
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb-src
		URIs: http://deb.debian.org/debian-security
		Suites: trixie-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt-get update -q
	fi
}

ensure_packages() {
	local missing=()
	for p in "${BUILD_DEPS[@]}" "${RUN_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing Debian packages: ${missing[*]}"
		apt-get update -q || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}"
	fi
}

ensure_users() {
	getent group frr >/dev/null || groupadd -r frr
	getent group frrvty >/dev/null || groupadd -r frrvty
	getent passwd frr >/dev/null ||
		useradd -r -g frr -G frrvty -d /nonexistent -s /usr/sbin/nologin frr
}

cache_key() {
	{
		echo "libyang=$LIBYANG_VERSION frr=$FRR_VERSION arch=$MULTIARCH"
		echo "recipe=$BUILD_RECIPE"
		printf '%s\n' "${FRR_CONFIGURE[@]}"
		for f in "$TOP"/patches/frr/*; do
			[ -f "$f" ] && { echo "== $(basename "$f")"; cat "$f"; }
		done
	} | sha256sum | cut -c1-16
}

fetch_sources() {
	mkdir -p "$CACHE/src"
	(
		cd "$CACHE/src"
		if [ ! -f "libyang_${LIBYANG_VERSION}.dsc" ] ||
			[ ! -f "frr_${FRR_VERSION}.dsc" ]; then
			log "fetching source packages libyang $LIBYANG_VERSION, frr $FRR_VERSION"
			apt-get source -q --download-only "libyang=$LIBYANG_VERSION" \
				"frr=$FRR_VERSION"
		fi
	)
}

build_all() {
	local key=$1 build=$CACHE/build/$1 stage=$CACHE/stage/$1
	rm -rf "$build" "$stage"
	mkdir -p "$build" "$stage"
	export CCACHE_DIR=$CACHE/ccache
	# build trees differ per key: let hits cross them
	export CCACHE_BASEDIR=$build CCACHE_NOHASHDIR=1
	export PATH=/usr/lib/ccache:$PATH

	log "unpacking sources into $build"
	(cd "$build" &&
		dpkg-source --no-check -x "$CACHE/src/libyang_${LIBYANG_VERSION}.dsc" libyang &&
		dpkg-source --no-check -x "$CACHE/src/frr_${FRR_VERSION}.dsc" frr) >/dev/null

	log "building libyang $LIBYANG_VERSION"
	mkdir -p "$build/libyang/build"
	(cd "$build/libyang/build" &&
		cmake -DCMAKE_INSTALL_PREFIX=/usr \
			-DCMAKE_INSTALL_LIBDIR="lib/$MULTIARCH" \
			-DCMAKE_BUILD_TYPE=RelWithDebInfo -DENABLE_TESTS=OFF \
			-DCMAKE_C_COMPILER_LAUNCHER=ccache .. >/dev/null &&
		make -j"$JOBS" >/dev/null &&
		make install DESTDIR="$stage" >/dev/null &&
		make install >/dev/null)
	ldconfig

	log "applying patches/frr ($(grep -c . "$TOP/patches/frr/series" || true) patches)"
	while read -r p; do
		[ -n "$p" ] || continue
		patch -d "$build/frr" -p1 -s <"$TOP/patches/frr/$p"
	done <"$TOP/patches/frr/series"

	log "configuring FRR $FRR_VERSION"
	(cd "$build/frr" && ./bootstrap.sh >/dev/null 2>&1 &&
		PYTHON=/usr/bin/python3 CC="ccache gcc" ./configure "${FRR_CONFIGURE[@]}" >"$build/frr-configure.log" 2>&1) ||
		{ tail -30 "$build/frr-configure.log"; exit 1; }

	log "building FRR (log: $build/frr-make.log)"
	(cd "$build/frr" && make -j"$JOBS" >"$build/frr-make.log" 2>&1) ||
		{ tail -40 "$build/frr-make.log"; exit 1; }
	(cd "$build/frr" && make install DESTDIR="$stage" >"$build/frr-install.log" 2>&1) ||
		{ tail -40 "$build/frr-install.log"; exit 1; }
	mkdir -p "$stage/etc/frr"
	cp -n "$build/frr/tools/etc/frr/"* "$stage/etc/frr/" 2>/dev/null || true
	touch "$stage/.complete"
}

install_stage() {
	local key=$1 stage=$CACHE/stage/$1
	log "installing cached build $key into /"
	# /etc/frr: never overwrite an operator's files
	cp -a "$stage/usr/." /usr/
	install -d -m 755 -o frr -g frr /etc/frr /var/run/frr /var/log/frr
	cp -n "$stage/etc/frr/"* /etc/frr/ 2>/dev/null || true
	ldconfig
	ln -sfn "$CACHE/build/$key/frr" "$CACHE/frr"
	mkdir -p "$(dirname "$STAMP")"
	echo "$key" >"$STAMP"
}

main() {
	if [ "${1:-}" = "--print-builddir" ]; then
		echo "$CACHE/frr"
		return
	fi
	[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
	ensure_sources_list
	ensure_packages
	ensure_users
	local key
	key=$(cache_key)
	if [ "$(cat "$STAMP" 2>/dev/null)" = "$key" ] &&
		[ -x /usr/lib/frr/bgpd ] && [ -f "$CACHE/build/$key/frr/frr.xref" ]; then
		log "FRR $FRR_VERSION ($key) is installed and current"
		ln -sfn "$CACHE/build/$key/frr" "$CACHE/frr"
		return
	fi
	if [ ! -f "$CACHE/stage/$key/.complete" ] ||
		[ ! -f "$CACHE/build/$key/frr/frr.xref" ]; then
		fetch_sources
		local t0=$SECONDS
		build_all "$key"
		log "built libyang and FRR in $((SECONDS - t0)) s"
	fi
	install_stage "$key"
	# drop other keys' trees, keep the cache bounded
	for d in "$CACHE"/build/* "$CACHE"/stage/*; do
		[ -e "$d" ] && [ "$(basename "$d")" != "$key" ] && rm -rf "$d"
	done
	log "done: FRR build tree at $CACHE/frr"
}

main "$@"
