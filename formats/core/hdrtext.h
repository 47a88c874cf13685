/*
 * Header text to Unicode (issue 15, README "Header text and charsets"):
 * one rule for every header text mdexport turns into UTF-8: subjects,
 * display names, attachment file names, folder names.
 *
 *   - RFC 2047 encoded words are decoded by their own charset, also when
 *     glued to the text around them; adjacent words of the same charset
 *     are joined as bytes before conversion (a character split across
 *     words, ISO-2022-JP's shift state: GMime 3.2.13 gets these wrong);
 *   - raw 8-bit text is read as UTF-8 when it is valid, else in the first
 *     charset the message declares for its text parts that reads all of
 *     it, else in the first --fallback-charset that does (default
 *     Windows-1252); when none does, in the first after UTF-8;
 *   - charset names are read as the Windows code pages Outlook uses for
 *     them (gb2312 as CP936, ks_c_5601-1987 as CP949, ...: hdr_charset_map);
 *   - no byte is lost: one that is not decoded becomes the text "\xNN".
 *
 * Everything here is reentrant: iconv descriptors are opened per call.
 */
#ifndef MDX_HDRTEXT_H
#define MDX_HDRTEXT_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/sbuf.h"

/* the default when no --fallback-charset is given */
#define HDR_DEFAULT_FALLBACK "windows-1252"

/*
 * The candidates for one message's raw 8-bit text after UTF-8: the
 * charsets its text parts declare (known ones, in MIME order, no
 * duplicates, no ASCII or UTF-8), then the fallbacks.  Names as written.
 */
struct hdr_charsets {
	char **names;
	size_t n;
	size_t declared;	/* how many of names the message declared */
};

/*
 * hdr_charsets_from_message: the candidates of msg (a GMimeMessage or a
 * part; an attached message's parts are not looked at).  fallback: the
 * --fallback-charset names, NULL-terminated; NULL or empty: windows-1252.
 */
void hdr_charsets_from_message(struct hdr_charsets *cs, GMimeObject *msg,
			       const char *const *fallback);
/* hdr_charsets_fallback_only: no message (a folder name, a part without one) */
void hdr_charsets_fallback_only(struct hdr_charsets *cs, const char *const *fallback);
void hdr_charsets_release(struct hdr_charsets *cs);

/* hdr_charset_map: the name iconv is given for a charset name (rule 2; static or name) */
const char *hdr_charset_map(const char *name);
/*
 * hdrtext_raw_block: a header block as it is (PR_TRANSPORT_MESSAGE_HEADERS:
 * encoded words kept), each line's 8-bit text read by rule 4
 */
void hdrtext_raw_block(const char *bytes, size_t len, const struct hdr_charsets *cs,
		       struct sbuf *out);
/* hdr_charset_known: iconv can convert from name (after hdr_charset_map) */
bool hdr_charset_known(const char *name);

/*
 * hdrtext_decode: an unstructured field's raw value (Subject; folding and
 * the field name's space included or not) decoded into out as UTF-8
 */
void hdrtext_decode(const char *raw, size_t len, const struct hdr_charsets *cs,
		    struct sbuf *out);

/* one mailbox of an address field */
struct hdr_addr {
	char *name;		/* decoded display name; its address when it has none (g_malloc'd) */
	char *addr;		/* the address (g_malloc'd) */
};

/*
 * hdr_addresses: the mailboxes of an address field's raw value, groups
 * flattened, appended to out (a GArray of struct hdr_addr); the structure
 * is GMime's parse of the raw value, each name decoded by this rule
 */
void hdr_addresses(const char *raw, size_t len, const struct hdr_charsets *cs, GArray *out);
/* hdr_addr_array_free: an array hdr_addresses filled (NULL: nothing) */
void hdr_addr_array_free(GArray *a);
/*
 * hdr_display_list: "Name; Name2" of an address field (Outlook's
 * PR_DISPLAY_TO): each entry's decoded name, its address without one, a
 * group's name for a group
 */
void hdr_display_list(const char *raw, size_t len, const struct hdr_charsets *cs,
		      struct sbuf *out);

/*
 * hdr_object_text: the named header of obj (its first) decoded; false
 * when obj has no such header (out untouched)
 */
bool hdr_object_text(GMimeObject *obj, const char *field, const struct hdr_charsets *cs,
		     struct sbuf *out);
/* hdr_object_raw: the named header's raw value (after the colon); NULL: none */
const char *hdr_object_raw(GMimeObject *obj, const char *field);
/*
 * hdr_object_raw_list: the raw values of every header named field, joined
 * by ", " (an address field given twice); false when there is none
 */
bool hdr_object_raw_list(GMimeObject *obj, const char *field, struct sbuf *out);

/*
 * hdr_part_filename: a part's file name (Content-Disposition filename,
 * else Content-Type name; RFC 2231 or not) decoded; false: it has none
 */
bool hdr_part_filename(GMimeObject *part, const struct hdr_charsets *cs, struct sbuf *out);
/*
 * hdr_message_subject: an (attached) message's Subject decoded with its
 * own candidates; false when it has none
 */
bool hdr_message_subject(GMimeMessage *msg, const char *const *fallback, struct sbuf *out);

/*
 * hdrtext_folder_name: a folder name read from disk (rule 7): UTF-8 when
 * valid, else the first fallback that reads it all, else UTF-8 with each
 * byte that is not decoded as "\xNN"
 */
void hdrtext_folder_name(const char *bytes, size_t len, const char *const *fallback,
			 struct sbuf *out);

/* hdrtext_fallback_check: NULL when every name is known, else the first unknown one */
const char *hdrtext_fallback_check(const char *const *fallback);

#endif
