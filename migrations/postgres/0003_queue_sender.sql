-- SPDX-License-Identifier: Apache-2.0
-- The account a queued server notice is sent as (`notice --as`, [server]
-- admin_user, or the only active admin), fixed when it is queued. '' for
-- leaves, and for notices queued before 0003 (then queue apply decides).
ALTER TABLE mxdba_queue ADD COLUMN sender TEXT NOT NULL DEFAULT '';
