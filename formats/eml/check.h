/*
 * Reading an EML output back (the read-back interface, core/check.h).
 */
#ifndef MDX_EML_CHECK_H
#define MDX_EML_CHECK_H

#include "core/check.h"

/* the EML read-back (formats.c lists it) */
extern const struct mail_check_ops eml_check_ops;

/* verify_eml: the file at path has the source's SHA-256 (it is byte for byte the .msg) */
int verify_eml(const struct mail_msg *src, const char *path, struct sbuf *why);

#endif
