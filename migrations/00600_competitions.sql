-- +goose Up
-- Mini-competitions (התמחרות בין הזוכים): an authority's request for
-- quotes from every eligible winner of a shelf tender, sealed quotes until
-- the deadline, the committee of three that approves the protocol, and the
-- order that follows at the quoted prices.

-- A tender's rules for mini-competitions, set by the economic lead: from
-- what order amount (before VAT, as the ceiling counts) a multi-winner
-- tender needs one (none: only a competition tender does), and the fewest
-- business days a request stays open.
ALTER TABLE tenders
    ADD COLUMN competition_from numeric(14,2) CHECK (competition_from > 0),
    ADD COLUMN competition_min_days int NOT NULL DEFAULT 3 CHECK (competition_min_days BETWEEN 1 AND 30);

-- The committee of three of an authority: its director-general (ceo),
-- treasurer and legal adviser. The two new roles are authority roles.
ALTER TABLE users DROP CONSTRAINT users_roles_check, DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_roles_check CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['cluster_admin','economic_lead','officer','treasurer','head','supplier','ceo','legal_adviser']),
    ADD CONSTRAINT users_check CHECK (
        (org_kind = 'cluster'   AND authority_id IS NULL AND supplier_id IS NULL AND roles <@ ARRAY['cluster_admin','economic_lead'])
     OR (org_kind = 'authority' AND authority_id IS NOT NULL AND supplier_id IS NULL
         AND roles <@ ARRAY['officer','treasurer','head','ceo','legal_adviser'])
     OR (org_kind = 'supplier'  AND supplier_id IS NOT NULL AND authority_id IS NULL AND roles <@ ARRAY['supplier']));

-- competition_clock is the time the competition rules read: the
-- database's clock, unless the caller names a time (the tests' clock).
CREATE FUNCTION competition_clock(at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(at, now());

-- competition_quotes_open says whether a competition's quotes may be read
-- by anyone but the supplier who quoted: only once its deadline has passed
-- by the database's clock (or the caller's, see competition_clock). Every
-- query that reads another's quote prices calls it.
CREATE FUNCTION competition_quotes_open(deadline timestamptz, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN deadline IS NOT NULL AND deadline <= coalesce(at, now());

CREATE TABLE competitions (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authority_id         bigint NOT NULL REFERENCES authorities(id),
    tender_id            bigint NOT NULL REFERENCES tenders(id),
    budget_line_id       bigint REFERENCES budget_lines(id),
    status               text NOT NULL DEFAULT 'draft'
                             CHECK (status IN ('draft', 'published', 'closed', 'unsuccessful', 'decided', 'cancelled')),
    -- round counts publications: 0 while a draft, one more each time the
    -- request is published (again after an unsuccessful round).
    round                int NOT NULL DEFAULT 0 CHECK (round >= 0),
    -- version is the ETag: every change increments it.
    version              int NOT NULL DEFAULT 1 CHECK (version > 0),
    delivery_address     text NOT NULL DEFAULT '',
    requested_date       date,
    notes                text NOT NULL DEFAULT '',
    -- The deadline is 12:00 Israel time on a business day; questions close
    -- at 12:00 one business day before it.
    deadline             timestamptz,
    questions_until      timestamptz,
    published_at         timestamptz,
    -- The winners eligible for nothing when the round was published, with
    -- why: [{supplier_id, supplier_name, reasons}].
    not_invited          jsonb NOT NULL DEFAULT '[]',
    -- When the quotes were opened (the closing).
    opened_at            timestamptz,
    -- The committee's rounds: a new proposal starts a new round, in which
    -- each of the three slots approves or objects again.
    committee_round      int NOT NULL DEFAULT 0 CHECK (committee_round >= 0),
    proposal_supplier_id bigint REFERENCES suppliers(id),
    proposal_reason      text NOT NULL DEFAULT '',
    decided_at           timestamptz,
    -- The winner the committee decided for, and the one the order is now
    -- with (the next in the ranking after a pass).
    decided_supplier_id  bigint REFERENCES suppliers(id),
    chosen_supplier_id   bigint REFERENCES suppliers(id),
    -- not_cheapest: the committee chose other than the cheapest valid
    -- quote, for decision_reason.
    not_cheapest         boolean NOT NULL DEFAULT false,
    decision_reason      text NOT NULL DEFAULT '',
    order_id             bigint REFERENCES orders(id),
    cancel_reason        text NOT NULL DEFAULT '',
    cancel_note          text NOT NULL DEFAULT '',
    cancelled_at         timestamptz,
    created_by           bigint NOT NULL REFERENCES users(id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (status = 'draft' OR deadline IS NOT NULL),
    CHECK (status <> 'decided' OR (chosen_supplier_id IS NOT NULL AND order_id IS NOT NULL)),
    CHECK (NOT not_cheapest OR decision_reason <> '')
);
CREATE INDEX competitions_authority ON competitions (authority_id, id);
CREATE INDEX competitions_tender ON competitions (tender_id, id);
CREATE INDEX competitions_due ON competitions (deadline) WHERE status = 'published';

-- The items and quantities requested, from the tender.
CREATE TABLE competition_lines (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id bigint NOT NULL REFERENCES competitions(id),
    line_no        int NOT NULL CHECK (line_no > 0),
    item_id        bigint NOT NULL REFERENCES tender_items(id),
    quantity       numeric(12,3) NOT NULL CHECK (quantity > 0 AND quantity <= 1000000),
    UNIQUE (competition_id, line_no),
    UNIQUE (competition_id, item_id)
);

-- One invitation per winner and round: the winners whose award was active
-- and who were eligible on the day the round was published. A winner
-- declines with a reason; at the closing a winner no longer eligible is set
-- aside with why, and the valid quotes are ranked.
CREATE TABLE competition_invitations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id    bigint NOT NULL REFERENCES competitions(id),
    round             int NOT NULL CHECK (round > 0),
    supplier_id       bigint NOT NULL REFERENCES suppliers(id),
    award_id          bigint NOT NULL REFERENCES awards(id),
    invited_at        timestamptz NOT NULL,
    declined_at       timestamptz,
    decline_reason    text NOT NULL DEFAULT '',
    set_aside_reasons jsonb,
    rank              int CHECK (rank > 0),
    UNIQUE (competition_id, round, supplier_id),
    CHECK (declined_at IS NULL OR decline_reason <> '')
);
CREATE INDEX competition_invitations_supplier ON competition_invitations (supplier_id, competition_id);

-- A winner's quote in one round: its status and its last revision (the one
-- that counts). Its prices are in the revisions.
CREATE TABLE competition_quotes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invitation_id    bigint NOT NULL UNIQUE REFERENCES competition_invitations(id),
    competition_id   bigint NOT NULL REFERENCES competitions(id),
    supplier_id      bigint NOT NULL REFERENCES suppliers(id),
    -- draft: the terms changed since the last revision, which counts no
    -- more until the winner quotes again.
    status           text NOT NULL CHECK (status IN ('draft', 'submitted', 'withdrawn')),
    revisions        int NOT NULL DEFAULT 0 CHECK (revisions >= 0),
    last_revision_id bigint,
    last_revision_at timestamptz,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX competition_quotes_competition ON competition_quotes (competition_id);

