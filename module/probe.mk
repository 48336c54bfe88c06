# SPDX-License-Identifier: GPL-2.0
#
# What twguard needs to know of the tree it builds against, probed from
# that tree's headers: included by module/Kbuild and kunit/Kbuild, each
# setting twg_module_dir to the directory of this file first, so that the
# module and its tests are compiled against one view of the kernel.

# twg_probe FILE,PATTERN,FLAG: -DFLAG when the target tree's FILE (a shell
# glob) matches.
twg_probe = $(shell grep -qsE '$(2)' $(srctree)/$(1) && echo -D$(3))

ccflags-y += $(call twg_probe,include/net/inet_timewait_sock.h,inet_twsk_hashdance_schedule,TWG_HAVE_HASHDANCE_SCHEDULE)
ccflags-y += $(call twg_probe,include/linux/kobject.h,get_ownership.*const struct kobject,TWG_HAVE_CONST_GET_OWNERSHIP)
ccflags-y += $(call twg_probe,include/trace/events/tcp.h,sk_rst_reason,TWG_HAVE_RST_REASON)
ccflags-y += $(call twg_probe,include/net/tcp.h,u64 tcp_clock_ms,TWG_HAVE_TCP_CLOCK_MS)
ccflags-y += $(call twg_probe,include/net/inet_sock.h,u32[[:space:]]+local_port_range;,TWG_HAVE_U32_PORT_RANGE)
ccflags-y += $(call twg_probe,include/linux/ftrace.h,define ftrace_regs_set_instruction_pointer,TWG_HAVE_FREGS_SET_IP)
ccflags-y += $(call twg_probe,include/linux/ftrace*.h,define ftrace_regs_get_argument,TWG_HAVE_FREGS_GET_ARGUMENT)
ccflags-y += $(call twg_probe,include/net/inet_timewait_sock.h,u32[[:space:]]+tw_entry_stamp;,TWG_HAVE_TW_ENTRY_STAMP)
ccflags-y += $(call twg_probe,include/linux/module.h,MODULE_INFO\(import_ns.[[:space:]]*ns\),TWG_HAVE_STRING_NS)
ccflags-y += $(call twg_probe,include/net/inet_hashtables.h,struct hlist_head[[:space:]]+bhash2;,TWG_HAVE_TB_BHASH2_LIST)
ccflags-y += $(call twg_probe,include/net/secure_seq.h,secure_tcp_seq_and_ts_off,TWG_HAVE_SEQ_AND_TS_OFF)

# The words twguard keeps in the kernel's sockets (stamp.h) must be
# padding in this very tree: nothing declared where they go.  The compiler
# checks the room (BUILD_BUG_ON); this checks that no field of the kernel
# sits there, as 6.14's tw_entry_stamp sits where 6.12 has a hole.  A tree
# where neither place is free does not build: twguard never writes over a
# field it cannot see.
twg_gap = $(shell awk -f $(twg_module_dir)/layout.awk -v s='$(2)' -v a='$(3)' -v b='$(4)' \
	$(srctree)/$(1) 2>&1)
twg_timer_h = $(if $(wildcard $(srctree)/include/linux/timer_types.h),include/linux/timer_types.h,include/linux/timer.h)
twg_sk_after = $(if $(filter -DTWG_HAVE_U32_PORT_RANGE,$(ccflags-y)),local_port_range;,mc_addr;)
twg_sk_gap := $(call twg_gap,include/net/inet_sock.h,inet_sock,[[:space:]]$(twg_sk_after),[[:space:]*]mc_list;)
twg_tw_gap := $(call twg_gap,include/net/inet_timewait_sock.h,inet_timewait_sock,[[:space:]]tw_priority;,[[:space:]]tw_timer;)
twg_timer_gap := $(call twg_gap,$(twg_timer_h),timer_list,[[:space:]]flags;,(lockdep_map;|^};))

ifneq ($(twg_sk_gap),clear)
$(error twguard: struct inet_sock has no free word before mc_list in this tree ($(twg_sk_gap)): see module/stamp.h)
endif
ifeq ($(twg_tw_gap),clear)
ccflags-y += -DTWG_TW_WORD_IN_HOLE
else ifeq ($(twg_timer_gap),clear)
ccflags-y += -DTWG_TW_WORD_IN_TIMER
else
$(error twguard: struct inet_timewait_sock has no free word in this tree (after tw_priority: $(twg_tw_gap); after tw_timer.flags: $(twg_timer_gap)): see module/stamp.h)
endif

# Test builds against a kernel with UBSAN: the pure logic (the policy's
# index, the tables, the accounting) is checked for misaligned accesses
# too, which the debug kernels leave off for their own code (see
# scripts/kconfig/debug.config).  Not the hooks: list_for_each_entry()
# forms a pointer to a struct net that is not one at the end of every
# walk, which the check reports.
ifeq ($(TWG_TEST_MODULES)$(CONFIG_UBSAN),my)
twg_align_check := -fsanitize=alignment
endif
