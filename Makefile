# Vigil — build, test, demo. Each test target, what it proves, what needs root and how long
# it takes: docs/TESTING.md.
#
#   make test   installs what is missing (Debian packages), builds, runs every test:
#               unit tests, and — as root — the keepalived compatibility corpus and the
#               failover drills in network namespaces (Tests/Integration).
#   make demo   a failover drill you can watch (two `vigil run` in namespaces, a client
#               pinging the VIP, the master stopped and crashed; timings printed).
#   make check  the contributor's loop: the pure unit tests (configuration, VRRP core, LVS
#               reconciler, planning), no root, no network; under a minute from a warm build.
#   make check-examples  runs `vigil check` on etc/; make bench-check runs Benchmarks/check-scale.sh.
#   make ipvs-test  boots Debian's stock kernel (it has IPVS; this machine's has not) under
#               qemu and runs Tests/IPVS guest scripts in it (root; Tests/IPVS/README.md).
#   make deb    the Debian package .build/deb/vigil_VERSION_amd64.deb (packaging/deb/).
#   make system-test  the package and its unit under a real systemd (PID 1) in that qemu
#               guest, beside a peer: install, start, reload, stop, crash, watchdog, upgrade,
#               purge (root; Tests/System/guest-systemd.sh).

SWIFT      ?= swift
# The version compiled into vigil (vigil --version, vigil status, vigil_build_info) and the
# package's: 0.1.<commits>+g<hash> from git, so a later commit is a later version.
VERSION    ?= $(shell git rev-list --count HEAD 2>/dev/null | sed 's/^/0.1./')$(shell git rev-parse --short HEAD 2>/dev/null | sed 's/^/+g/')
export VIGIL_VERSION := $(if $(VERSION),$(VERSION),unknown)
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PKGS   := libnl-3-dev libnl-route-3-dev libnl-genl-3-dev pkg-config iproute2 keepalived tcpdump iputils-ping nftables frr
# Real servers for the checkers' drills: DNS_CHECK against dnsmasq (Debian), SMTP_CHECK
# against aiosmtpd (PyPI, for the python3 that runs the drills).
INTEGRATION_PKGS := dnsmasq-base
INTEGRATION_PY   := aiosmtpd
VIGIL      := .build/debug/vigil
# Only for ipvs-test: qemu, a static busybox and kmod/cpio to build the VM's initramfs; the
# checkers' real servers for guest-checkers-ipvs.sh. The guest's python3 is the first on a
# plain PATH (/usr/bin/python3, not a pip user's one), so aiosmtpd comes from Debian there.
IPVS_DEB_PKGS := qemu-system-x86 busybox-static cpio kmod ipvsadm iproute2 iputils-ping \
                 dnsmasq-base python3-aiosmtpd
# Only for deb and package-test: dpkg-deb/dpkg-shlibdeps, strip, lintian, man and groff,
# systemd-analyze.
DEB_BUILD_PKGS := dpkg-dev binutils lintian man-db groff-base systemd
DEB_DIR    := .build/deb
DEB        := $(DEB_DIR)/vigil_$(VIGIL_VERSION)_amd64.deb
# The package's timestamps (changelog, manual pages, files): the last commit's.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

.PHONY: install deb deb-deps package-test systemd-test system-test all build release test check unit-test compat-test integration-test ipvs-test ipvs-deps demo deps check-examples bench-check fuzz clean

all: build

# Installs only the Debian packages of $(1) that are missing.
define install-missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call install-missing,$(DEB_PKGS))

# Zero warnings in this repository's own code: a build that prints one for a file under
# Sources/, Tests/ or Fuzz/ fails (the dependencies' warnings are theirs). Only what is
# compiled prints, so a clean build — CI's fresh clone — checks everything.
# $(call swift-checked,ARGS,LOG)
define swift-checked
	@mkdir -p .build; bash -c 'set -o pipefail; $(SWIFT) $(1) 2>&1 | tee $(2)'
	@if grep -E '^$(CURDIR)/(Sources|Tests|Fuzz)/[^:]*:[0-9]+:[0-9]+: warning:' $(2); then \
	  echo "==> the warnings above are in this repository's code: fix them"; exit 1; fi
endef

# A layer that cannot run here (no root): skipped on a contributor's machine, a failure
# under CI (CI=true), where every layer must run. $(call skip,LAYER,WHY)
skip = echo "==> $(1) skipped: $(2)"; if [ "$${CI:-}" = true ]; then echo "==> $(1): under CI every layer must run"; exit 1; fi

build: deps
	$(call swift-checked,build,.build/build.log)

