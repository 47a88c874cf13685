/*
 * Reading a PST output back (core/check.h).  Where the writer puts a
 * message: <domain>/<mailbox>.pst, in the folder of the source's name
 * (INBOX becoming Inbox), as the node the manifest names.  The file is read back through libpff (the product's PST
 * reader: our writer never reads), every message node found by walking the
 * folders from the root (and libpff's orphans), and each message compared
 * with a fresh GMime parse of its source.  What the PST holds is not the
 * source's bytes but fields taken from them (README, "PST"), so each field
 * is compared with what the README says it is made from:
 *   PR_SUBJECT                 the decoded Subject: ("" without one)
 *   PR_CLIENT_SUBMIT_TIME      Date:, else the internal date
 *   PR_MESSAGE_DELIVERY_TIME   the internal date
 *   PR_MESSAGE_FLAGS, PR_MSG_STATUS, PR_FLAG_STATUS  the five flags
 *   PR_BODY, PR_HTML           the first text/plain and text/html parts
 *                              that are not attachments, decoded by the
 *                              writer's own pst_part_text()
 *   attachments                every other MIME leaf, in order: name and
 *                              bytes (SHA-256)
 * The rules for which parts are bodies and attachments and how they are
 * named are written again here from the README rather than shared with
 * formats/pst/attach.c, so that a part the writer lost is noticed; the
 * text decoding is shared, as a second copy of its charset policy would
 * prove nothing.
 */
#include "pst/check.h"

#include <gmime/gmime.h>
#include <libpff.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hdrtext.h"
#include "core/gwitem.h"
#include "core/xalloc.h"
#include "pst/message.h"
#include "pst/msgclass.h"

#define NID_ROOT 0x122u
#define NID_IPM_SUBTREE 0x8022u	/* "Top of Outlook data file" in every PST */
#define NID_TYPE(nid) ((nid) & 0x1Fu)
#define NID_TYPE_FOLDER 0x02u
#define NID_TYPE_MESSAGE 0x04u
#define PST_MAX_MESSAGE 0x7FFFFFFFull	/* PR_MESSAGE_SIZE is a signed 32-bit number */

enum {
	PR_SUBJECT = 0x0037, PR_CLIENT_SUBMIT_TIME = 0x0039, PR_DELIVERY_TIME = 0x0E06,
	PR_MESSAGE_FLAGS = 0x0E07, PR_MSG_STATUS = 0x0E17, PR_BODY = 0x1000,
	PR_HTML = 0x1013, PR_FLAG_STATUS = 0x1090, PR_ATTACH_LONG_FILENAME = 0x3707,
	MSGFLAG_READ = 0x01, MSGFLAG_UNSENT = 0x08,
	MSGSTATUS_DELMARKED = 0x08, MSGSTATUS_DRAFT = 0x100, MSGSTATUS_ANSWERED = 0x200,
	FLAG_STATUS_FLAGGED = 2,
};

struct verify_pst {
	libpff_file_t *file;
	GHashTable *folder_of;	/* nid -> folder path */
	uint32_t *nids;
	size_t n;
};

static void pff_error(libpff_error_t **e, const char *what, struct sbuf *out)
{
	char buf[1024] = "";
	if (*e)
		libpff_error_sprint(*e, buf, sizeof(buf));
	sbuf_addf(out, "%s%s%s", what, *buf ? ": " : "", buf);
	libpff_error_free(e);
}

/* ---- the walk --------------------------------------------------------------- */

static void add_message(struct verify_pst *p, uint32_t nid, const char *path)
{
	if (g_hash_table_contains(p->folder_of, GUINT_TO_POINTER(nid)))
		return;		/* reached twice (an orphan that is also in a folder) */
	g_hash_table_insert(p->folder_of, GUINT_TO_POINTER(nid), g_strdup(path));
	p->nids = xreallocarray(p->nids, p->n + 1, sizeof(*p->nids));
	p->nids[p->n++] = nid;
}

static char *folder_name(libpff_item_t *folder);

/*
 * child_path: a subfolder's path.  The top of the data file is the root of
 * the paths the manifest names ("Inbox/Projects"); anything else directly
 * under the store's root starts with "//".
 */
static char *child_path(const char *path, uint32_t nid, const char *name)
{
	if (nid == NID_IPM_SUBTREE)
		return xstrdup("");
	if (!path)
		return xasprintf("//%s", name);
	return *path ? xasprintf("%s/%s", path, name) : xstrdup(name);
}

/*
 * The bound on the folder walk (a damaged file may loop): deeper than the
 * store reader ever goes (200 folders below the top of the data file).
 */
#define WALK_DEPTH_MAX 256

/* walk: the messages below item; path NULL at the root, outside the top of the data file */
static void walk(struct verify_pst *p, libpff_item_t *item, const char *path, int depth)
{
	int n = 0;
	if (depth > WALK_DEPTH_MAX || libpff_item_get_number_of_sub_items(item, &n, NULL) != 1)
		return;
	for (int i = 0; i < n; i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_item_get_sub_item(item, i, &sub, NULL) != 1)
			continue;
		libpff_item_get_identifier(sub, &nid, NULL);
		if (NID_TYPE(nid) == NID_TYPE_MESSAGE) {
			add_message(p, nid, path ? path : "//");
		} else if (NID_TYPE(nid) == NID_TYPE_FOLDER && nid != NID_ROOT) {
			char *name = folder_name(sub);
			char *sub_path = child_path(path, nid, name);
			walk(p, sub, sub_path, depth + 1);
			free(sub_path);
			free(name);
		}
		libpff_item_free(&sub, NULL);
	}
}

