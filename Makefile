# SPDX-License-Identifier: GPL-2.0
#
# twguard: see README.md.
#
#   make            build twguard.ko against KDIR
#   make tools      build the twguard command into build/twguard
#   make install    install the module into /lib/modules/RELEASE/extra and
#                   depmod, and the command, its systemd units and its
#                   manual under /usr (DESTDIR=DIR, INSTALL_MOD_PATH=DIR:
#                   stage them under DIR instead)
#   make deb        the twguard-dkms and twguard packages, into build/deb/
#   make demo       boot Debian 12's kernel with twguard, run a workload
#                   (KERNEL=NAME: another kernel, as make bench takes)
#   make bench      twguard's cost: loaded against not, within each boot
#   make test       every test; ends with "N passed, N failed"
#   make torture    the torture suite at full size, and its report (hours)
#   make htmldocs   Documentation/ as HTML, into build/htmldocs/
#   make check      sparse and W=1 against every kernel
#   make style      checkpatch --strict
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) does not exist: install the kernel headers, or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The release the tree was built for, as uname -r will say it: where
# modules_install puts the module and modprobe looks for it.  (Debian's
# headers answer "make kernelrelease" with the upstream version instead.)
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)

install: modules install-tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

# The command: its version is dkms.conf's, as the module's is.
VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\([0-9.]*\)"$$/\1/p' dkms.conf)
CFLAGS ?= -O2 -g
TWG_CMD_SRC = $(wildcard scripts/twguard/*.c)

tools: build/twguard

build/twguard: $(TWG_CMD_SRC) scripts/twguard/twguard.h dkms.conf
	@mkdir -p build
	$(CC) $(CFLAGS) -Wall -Wextra -DTWG_VERSION='"$(VERSION)"' $(LDFLAGS) \
		-o $@ $(TWG_CMD_SRC) -lm

install-tools: build/twguard
	install -D -m 755 build/twguard $(DESTDIR)/usr/sbin/twguard
	install -D -m 644 scripts/systemd/twguard-metrics.service \
		$(DESTDIR)/lib/systemd/system/twguard-metrics.service
	install -D -m 644 scripts/systemd/twguard-metrics.timer \
		$(DESTDIR)/lib/systemd/system/twguard-metrics.timer
	install -D -m 644 scripts/systemd/twguard-apply.service \
		$(DESTDIR)/lib/systemd/system/twguard-apply.service
	install -D -m 644 Documentation/twguard.rst \
		$(DESTDIR)/usr/share/doc/twguard/twguard.rst

# KERNEL=NAME: another of scripts/kernel's kernels than debian-6.1.
demo:
	KERNEL=$(KERNEL) scripts/demo

bench:
	KERNEL=$(KERNEL) scripts/bench

deb:
	scripts/setup
	scripts/deb-build

test:
	scripts/test

torture:
	scripts/torture

check:
	scripts/setup
	scripts/check

htmldocs:
	scripts/setup
	sphinx-build -W -q -b html Documentation build/htmldocs

style:
	scripts/setup
	scripts/style

clean:
	rm -rf build
	find module kunit \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \) -delete
	rm -f Module.symvers modules.order module/modules.order kunit/modules.order

.PHONY: all modules tools install install-tools deb htmldocs demo bench test torture check style clean
