#include "core/linefilter.h"

#include <string.h>

static const char from_[] = "From ";

void linefilter_init(struct linefilter *lf, struct outfile *out, bool mboxrd)
{
	lf->out = out;
	lf->mboxrd = mboxrd;
	lf->pending_cr = false;
	lf->state = LF_START;
	lf->held = 0;
	lf->last = '\0';	/* an empty message does not end in a newline */
}

static void emit(struct linefilter *lf, const char *p, size_t n)
{
	if (!n)
		return;
	outfile_write(lf->out, p, n);
	lf->last = p[n - 1];
}

static void flush_held(struct linefilter *lf)
{
	emit(lf, from_, lf->held);
	lf->held = 0;
}

/* content_byte: one byte that is neither LF nor the CR of a CRLF */
static void content_byte(struct linefilter *lf, char c)
{
	switch (lf->state) {
	case LF_START:
	case LF_QUOTES:
		if (lf->mboxrd && c == '>') {
			emit(lf, ">", 1);
			lf->state = LF_QUOTES;
			return;
		}
		if (lf->mboxrd && c == 'F') {
			lf->held = 1;
			lf->state = LF_FROM;
			return;
		}
		break;
	case LF_FROM:
		if (c == from_[lf->held]) {
			if (++lf->held == 5) {
				emit(lf, ">From ", 6);
				lf->held = 0;
				lf->state = LF_MID;
			}
			return;
		}
		flush_held(lf);
		break;
	case LF_MID:
		break;
	}
	lf->state = LF_MID;
	emit(lf, &c, 1);
}

int linefilter_push(void *ctx, const void *data, size_t len)
{
	struct linefilter *lf = ctx;
	const char *p = data, *end = p + len;
	if (lf->pending_cr && len) {
		lf->pending_cr = false;
		if (*p != '\n')
			content_byte(lf, '\r');	/* a bare CR: kept */
	}
	while (p < end) {
		if (lf->state == LF_MID) {
			/*
			 * The bulk of every line, copied in one piece: a CR inside
			 * it is content; only the CR of the CRLF ending it is left
			 * out, and one that ends the chunk is held back.
			 */
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *stop = nl ? nl : end;
			if (stop > p && stop[-1] == '\r')
				stop--;
			emit(lf, p, (size_t)(stop - p));
			p = stop;
			if (p == end)
				break;
		}
		char c = *p++;
		if (c == '\r') {
			if (p == end)
				lf->pending_cr = true;
			else if (*p != '\n')
				content_byte(lf, '\r');
			/* else: the CR of a CRLF, dropped */
		} else if (c == '\n') {
			flush_held(lf);
			emit(lf, "\n", 1);
			lf->state = LF_START;
		} else {
			content_byte(lf, c);
		}
	}
	return outfile_failed(lf->out) ? -1 : 0;
}

bool linefilter_finish(struct linefilter *lf)
{
	if (lf->pending_cr) {
		lf->pending_cr = false;
		content_byte(lf, '\r');
	}
	flush_held(lf);
	return lf->last == '\n';
}
