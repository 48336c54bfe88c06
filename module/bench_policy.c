// SPDX-License-Identifier: GPL-2.0
/*
 * twguard_bench's own copy of the policy functions.  They are exported to
 * KUnit from twguard.ko; this copy must not export them a second time.
 */
#undef EXPORT_SYMBOL_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
#include "policy.c"
