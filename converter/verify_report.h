/*
 * What `verify` found, per mailbox and folder, and its two renderings: a
 * text report for people and one JSON document for scripts (README,
 * "verify").  Every item that does not verify is one problem naming the
 * source message and where its output is (or should be), so that a report
 * points at exactly the messages that differ and at nothing else.
 */
#ifndef MDX_VERIFY_REPORT_H
#define MDX_VERIFY_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/check.h"
#include "core/sbuf.h"

/* the kinds and struct vproblem are the read-back interface's (core/check.h) */
extern const char *const vkind_names[VK_NKINDS];

struct vfolder_count {
	char *folder;
	unsigned n[VK_NKINDS];
};

struct vbox_report {
	char *mailbox, *format, *output, *manifest;
	struct vfolder_count *folders;
	size_t nfolders;
	struct vproblem *problems;	/* strings owned */
	size_t nproblems;
	unsigned n[VK_NKINDS];
};

struct vreport {
	bool json;
	struct sbuf doc;	/* the JSON document being built */
	unsigned mailboxes;
	unsigned n[VK_NKINDS];
	struct sbuf other;	/* problems outside any mailbox (JSON array items) */
	unsigned nother;
	/* issue 16: mailboxes of SOURCE that DIR holds no export of, not checked */
	unsigned not_in_dir;
	struct sbuf absent;	/* their names (JSON array items) */
};

void vreport_init(struct vreport *r, bool json, const char *source, const char *dir);
/* vbox_report_init: a mailbox's report (strings copied; format/manifest may be NULL) */
void vbox_report_init(struct vbox_report *b, const char *mailbox, const char *format,
		      const char *output, const char *manifest);
/* vbox_folder: a folder in the order the source has it (counted once) */
struct vfolder_count *vbox_folder(struct vbox_report *b, const char *folder);
/* vbox_count: one item of kind k in folder (no problem line: verified, skipped) */
void vbox_count(struct vbox_report *b, const char *folder, enum vkind k);
/* vbox_problem: one problem, counted in its folder (VK_MANIFEST: in the mailbox only) */
void vbox_problem(struct vbox_report *b, const struct vproblem *p);
/* vbox_failed: anything but verified and skipped */
bool vbox_failed(const struct vbox_report *b);
/* vreport_box: print the mailbox's report (text) or add it to the document; frees b */
void vreport_box(struct vreport *r, struct vbox_report *b);
/* vreport_other: a problem outside any mailbox (a manifest of no mailbox in SOURCE) */
void vreport_other(struct vreport *r, const char *what, const char *path);
/* vreport_unlisted: a file in DIR that no manifest describes (issue 16) */
void vreport_unlisted(struct vreport *r, const char *path, const char *what);
/* vreport_not_in_dir: a mailbox of SOURCE that DIR holds no export of (not checked) */
void vreport_not_in_dir(struct vreport *r, const char *mailbox);
/* vreport_finish: the closing line or the JSON document; returns the exit status */
int vreport_finish(struct vreport *r);

#endif
