// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The livepatch module of the VM proof (tests/vm/run.sh): while it is enabled,
 * reading /proc/cmdline prints LP_CMDLINE_MARKER instead of the command line.
 *
 * It replaces cmdline_proc_show() (fs/proc/cmdline.c) exactly as the kernel's
 * own samples/livepatch/livepatch-sample.c does, with atomic replace, so that a
 * later level takes its place without a gap.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

#define LP_CMDLINE_MARKER "lpatch-vm-proof: this kernel is live patched by lp_cmdline"

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", LP_CMDLINE_MARKER);
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	}, { }
};

static struct klp_object objs[] = {
	{
		/* name being NULL means vmlinux */
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = true,
};

static int lp_cmdline_init(void)
{
	return klp_enable_patch(&patch);
}

static void lp_cmdline_exit(void)
{
}

module_init(lp_cmdline_init);
module_exit(lp_cmdline_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LivePatch Repository: /proc/cmdline prints a marker (VM proof)");
MODULE_INFO(livepatch, "Y");
