# SPDX-License-Identifier: GPL-2.0
#
# twguard: see README.md.
#
#   make            build twguard.ko against KDIR
#   make install    install it into /lib/modules/RELEASE/extra and depmod
#                   (INSTALL_MOD_PATH=DIR stages it under DIR instead)
#   make demo       boot Debian 12's kernel with twguard, run a workload
#                   (KERNEL=NAME: another kernel, as make bench takes)
#   make bench      twguard's cost: loaded against not, within each boot
#   make test       every test; ends with "N passed, N failed"
#   make torture    the torture suite at full size, and its report (hours)
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

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

# KERNEL=NAME: another of scripts/kernel's kernels than debian-6.1.
demo:
	KERNEL=$(KERNEL) scripts/demo

bench:
	KERNEL=$(KERNEL) scripts/bench

test:
	scripts/test

torture:
	scripts/torture

check:
	scripts/setup
	scripts/check

style:
	scripts/setup
	scripts/style

clean:
	rm -rf build
	find module kunit \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name '*.a' \) -delete
	rm -f Module.symvers modules.order module/modules.order kunit/modules.order

.PHONY: all modules install demo bench test torture check style clean
