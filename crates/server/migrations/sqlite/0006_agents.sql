-- The agents page (see migrations/postgres for the commented twin).
ALTER TABLE argos_agents ADD COLUMN version TEXT;
ALTER TABLE argos_agents ADD COLUMN results_hour INTEGER;
ALTER TABLE argos_agents ADD COLUMN results_in_hour INTEGER NOT NULL DEFAULT 0;
ALTER TABLE argos_agents ADD COLUMN results_prev_hour INTEGER NOT NULL DEFAULT 0;
