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

#endif