# The shipped build (make install, make deb), smaller at rest (docs/FIGURES.md, Memory):
#   lld with -z pack-relative-relocs  the PIE's 100,000 relative relocations as a compact
#                 DT_RELR table instead of 2.4 MB of .rela.dyn that the loader reads, all of
#                 it, at every start (glibc 2.36 or later runs it);
#   exports.map   no symbol of the program's own in its dynamic symbol table (why: there);
#   libstdc++ linked statically (the Swift runtime and BoringSSL use a little of it): only
#                 what is used, in the binary, instead of 1.4 MB of libstdc++.so.6 mapped —
#                 its symbol tables read by every lookup — in a process with no other C++.
#                 The toolchain's own link arguments ask for -lstdc++; a directory searched
#                 first whose libstdc++.so is a linker script naming libstdc++.a answers it.
#   -disable-concrete-type-metadata-mangled-name-accessors  a generic type with concrete
#                 arguments (a [String: X], an Array of ours) gets its metadata from its
#                 accessor, which hands the runtime the witness tables it needs, instead of
#                 from its mangled name, which makes the runtime demangle it and look each
#                 conformance up by scanning every conformance record of the binary (~5,800,
#                 ~0.4 M instructions a scan): half of a start's instructions up to its IPVS
#                 table (docs/FIGURES.md, Start); 0.1 MB more code.
# Not -Osize: 1.2 MB less binary, but no resident memory saved that the measurement can see.
RELEASE_FLAGS := -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker --version-script=$(CURDIR)/packaging/exports.map -Xswiftc -L$(CURDIR)/.build/static-libstdc++ \
	-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
release: deps
	@mkdir -p .build/static-libstdc++
	@a=$$(clang -print-file-name=libstdc++.a); [ -f "$$a" ] || { echo "==> no libstdc++.a (Debian: libstdc++-12-dev)"; exit 1; }; \
	  echo "INPUT($$a)" > .build/static-libstdc++/libstdc++.so
	$(SWIFT) build -c release --static-swift-stdlib $(RELEASE_FLAGS)

test: build unit-test compat-test check-examples systemd-test package-test integration-test ipvs-test system-test

# make install [PREFIX=/usr/local] [DESTDIR=] [BIN=.build/release/vigil] [UNITDIR=/etc/systemd/system]:
# the binary, the hardened unit (its ExecStart follows PREFIX), the script-user drop-in as a
# file to copy, and /etc/vigil/vigil.conf from etc/pair-master.conf unless one is there already.
# make deb installs with it into its staging tree, so the unit is made in this one place.
PREFIX  ?= /usr/local
BIN     ?= .build/release/vigil
UNITDIR ?= /etc/systemd/system
install: $(if $(filter .build/release/vigil,$(BIN)),release)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/vigil
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/vigil|$(PREFIX)/sbin/vigil|g' systemd/vigil.service > $(DESTDIR)$(UNITDIR)/vigil.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vigil.service
	install -D -m 0644 systemd/vigil-script-user.conf $(DESTDIR)$(PREFIX)/share/vigil/vigil-script-user.conf
	@if [ -e $(DESTDIR)/etc/vigil/vigil.conf ]; then echo "==> kept the existing $(DESTDIR)/etc/vigil/vigil.conf"; \
	else install -D -m 0640 etc/pair-master.conf $(DESTDIR)/etc/vigil/vigil.conf; \
	  echo "==> installed an example $(DESTDIR)/etc/vigil/vigil.conf (etc/pair-master.conf): edit it, then systemctl enable --now vigil"; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

deb-deps:
	$(call install-missing,$(DEB_BUILD_PKGS))

# The Debian package: the release build (Swift runtime linked statically) installed into a
# staging tree with PREFIX=/usr, then packaging/deb/build-deb.sh (conffile, manual pages,
# completions, maintainer scripts, Depends from dpkg-shlibdeps) and dpkg-deb.
deb: release deb-deps
	rm -rf $(DEB_DIR)/stage $(DEB_DIR)/vigil_*.deb
	$(MAKE) --no-print-directory -s install DESTDIR=$(CURDIR)/$(DEB_DIR)/stage PREFIX=/usr \
	  UNITDIR=/lib/systemd/system BIN=$(CURDIR)/.build/release/vigil > /dev/null
	packaging/deb/build-deb.sh $(DEB_DIR)/stage $(VIGIL_VERSION) $(SOURCE_DATE_EPOCH) $(DEB_DIR)

# The package's contents, control fields, lintian, unit, manual pages and version
# (Tests/Package/check-deb.sh; nothing is installed on this machine).
package-test: deb
	Tests/Package/check-deb.sh $(DEB)

