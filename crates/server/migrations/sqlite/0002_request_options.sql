-- A path's request options as JSON text (see migrations/postgres for the commented twin).
ALTER TABLE argos_tasks ADD COLUMN request_options TEXT;
