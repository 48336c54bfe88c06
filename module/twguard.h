/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWGUARD_H
#define _TWGUARD_H

#define TWG_VERSION "0.4.0"

#endif /* _TWGUARD_H */
