/*
 * The pre-scan: the run's totals for the progress display, learned before
 * the run from the folder listings (README, "Progress").
 */
#ifndef MDX_PRESCAN_H
#define MDX_PRESCAN_H

#include "options.h"
#include "progress.h"

/*
 * prescan: the mailboxes the run will take (--user, --domain, --shard),
 * each opened with a reader of its own and its folders walked without
 * reading a message (or the reader's cheap estimate); t->scan_seconds says
 * what it cost.  Prints nothing: whatever is wrong is the run's to report.
 */
void prescan(const struct options *o, struct progress_totals *t);

/*
 * prescan_start: prescan on a thread of its own, its totals handed to p
 * (progress_set_totals) when it ends, so that the run does not wait for
 * it: the line shows what is done until the totals are there.  Nothing
 * when p shows nothing.  prescan_finish waits for it (call it before
 * progress_stop).  Thread-safe: the scan has its own reader and diag and
 * reads o only.
 */
struct prescan;
struct prescan *prescan_start(const struct options *o, struct progress *p);
void prescan_finish(struct prescan **ps);

#endif