-- Every revision of a quote, kept; the last counts. Append-only.
CREATE TABLE competition_quote_revisions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quote_id     bigint NOT NULL REFERENCES competition_quotes(id),
    revision     int NOT NULL CHECK (revision > 0),
    submitted_at timestamptz NOT NULL,
    submitted_by bigint REFERENCES users(id),
    quoted_total numeric(14,2) NOT NULL CHECK (quoted_total >= 0),
    UNIQUE (quote_id, revision)
);
ALTER TABLE competition_quotes ADD FOREIGN KEY (last_revision_id) REFERENCES competition_quote_revisions(id);

-- A revision's unit price per line, never above the winner's framework
-- price in force that day (framework_price, written by the statement that
-- inserts the line). Append-only.
CREATE TABLE competition_quote_lines (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision_id     bigint NOT NULL REFERENCES competition_quote_revisions(id),
    line_no         int NOT NULL CHECK (line_no > 0),
    item_id         bigint NOT NULL REFERENCES tender_items(id),
    quantity        numeric(12,3) NOT NULL CHECK (quantity > 0),
    quoted_price    numeric(14,2) NOT NULL CHECK (quoted_price > 0),
    quoted_total    numeric(14,2) NOT NULL CHECK (quoted_total >= 0),
    framework_price numeric(14,2) NOT NULL,
    UNIQUE (revision_id, line_no),
    UNIQUE (revision_id, item_id),
    CHECK (quoted_price <= framework_price)
);

-- No revision is taken after the deadline or outside a published round,
-- whatever the statement that inserts it.
-- +goose StatementBegin
CREATE FUNCTION competition_revision_in_time() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c competitions;
BEGIN
    SELECT k.* INTO c FROM competitions k JOIN competition_quotes q ON q.competition_id = k.id WHERE q.id = NEW.quote_id;
    IF c.status <> 'published' OR NEW.submitted_at >= c.deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'competition.deadline_passed',
            DETAIL = coalesce(to_char(c.deadline AT TIME ZONE 'Asia/Jerusalem', 'YYYY-MM-DD HH24:MI'), '');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER competition_revision_in_time BEFORE INSERT ON competition_quote_revisions
    FOR EACH ROW EXECUTE FUNCTION competition_revision_in_time();

-- Questions of the invited winners; an answer is published to every
-- invited winner without the asker's name.
CREATE TABLE competition_questions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id bigint NOT NULL REFERENCES competitions(id),
    supplier_id    bigint NOT NULL REFERENCES suppliers(id),
    asked_by       bigint REFERENCES users(id),
    asked_at       timestamptz NOT NULL,
    question       text NOT NULL CHECK (question <> ''),
    answer         text NOT NULL DEFAULT '',
    answered_by    bigint REFERENCES users(id),
    answered_at    timestamptz,
    CHECK ((answered_at IS NULL) = (answer = ''))
);
CREATE INDEX competition_questions_competition ON competition_questions (competition_id, id);