/* walk_orphans: items whose parent node is missing; messages among them count too */
static void walk_orphans(struct verify_pst *p)
{
	int n = 0;
	if (libpff_file_get_number_of_orphan_items(p->file, &n, NULL) != 1)
		return;
	for (int i = 0; i < n; i++) {
		libpff_item_t *item = NULL;
		uint32_t nid = 0;
		if (libpff_file_get_orphan_item_by_index(p->file, i, &item, NULL) != 1)
			continue;
		libpff_item_get_identifier(item, &nid, NULL);
		if (NID_TYPE(nid) == NID_TYPE_MESSAGE)
			add_message(p, nid, "//(no parent folder)");
		else if (NID_TYPE(nid) == NID_TYPE_FOLDER)
			walk(p, item, "//(no parent folder)", 1);
		libpff_item_free(&item, NULL);
	}
}

struct verify_pst *verify_pst_open(const char *path, struct sbuf *err)
{
	struct verify_pst *p = xcalloc(1, sizeof(*p));
	libpff_error_t *e = NULL;
	libpff_item_t *root = NULL;
	if (libpff_file_initialize(&p->file, &e) != 1 ||
	    libpff_file_open(p->file, path, LIBPFF_OPEN_READ, &e) != 1 ||
	    libpff_file_get_root_folder(p->file, &root, &e) != 1) {
		pff_error(&e, "libpff cannot read it", err);
		if (p->file)
			libpff_file_free(&p->file, NULL);
		free(p);
		return NULL;
	}
	p->folder_of = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	walk(p, root, NULL, 0);
	walk_orphans(p);
	libpff_item_free(&root, NULL);
	return p;
}

void verify_pst_close(struct verify_pst *p)
{
	if (!p)
		return;
	libpff_file_close(p->file, NULL);
	libpff_file_free(&p->file, NULL);
	g_hash_table_destroy(p->folder_of);
	free(p->nids);
	free(p);
}

const char *verify_pst_folder(const struct verify_pst *p, uint32_t nid)
{
	return g_hash_table_lookup(p->folder_of, GUINT_TO_POINTER(nid));
}

const uint32_t *verify_pst_nids(const struct verify_pst *p, size_t *n)
{
	*n = p->n;
	return p->nids;
}

/* ---- properties ----------------------------------------------------------------- */

/* props: an item's property context (record set 0) */
struct props {
	libpff_record_set_t *set;
};

static int props_open(struct props *pr, libpff_item_t *item)
{
	pr->set = NULL;
	return libpff_item_get_record_set_by_index(item, 0, &pr->set, NULL) == 1 ? 0 : -1;
}

static void props_close(struct props *pr)
{
	if (pr->set)
		libpff_record_set_free(&pr->set, NULL);
}

static libpff_record_entry_t *prop(const struct props *pr, uint32_t id)
{
	libpff_record_entry_t *e = NULL;
	if (!pr->set || libpff_record_set_get_entry_by_type(
		    pr->set, id, 0, &e, LIBPFF_ENTRY_VALUE_FLAG_MATCH_ANY_VALUE_TYPE, NULL) != 1)
		return NULL;
	return e;
}

/* prop_raw: a property's bytes as stored; false when absent */
static bool prop_raw(const struct props *pr, uint32_t id, struct sbuf *out, uint32_t *type)
{
	libpff_record_entry_t *e = prop(pr, id);
	size_t n = 0;
	bool ok = e && libpff_record_entry_get_value_type(e, type, NULL) == 1 &&
		  libpff_record_entry_get_data_size(e, &n, NULL) == 1;
	if (ok && n) {
		sbuf_grow(out, n);
		ok = libpff_record_entry_get_data(e, (uint8_t *)out->buf + out->len, n, NULL) == 1;
		if (ok)
			sbuf_setlen(out, out->len + n);
	}
	if (e)
		libpff_record_entry_free(&e, NULL);
	return ok;
}

/*
 * prop_string: a string property as UTF-8; false when absent.  A Unicode
 * string (PT_UNICODE) is decoded from its UTF-16LE bytes here, by GLib:
 * libpff 20180714 turns some surrogate pairs into the wrong character
 * (U+2C8E4 came back as U+2C4E5), which would report an intact body as
 * altered.  A UTF-16 string that is not valid (an unpaired surrogate) is
 * itself a difference: its bytes are shown as U+FFFD.
 */
static bool prop_string(const struct props *pr, uint32_t id, struct sbuf *out)
{
	struct sbuf raw = SBUF_INIT;
	uint32_t type = 0;
	bool ok = prop_raw(pr, id, &raw, &type);
	if (ok && type == 0x001F) {
		size_t n = raw.len / 2;
		gunichar2 *u = g_new(gunichar2, n + 1);
		for (size_t i = 0; i < n; i++)
			u[i] = (gunichar2)((unsigned char)raw.buf[2 * i] |
					   (unsigned char)raw.buf[2 * i + 1] << 8);
		while (n && !u[n - 1])	/* a terminating NUL, if stored */
			n--;
		char *s = g_utf16_to_utf8(u, (glong)n, NULL, NULL, NULL);
		sbuf_adds(out, s ? s : "\xef\xbf\xbd");
		g_free(s);
		g_free(u);
	} else if (ok) {		/* an 8-bit string: libpff knows its code page */
		libpff_record_entry_t *e = prop(pr, id);
		size_t n = 0;
		if (e && libpff_record_entry_get_data_as_utf8_string_size(e, &n, NULL) == 1 && n > 1) {
			sbuf_grow(out, n);
			if (libpff_record_entry_get_data_as_utf8_string(
				    e, (uint8_t *)out->buf + out->len, n, NULL) == 1)
				sbuf_setlen(out, out->len + strlen(out->buf + out->len));
		}
		if (e)
			libpff_record_entry_free(&e, NULL);
	}
	sbuf_release(&raw);
	return ok;
}

