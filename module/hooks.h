/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_HOOKS_H
#define _TWGUARD_HOOKS_H

#include <linux/types.h>

int twg_hooks_init(void);
void twg_hooks_exit(void);

#endif /* _TWGUARD_HOOKS_H */
