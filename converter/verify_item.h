/*
 * verify of a groupware item (issue 14): verify_item.c.
 */
#ifndef MDX_VERIFY_ITEM_H
#define MDX_VERIFY_ITEM_H

#include "verify_cmd.h"

/*
 * verify_item: line i's groupware item (exported) against its source m: an
 * enum verify_result, why set unless VERIFY_SAME; problems of the line's
 * item object are reported as manifest problems
 */
int verify_item(struct vbox *b, size_t i, const struct mail_msg *m, struct sbuf *why);

#endif
