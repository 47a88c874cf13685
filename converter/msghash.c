#include "msghash.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <string.h>
#include <unistd.h>

#include "conv.h"
#include "xalloc.h"

#define FINAL_CHUNK (256 * 1024)

struct msg_hash {
	GChecksum *ck;
	uint64_t upto;		/* bytes [0, upto) are in ck */
};

struct msg_hash *msg_hash_new(void)
{
	struct msg_hash *h = xcalloc(1, sizeof(*h));
	h->ck = g_checksum_new(G_CHECKSUM_SHA256);
	return h;
}

void msg_hash_free(struct msg_hash **hp)
{
	struct msg_hash *h = *hp;
	if (!h)
		return;
	g_checksum_free(h->ck);
	free(h);
	*hp = NULL;
}

void msg_hash_reset(struct msg_hash *h)
{
	g_checksum_reset(h->ck);
	h->upto = 0;
}

void msg_hash_feed(struct msg_hash *h, uint64_t at, const void *data, size_t len)
{
	if (at > h->upto || at + len <= h->upto)
		return;
	size_t skip = (size_t)(h->upto - at);
	g_checksum_update(h->ck, (const guchar *)data + skip, (gssize)(len - skip));
	h->upto = at + len;
}

int msg_hash_final(struct msg_hash *h, const struct mail_msg *msg, char hex[65],
		   struct sbuf *err)
{
	char *buf = NULL;
	int ok = 1;
	while (h->upto < msg->size) {
		if (!buf)
			buf = xmalloc(FINAL_CHUNK);
		uint64_t want = msg->size - h->upto;
		ssize_t n = msg->fd < 0 ? -1 :
			pread(msg->fd, buf, want < FINAL_CHUNK ? (size_t)want : FINAL_CHUNK,
			      (off_t)h->upto);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				sbuf_addf(err, "cannot read '%s': %s", msg->origin,
					  msg->fd < 0 ? "not open" : strerror(errno));
			else
				sbuf_addf(err, "'%s' shrank while being read", msg->origin);
			ok = 0;
			break;
		}
		msg_hash_feed(h, h->upto, buf, (size_t)n);
	}
	free(buf);
	if (ok)
		memcpy(hex, g_checksum_get_string(h->ck), 65);
	return ok;
}