/*
 * folder_name: PR_DISPLAY_NAME as prop_string reads it (libpff's own UTF-8
 * name turns some surrogate pairs into the wrong character, so a folder
 * named with an emoji would read as altered); libpff's name when the
 * property cannot be had
 */
static char *folder_name(libpff_item_t *folder)
{
	struct props pr;
	struct sbuf name = SBUF_INIT;
	bool got = props_open(&pr, folder) == 0 && prop_string(&pr, 0x3001, &name);
	props_close(&pr);
	if (got)
		return sbuf_detach(&name);
	sbuf_release(&name);
	size_t n = 0;
	if (libpff_folder_get_utf8_name_size(folder, &n, NULL) != 1 || !n)
		return xstrdup("");
	char *s = xmalloc(n);
	if (libpff_folder_get_utf8_name(folder, (uint8_t *)s, n, NULL) != 1)
		*s = '\0';
	return s;
}

static bool prop_binary(const struct props *pr, uint32_t id, struct sbuf *out)
{
	uint32_t type;
	return prop_raw(pr, id, out, &type);
}

static bool prop_u32(const struct props *pr, uint32_t id, uint32_t *v)
{
	libpff_record_entry_t *e = prop(pr, id);
	bool ok = e && libpff_record_entry_get_data_as_32bit_integer(e, v, NULL) == 1;
	if (e)
		libpff_record_entry_free(&e, NULL);
	return ok;
}

static bool prop_time(const struct props *pr, uint32_t id, uint64_t *v)
{
	libpff_record_entry_t *e = prop(pr, id);
	bool ok = e && libpff_record_entry_get_data_as_filetime(e, v, NULL) == 1;
	if (e)
		libpff_record_entry_free(&e, NULL);
	return ok;
}

void verify_pst_subject(struct verify_pst *p, uint32_t nid, struct sbuf *out)
{
	libpff_item_t *item = NULL;
	struct props pr;
	if (libpff_file_get_item_by_identifier(p->file, nid, &item, NULL) != 1)
		return;
	if (props_open(&pr, item) == 0)
		prop_string(&pr, PR_SUBJECT, out);
	props_close(&pr);
	libpff_item_free(&item, NULL);
}

/* ---- what the source says ----------------------------------------------------------- */

struct want_attachment {
	char *name;
	char *mime;
	char sha[65];
	uint64_t size;
};

struct want {
	GMimeMessage *msg;		/* NULL: GMime could not parse it */
	struct sbuf subject, body, html;
	bool has_html;
	int64_t sent;
	GArray *att;			/* struct want_attachment */
	struct pst_class cls;		/* issue 15: the class the writer gives it */
	struct hdr_charsets cs;		/* issue 15: the message's, for names */
	const char *const *fallback;
};

/* first_text: the first text/<subtype> leaf that is not an attachment (README: the bodies) */
static GMimeObject *first_text(GMimeObject *obj, const char *subtype)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
			GMimeObject *t = first_text(g_mime_multipart_get_part(mp, i), subtype);
			if (t)
				return t;
		}
		return NULL;
	}
	if (!GMIME_IS_TEXT_PART(obj))
		return NULL;
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	if (cd && g_mime_content_disposition_is_attachment(cd))
		return NULL;
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	return g_mime_content_type_is_type(ct, "text", subtype) ? obj : NULL;
}

/* digest: SHA-256 and size of what write() puts into a stream */
static void digest(struct want_attachment *a, void (*write)(void *, GMimeStream *), void *what)
{
	GMimeStream *null = g_mime_stream_null_new();
	GMimeStream *f = g_mime_stream_filter_new(null);
	GMimeFilter *ck = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), ck);
	write(what, f);
	g_mime_stream_flush(f);
	gchar *hex = g_mime_filter_checksum_get_string(GMIME_FILTER_CHECKSUM(ck));
	snprintf(a->sha, sizeof(a->sha), "%s", hex);
	g_free(hex);
	a->size = (uint64_t)GMIME_STREAM_NULL(null)->written;
	g_object_unref(ck);
	g_object_unref(f);
	g_object_unref(null);
}

static void write_message(void *obj, GMimeStream *s)
{
	g_mime_object_write_to_stream(obj, NULL, s);
}

static void write_content(void *content, GMimeStream *s)
{
	g_mime_data_wrapper_write_to_stream(content, s);	/* transfer encoding undone */
}

static void write_text(void *text, GMimeStream *s)
{
	g_mime_stream_write_string(s, text);
}

static void write_stream(void *src, GMimeStream *s)
{
	g_mime_stream_reset(src);
	g_mime_stream_write_to_stream(src, s);
}

