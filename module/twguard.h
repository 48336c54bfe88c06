/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_H
#define _TWGUARD_H

#define TWG_VERSION "0.1.0"

/* sysfs.c: /sys/kernel/twguard/ */
int twg_sysfs_init(void);
void twg_sysfs_exit(void);

#endif /* _TWGUARD_H */
