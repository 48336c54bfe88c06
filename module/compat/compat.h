/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels twguard builds against lives here,
 * force-included into each file by Kbuild, so that the rest of the tree
 * reads like upstream code.  Where a feature can be probed from the target
 * tree's headers, it is probed rather than inferred from a version number:
 * distribution kernels carry backports.
 */
#ifndef _TWGUARD_COMPAT_H
#define _TWGUARD_COMPAT_H

#include <linux/version.h>

/*
 * EXPORT_SYMBOL_IF_KUNIT() exposes internals to the KUnit module only.  It
 * arrived upstream in 6.2; Debian's 6.1 carries it as a backport, so every
 * tree we support has the header.
 */
#include <kunit/visibility.h>

#endif /* _TWGUARD_COMPAT_H */
