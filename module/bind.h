/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_BIND_H
#define _TWGUARD_BIND_H

#include <linux/types.h>

int twg_bind_attach(void);
void twg_bind_detach(void);
u64 twg_bind_missed(void);

#endif /* _TWGUARD_BIND_H */
