/*
 * verify: EML.  The writer copies the .msg byte for byte, so the file must
 * have the source's SHA-256; the comparison also names the first byte
 * where they part.
 */
#include "verify.h"

int verify_eml(const struct mail_msg *src, const char *path, struct sbuf *why)
{
	return verify_file(src, path, false, why);
}