static void write_fd(void *src, GMimeStream *s)
{
	const struct mail_msg *m = src;
	GMimeStream *in = msg_stream(m, 0, m->size);
	g_mime_stream_write_to_stream(in, s);
	g_object_unref(in);
}

/*
 * leaf_attachment: name and bytes of one attachment: a message part is the
 * attached message as GMime writes it, named "<subject>.eml"; a multipart
 * whose boundary never comes is its text; any other part its decoded
 * content, named by its file name, else "attachment-<n>".
 */
static void leaf_attachment(GMimeObject *part, unsigned num, const struct want *w,
			    struct want_attachment *a)
{
	/* issue 15: names by the header text rule (README "Header text and charsets") */
	struct sbuf fname = SBUF_INIT;
	const char *fn = hdr_part_filename(part, &w->cs, &fname) ? fname.buf : NULL;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	a->mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("application/octet-stream");
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
		struct sbuf subj = SBUF_INIT;
		if (!inner || !hdr_message_subject(inner, w->fallback, &subj))
			sbuf_reset(&subj);
		a->name = fn && *fn ? g_strdup(fn) : g_strdup_printf("%s.eml", subj.len ?
								  subj.buf : "message");
		sbuf_release(&subj);
		if (inner)
			digest(a, write_message, inner);
		else
			digest(a, write_text, "");
	} else if (GMIME_IS_MULTIPART(part)) {
		const char *text = g_mime_multipart_get_prologue(GMIME_MULTIPART(part));
		a->name = g_strdup_printf("attachment-%u", num);
		digest(a, write_text, (void *)(text ? text : ""));
	} else {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
		a->name = fn && *fn ? g_strdup(fn) : g_strdup_printf("attachment-%u", num);
		if (content)
			digest(a, write_content, content);
		else
			digest(a, write_text, "");
	}
	sbuf_release(&fname);
}

/* collect: every leaf but the two bodies, depth first (README: "every other MIME leaf") */
static void collect(GMimeObject *obj, const struct want *w, GMimeObject *body,
		    GMimeObject *html)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		if (n == 0 && g_mime_multipart_get_prologue(mp)) {
			struct want_attachment a = { 0 };
			leaf_attachment(obj, w->att->len, w, &a);
			g_array_append_val(w->att, a);
		}
		for (int i = 0; i < n; i++)
			collect(g_mime_multipart_get_part(mp, i), w, body, html);
	} else if (obj != body && obj != html && (GMIME_IS_PART(obj) || GMIME_IS_MESSAGE_PART(obj))) {
		struct want_attachment a = { 0 };
		leaf_attachment(obj, w->att->len, w, &a);
		g_array_append_val(w->att, a);
	}
}

static void want_from_mime(struct want *w, const char *const *fallback)
{
	/* issue 15: the header text rule, with the export's fallbacks (README) */
	hdr_charsets_from_message(&w->cs, GMIME_OBJECT(w->msg), fallback);
	w->fallback = fallback;
	hdr_object_text(GMIME_OBJECT(w->msg), "Subject", &w->cs, &w->subject);
	GDateTime *dt = g_mime_message_get_date(w->msg);
	if (dt)
		w->sent = g_date_time_to_unix(dt);
	GMimeObject *top = g_mime_message_get_mime_part(w->msg);
	GMimeObject *body = top ? first_text(top, "plain") : NULL;
	GMimeObject *html = top ? first_text(top, "html") : NULL;
	if (body)
		pst_part_text(body, &w->body);
	if (html)
		pst_part_text(html, &w->html);
	w->has_html = html != NULL;
	if (top)
		collect(top, w, body, html);
}

/*
 * class_layout (issue 15, msgclass.h): the attachments the class asks for
 * in place of the leaves: a signed message's one smime.p7m holds its
 * Content-Type field and body as the source file has them; an opaque
 * S/MIME message's one leaf is named smime.p7m.
 */
static void class_layout(struct want *w, const struct mail_msg *src)
{
	if (w->cls.kind == PST_CLASS_OPAQUE && w->att->len == 1) {
		struct want_attachment *a = &g_array_index(w->att, struct want_attachment, 0);
		g_free(a->name);
		a->name = g_strdup(PST_SMIME_NAME);
	}
	if (w->cls.kind != PST_CLASS_SIGNED)
		return;
	for (guint i = 0; i < w->att->len; i++) {
		g_free(g_array_index(w->att, struct want_attachment, i).name);
		g_free(g_array_index(w->att, struct want_attachment, i).mime);
	}
	g_array_set_size(w->att, 0);
	GMimeStream *body = msg_stream(src, src->head_len, src->size);
	GMimeStream *entity = pst_signed_entity(src->prefix, src->head_len, body);
	struct want_attachment a = { .name = g_strdup(PST_SMIME_NAME),
				     .mime = g_strdup("multipart/signed") };
	digest(&a, write_stream, entity);
	g_array_append_val(w->att, a);
	g_object_unref(entity);
	g_object_unref(body);
}

