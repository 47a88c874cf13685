/*
 * Allocation that never fails: on out-of-memory the process stops with a
 * message.  GLib (inside GMime) behaves the same way, so one policy holds
 * for the whole program and callers never check for NULL.
 */
#ifndef MDX_XALLOC_H
#define MDX_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray: like reallocarray(3); stops on overflow */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
