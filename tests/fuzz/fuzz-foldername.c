/*
 * Folder-name decoding: md_folder_name (formats/mdaemon/mdaemon.c) on the stem of
 * a "<stem>.IMAP" directory, through mutf7_decode and wintext_to_utf8.
 * Inputs that cannot be a directory name (holding NUL or '/') are skipped.
 * Checks: the name is non-empty, valid UTF-8, holds no NUL (it is used as
 * a C string) and no '/' (that would nest it in the logical path); a name
 * decoded as modified UTF-7 survives mutf7_encode and decoding again.
 */
#include <string.h>

#include "core/mutf7.h"
#include "core/wintext.h"
#include "fuzz.h"
#include "mdaemon/mdaemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stem = (const char *)data;
	if (memchr(data, '\0', size) || memchr(data, '/', size))
		return 0;
	struct sbuf name = SBUF_INIT;
	bool named = md_folder_name(&name, stem, size, NULL);
	fuzz_check(named == (size > 0));
	fuzz_check(name.len > 0);
	fuzz_check(strlen(name.buf) == name.len);
	fuzz_check(!strchr(name.buf, '/'));
	const unsigned char *p = (const unsigned char *)name.buf;
	for (size_t i = 0, n; i < name.len; i += n)
		fuzz_check((n = utf8_valid_seq(p + i, name.len - i)) != 0);

	struct sbuf m = SBUF_INIT, enc = SBUF_INIT, again = SBUF_INIT;
	if (mutf7_decode(&m, stem, size)) {
		fuzz_check(m.len == name.len && !memcmp(m.buf, name.buf, m.len));
		mutf7_encode(&enc, m.buf);
		fuzz_check(mutf7_decode(&again, enc.buf, enc.len));
		fuzz_check(again.len == m.len && !memcmp(again.buf, m.buf, m.len));
	}
	sbuf_release(&m);
	sbuf_release(&enc);
	sbuf_release(&again);
	sbuf_release(&name);
	return 0;
}