# The unit: installs into a scratch root, verifies it and measures its exposure beside
# Debian's keepalived.service (systemd-analyze security --offline=true; goal <= 2.5).
systemd-test: build
	$(call install-missing,systemd)
	Tests/systemd/check-unit.sh $(VIGIL)

unit-test:
	$(call swift-checked,build --build-tests,.build/build-tests.log)
	$(SWIFT) test --skip-build

# The pure unit tests: no root, no network, no child processes.
CHECK_SUITES := VigilConfigTests VRRPTests LVSTests VigilDaemonTests
check: deps
	$(call swift-checked,build --build-tests,.build/build-tests.log)
	$(SWIFT) test --skip-build $(foreach t,$(CHECK_SUITES),--filter '^$(t)\.')

# keepalived -t beside vigil check --host on the corpus (root: runs in a network namespace).
compat-test: build
	@if [ "$$(id -u)" = 0 ]; then Tests/Compat/run.sh $(VIGIL); \
	else $(call skip,compat-test,needs root for a network namespace); fi

# A failover drill you can watch: two directors and a client in namespaces (root).
demo: build
	$(SUDO) Demo/demo.sh $(CURDIR)/$(VIGIL)

# Failover drills in network namespaces: Vigil pairs, mixed pairs with keepalived, bad adverts.
integration-test: build
	$(call install-missing,$(INTEGRATION_PKGS))
	@for m in $(INTEGRATION_PY); do python3 -c "import $$m" 2>/dev/null || \
	  { echo "==> installing (pip): $$m"; python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore $$m; }; done
	@if [ "$$(id -u)" = 0 ]; then Tests/Integration/run.sh $(CURDIR)/$(VIGIL); \
	else $(call skip,integration-test,needs root for network namespaces); fi

# IPVS against a real kernel: Debian's kernel under qemu (TCG), the host's root shared
# read-only over 9p; the kernel is fetched once into .build/ipvs-kernel/ (~70 MB download).
ipvs-deps:
	$(call install-missing,$(IPVS_DEB_PKGS))

# Guest scripts on a real IPVS kernel: the harness itself, then vigil programming IPVS.
# guest-ecmp.sh (FRR's BFD at 100 ms x 3 on four boxes) gets two emulated CPUs: on one,
# Vigil's starts stalled the guest past BFD's 300 ms and every session flapped.
ipvs-test: ipvs-deps build
	@if [ "$$(id -u)" = 0 ]; then \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-smoke.sh && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-vigil-table.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-lvs-nat.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-lvs-dr.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-two-directors.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-sync-daemon.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-ssl-suspend.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-checkers-ipvs.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-reload-drain.sh $(CURDIR) && \
	  Tests/IPVS/harness.sh Tests/IPVS/guest-fullnat.sh $(CURDIR) && \
	  IPVS_SMP=2 Tests/IPVS/harness.sh Tests/IPVS/guest-ecmp.sh $(CURDIR); \
	else $(call skip,ipvs-test,needs root (apt-get download and qemu sharing /)); fi

# The package under systemd as PID 1 (Tests/IPVS/harness.sh with IPVS_INIT=systemd): the .deb
# and the same source rebuilt as VERSION.1 (the upgrade) are made here, before the VM boots.
SYSTEM_DIR := .build/system-test
system-test: deb ipvs-deps
	@if [ "$$(id -u)" = 0 ]; then \
	  rm -rf $(SYSTEM_DIR) && mkdir -p $(SYSTEM_DIR) && cp $(DEB) $(SYSTEM_DIR)/ && \
	  $(MAKE) --no-print-directory deb VERSION=$(VIGIL_VERSION).1 DEB_DIR=$(SYSTEM_DIR)/next && \
	  IPVS_INIT=systemd IPVS_TIMEOUT=720 Tests/IPVS/harness.sh Tests/System/guest-systemd.sh \
	    $(CURDIR)/$(SYSTEM_DIR)/$(notdir $(DEB)) $(CURDIR)/$(SYSTEM_DIR)/next/vigil_$(VIGIL_VERSION).1_amd64.deb; \
	else $(call skip,system-test,needs root (qemu sharing /)); fi

check-examples: build
	@for f in etc/*.conf; do \
	  printf '==> %s: ' $$f; $(VIGIL) check -f $$f | tail -1 || exit 1; \
	done

bench-check: release
	VIGIL=.build/release/vigil Benchmarks/check-scale.sh

# libFuzzer on configurations (the language, then planned and started as `vigil run` does:
# Fuzz/run.sh), then on the VRRP advert decoder and receive checks; FUZZ_SECONDS=600 each
# by default.
fuzz:
	Fuzz/run.sh $${FUZZ_SECONDS:-600}
	Fuzz/run-advert.sh $${FUZZ_SECONDS:-600}

clean:
	rm -rf .build
