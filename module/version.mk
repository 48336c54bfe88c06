# SPDX-License-Identifier: GPL-2.0
#
# twguard's version is dkms.conf's PACKAGE_VERSION: the one place the
# module (MODULE_VERSION, the version file), the command and the packages
# take it from.  Included by module/Kbuild and kunit/Kbuild.
twg_version := $(shell sed -n 's/^PACKAGE_VERSION="\([0-9.]*\)"$$/\1/p' $(twg_module_dir)/../dkms.conf)
ifeq ($(twg_version),)
$(error $(twg_module_dir)/../dkms.conf has no PACKAGE_VERSION="X.Y.Z")
endif
ccflags-y += -DTWG_VERSION='"$(twg_version)"'
