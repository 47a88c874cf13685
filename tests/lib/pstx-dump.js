// pstx-dump.js PST: print every message of a PST as one JSON line, read by
// pst-extractor (a JavaScript port of java-libpst): folder path, subject
// (PR_SUBJECT, and the conversation topic),
// message class, PR_RECEIVED_BY_EMAIL_ADDRESS and _NAME,
// PR_ORIGINAL_SUBJECT, delivery and submit times, read flag, sender name and address, recipients
// (type, display name, address), display To/Cc/Bcc, text body, attachment
// names and SHA-256 with their method, MIME tag and short file name, PR_ATTACHMENT_HIDDEN (null when
// absent), PR_ATTACH_FLAGS, Content-ID and Content-Location; with
// PSTX_BODY=1 in the environment also PR_HTML and an embedded message's
// (attach method 5) subject, body and attachments.  Used by
// tests/e2e/t3000-pst.py and t3200-pst-message.py as a third reader we did
// not write.
'use strict';
const path = require('path');
const crypto = require('crypto');
const { PSTFile } = require(path.join(process.env.PSTX_MODULES, 'pst-extractor'));

// sha256 of an attachment less its final line ends (see att_digest in t3000)
function attachmentHash(att) {
  const s = att.fileInputStream;
  if (!s) return null;
  const parts = [];
  const buf = Buffer.alloc(8176);
  let n;
  while ((n = s.read(buf)) > 0) parts.push(Buffer.from(buf.subarray(0, n)));
  let all = Buffer.concat(parts);
  let end = all.length;
  while (end > 0 && (all[end - 1] === 0x0a || all[end - 1] === 0x0d)) end--;
  return crypto.createHash('sha256').update(all.subarray(0, end)).digest('hex');
}

const withBody = process.env.PSTX_BODY === '1';

// a property of the object's own property context, or null when absent
function prop(obj, id, get) {
  return obj.pstTableItems && obj.pstTableItems.has(id) ? get() : null;
}

function attachments(msg, depth) {
  const atts = [];
  for (let i = 0; i < msg.numberOfAttachments; i++) {
    const a = msg.getAttachment(i);
    const out = {
      name: a.longFilename || a.filename,
      sha256: attachmentHash(a),
      method: a.attachMethod,
      hidden: prop(a, 0x7ffe, () => a.getBooleanItem(0x7ffe)),
      flags: prop(a, 0x3714, () => a.getIntItem(0x3714)),
      contentId: a.contentId,
      contentLocation: prop(a, 0x3713, () => a.getStringItem(0x3713)),
      mimeTag: a.mimeTag,
      filename: a.filename,
    };
    if (withBody && a.attachMethod === 5 && depth < 4) {
      let inner = null;
      try {
        inner = a.embeddedPSTMessage;
      } catch (err) {
        out.embeddedError = String(err);
      }
      out.embedded = inner ? { subject: inner.subject, body: inner.body,
                               attachments: attachments(inner, depth + 1) } : null;
    }
    atts.push(out);
  }
  return atts;
}

function walk(folder, prefix) {
  if (folder.contentCount > 0) {
    let msg = folder.getNextChild();
    while (msg) {
      const rcpts = [];
      for (let i = 0; i < msg.numberOfRecipients; i++) {
        const r = msg.getRecipient(i);
        rcpts.push({ type: r.recipientType, name: r.displayName, address: r.emailAddress });
      }
      const m = {
        folder: prefix,
        topic: msg.conversationTopic,
        subject: msg.subject,
        delivery: msg.messageDeliveryTime ? Math.round(msg.messageDeliveryTime.getTime() / 1000) : null,
        submit: msg.clientSubmitTime ? Math.round(msg.clientSubmitTime.getTime() / 1000) : null,
        read: msg.isRead,
        cls: msg.messageClass,
        received_by: prop(msg, 0x0076, () => msg.getStringItem(0x0076)),
        received_by_name: prop(msg, 0x0040, () => msg.getStringItem(0x0040)),
        original_subject: prop(msg, 0x0049, () => msg.getStringItem(0x0049)),
        sender_name: msg.senderName,
        sender_address: msg.senderEmailAddress,
        recipients: rcpts,
        to: msg.displayTo,
        cc: msg.displayCC,
        bcc: msg.displayBCC,
        hasAttachments: msg.hasAttachments,
        body: msg.body,
        attachments: attachments(msg, 0),
      };
      if (withBody)
        m.html = msg.bodyHTML;
      console.log(JSON.stringify(m));
      msg = folder.getNextChild();
    }
  }
  if (folder.hasSubfolders) {
    for (const sub of folder.getSubFolders()) {
      walk(sub, prefix === null ? '' : (prefix === '' ? sub.displayName : prefix + '/' + sub.displayName));
    }
  }
}

const pst = new PSTFile(process.argv[2]);
walk(pst.getRootFolder(), null);