/* want_init: parse the source; a message GMime cannot parse is one attachment, message.eml */
static void want_init(struct want *w, const struct mail_msg *src, const char *const *fallback)
{
	memset(w, 0, sizeof(*w));
	sbuf_init(&w->subject);
	sbuf_init(&w->body);
	sbuf_init(&w->html);
	w->sent = src->received;
	w->att = g_array_new(FALSE, TRUE, sizeof(struct want_attachment));
	/* the writer's own view of the file: a header past its caps is cut as it cuts it */
	struct sbuf kept = SBUF_INIT;
	bool cut;
	GMimeStream *st = pst_message_stream(src, src->size, src->prefix, src->head_len,
					     &kept, &cut);
	sbuf_release(&kept);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_persist_stream(parser, TRUE);
	w->msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(st);
	pst_class_of(w->msg, !cut, &w->cls);
	if (w->msg) {
		want_from_mime(w, fallback);
		class_layout(w, src);
		return;
	}
	struct want_attachment a = { .name = g_strdup("message.eml"),
				     .mime = g_strdup("message/rfc822") };
	digest(&a, write_fd, (void *)src);
	g_array_append_val(w->att, a);
}

static void want_release(struct want *w)
{
	for (guint i = 0; i < w->att->len; i++) {
		struct want_attachment *a = &g_array_index(w->att, struct want_attachment, i);
		g_free(a->name);
		g_free(a->mime);
	}
	g_array_free(w->att, TRUE);
	pst_class_release(&w->cls);
	hdr_charsets_release(&w->cs);
	if (w->msg)
		g_object_unref(w->msg);
	sbuf_release(&w->subject);
	sbuf_release(&w->body);
	sbuf_release(&w->html);
}

/* ---- the comparison --------------------------------------------------------------- */

static void problem(struct sbuf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct sbuf *why, const char *fmt, ...)
{
	va_list ap;
	if (why->len)
		sbuf_adds(why, "; ");
	va_start(ap, fmt);
	sbuf_vaddf(why, fmt, ap);
	va_end(ap);
}

static uint64_t filetime(int64_t t)
{
	return (uint64_t)(t + 11644473600LL) * 10000000ull;
}

/* text_differs: where two texts part, for the report */
static void text_differs(struct sbuf *why, const char *what, const struct sbuf *got,
			 const struct sbuf *want)
{
	size_t i = 0;
	while (i < got->len && i < want->len && got->buf[i] == want->buf[i])
		i++;
	problem(why, "%s differs from the source's from byte %zu on (%zu bytes against %zu)",
		what, i, got->len, want->len);
}

static void check_texts(const struct props *pr, const struct want *w, struct sbuf *why)
{
	struct sbuf got = SBUF_INIT;
	if (!prop_string(pr, 0x001A, &got) || strcmp(got.buf, w->cls.name))	/* issue 15 */
		problem(why, "its message class is '%s', the source's structure makes %s",
			got.buf ? got.buf : "", w->cls.name);
	sbuf_reset(&got);
	prop_string(pr, PR_SUBJECT, &got);
	if (strcmp(got.buf, w->subject.buf))
		problem(why, "PR_SUBJECT is '%s', the source's subject '%s'", got.buf,
			w->subject.buf);
	sbuf_reset(&got);
	prop_string(pr, PR_BODY, &got);
	if (got.len != w->body.len || memcmp(got.buf, w->body.buf, got.len))
		text_differs(why, "PR_BODY", &got, &w->body);
	sbuf_reset(&got);
	bool has_html = prop_binary(pr, PR_HTML, &got) && got.len;
	if (has_html != (w->has_html && w->html.len) ||
	    got.len != w->html.len || memcmp(got.buf, w->html.buf, got.len))
		text_differs(why, "PR_HTML", &got, &w->html);
	sbuf_release(&got);
}

static void check_times(const struct props *pr, const struct mail_msg *src, const struct want *w,
			struct sbuf *why)
{
	uint64_t t = 0;
	if (!prop_time(pr, PR_CLIENT_SUBMIT_TIME, &t) || t != filetime(w->sent))
		problem(why, "PR_CLIENT_SUBMIT_TIME is %llu, the source's Date: makes %llu",
			(unsigned long long)t, (unsigned long long)filetime(w->sent));
	t = 0;
	if (!prop_time(pr, PR_DELIVERY_TIME, &t) || t != filetime(src->received))
		problem(why, "PR_MESSAGE_DELIVERY_TIME is %llu, the internal date makes %llu",
			(unsigned long long)t, (unsigned long long)filetime(src->received));
}

/* pst_flags: the five flags as the PST states them */
static unsigned pst_flags(const struct props *pr, struct sbuf *why)
{
	uint32_t mflags = 0, status = 0, flag_status = 0;
	prop_u32(pr, PR_MESSAGE_FLAGS, &mflags);
	prop_u32(pr, PR_MSG_STATUS, &status);
	prop_u32(pr, PR_FLAG_STATUS, &flag_status);
	if (!(mflags & MSGFLAG_UNSENT) != !(status & MSGSTATUS_DRAFT))
		problem(why, "PR_MESSAGE_FLAGS (0x%x) and PR_MSG_STATUS (0x%x) disagree on draft",
			mflags, status);
	return (mflags & MSGFLAG_READ ? MSG_SEEN : 0) |
	       (status & MSGSTATUS_ANSWERED ? MSG_ANSWERED : 0) |
	       (flag_status == FLAG_STATUS_FLAGGED ? MSG_FLAGGED : 0) |
	       (status & MSGSTATUS_DELMARKED ? MSG_DELETED : 0) |
	       (mflags & MSGFLAG_UNSENT && status & MSGSTATUS_DRAFT ? MSG_DRAFT : 0);
}

static void check_flags(const struct props *pr, const struct mail_msg *src, struct sbuf *why)
{
	unsigned got = pst_flags(pr, why);
	if (got != src->flags) {
		char a[64], b[64];
		verify_flag_names(got, a);
		verify_flag_names(src->flags, b);
		problem(why, "the PST's flags are '%s', the source's '%s'", a, b);
	}
}

