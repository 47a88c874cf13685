/*
 * A streaming line filter for the Unix formats: CRLF becomes LF (a bare CR
 * is kept as it is), and, for mbox, mboxrd quoting: a line matching
 * ^>*From  gets one more '>'.  mboxrd, not mboxo, because only mboxrd can
 * be undone exactly.  The extra '>' is written right before "From ", which
 * is the same as prepending it and lets us stream lines of any length with
 * at most five bytes held back.
 */
#ifndef MDX_LINEFILTER_H
#define MDX_LINEFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/outfile.h"

enum lf_state { LF_START, LF_QUOTES, LF_FROM, LF_MID };

struct linefilter {
	struct outfile *out;
	bool mboxrd;
	bool pending_cr;	/* a CR ended the last chunk */
	enum lf_state state;
	unsigned held;		/* bytes of "From " matched but not yet written */
	char last;		/* last byte written */
};

void linefilter_init(struct linefilter *lf, struct outfile *out, bool mboxrd);
/* linefilter_push: a msg_sink_fn; ctx is the linefilter */
int linefilter_push(void *ctx, const void *data, size_t len);
/* linefilter_finish: write what is held; true when the output ends in LF */
bool linefilter_finish(struct linefilter *lf);

#endif
