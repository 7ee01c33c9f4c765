-- A path's request options (timeout, follow_redirects, max_body_bytes) as JSON text, sent to
-- agents with the task. NULL: the agent's defaults (every task written before this column).
-- Part of the task's identity (task_key) and group (task_group) when set, so no index is needed.
ALTER TABLE argos_tasks ADD COLUMN request_options TEXT;