/* attachment_bytes: SHA-256 and size of an attachment's data */
static int attachment_bytes(libpff_item_t *att, char sha[65], uint64_t *size)
{
	int type = 0;
	size64_t n = 0;
	*size = 0;
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	int ret = -1;
	if (libpff_attachment_get_type(att, &type, NULL) == 1 &&
	    type == LIBPFF_ATTACHMENT_TYPE_DATA &&
	    libpff_attachment_get_data_size(att, &n, NULL) == 1 &&
	    (n == 0 || libpff_attachment_data_seek_offset(att, 0, SEEK_SET, NULL) == 0)) {
		uint8_t buf[65536];
		ssize_t got = 0;
		while (*size < n && (got = libpff_attachment_data_read_buffer(att, buf, sizeof(buf),
									       NULL)) > 0) {
			g_checksum_update(ck, buf, got);
			*size += (uint64_t)got;
		}
		ret = got < 0 || *size != n ? -1 : 0;
	}
	snprintf(sha, 65, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	return ret;
}

/* omitted_note: is this the writer's note for attachment a, past the size limit? */
static bool omitted_note(const struct want_attachment *a, const char *name, const char *sha)
{
	struct sbuf note = SBUF_INIT, want_name = SBUF_INIT;
	sbuf_addf(&want_name, "%s.omitted.txt", a->name);
	sbuf_addf(&note, "mdexport: the attachment \"%s\" (%s, %llu bytes) is not in this PST: "
		  "a PST message can hold at most %llu bytes (PR_MESSAGE_SIZE is a signed "
		  "32-bit number). It is in the source message.\r\n", a->name, a->mime,
		  (unsigned long long)a->size, PST_MAX_MESSAGE);
	char *note_sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)note.buf,
						     note.len);
	bool is_note = !strcmp(name, want_name.buf) && !strcmp(sha, note_sha);
	g_free(note_sha);
	sbuf_release(&note);
	sbuf_release(&want_name);
	return is_note;
}

/* check_attachment: one attachment; returns VERIFY_SAME, _DIFFERS or _INCOMPLETE */
static int check_attachment(libpff_item_t *att, int i, const struct want_attachment *a,
			    struct sbuf *why)
{
	struct props pr;
	struct sbuf name = SBUF_INIT;
	props_open(&pr, att);
	prop_string(&pr, PR_ATTACH_LONG_FILENAME, &name);
	props_close(&pr);
	char sha[65];
	uint64_t size;
	int ret = VERIFY_SAME;
	if (attachment_bytes(att, sha, &size) < 0) {
		problem(why, "attachment %d ('%s'): libpff cannot read its data", i + 1, name.buf);
		ret = VERIFY_DIFFERS;
	} else if (omitted_note(a, name.buf, sha)) {
		problem(why, "attachment %d ('%s', %llu bytes) is not in the PST: the writer's "
			"note '%s' stands in its place (PST size limit)", i + 1, a->name,
			(unsigned long long)a->size, name.buf);
		ret = VERIFY_INCOMPLETE;
	} else if (strcmp(name.buf, a->name) || strcmp(sha, a->sha)) {
		problem(why, "attachment %d is '%s' (%llu bytes, SHA-256 %s), the source's is "
			"'%s' (%llu bytes, SHA-256 %s)", i + 1, name.buf, (unsigned long long)size,
			sha, a->name, (unsigned long long)a->size, a->sha);
		ret = VERIFY_DIFFERS;
	}
	sbuf_release(&name);
	return ret;
}

static int check_attachments(libpff_item_t *item, const struct want *w, struct sbuf *why)
{
	int n = 0;
	if (libpff_message_get_number_of_attachments(item, &n, NULL) != 1)
		n = 0;
	if ((guint)n != w->att->len) {
		problem(why, "the PST has %d attachments, the source %u", n, w->att->len);
		return VERIFY_DIFFERS;
	}
	int ret = VERIFY_SAME;
	for (int i = 0; i < n; i++) {
		libpff_item_t *att = NULL;
		if (libpff_message_get_attachment(item, i, &att, NULL) != 1) {
			problem(why, "attachment %d: libpff cannot read it", i + 1);
			ret = VERIFY_DIFFERS;
			continue;
		}
		int r = check_attachment(att, i, &g_array_index(w->att, struct want_attachment, i),
					 why);
		if (r == VERIFY_DIFFERS || ret == VERIFY_SAME)
			ret = r;
		libpff_item_free(&att, NULL);
	}
	return ret;
}

/*
 * check_item: a groupware item (issue 14) read back: its message class is
 * the one its kind is written as, and its subject the item's (a contact's
 * is its display name, made from its names: not compared)
 */
