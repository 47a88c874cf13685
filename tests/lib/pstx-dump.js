// pstx-dump.js PST: print every message of a PST as one JSON line, read by
// pst-extractor (a JavaScript port of java-libpst): folder path, subject,
// delivery and submit times, read flag, sender name and address, recipients
// (type, display name, address), text body, attachment names and SHA-256.
// Used by tests/e2e/t3000-pst.py as a third reader we did not write.
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

function walk(folder, prefix) {
  if (folder.contentCount > 0) {
    let msg = folder.getNextChild();
    while (msg) {
      const atts = [];
      for (let i = 0; i < msg.numberOfAttachments; i++) {
        const a = msg.getAttachment(i);
        atts.push({ name: a.longFilename, sha256: attachmentHash(a) });
      }
      const rcpts = [];
      for (let i = 0; i < msg.numberOfRecipients; i++) {
        const r = msg.getRecipient(i);
        rcpts.push({ type: r.recipientType, name: r.displayName, address: r.emailAddress });
      }
      console.log(JSON.stringify({
        folder: prefix,
        topic: msg.conversationTopic,
        delivery: msg.messageDeliveryTime ? Math.round(msg.messageDeliveryTime.getTime() / 1000) : null,
        submit: msg.clientSubmitTime ? Math.round(msg.clientSubmitTime.getTime() / 1000) : null,
        read: msg.isRead,
        sender_name: msg.senderName,
        sender_address: msg.senderEmailAddress,
        recipients: rcpts,
        body: msg.body,
        attachments: atts,
      }));
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
