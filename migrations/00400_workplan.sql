-- +goose Up
-- The cluster's annual work plan: plan (year) → domain → goal → task, the
-- history of every task's status, and the growth engines of a strategic
-- plan that goals may refer to.

CREATE TABLE strategic_engines (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    strategy   text NOT NULL CHECK (strategy <> ''),
    number     int NOT NULL CHECK (number > 0),
    name       text NOT NULL CHECK (name <> ''),
    vision     text NOT NULL DEFAULT '',
    pages      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (strategy, number)
);

CREATE TABLE strategic_engine_activities (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    engine_id bigint NOT NULL REFERENCES strategic_engines(id) ON DELETE CASCADE,
    position  int NOT NULL,
    text      text NOT NULL CHECK (text <> ''),
    UNIQUE (engine_id, position)
);

CREATE TABLE workplan_plans (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year       int NOT NULL UNIQUE CHECK (year BETWEEN 2000 AND 2100),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workplan_domains (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id      bigint NOT NULL REFERENCES workplan_plans(id),
    name         text NOT NULL CHECK (name <> ''),
    number       text NOT NULL DEFAULT '',
    position     int NOT NULL,
    introduction text NOT NULL DEFAULT '',
    UNIQUE (plan_id, name)
);

CREATE TABLE workplan_goals (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id      bigint NOT NULL REFERENCES workplan_plans(id),
    domain_id    bigint NOT NULL REFERENCES workplan_domains(id),
    -- number is the report's section number ("3.1"); ordinal the goal's
    -- number within its domain ("מטרה 1"), when the report states one.
    number       text NOT NULL DEFAULT '',
    ordinal      int CHECK (ordinal > 0),
    part         text NOT NULL DEFAULT '',
    title        text NOT NULL CHECK (title <> ''),
    introduction text NOT NULL DEFAULT '',
    position     int NOT NULL,
    engine_id    bigint REFERENCES strategic_engines(id),
    UNIQUE (domain_id, title)
);
CREATE UNIQUE INDEX workplan_goals_number ON workplan_goals (plan_id, number) WHERE number <> '';

CREATE TABLE workplan_tasks (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id              bigint NOT NULL REFERENCES workplan_plans(id),
    goal_id              bigint NOT NULL REFERENCES workplan_goals(id),
    position             int NOT NULL,
    title                text NOT NULL CHECK (title <> ''),
    status               text NOT NULL CHECK (status IN ('done', 'partial', 'in_progress', 'not_started', 'not_done', 'postponed', 'dropped', 'not_relevant')),
    status_phrase        text NOT NULL DEFAULT '',
    qualifier            text NOT NULL DEFAULT '',
    notes                text NOT NULL DEFAULT '',
    owner                text NOT NULL DEFAULT '',
    owner_user_id        bigint REFERENCES users(id),
    due_quarter          smallint CHECK (due_quarter BETWEEN 1 AND 4),
    carried_from_task_id bigint UNIQUE REFERENCES workplan_tasks(id),
    figure               text CHECK (figure IN ('active_tenders', 'orders_placed', 'committed_volume', 'authorities_ordering')),
    figure_target        numeric(16,2) CHECK (figure_target >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (figure IS NOT NULL OR figure_target IS NULL)
);
CREATE INDEX workplan_tasks_goal ON workplan_tasks (goal_id, position);
CREATE INDEX workplan_tasks_plan ON workplan_tasks (plan_id, status);
CREATE INDEX workplan_tasks_owner_user ON workplan_tasks (owner_user_id) WHERE owner_user_id IS NOT NULL;

-- Append-only: one row per status change (also the import that created the
-- task and the carry-over that copied it).
CREATE TABLE workplan_task_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES workplan_tasks(id),
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint REFERENCES users(id),
    source      text NOT NULL CHECK (source IN ('update', 'import', 'carry_over')),
    from_status text CHECK (from_status IN ('done', 'partial', 'in_progress', 'not_started', 'not_done', 'postponed', 'dropped', 'not_relevant')),
    to_status   text NOT NULL CHECK (to_status IN ('done', 'partial', 'in_progress', 'not_started', 'not_done', 'postponed', 'dropped', 'not_relevant')),
    from_phrase text NOT NULL DEFAULT '',
    to_phrase   text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX workplan_task_events_task ON workplan_task_events (task_id, id);

-- +goose Down
DROP TABLE workplan_task_events;
DROP TABLE workplan_tasks;
DROP TABLE workplan_goals;
DROP TABLE workplan_domains;
DROP TABLE workplan_plans;
DROP TABLE strategic_engine_activities;
DROP TABLE strategic_engines;
