-- The agents page (issue 7): each agent's version (its User-Agent), and its results per hour
-- (a count for the current hour and the previous one, updated by each ingested batch, so
-- that "results in the last hour" never counts rows of argos_results).
ALTER TABLE argos_agents ADD COLUMN version TEXT;
ALTER TABLE argos_agents ADD COLUMN results_hour TIMESTAMPTZ;
ALTER TABLE argos_agents ADD COLUMN results_in_hour BIGINT NOT NULL DEFAULT 0;
ALTER TABLE argos_agents ADD COLUMN results_prev_hour BIGINT NOT NULL DEFAULT 0;
