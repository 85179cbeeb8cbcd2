// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A minimal livepatch module, used as a test fixture for LivePatch Repository.
 *
 * It replaces cmdline_proc_show() (fs/proc/cmdline.c) so that reading
 * /proc/cmdline prints a fixed line while the patch is enabled. The shape
 * follows the kernel's own samples/livepatch/livepatch-sample.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "this has been live patched by lp_sample");
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

static int lp_sample_init(void)
{
	return klp_enable_patch(&patch);
}

static void lp_sample_exit(void)
{
}

module_init(lp_sample_init);
module_exit(lp_sample_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LivePatch Repository sample livepatch module");
MODULE_INFO(livepatch, "Y");