static int check_item(libpff_item_t *item, const struct mail_msg *src, struct sbuf *why)
{
	const struct gw_item *it = src->gw;
	const char *cls = src->kind == ITEM_CALENDAR ? "IPM.Appointment" :
			  src->kind == ITEM_TASK ? "IPM.Task" : src->kind == ITEM_NOTE ?
			  "IPM.StickyNote" : it && it->is_group ? "IPM.DistList" : "IPM.Contact";
	struct props pr;
	props_open(&pr, item);
	struct sbuf got = SBUF_INIT;
	if (!prop_string(&pr, 0x001A, &got) || strcmp(got.buf, cls))
		problem(why, "its message class is '%s', not %s", got.buf ? got.buf : "", cls);
	sbuf_reset(&got);
	const char *subject = it && it->subject ? it->subject : "";
	if (src->kind != ITEM_CONTACT &&
	    (!prop_string(&pr, 0x0037, &got) ? *subject : strcmp(got.buf, subject)))
		problem(why, "PR_SUBJECT is '%s', the item's '%s'", got.buf ? got.buf : "", subject);
	sbuf_release(&got);
	props_close(&pr);
	return why->len ? VERIFY_DIFFERS : VERIFY_SAME;
}

int verify_pst(struct verify_pst *p, uint32_t nid, const struct mail_msg *src,
	       const char *const *fallback, struct sbuf *why)
{
	libpff_item_t *item = NULL;
	libpff_error_t *e = NULL;
	if (!verify_pst_folder(p, nid)) {
		sbuf_addf(why, "the PST has no message node 0x%x", nid);
		return VERIFY_ABSENT;
	}
	if (libpff_file_get_item_by_identifier(p->file, nid, &item, &e) != 1) {
		pff_error(&e, "libpff cannot read the message", why);
		return VERIFY_DIFFERS;
	}
	if (src->kind != ITEM_MAIL) {	/* issue 14 */
		int ret = check_item(item, src, why);
		libpff_item_free(&item, NULL);
		return ret;
	}
	struct want w;
	want_init(&w, src, fallback);
	struct props pr;
	props_open(&pr, item);
	check_texts(&pr, &w, why);
	check_times(&pr, src, &w, why);
	check_flags(&pr, src, why);
	props_close(&pr);
	size_t before = why->len;
	int att = check_attachments(item, &w, why);
	want_release(&w);
	libpff_item_free(&item, NULL);
	if (before || att == VERIFY_DIFFERS)
		return VERIFY_DIFFERS;
	return att;
}

/* ---- the read-back ops ---------------------------------------------------------- */

/* one file of the output: <mailbox>.pst, or a part <mailbox>-NNN.pst (--split-size) */
struct pst_file {
	char *rel;		/* relative to DIR */
	struct verify_pst *p;	/* NULL: libpff cannot read the file */
};

struct pst_check {
	struct mail_check base;
	struct pst_file *files;	/* [0]: <mailbox>.pst, then the parts found, by name */
	size_t n;
};

/* number_at: a part or round number at *p (3 digits or more, no leading 0 past 3), p moved past */
static unsigned long number_at(const char **p)
{
	size_t nd = strspn(*p, "0123456789");
	if (nd < 3 || (nd > 3 && **p == '0'))
		return 0;
	unsigned long k = strtoul(*p, NULL, 10);
	*p += nd;
	return k;
}

/*
 * part_number: whether name is another file of the output named base:
 * a part "<base>-NNN.pst" (2 and up, --split-size), a round's part
 * "<base>.round-NNN.pst" (export --incremental) or a round's further part
 * "<base>.round-NNN-MMM.pst"; 0 when not.  Escaped mailbox names never
 * end in -<digits> (outdir.h), so such a name is only ever the mailbox's.
 */
static unsigned long part_number(const char *name, const char *base)
{
	size_t bl = strlen(base);
	if (strncmp(name, base, bl))
		return 0;
	const char *d = name + bl;
	unsigned long round = 0, part = 0;
	if (!strncmp(d, ".round-", 7)) {
		d += 7;
		if ((round = number_at(&d)) < 2)
			return 0;
	}
	if (*d == '-') {
		d++;
		if ((part = number_at(&d)) < 2)
			return 0;
	}
	if (strcmp(d, ".pst") || (!round && !part))
		return 0;
	return round * 100000 + (part ? part : 1);
}

static int by_rel(const void *a, const void *b)
{
	const struct pst_file *x = a, *y = b;
	size_t lx = strlen(x->rel), ly = strlen(y->rel);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->rel, y->rel);
}

/* add_file: rel opened through libpff (err: why not, for the first file only) */
static void add_file(struct pst_check *pc, char *rel, struct sbuf *err)
{
	pc->files = xreallocarray(pc->files, pc->n + 1, sizeof(*pc->files));
	char *path = check_path(&pc->base, rel);
	struct sbuf ignored = SBUF_INIT;
	pc->files[pc->n].p = verify_pst_open(path, err ? err : &ignored);
	pc->files[pc->n++].rel = rel;
	sbuf_release(&ignored);
	free(path);
}

/* add_parts: every <mailbox>-NNN.pst next to the output, in part order */
static void add_parts(struct pst_check *pc, const char *out_rel)
{
	char *dir_rel = check_dir_of(out_rel);
	const char *leaf = strrchr(out_rel, '/') ? strrchr(out_rel, '/') + 1 : out_rel;
	size_t ll = strlen(leaf);
	char *base = ll > 4 ? xstrndup(leaf, ll - 4) : xstrdup(leaf);	/* without ".pst" */
	char *dir = check_path(&pc->base, dir_rel);
	GDir *d = g_dir_open(dir, 0, NULL);
	size_t first = pc->n;
	for (const char *name; d && (name = g_dir_read_name(d));)
		if (part_number(name, base))
			add_file(pc, *dir_rel ? xasprintf("%s/%s", dir_rel, name) : xstrdup(name),
				 NULL);
	if (d)
		g_dir_close(d);
	qsort(pc->files + first, pc->n - first, sizeof(*pc->files), by_rel);
	free(dir);
	free(base);
	free(dir_rel);
}

