/*
 * SHA-256 of a source message for the manifest, computed from the bytes as
 * they are read: the reader feeds its first chunk, msg_copy_range() the
 * rest, so a format that copies the message reads it once.  Only the bytes
 * that continue the hashed run count (upto); msg_hash_final() reads
 * whatever nobody read (a format that parses the file itself, a message
 * left out by --skip-deleted).
 */
#ifndef MDX_MSGHASH_H
#define MDX_MSGHASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

struct mail_msg;
struct msg_hash;

struct msg_hash *msg_hash_new(void);
void msg_hash_free(struct msg_hash **h);
/* msg_hash_reset: start a new message at byte 0 */
void msg_hash_reset(struct msg_hash *h);
/* msg_hash_feed: bytes [at, at + len) of the file; bytes already hashed or past a gap are ignored */
void msg_hash_feed(struct msg_hash *h, uint64_t at, const void *data, size_t len);
/*
 * msg_hash_final: read the bytes not yet hashed from msg's body and put the
 * lower-case hex digest in hex.  Returns 1, or 0 with err set when the file
 * could not be read to msg->size.  Call at most once per message.
 */
int msg_hash_final(struct msg_hash *h, const struct mail_msg *msg, char hex[65],
		   struct sbuf *err);

/*
 * msg_hash_add, msg_hash_done: the same SHA-256 over bytes as they come
 * (an output item, issue 16), not a file's offsets: msg_hash_reset, then
 * msg_hash_add each piece, then msg_hash_done puts the hex digest in hex
 */
void msg_hash_add(struct msg_hash *h, const void *data, size_t len);
void msg_hash_done(struct msg_hash *h, char hex[65]);

#endif
