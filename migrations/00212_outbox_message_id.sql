-- +goose Up
-- Every mail is given its Message-ID when it is queued, and every copy of
-- it carries that one: a copy sent again because its sending was
-- interrupted after the SMTP server accepted it is one the receiver can
-- drop. The id is the row's, with the time it was queued (so that ids
-- never repeat across databases) and the service's domain.
CREATE FUNCTION outbox_message_id(outbox_id bigint, queued_at timestamptz, mail_domain text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN '<mail.' || outbox_id || '.' || extract(epoch FROM queued_at)::bigint || '@' || mail_domain || '>';

ALTER TABLE mail_outbox ADD COLUMN message_id text;
UPDATE mail_outbox SET message_id = outbox_message_id(id, created_at, 'localhost');
ALTER TABLE mail_outbox ALTER COLUMN message_id SET NOT NULL;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_message_id_key UNIQUE (message_id);

-- queue_mail adds a rendered mail to the outbox (about order order_id, or
-- none) with its Message-ID, and returns the row's id: the one way mail is
-- queued.
-- +goose StatementBegin
CREATE FUNCTION queue_mail(order_id bigint, kind text, recipient text, lang text, subject text, body text, mail_domain text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO mail_outbox (id, order_id, kind, recipient, lang, subject, body, message_id) OVERRIDING SYSTEM VALUE
    SELECT n.id, $1, $2, $3, $4, $5, $6, outbox_message_id(n.id, now(), $7)
    FROM (SELECT nextval(pg_get_serial_sequence('mail_outbox', 'id')) AS id) n
    RETURNING id
$$;
-- +goose StatementEnd

-- A sender claims one pending mail at a time by moving its next_attempt_at
-- to the end of a lease: no other sender takes it before, and one that
-- stops before recording the outcome leaves it due again after.
COMMENT ON COLUMN mail_outbox.next_attempt_at IS 'when the mail is due: after its backoff, or the end of the lease of the sender sending it';

-- +goose Down
COMMENT ON COLUMN mail_outbox.next_attempt_at IS NULL;
ALTER TABLE mail_outbox DROP COLUMN message_id;
DROP FUNCTION queue_mail(bigint, text, text, text, text, text, text);
DROP FUNCTION outbox_message_id(bigint, timestamptz, text);