static struct mail_check *pst_check_open(const char *dir, const char *out_rel,
					 struct sbuf *err)
{
	struct pst_check *pc = xcalloc(1, sizeof(*pc));
	check_init(&pc->base, &pst_check_ops, dir, out_rel);
	add_file(pc, xstrdup(out_rel), err);
	add_parts(pc, out_rel);
	return &pc->base;
}

static void pst_check_close(struct mail_check *c)
{
	struct pst_check *pc = (struct pst_check *)c;
	for (size_t i = 0; i < pc->n; i++) {
		verify_pst_close(pc->files[i].p);
		free(pc->files[i].rel);
	}
	free(pc->files);
	check_release(c);
	free(pc);
}

/* file_of: the output file named rel, or NULL when there is none */
static const struct pst_file *file_of(const struct pst_check *pc, const char *rel)
{
	for (size_t i = 0; i < pc->n; i++)
		if (!strcmp(pc->files[i].rel, rel))
			return &pc->files[i];
	return NULL;
}

/* pst_names_part: rel is one of the output's files by the naming rule (it may be missing) */
static bool pst_names_part(const struct mail_check *c, const char *rel)
{
	size_t ol = strlen(c->out_rel);
	if (ol < 4)
		return false;
	char *slash = strrchr(c->out_rel, '/');
	size_t dl = slash ? (size_t)(slash - c->out_rel) + 1 : 0;
	if (strncmp(rel, c->out_rel, dl) || strchr(rel + dl, '/'))
		return false;
	char *base = xstrndup(c->out_rel + dl, ol - dl - 4);
	bool yes = part_number(rel + dl, base) != 0;
	free(base);
	return yes;
}

/* folder_of: the PST folder a source folder becomes ("INBOX" -> "Inbox") */
static char *folder_of(const char *folder)
{
	if (!strcmp(folder, "INBOX"))
		return xstrdup("Inbox");
	if (!strncmp(folder, "INBOX/", 6))
		return xasprintf("Inbox/%s", folder + 6);
	return xstrdup(folder);
}

static void pst_locate(const struct mail_check *c, const char *folder,
		       const struct mail_msg *msg, struct check_loc *loc)
{
	(void)msg;
	loc->file = xstrdup(c->out_rel);
	loc->folder = folder_of(folder);
}

/* the folder is the PST's */
static void pst_container(const struct check_loc *loc, struct sbuf *out)
{
	sbuf_adds(out, loc->folder ? loc->folder : "");
}

/* pst_compare: the folder the node is in, then its content */
static int pst_compare(struct mail_check *c, struct check_line *l, const struct mail_msg *m,
		       struct sbuf *why)
{
	struct pst_check *pc = (struct pst_check *)c;
	const struct pst_file *f = file_of(pc, l->want->file);
	if (!f) {
		sbuf_addf(why, "the PST part '%s' is missing", l->want->file);
		return VERIFY_ABSENT;
	}
	if (!f->p) {
		sbuf_addf(why, "the PST '%s' cannot be read", f->rel);
		return VERIFY_ABSENT;
	}
	/* where the line says (verify holds that against where the writer puts the
	 * folder; a round keeps a renamed folder's earlier messages under its old name) */
	char *want = l->want->folder ? xstrdup(l->want->folder) : folder_of(l->folder);
	const char *in = verify_pst_folder(f->p, l->want->node);
	int ret = verify_pst(f->p, l->want->node, m, c->fallback, why);
	if (in && strcmp(in, want) && ret != VERIFY_SOURCE_BAD) {
		struct sbuf w = SBUF_INIT;
		sbuf_addf(&w, "it is in PST folder '%s', not '%s'%s%s", in, want,
			  why->len ? "; " : "", why->buf);
		sbuf_reset(why);
		sbuf_adds(why, w.buf);
		sbuf_release(&w);
		ret = VERIFY_DIFFERS;
	}
	free(want);
	return ret;
}

/* every message node of every file, named by its subject */
static void pst_list(struct mail_check *c, const struct check_lister *l)
{
	struct pst_check *pc = (struct pst_check *)c;
	for (size_t k = 0; k < pc->n; k++) {
		struct verify_pst *p = pc->files[k].p;
		size_t n = 0;
		const uint32_t *nids = p ? verify_pst_nids(p, &n) : NULL;
		for (size_t i = 0; i < n; i++) {
			struct sbuf subject = SBUF_INIT, what = SBUF_INIT;
			verify_pst_subject(p, nids[i], &subject);
			sbuf_addf(&what, "a message no manifest line names, subject '%s'",
				  subject.buf);
			struct check_item it = { .file = pc->files[k].rel, .has_node = true,
						 .node = nids[i],
						 .container = verify_pst_folder(p, nids[i]),
						 .what = what.buf };
			l->item(l->ctx, &it);
			sbuf_release(&subject);
			sbuf_release(&what);
		}
	}
}

static const char *const pst_loc_keys[] = { "folder", "nid", NULL };

const struct mail_check_ops pst_check_ops = {
	.name = "pst",
	.loc_keys = pst_loc_keys,
	.open = pst_check_open,
	.close = pst_check_close,
	.locate = pst_locate,
	.container = pst_container,
	.compare = pst_compare,
	.list = pst_list,
	.names_part = pst_names_part,
};
