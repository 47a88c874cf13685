/*
 * Helpers over struct mail_msg shared by every writer: copying the bytes out
 * and reading the few header fields the formats need.  Header parsing is
 * GMime's (unfolding, RFC 2047, address lists, dates); we only hand it the
 * header block the reader already holds.
 */
#include "conv.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)

int msg_copy_range(const struct mail_msg *msg, uint64_t from,
		   msg_sink_fn *sink, void *ctx, struct sbuf *err)
{
	if (from < msg->prefix_len) {
		if (sink(ctx, msg->prefix + from, msg->prefix_len - from) < 0)
			return CONV_FATAL;
		from = msg->prefix_len;
	}
	char buf[16384];
	char *chunk = buf;
	size_t chunk_size = sizeof(buf);
	char *big = NULL;
	if (msg->size - from > sizeof(buf)) {
		big = g_malloc(COPY_CHUNK);
		chunk = big;
		chunk_size = COPY_CHUNK;
	}
	int ret = CONV_OK;
	while (from < msg->size) {
		ssize_t n = pread(msg->fd, chunk, chunk_size, (off_t)from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sbuf_addf(err, "cannot read '%s': %s", msg->origin,
				  strerror(errno));
			ret = CONV_MSG_BAD;
			break;
		}
		if (n == 0) {
			sbuf_addf(err, "'%s' shrank while being read "
				  "(expected %llu bytes, got %llu)", msg->origin,
				  (unsigned long long)msg->size,
				  (unsigned long long)from);
			ret = CONV_MSG_BAD;
			break;
		}
		if (sink(ctx, chunk, (size_t)n) < 0) {
			ret = CONV_FATAL;
			break;
		}
		from += (uint64_t)n;
	}
	g_free(big);
	return ret;
}

static GMimeObject *parse_head(const unsigned char *head, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer((const char *)head, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	GMimeObject *part = GMIME_OBJECT(g_mime_parser_construct_message(parser, NULL));
	g_object_unref(parser);
	g_object_unref(st);
	return part;
}

/* address_from_value: first mailbox address of a header value, or "" */
static void address_from_value(const char *value, struct sbuf *out)
{
	InternetAddressList *list = internet_address_list_parse(NULL, value);
	if (list) {
		for (int i = 0; i < internet_address_list_length(list); i++) {
			InternetAddress *ia = internet_address_list_get_address(list, i);
			if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
				const char *a = internet_address_mailbox_get_addr(
					INTERNET_ADDRESS_MAILBOX(ia));
				if (a && *a && !strchr(a, ' ')) {
					sbuf_adds(out, a);
					break;
				}
			}
		}
		g_object_unref(list);
	}
}

void msg_envelope_sender(const struct mail_msg *msg, struct sbuf *out)
{
	size_t before = out->len;
	GMimeObject *obj = parse_head(msg->prefix, msg->head_len);
	if (obj) {
		static const char *const names[] = { "X-Return-Path", "Return-Path" };
		for (size_t i = 0; i < 2 && out->len == before; i++) {
			const char *v = g_mime_object_get_header(obj, names[i]);
			if (v)
				address_from_value(v, out);
		}
		g_object_unref(obj);
	}
	if (out->len == before)
		sbuf_adds(out, "MAILER-DAEMON");
}

int header_block_date(const unsigned char *head, size_t len,
		      const char *name, int64_t *t_r)
{
	GMimeObject *obj = parse_head(head, len);
	if (!obj)
		return 0;
	int found = 0;
	const char *v = g_mime_object_get_header(obj, name);
	if (v) {
		GDateTime *dt = g_mime_utils_header_decode_date(v);
		if (dt) {
			*t_r = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
			found = 1;
		}
	}
	g_object_unref(obj);
	return found;
}