-- The committee's votes: one per slot and per user in each round; a member
-- may change their vote until the decision.
CREATE TABLE competition_votes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id  bigint NOT NULL REFERENCES competitions(id),
    committee_round int NOT NULL CHECK (committee_round > 0),
    slot            text NOT NULL CHECK (slot IN ('ceo', 'treasurer', 'legal_adviser')),
    user_id         bigint NOT NULL REFERENCES users(id),
    vote            text NOT NULL CHECK (vote IN ('approve', 'object')),
    note            text NOT NULL DEFAULT '',
    voted_at        timestamptz NOT NULL,
    UNIQUE (competition_id, committee_round, slot),
    UNIQUE (competition_id, committee_round, user_id),
    CHECK (vote = 'approve' OR note <> '')
);

-- Every step of a competition (who, when, from, to, note, facts).
-- Append-only.
CREATE TABLE competition_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id bigint NOT NULL REFERENCES competitions(id),
    at             timestamptz NOT NULL,
    actor_id       bigint REFERENCES users(id),
    action         text NOT NULL,
    from_status    text NOT NULL,
    to_status      text NOT NULL,
    note           text NOT NULL DEFAULT '',
    data           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX competition_events_competition ON competition_events (competition_id, id);

CREATE TRIGGER competition_quote_revisions_append_only BEFORE UPDATE OR DELETE ON competition_quote_revisions
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER competition_quote_lines_append_only BEFORE UPDATE OR DELETE ON competition_quote_lines
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER competition_events_append_only BEFORE UPDATE OR DELETE ON competition_events
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- An order made by a competition's decision records it.
ALTER TABLE orders ADD COLUMN competition_id bigint REFERENCES competitions(id);
CREATE INDEX orders_competition ON orders (competition_id) WHERE competition_id IS NOT NULL;

-- Every new table is audited. Quoted prices and totals are sealed until
-- the deadline and the trail is read by the cluster, so the trail records
-- them as changed ("***"), never their value: they join its secrets.
-- +goose StatementBegin
DO $$
DECLARE
    t record;
    src text := pg_get_functiondef('audit_row()'::regprocedure);
BEGIN
    IF position('''totp_secret''' IN src) = 0 THEN
        RAISE EXCEPTION 'audit_row has no list of secrets to add the quoted prices to';
    END IF;
    EXECUTE replace(src, '''totp_secret''', '''totp_secret'', ''quoted_price'', ''quoted_total''');
    FOR t IN SELECT * FROM (VALUES
        ('competitions', ''), ('competition_lines', ''), ('competition_invitations', ''), ('competition_quotes', ''),
        ('competition_quote_revisions', ''), ('competition_quote_lines', ''), ('competition_questions', ''),
        ('competition_votes', ''), ('competition_events', '')
    ) AS v(name, keys) LOOP
        EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION audit_row(%s)',
            t.name, (SELECT coalesce(string_agg(quote_literal(k), ', '), '') FROM unnest(string_to_array(nullif(t.keys, ''), ',')) AS k));
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    src text := pg_get_functiondef('audit_row()'::regprocedure);
BEGIN
    EXECUTE replace(src, '''totp_secret'', ''quoted_price'', ''quoted_total''', '''totp_secret''');
END $$;
-- +goose StatementEnd
DROP INDEX orders_competition;
ALTER TABLE orders DROP COLUMN competition_id;
DROP TABLE competition_events;
DROP TABLE competition_votes;
DROP TABLE competition_questions;
DROP TRIGGER competition_revision_in_time ON competition_quote_revisions;
DROP FUNCTION competition_revision_in_time();
DROP TABLE competition_quote_lines;
ALTER TABLE competition_quotes DROP COLUMN last_revision_id;
DROP TABLE competition_quote_revisions;
DROP TABLE competition_quotes;
DROP TABLE competition_invitations;
DROP TABLE competition_lines;
DROP TABLE competitions;
DROP FUNCTION competition_quotes_open(timestamptz, timestamptz);
DROP FUNCTION competition_clock(timestamptz);
ALTER TABLE users DROP CONSTRAINT users_roles_check, DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_roles_check CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['cluster_admin','economic_lead','officer','treasurer','head','supplier']),
    ADD CONSTRAINT users_check CHECK (
        (org_kind = 'cluster'   AND authority_id IS NULL AND supplier_id IS NULL AND roles <@ ARRAY['cluster_admin','economic_lead'])
     OR (org_kind = 'authority' AND authority_id IS NOT NULL AND supplier_id IS NULL AND roles <@ ARRAY['officer','treasurer','head'])
     OR (org_kind = 'supplier'  AND supplier_id IS NOT NULL AND authority_id IS NULL AND roles <@ ARRAY['supplier']));
ALTER TABLE tenders DROP COLUMN competition_min_days, DROP COLUMN competition_from;
