-- SPDX-License-Identifier: Apache-2.0
-- Queued room maintenance (room delete, room purge-history, media
-- purge-remote): three more kinds, and the server's own id of the job such
-- an operation started (Synapse's delete_id or purge_id), stored as soon as
-- the server answers it: an apply that was killed follows that job instead
-- of starting the operation again ('' while none was started, and for
-- leaves and notices).
ALTER TABLE mxdba_queue DROP CONSTRAINT mxdba_queue_kind_check;
ALTER TABLE mxdba_queue ADD CONSTRAINT mxdba_queue_kind_check
  CHECK (kind IN ('leave', 'notice', 'room_delete', 'purge_history', 'purge_remote_media'));
ALTER TABLE mxdba_queue ADD COLUMN job TEXT NOT NULL DEFAULT '';
